"""Witness cosigning (c2sp.org/tlog-witness): the log sends each new checkpoint to its witnesses.

For every new tree size the log signs a checkpoint and posts it to each
witness of its policy (c2sp.org/tlog-policy) with a consistency proof from
the size that witness last cosigned.  A witness that holds another size
answers 409 with it; the log sends again from there.  Transport errors, 429
and 5xx are retried with exponential backoff, a bounded number of times.
Every returned cosignature is verified against the witness's key before it
counts.  The checkpoint is published (``GET /checkpoint``, the ``checkpoint``
file of the tiles) with the cosignature lines appended only once the
policy's quorum is met; until then the previous published one stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from backend.errors import BackendError, WitnessError
from backend.ledger import Ledger
from chain_client.errors import LeaseChainError
from chain_client.tlog import note
from chain_client.tlog.checkpoint import Checkpoint, parse_text
from chain_client.tlog.note import Note, Signature
from chain_client.tlog.policy import Policy, Witness
from chain_client.tlog.witness import MAX_RESPONSE, AddCheckpoint, cosignatures, parse_size, with_signatures

LOG = logging.getLogger(__name__)
T = TypeVar("T")
ProofFn = Callable[[int, int], Awaitable[list[bytes]]]  # (old size, new size) -> consistency proof
ATTEMPTS = 5  # requests per witness and checkpoint, 409 re-sends included
BACKOFF = 0.2  # seconds before the first retry; doubled after each
MAX_BACKOFF = 5.0  # also the cap on a witness's Retry-After
TIMEOUT = 5.0  # seconds per request (connect, send, each read)


class WitnessClient:
    """One witness, as the log sees it: its URL, key, and the size it last cosigned."""

    def __init__(self, witness: Witness, http: httpx.AsyncClient, backoff: float = BACKOFF) -> None:
        if not witness.url.startswith(("http://", "https://")):
            raise WitnessError(
                f"witness {witness.name} has no http(s) URL in the policy ({witness.url[:60]!r}): "
                "the log cannot reach it"
            )
        self.witness = witness
        self.http = http
        self.backoff = backoff
        self.size = 0  # learned from 200 and 409 answers; 0 until the witness told us

    async def cosign(self, signed: Note, checkpoint: Checkpoint, proof: ProofFn) -> tuple[Signature, ...]:
        """Send ``signed`` until the witness cosigns it; its verified cosignature lines."""
        name, delay, last = self.witness.name, self.backoff, ""
        for _ in range(ATTEMPTS):
            old = min(self.size, checkpoint.size)
            hashes = await proof(old, checkpoint.size) if 0 < old < checkpoint.size else []
            body = AddCheckpoint(old, tuple(hashes), signed.encode()).encode()
            try:
                status, answer, retry_after = await self._post(body)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__} {exc}"
                LOG.warning("witness %s: %s; retrying in %.1f s", name, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            if status == 200:
                lines = _checked(cosignatures, name, answer, signed, self.witness.key)
                self.size = checkpoint.size
                return lines
            if status == 409:
                self._conflict(answer, old, checkpoint.size)
                continue
            if status == 429 or status >= 500:
                last = f"status {status}"
                wait = min(retry_after or delay, MAX_BACKOFF)
                LOG.warning("witness %s answered %d; retrying in %.1f s", name, status, wait)
                await asyncio.sleep(wait)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            text = answer[:200].decode("utf-8", "replace").strip()
            raise WitnessError(f"witness {name} refused checkpoint size {checkpoint.size}: {status} {text}")
        raise WitnessError(
            f"witness {name} did not cosign size {checkpoint.size} in {ATTEMPTS} attempts ({last})"
        )

    def _conflict(self, answer: bytes, old: int, size: int) -> None:
        theirs = _checked(parse_size, self.witness.name, answer)
        if theirs > size:
            raise WitnessError(
                f"witness {self.witness.name} holds size {theirs}, beyond this log's {size}: "
                "the log lost entries or its key signed elsewhere"
            )
        if theirs == old:
            raise WitnessError(f"witness {self.witness.name} answered 409 naming the old size {old} we sent")
        self.size = theirs

    async def _post(self, body: bytes) -> tuple[int, bytes, float]:
        url = self.witness.url.rstrip("/") + "/add-checkpoint"
        async with self.http.stream("POST", url, content=body) as response:
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_RESPONSE:
                    raise WitnessError(f"witness {self.witness.name} answered over {MAX_RESPONSE} bytes")
            retry = response.headers.get("retry-after", "")
            return response.status_code, bytes(data), float(retry) if retry.isdigit() else 0.0


def _checked(parse: Callable[..., T], name: str, *args: object) -> T:
    try:
        return parse(*args)
    except LeaseChainError as exc:
        raise WitnessError(f"witness {name} answered something invalid: {exc}") from None


@dataclass
class Published:
    """The newest checkpoint that met the policy, and what the last round found."""

    note: bytes | None = None
    size: int = -1
    cosigners: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


class Cosigner:
    """Collects cosignatures for the log's checkpoints and keeps the newest that meets ``policy``."""

    def __init__(self, policy: Policy, *, timeout: float = TIMEOUT, backoff: float = BACKOFF) -> None:
        self.policy = policy
        limits = httpx.Limits(max_connections=2 * max(1, len(policy.witnesses)))
        self.http = httpx.AsyncClient(timeout=timeout, limits=limits)
        self.clients = {name: WitnessClient(w, self.http, backoff) for name, w in policy.witnesses.items()}
        self.published = Published()
        self.wake = asyncio.Event()  # set by the API after an append: a new size to cosign

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self.http.aclose()

    async def round(self, signed_bytes: bytes, proof: ProofFn) -> bytes | None:
        """Ask every witness to cosign; the cosigned note if the quorum is met (then it is published)."""
        started = time.perf_counter()
        signed = note.parse(signed_bytes)
        checkpoint = parse_text(signed.text)
        names = list(self.clients)
        results = await asyncio.gather(
            *(self.clients[n].cosign(signed, checkpoint, proof) for n in names), return_exceptions=True
        )
        lines: list[Signature] = []
        cosigned, failures = [], {}
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, WitnessError | httpx.HTTPError):
                    raise result
                failures[name] = str(result)
                LOG.warning("%s", result)
            else:
                cosigned.append(name)
                lines.extend(result)
        if not self.policy.met(cosigned):
            self.published.failures = failures
            return None
        whole = with_signatures(signed, lines).encode()
        seconds = time.perf_counter() - started
        self.published = Published(whole, checkpoint.size, sorted(cosigned), failures, seconds)
        return whole

    async def follow(
        self, current: Callable[[], Awaitable[bytes]], proof: ProofFn, poll: float = 1.0
    ) -> None:
        """Cosign each new checkpoint ``current`` returns, forever; back off while the quorum fails.

        It looks when :attr:`wake` is set (an append), and every ``poll`` seconds anyway.
        """
        failed = 0
        while True:
            signed = await current()
            size = parse_text(note.parse(signed).text).size
            if size != self.published.size:
                if await self.round(signed, proof) is None:
                    failed += 1
                    await asyncio.sleep(min(MAX_BACKOFF, BACKOFF * 2**failed))
                    continue
                failed = 0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), poll)
            self.wake.clear()


