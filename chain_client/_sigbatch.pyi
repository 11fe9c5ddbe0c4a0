from collections.abc import Sequence

def verify_many(
    keys: Sequence[bytes], signatures: Sequence[bytes], messages: Sequence[bytes], /
) -> bytes: ...
