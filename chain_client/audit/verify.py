"""Offline verification of an evidence bundle (``leasechain audit verify``).

Trusting only the log key, the verifier checks, and names the place of every
failure:

* ``tree_head_signature``: the tree head is signed by the log key;
* ``log_key``: entry 0 is the genesis signed by that key;
* ``log_inclusion``: every entry is a leaf of the log under that head;
* ``tlog_proof``: every entry's c2sp.org/tlog-proof checks against a checkpoint the log key
  signed, and, given a witness policy, that checkpoint's cosignatures meet its quorum
  (the summary's ``witnesses`` names those that co-signed);
* ``transaction_signature``: every entry decodes and its transaction is signed;
* ``lease_terms``: the signed offer (or a proposal with its listing and request) derives the lease id,
  its terms are the claimed ones,
  and the lessee signed the lease;
* ``device_bindings``: the token's minting and its bind/rotate/revoke entries form one
  history, and every reading's device is bound to the token;
* ``batch_inclusion``: every reading is the exact leaf at its position of its anchored batch;
* ``reading_signature``: every reading verifies against its device's bound key
  (a message the ledger refused as anchored is judged, by the ledger's own rule
  :mod:`chain_client.ledger.verdict`, as not counted);
* ``usage``: the meter rules (:mod:`chain_client.ledger.usage`) applied to the readings
  give the invoice's run-seconds;
* ``invoice``: the period, its end before the issue, and the amount
  ``fixed_rent + usage_charge``;
* ``holders``: the share holders at the period's end, from the minting and share entries;
* ``anchor_consistency``: each cited on-chain anchor is a verified ``record_anchor`` entry whose
  tree is a prefix of the tree head (docs/chain.md);
* ``payouts``: the lessee's payment entry and the distribution
  (:mod:`chain_client.ledger.distribution`) line by line, summing to the amount.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chain_client import merkle
from chain_client.audit import payouts
from chain_client.audit.anchors import cited_anchors
from chain_client.audit.bundle import Bundle
from chain_client.audit.report import Report
from chain_client.audit.timeline import Timeline, rebuild
from chain_client.errors import LeaseChainError, ProtocolError
from chain_client.ledger.due import due_date
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.evidence import Evidence, Increment, mismatch, period_evidence
from chain_client.ledger.holders import ShareEvent, holders_at
from chain_client.ledger.ids import invoice_id, lease_id, token_id
from chain_client.ledger.schema import TxType, check_args, parse_type
from chain_client.ledger.transaction import Transaction, decode
from chain_client.ledger.treehead import TreeHead, tree_head_from_json, verify_tree_head
from chain_client.ledger.usage import Counter, increment, is_after, stamp, usage_charge
from chain_client.ledger.verdict import Key, read, refusal
from chain_client.market.ids import LISTING, REQUEST, derived_id
from chain_client.market.terms import proposal_offer
from chain_client.message import Message, check_signature
from chain_client.payload import Reading
from chain_client.signatures import verify_many
from chain_client.tlog import NoteError, log_verifier, note, parse_text
from chain_client.tlog.policy import Policy
from chain_client.tlog.proof import parse_proof, verify_proof

LEASE_FIELDS = ("token", "lessee", "start", "end", "period", "fixed_rent", "usage_rate", "deposit", "grace")


@dataclass(frozen=True)
class Logged:
    """A verified log entry: its index, ledger time and transaction."""

    index: int
    time: int
    tx: Transaction


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


class _Audit:
    def __init__(self, bundle: Bundle) -> None:
        self.b = bundle
        self.r = Report()
        self.log: dict[int, Logged] = {}
        self.head: TreeHead | None = None
        # The decoded messages of the readings judged verified, for the usage check.
        self.verified: dict[tuple[int, int], Message] = {}

    # -- the log --------------------------------------------------------------

    def tree_head(self) -> None:
        where = f"tree head (size {self.b.tree_head.get('tree_size')!r})"
        try:
            self.head = tree_head_from_json(self.b.tree_head)
            verify_tree_head(self.head, bytes.fromhex(self.b.log_key))
        except (LeaseChainError, ValueError) as exc:
            self.r.fail("tree_head_signature", where, str(exc))
            return
        self.r.good("tree_head_signature")

    def entries(self) -> None:
        seen: set[int] = set()
        for item in self.b.entries:
            where = f"log entry {item.index}"
            if item.index in seen:
                self.r.fail("log_inclusion", where, "appears twice in the bundle")
                continue
            seen.add(item.index)
            try:
                raw = bytes.fromhex(item.entry)
                path = _hexes(item.audit_path)
            except ValueError as exc:
                self.r.fail("log_inclusion", where, f"not hex: {exc}")
                continue
            if self.head is not None:
                try:
                    merkle.verify_inclusion(
                        merkle.leaf_hash(raw), item.index, self.head.size, path, self.head.root
                    )
                    self.r.good("log_inclusion")
                except LeaseChainError as exc:
                    # Not in the log: nothing it says is evidence.
                    self.r.fail("log_inclusion", where, str(exc))
                    continue
            try:
                entry = decode_entry(raw)
                tx = decode(entry.tx)
                # Signed is not enough: the ledger accepted only well-formed arguments.
                check_args(parse_type(tx.type), tx.args)
            except LeaseChainError as exc:
                self.r.fail("transaction_signature", where, str(exc))
                continue
            if tx.ledger.hex() != self.b.log_key:
                # The ledger refuses bytes signed for another one (wrong_ledger).
                self.r.fail(
                    "transaction_signature",
                    where,
                    f"the transaction is for ledger {tx.ledger.hex()}, "
                    f"the bundle's log key is {self.b.log_key}",
                )
                continue
            self.r.good("transaction_signature")
            self.log[item.index] = Logged(item.index, entry.time, tx)

    def tlog_proofs(self, policy: Policy | None) -> None:
        """Each entry's tlog-proof, and the witnesses that co-signed the checkpoints they lead to."""
        together: set[str] | None = None
        for item in self.b.entries:
            where = f"log entry {item.index}"
            if not item.tlog_proof:
                if policy is not None and policy.quorum != "none":
                    self.r.fail(
                        "tlog_proof", where, "no tlog-proof: the entry is under no witnessed checkpoint"
                    )
                continue
            try:
                names = self._tlog_proof(item.index, item.entry, item.tlog_proof, policy)
            except (LeaseChainError, ValueError) as exc:
                self.r.fail("tlog_proof", where, str(exc))
                continue
            if policy is not None and not policy.met(names):
                shown = ", ".join(names) or "no trusted witness"
                self.r.fail("tlog_proof", where, f"co-signed by {shown}: the witness quorum is not met")
                continue
            together = set(names) if together is None else together & set(names)
            self.r.good("tlog_proof")
        self.r.summary["witnesses"] = sorted(together or ())

    def _tlog_proof(self, index: int, entry: str, text: str, policy: Policy | None) -> list[str]:
        proof = parse_proof(text)
        if proof.index != index:
            raise NoteError(f"the tlog-proof is for entry {proof.index}")
        origin = parse_text(note.parse(proof.checkpoint).text).origin
        key = log_verifier(origin, bytes.fromhex(self.b.log_key))
        if policy is not None and policy.logs and key not in [k for k, _ in policy.logs]:
            raise NoteError(f"the checkpoint's log {key.vkey()} is not one of the policy's logs")
        proven = verify_proof(proof, bytes.fromhex(entry), key, policy.keys() if policy else [])
        self.r.summary["checkpoint_size"] = proven.checkpoint.size
        if policy is None:
            return []
        return policy.cosigners(note.parse(proof.checkpoint))

    def log_key(self) -> None:
        genesis = self.log.get(0)
        if genesis is None or genesis.tx.type != TxType.GENESIS:
            self.r.fail("log_key", "log entry 0", "the bundle lacks the genesis entry")
        elif genesis.tx.signer != self.b.log_key:
            self.r.fail(
                "log_key", "log entry 0", f"the genesis is signed by {genesis.tx.signer}, not the log key"
            )
        else:
            self.r.good("log_key")

    def of_type(self, kind: TxType, **args: Any) -> list[Logged]:  # noqa: ANN401 - argument values of any kind
        return [
            e
            for _, e in sorted(self.log.items())
            if e.tx.type == kind and all(e.tx.args.get(k) == v for k, v in args.items())
        ]

    # -- the lease --------------------------------------------------------------

    def lease(self) -> Logged | None:
        name = f"lease {self.b.lease}"
        offers = [
            e for e in self.of_type(TxType.OFFER_LEASE) if lease_id(e.tx.signer, e.tx.id) == self.b.lease
        ]
        offers += self.proposals(name)
        if len(offers) != 1:
            self.r.fail(
                "lease_terms", name, f"{len(offers)} offer_lease entries derive this lease id, expected 1"
            )
            return None
        offer = offers[0]
        args = offer.tx.args
        claim = self.b.claims.lease.model_dump()
        wrong = [f for f in LEASE_FIELDS if claim[f] != args.get(f)]
        if claim["lessor"] != offer.tx.signer:
            wrong.append("lessor")
        fees = [{"account": f["account"], "bps": f["bps"]} for f in args.get("fees", [])]
        if claim["fees"] != fees:
            wrong.append("fees")
        if claim["id"] != self.b.lease:
            wrong.append("id")
        for f in wrong:
            self.r.fail(
                "lease_terms",
                f"{name} field {f!r}",
                f"claimed {claim[f]!r}, the signed offer (log entry {offer.index}) says "
                f"{offer.tx.signer if f == 'lessor' else self.b.lease if f == 'id' else args.get(f)!r}",
            )
        if args.get("token") != self.b.token:
            self.r.fail(
                "lease_terms",
                name,
                f"the offer leases {args.get('token')!r}, the bundle is about {self.b.token}",
            )
        signed = [e for e in self.of_type(TxType.SIGN_LEASE, lease=self.b.lease) if e.index > offer.index]
        if not any(e.tx.signer == args.get("lessee") for e in signed):
            self.r.fail("lease_terms", name, "no sign_lease entry by the lessee after the offer")
        if not wrong and signed:
            self.r.good("lease_terms")
        return offer

    def proposals(self, name: str) -> list[Logged]:
        """``propose`` entries deriving this lease id, each as the ``offer_lease`` it stands for."""
        found = []
        for e in self.of_type(TxType.PROPOSE):
            if lease_id(e.tx.signer, e.tx.id) != self.b.lease:
                continue
            listings = [
                x for x in self.of_type(TxType.LIST_MACHINE)
                if derived_id(LISTING, x.tx.signer, x.tx.id) == e.tx.args.get("listing") and x.index < e.index
            ]  # fmt: skip
            requests = [
                x for x in self.of_type(TxType.POST_REQUEST)
                if derived_id(REQUEST, x.tx.signer, x.tx.id) == e.tx.args.get("request") and x.index < e.index
            ]  # fmt: skip
            if len(listings) != 1 or len(requests) != 1 or listings[0].tx.signer != e.tx.signer:
                self.r.fail(
                    "lease_terms", name, f"proposal (log entry {e.index}) lacks its listing or request"
                )
                continue
            args = proposal_offer(e.tx.args, listings[0].tx.args, requests[0].tx.args, requests[0].tx.signer)
            found.append(
                Logged(e.index, e.time, dataclasses.replace(e.tx, type=TxType.OFFER_LEASE, args=args))
            )
        return found

    # -- devices and readings -------------------------------------------------------

    def minting(self) -> Logged | None:
        mints = [
            e
            for e in self.of_type(TxType.MINT_TOKEN)
            if isinstance(e.tx.args.get("serial"), str)
            and token_id(e.tx.signer, e.tx.args["serial"]) == self.b.token
        ]
        if len(mints) != 1:
            self.r.fail(
                "device_bindings",
                f"token {self.b.token}",
                f"{len(mints)} mint_token entries derive it, expected 1",
            )
            return None
        return mints[0]

    def bindings(self, mint: Logged | None) -> Timeline:
        rows = [(e.index, e.time, e.tx) for e in self.log.values()]
        timeline = rebuild(rows, self.b.token)
        for index, problem in timeline.problems:
            self.r.fail("device_bindings", f"log entry {index}", problem)
        for binding in timeline.bindings.values():
            if mint is not None and binding.bound_index < mint.index:
                self.r.fail(
                    "device_bindings", f"log entry {binding.bound_index}", "binds before the token's minting"
                )
            else:
                self.r.good("device_bindings")
        return timeline

    def readings(self, timeline: Timeline, issued: int | None) -> dict[tuple[int, int], str]:
        """Check every reading; return the verdict the ledger must have given to each (``""`` = verified)."""
        batches = {e.index: e for e in self.of_type(TxType.ANCHOR_BATCH)}
        seen: set[tuple[int, int]] = set()
        verdicts: dict[tuple[int, int], str] = {}
        judged: list[tuple[tuple[int, int], str, bool, Message | ProtocolError]] = []
        for item in sorted(self.b.readings, key=lambda r: (r.batch, r.position)):
            where = f"reading {item.batch}/{item.position}"
            spot = (item.batch, item.position)
            if spot in seen:
                self.r.fail("batch_inclusion", where, "appears twice in the bundle")
                continue
            seen.add(spot)
            try:
                raw = bytes.fromhex(item.message)
                path = _hexes(item.audit_path)
            except ValueError as exc:
                self.r.fail("batch_inclusion", where, f"not hex: {exc}")
                continue
            anchored = self.anchored(item.batch, item.position, raw, path, batches, where)
            if issued is not None and item.batch > issued:
                continue
            judged.append((spot, where, anchored, read(raw)))
        signatures = self.signatures(judged, timeline)
        for spot, where, anchored, message in judged:
            # Every decoded message of a bound device has its outcome; a missing one fails closed.
            verdict = self.judge(message, spot[0], timeline, where, anchored, signatures.get(spot, False))
            if verdict is not None and anchored:  # an unproven message is no evidence of usage
                verdicts[spot] = verdict
                if not verdict and isinstance(message, Message):
                    self.verified[spot] = message
        # An entry commits to its batch by root and count only: whether the bundle holds every
        # reading the invoice rests on is the evidence check's to say, against the signed invoice.
        return verdicts

    def anchored(
        self,
        batch: int,
        position: int,
        raw: bytes,
        path: list[bytes],
        batches: Mapping[int, Logged],
        where: str,
    ) -> bool:
        found = batches.get(batch)
        if found is None:
            self.r.fail(
                "batch_inclusion",
                where,
                f"log entry {batch} of its batch is not an anchor_batch in the bundle",
            )
            return False
        count, root = found.tx.args.get("count", 0), found.tx.args.get("root", b"")
        try:
            merkle.verify_inclusion(merkle.leaf_hash(raw), position, count, path, root)
        except LeaseChainError as exc:
            self.r.fail("batch_inclusion", where, f"not in the batch anchored at log entry {batch}: {exc}")
            return False
        self.r.good("batch_inclusion")
        return True

    def signatures(
        self,
        judged: Sequence[tuple[tuple[int, int], str, bool, Message | ProtocolError]],
        timeline: Timeline,
    ) -> dict[tuple[int, int], bool]:
        """Whether each decoded reading's signature verifies under its device's bound key, checked at once."""
        spots, items = [], []
        for spot, _, _, message in judged:
            if isinstance(message, Message):
                binding = timeline.bindings.get(message.device_id.hex())
                if binding is not None:
                    spots.append(spot)
                    envelope = message.envelope
                    items.append((binding.public_key, envelope.signature, envelope.to_be_signed()))
        return dict(zip(spots, verify_many(items), strict=True))

    def judge(
        self,
        message: Message | ProtocolError,
        batch: int,
        timeline: Timeline,
        where: str,
        anchored: bool,
        signature_ok: bool,
    ) -> str | None:
        """The ledger's verdict on one message when anchored (``""``: verified); None if unusable.

        The verdict is the ledger's own rule (:mod:`chain_client.ledger.verdict`); the signature is
        checked for the report whatever the key's status, since an unanchored message must verify.
        """
        if isinstance(message, ProtocolError):
            if not anchored:
                self.r.fail("reading_signature", where, f"does not decode: {message}")
                return None
            return message.reason.value
        device = message.device_id.hex()
        binding = timeline.bindings.get(device)
        if binding is None:
            self.r.fail("device_bindings", where, f"device {device} has no binding entry for {self.b.token}")
            return None
        # The binding is found by the message's device id, which its key derives: only the signature can fail.
        if signature_ok:
            self.r.good("reading_signature")
        elif not anchored:
            try:
                check_signature(message, binding.public_key, signature_ok)
            except LeaseChainError as exc:
                self.r.fail("reading_signature", where, str(exc))
            return None
        status = binding.status_before(batch)
        key = Key(binding.public_key, *status) if status is not None else None
        return refusal(message, key, signature_ok)

    # -- usage, invoice, holders, payouts ------------------------------------------

    def usage(self, verdicts: Mapping[tuple[int, int], str], start: int, end: int) -> Evidence:
        """The evidence of ``[start, end)``: the verified, counted readings that added usage in it."""
        readings = self.verified
        seen: set[tuple[str, str, int, int]] = set()
        counters: dict[str, Counter] = {}
        increments: list[Increment] = []
        duplicates = 0
        for spot in sorted(verdicts):
            if verdicts[spot]:
                continue
            body = readings[spot].body
            device = body.device_id.hex()
            kind = "reading" if isinstance(body, Reading) else "birth"
            key = (device, kind, body.boot, body.seq if isinstance(body, Reading) else 0)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            if not isinstance(body, Reading):
                continue
            last = counters.get(device)
            if not is_after(last, body.boot, body.seq):
                continue
            current = Counter(body.boot, body.seq, body.run_seconds)
            counters[device] = current
            when = stamp(body.time, body.time_synced, self.log[spot[0]].time)
            increments.append((spot[0], spot[1], when, increment(last, current)))
        evidence = period_evidence(increments, start, end)
        self.r.summary.update(
            readings=len(verdicts),
            verified=sum(1 for v in verdicts.values() if not v),
            rejected=sum(1 for v in verdicts.values() if v),
            duplicates=duplicates,
            counted=len(increments),
            evidence_count=evidence.count,
            evidence=evidence.digest.hex(),
        )
        return evidence

    def evidence(self, issues: list[Logged], evidence: Evidence) -> None:
        """The signed invoice names exactly the readings the bundle proves (none left out, none added)."""
        name = f"invoice {invoice_id(self.b.lease, self.b.period)}"
        if len(issues) != 1:
            self.r.fail("evidence", name, f"{len(issues)} issue_invoice entries to hold the readings against")
            return
        issue = issues[0]
        wrong = mismatch(evidence, issue.tx.args["usage_seconds"], issue.tx.args["evidence"])
        if wrong:
            self.r.fail(
                "evidence",
                f"{name} (log entry {issue.index})",
                f"the signed issue_invoice {wrong} in this bundle: the bundle leaves out (or adds) "
                "an anchored batch or reading of the evidence",
            )
            return
        claimed = self.b.claims.invoice.evidence
        if claimed != evidence.digest.hex():
            self.r.fail(
                "evidence",
                f"{name} field 'evidence'",
                f"claimed {claimed!r}, the signed issue_invoice names {evidence.digest.hex()}",
            )
            return
        self.r.good("evidence")

    def holders(self, mint: Logged, at: int) -> dict[str, int]:
        """Shares held at ledger time ``at`` (``max(period end, minting time)``), from the entries."""
        maker = mint.tx.signer
        events: list[ShareEvent] = [(mint.time, maker, int(mint.tx.args["shares"]))]
        for e in sorted(self.log.values(), key=lambda x: x.index):
            if e.tx.args.get("token") != self.b.token:
                continue
            count = e.tx.args.get("count")
            if not isinstance(count, int):
                continue
            if e.tx.type == TxType.BUY_SHARES:
                events += [(e.time, maker, -count), (e.time, e.tx.signer, count)]
            elif e.tx.type == TxType.TRANSFER_SHARES:
                events += [(e.time, e.tx.signer, -count), (e.time, str(e.tx.args.get("to")), count)]
        return dict(sorted(holders_at(events, at, mint.time).items()))

    def money(self, offer: Logged, mint: Logged | None, usage: int) -> None:
        args = offer.tx.args
        claim = self.b.claims.invoice
        iid = invoice_id(self.b.lease, self.b.period)
        name = f"invoice {iid}"
        period, length = self.b.period, int(args["period"])
        periods = (int(args["end"]) - int(args["start"])) // length
        start = int(args["start"]) + period * length
        end = start + length
        issues = self.of_type(TxType.ISSUE_INVOICE, lease=self.b.lease, period=period)
        ok = True
        if period >= periods:
            self.r.fail("invoice", name, f"the lease has periods 0..{periods - 1}, not {period}")
            ok = False
        if len(issues) != 1:
            self.r.fail("invoice", name, f"{len(issues)} issue_invoice entries for this period, expected 1")
            ok = False
        elif issues[0].time < end:
            self.r.fail("invoice", name, f"issued at {issues[0].time}, before the period ended at {end}")
            ok = False
        charge = usage_charge(int(args["usage_rate"]), usage)
        amount = int(args["fixed_rent"]) + charge
        expected = {
            "id": iid,
            "lease": self.b.lease,
            "period": period,
            "start": start,
            "end": end,
            "fixed": args["fixed_rent"],
            "usage_seconds": usage,
            "usage_charge": charge,
            "amount": amount,
        }
        if len(issues) == 1:
            # When rent falls due depends on who invoiced and when (chain_client.ledger.due).
            by_lessee = issues[0].tx.signer == args.get("lessee")
            expected["due"] = due_date(end, int(args["grace"]), issues[0].time, by_lessee=by_lessee)
        if claim.usage_seconds != usage:
            self.r.fail(
                "usage",
                name,
                f"the readings give {usage} run-seconds, the invoice says {claim.usage_seconds!r}",
            )
        else:
            self.r.good("usage")
        for field, value in expected.items():
            claimed = getattr(claim, field)
            if field != "usage_seconds" and claimed != value:
                self.r.fail("invoice", f"{name} field {field!r}", f"computed {value!r}, claimed {claimed!r}")
                ok = False
        if ok:
            self.r.good("invoice")
        self.r.summary.update(
            invoice=iid, start=start, end=end, usage_seconds=usage, usage_charge=charge, amount=amount
        )
        if "due" in expected:
            self.r.summary["due"] = expected["due"]
        if mint is None:
            return
        held = self.holders(mint, end)
        claimed_holders = claim.holders
        if claimed_holders != held:
            self.r.fail(
                "holders", name, f"the share entries give {held}, the invoice says {claimed_holders!r}"
            )
        else:
            self.r.good("holders")
        self.payouts(offer, issues, held, amount, name)

    def payouts(
        self, offer: Logged, issues: list[Logged], held: dict[str, int], amount: int, name: str
    ) -> None:
        """The payment entry and the distribution, line by line (chain_client.audit.payouts)."""
        claim = self.b.claims.invoice
        lessee = offer.tx.args.get("lessee")
        after = issues[0].index if issues else offer.index
        paid = [
            e
            for e in self.of_type(TxType.PAY_INVOICE, invoice=invoice_id(self.b.lease, self.b.period))
            if e.tx.signer == lessee and e.index > after
        ]
        self.r.summary["paid"] = bool(paid)
        if payouts.unpaid_and_unclaimed(bool(paid), claim):
            return
        fees = [(str(f["account"]), int(f["bps"])) for f in offer.tx.args.get("fees", [])]
        expected = payouts.owed(amount, fees, held)
        due = self.r.summary.get("due")
        failures = payouts.payment_entry(bool(paid), name)
        if paid:
            failures += payouts.payment_time(claim, paid[0].time, due if isinstance(due, int) else None, name)
        lines = payouts.lines_sum(claim, name)
        if claim.payouts:
            lines += payouts.owed_lines(expected, claim, name) + payouts.unowed_lines(expected, claim, name)
        for failure in failures + lines:
            self.r.fail(failure.check, failure.where, failure.detail)
        if not claim.payouts:
            return
        if paid and not lines:
            self.r.good("payouts", len(expected))
        self.r.summary["payouts"] = [line.model_dump() for line in expected]


