"""The state digest kept record by record equals the digest of the whole state after every entry,
and its read re-encodes only the records reached since the previous read."""

from __future__ import annotations

from backend.ledger import Ledger
from backend.tracked import TrackedMap
from tests.backend.test_checkpoints import _busy
from tests.backend.world import World, batch_args, reading, seeded_key


def test_the_kept_digest_is_the_digest_of_the_whole_state_after_every_entry(
    world: World, ledger: Ledger
) -> None:
    seen: list[bytes] = []
    submit_many = ledger.submit_many

    def checked(raws: object) -> object:
        outcomes = submit_many(raws)  # type: ignore[arg-type]
        assert ledger.digest() == ledger.state.digest()
        seen.append(ledger.digest())
        return outcomes

    ledger.submit_many = checked  # type: ignore[assignment, method-assign]
    _busy(world)
    maker, gateway = world.party("maker"), world.party("gateway")
    device = seeded_key("cp-device")
    world.do(
        gateway, "anchor_batch", **batch_args([reading(device, seq=s, run_seconds=s * 60) for s in (5, 9)])
    )
    world.do(maker, "revoke_device", token=next(iter(ledger.state.tokens)), reason="lost")
    assert len(set(seen)) == len(seen) > 10  # every entry changed the state, and the digest saw it


def test_a_read_encodes_only_what_was_reached() -> None:
    records: TrackedMap[str, list[int]] = TrackedMap({"a": [1], "b": [2]})
    assert records.take() is None  # nothing known yet: everything
    records["a"].append(3)
    assert records.take() == {"a"}
    records.get("c")
    records.setdefault("d", [])
    del records["b"]
    assert records.take() == {"b", "c", "d"}
    assert dict(records.read_items()) == {"a": [1, 3], "d": []}
    assert records.take() == set()
    for value in records.values():
        value.append(0)
    assert records.take() is None  # values handed out: all of them may have changed
