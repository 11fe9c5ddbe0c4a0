"""The totals the state keeps beside its snapshot (GET /v1/stats) equal a count over its records."""

from __future__ import annotations

from backend.state import Invoice, Lease, State


def _lease(lease_id: str, status: str) -> Lease:
    return Lease(lease_id, "tok", "lessor", "lessee", 0, 100, 100, 1000, 0, 0, 0, [], 0, 100, status=status)


def _invoice(invoice_id: str, amount: int, paid_at: int) -> Invoice:
    return Invoice(invoice_id, "L1", 0, 0, 100, 150, amount, 0, 0, amount, {}, 100, b"", paid_at=paid_at)


def test_recount_counts_active_leases_and_paid_rent_only() -> None:
    state = State()
    for n, status in enumerate(["pending", "active", "active", "closed", "withdrawn"]):
        state.leases[f"L{n}"] = _lease(f"L{n}", status)
    state.invoices.update(
        {"a": _invoice("a", 1180, 200), "b": _invoice("b", 999, 0), "c": _invoice("c", 7, 300)}
    )
    state.active_leases, state.rent_paid = -5, -5  # whatever a restore left: recount replaces it
    state.recount()
    assert (state.active_leases, state.rent_paid) == (2, 1187)
    assert not {"active_leases", "rent_paid"} & set(state.snapshot())
