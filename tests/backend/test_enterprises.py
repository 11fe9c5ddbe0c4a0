"""Genesis, reviewers, registration, certification and reviews of services."""

from __future__ import annotations

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from tests.backend.world import World


def test_genesis_makes_the_signer_operator_and_cannot_repeat(world: World, ledger: Ledger) -> None:
    assert ledger.state.operator == world.operator.account
    assert ledger.state.enterprises[world.operator.account].roles == ["operator"]
    world.refused(TxReason.GENESIS_EXISTS, world.operator, "genesis", name="again", currency="EUR")


def test_registration_review_and_certification(world: World, ledger: Ledger) -> None:
    acme = world.enterprise("acme", "manufacturer", approve=False)
    assert ledger.state.enterprises[acme.account].status == "pending"
    world.refused(
        TxReason.NOT_CERTIFIED,
        acme,
        "mint_token",
        serial="S",
        model="M",
        specs={},
        price=1,
        salvage_value=0,
        shares=1,
        share_price=1,
        fee_terms=[],
    )
    world.refused(
        TxReason.BAD_ARGS,
        world.operator,
        "review_enterprise",
        enterprise=acme.account,
        decision="reject",
        reason="",
    )
    world.do(
        world.operator, "review_enterprise", enterprise=acme.account, decision="reject", reason="no VAT id"
    )
    found = ledger.state.enterprises[acme.account]
    assert (found.status, found.review_reason, found.credit.rejections) == ("rejected", "no VAT id", 1)
    world.refused(
        TxReason.NOT_PENDING,
        world.operator,
        "review_enterprise",
        enterprise=acme.account,
        decision="approve",
        reason="",
    )
    world.do(acme, "register_enterprise", name="acme", roles=["manufacturer"], info={"vat": "DE1"})
    world.do(world.operator, "review_enterprise", enterprise=acme.account, decision="approve", reason="ok")
    found = ledger.state.enterprises[acme.account]
    assert found.status == "approved"
    assert found.credit.certified_at == world.clock.now
    assert found.credit.rejections == 1  # the record keeps its history
    world.refused(
        TxReason.ALREADY_CERTIFIED, acme, "register_enterprise", name="acme", roles=["lessee"], info={}
    )


def test_only_reviewers_review_and_only_the_operator_adds_them(world: World) -> None:
    alice = world.enterprise("alice", "investor")
    pending = world.enterprise("pending", "lessee", approve=False)
    world.refused(
        TxReason.NOT_REVIEWER,
        alice,
        "review_enterprise",
        enterprise=pending.account,
        decision="approve",
        reason="",
    )
    world.refused(TxReason.NOT_OPERATOR, alice, "add_reviewer", account=alice.account)
    world.refused(
        TxReason.UNKNOWN_ENTERPRISE,
        world.operator,
        "review_enterprise",
        enterprise=world.party("ghost").account,
        decision="approve",
        reason="",
    )
    world.do(world.operator, "add_reviewer", account=alice.account)
    world.refused(TxReason.ALREADY_REVIEWER, world.operator, "add_reviewer", account=alice.account)
    world.do(alice, "review_enterprise", enterprise=pending.account, decision="approve", reason="checked")


def test_unregistered_signers_and_auditors_cannot_act(world: World) -> None:
    ghost = world.party("ghost")
    world.refused(TxReason.NOT_REGISTERED, ghost, "withdraw", amount=1, reference="r")
    auditor = world.enterprise("auditor", "auditor")
    world.refused(TxReason.ROLE_NOT_ALLOWED, auditor, "withdraw", amount=1, reference="r")
    world.refused(
        TxReason.ROLE_NOT_ALLOWED,
        auditor,
        "mint_token",
        serial="S",
        model="M",
        specs={},
        price=1,
        salvage_value=0,
        shares=1,
        share_price=1,
        fee_terms=[],
    )
    lessee = world.enterprise("lessee", "lessee")
    world.refused(
        TxReason.ROLE_NOT_ALLOWED,
        lessee,
        "mint_token",
        serial="S",
        model="M",
        specs={},
        price=1,
        salvage_value=0,
        shares=1,
        share_price=1,
        fee_terms=[],
    )


def test_reviews_of_services_build_their_credit_record(world: World, ledger: Ledger) -> None:
    service = world.enterprise("gw", "service")
    lessee = world.enterprise("lessee", "lessee")
    investor = world.enterprise("inv", "investor")
    world.refused(
        TxReason.SELF_REVIEW, service, "review_service", service=service.account, rating=5, comment=""
    )
    world.refused(
        TxReason.ROLE_NOT_ALLOWED, lessee, "review_service", service=investor.account, rating=5, comment=""
    )
    world.do(lessee, "review_service", service=service.account, rating=4, comment="fast")
    world.do(investor, "review_service", service=service.account, rating=2, comment="")
    world.refused(
        TxReason.ALREADY_REVIEWED, lessee, "review_service", service=service.account, rating=1, comment=""
    )
    world.refused(
        TxReason.BAD_ARGS, investor, "review_service", service=service.account, rating=6, comment=""
    )
    credit = ledger.state.enterprises[service.account].credit
    assert (credit.reviews_received, credit.rating_sum) == (2, 6)


def test_unknown_types_are_refused(world: World) -> None:
    world.refused(TxReason.UNKNOWN_TYPE, world.operator, "mint_money", amount=1)


def test_a_reviewer_neither_certifies_nor_funds_itself(world: World, ledger: Ledger) -> None:
    """The attack: a reviewer approved itself, deposited 10^12 to itself and withdrew it."""
    insider = world.party("insider")
    world.do(world.operator, "add_reviewer", account=insider.account)
    world.do(insider, "register_enterprise", name="Insider Ltd", roles=["investor"], info={})
    world.refused(
        TxReason.SELF_REVIEW,
        insider,
        "review_enterprise",
        enterprise=insider.account,
        decision="approve",
        reason="",
    )
    world.do(world.operator, "review_enterprise", enterprise=insider.account, decision="approve", reason="")
    world.refused(
        TxReason.SELF_DEPOSIT, insider, "deposit", account=insider.account, amount=10**12, reference="x"
    )
    # The operator too: money for its own account is recorded by another reviewer.
    world.refused(
        TxReason.SELF_DEPOSIT,
        world.operator,
        "deposit",
        account=world.operator.account,
        amount=5,
        reference="x",
    )
    world.do(insider, "deposit", account=world.operator.account, amount=5, reference="fees")
    world.refused(TxReason.INSUFFICIENT_FUNDS, insider, "withdraw", amount=10**12, reference="x")
    assert world.balance(insider) == 0