def verify_bundle(bundle: Bundle, log_key: str | None = None, policy: Policy | None = None) -> Report:
    """Check ``bundle`` offline; the report lists every failed check with its place.

    ``log_key`` (hex) is the key the auditor trusts; without it, the bundle's own is taken.
    ``policy`` names the witnesses the auditor trusts and how many must have co-signed.
    """
    audit = _Audit(bundle)
    if log_key is not None and log_key.lower() != bundle.log_key:
        audit.r.fail(
            "log_key", "the bundle's log_key", f"the bundle names {bundle.log_key}, expected {log_key}"
        )
    audit.tree_head()
    audit.entries()
    audit.tlog_proofs(policy)
    audit.log_key()
    cited_anchors(bundle, audit.log, audit.head, audit.r)
    offer = audit.lease()
    mint = audit.minting()
    timeline = audit.bindings(mint)
    issues = audit.of_type(TxType.ISSUE_INVOICE, lease=bundle.lease, period=bundle.period)
    verdicts = audit.readings(timeline, issues[0].index if issues else None)
    if offer is None:
        return audit.r
    args = offer.tx.args
    start = int(args["start"]) + bundle.period * int(args["period"])
    evidence = audit.usage(verdicts, start, start + int(args["period"]))
    audit.evidence(issues, evidence)
    audit.money(offer, mint, evidence.usage_seconds)
    return audit.r