async def serve_checkpoints(cosigner: Cosigner, ledger: Ledger, lock: asyncio.Lock) -> None:
    """Run :meth:`Cosigner.follow` on a served ledger; ``lock`` is the writer's, so no half batch is read."""

    async def current() -> bytes:
        async with lock:
            return ledger.signed_checkpoint()

    async def proof(old: int, new: int) -> list[bytes]:
        async with lock:
            return ledger.consistency_proof(old, new)

    while True:
        try:
            await cosigner.follow(current, proof)
        except Exception:  # the log keeps serving; cosigning starts again after a pause
            LOG.exception("cosigning stopped; starting again in %.0f s", MAX_BACKOFF)
            await asyncio.sleep(MAX_BACKOFF)


def cosign_once(
    policy: Policy, signed: bytes, proof: Callable[[int, int], list[bytes]], sizes: dict[str, int]
) -> Published:
    """One cosigning round outside a server (``leasechain-backend tiles``); ``sizes`` carries over.

    ``sizes`` maps each witness to the size it last cosigned, so the next
    round sends the right consistency proof at once.
    """

    async def go() -> Published:
        cosigner = Cosigner(policy)
        for name, client in cosigner.clients.items():
            client.size = sizes.get(name, 0)

        async def aproof(old: int, new: int) -> list[bytes]:
            return proof(old, new)

        try:
            await cosigner.round(signed, aproof)
            return cosigner.published
        finally:
            sizes.update({name: client.size for name, client in cosigner.clients.items()})
            await cosigner.close()

    return asyncio.run(go())


def load_policy(path: str) -> Policy:
    """The witness policy file at ``path`` (c2sp.org/tlog-policy)."""
    from chain_client.tlog.policy import MAX_POLICY, parse_policy

    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(MAX_POLICY + 1)
        return parse_policy(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise BackendError(f"witness policy {path}: {exc}") from None
    except LeaseChainError as exc:
        raise BackendError(f"witness policy {path}: {exc}") from None
