"""Host codec throughput: full decode-and-verify against raw PyNaCl verification.

Prints JSON.  The baseline is libsodium's Ed25519 verification of the same
Sig_structure bytes in the same run, so the ratio says how much the strict
CBOR/COSE decoding costs on top of the signature check.
"""

from __future__ import annotations

import json
import time

from nacl.signing import SigningKey, VerifyKey

from chain_client import Reading, decode, sign, verify
from chain_client.device import device_id

N = 5000


def _messages(key: SigningKey) -> list[bytes]:
    dev = device_id(bytes(key.verify_key))
    return [
        sign(
            Reading(
                device_id=dev,
                boot=1,
                seq=i,
                time=1_764_000_000 + i,
                time_synced=True,
                readings={1: 2150 + i % 7, 2: 4500, 3: 101_325, 4: 3200, 5: 4100, 6: 1},
                run_seconds=i,
                cycles=i // 3,
            ),
            key,
        )
        for i in range(N)
    ]


def _rate(fn: object, items: list[bytes]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)  # type: ignore[operator]  # callables of one argument
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    """Measure and print the rates."""
    key = SigningKey(bytes(range(32)))
    public = bytes(key.verify_key)
    messages = _messages(key)
    envelopes = [decode(m).envelope for m in messages]
    pairs = [(e.to_be_signed(), e.signature) for e in envelopes]
    raw_key = VerifyKey(public)
    start = time.perf_counter()
    for tbs, sig in pairs:
        raw_key.verify(tbs, sig)
    raw = N / (time.perf_counter() - start)
    decode_only = _rate(decode, messages)
    full = _rate(lambda m: verify(m, public), messages)
    print(
        json.dumps(
            {
                "messages": N,
                "message_bytes": len(messages[0]),
                "raw_pynacl_verify_per_s": round(raw),
                "decode_per_s": round(decode_only),
                "decode_and_verify_per_s": round(full),
                "verify_ratio_to_raw": round(full / raw, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
