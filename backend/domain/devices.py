"""Sensor keys bound to tokens: binding, rotation and revocation."""

from __future__ import annotations

from typing import Any

from backend.domain.context import Context, owned_token, refuse, token
from backend.state import Binding, Token
from chain_client.device import device_id
from chain_client.ledger.reasons import TxReason


def _active(found: Token, ctx: Context) -> Binding | None:
    for dev in reversed(found.devices):
        binding = ctx.state.bindings[dev]
        if binding.status == "active":
            return binding
    return None


def _new_binding(ctx: Context, found: Token, public_key: bytes) -> Binding:
    dev = device_id(public_key).hex()
    if dev in ctx.state.bindings:
        holder = ctx.state.bindings[dev].token
        raise refuse(TxReason.DEVICE_IN_USE, f"device {dev} was already bound (to token {holder!r})")
    binding = Binding(device=dev, public_key=public_key, token=found.id, bound_at=ctx.time)
    ctx.state.bindings[dev] = binding
    found.devices.append(dev)
    return binding


def bind_device(ctx: Context) -> dict[str, Any]:
    """The owner binds a sensor key to a token that has no active one."""
    found = owned_token(ctx, ctx.args["token"])
    current = _active(found, ctx)
    if current is not None:
        raise refuse(
            TxReason.DEVICE_ALREADY_BOUND, f"token {found.id!r} already has active device {current.device}"
        )
    binding = _new_binding(ctx, found, ctx.args["public_key"])
    return {"token": found.id, "device": binding.device}


def rotate_device(ctx: Context) -> dict[str, Any]:
    """The owner replaces the token's active sensor key with a new one."""
    found = owned_token(ctx, ctx.args["token"])
    current = _active(found, ctx)
    if current is None:
        raise refuse(TxReason.NO_ACTIVE_DEVICE, f"token {found.id!r} has no active device to rotate")
    binding = _new_binding(ctx, found, ctx.args["public_key"])
    current.status = "rotated"
    current.ended_at = ctx.time
    current.reason = f"rotated to {binding.device}"
    return {"token": found.id, "device": binding.device, "rotated": current.device}


def revoke_device(ctx: Context) -> dict[str, Any]:
    """The owner or a reviewer revokes the token's active sensor key."""
    found = token(ctx, ctx.args["token"], live=False)
    if ctx.signer not in ctx.state.reviewers:
        found = owned_token(ctx, found.id)
    current = _active(found, ctx)
    if current is None:
        raise refuse(TxReason.NO_ACTIVE_DEVICE, f"token {found.id!r} has no active device to revoke")
    current.status = "revoked"
    current.ended_at = ctx.time
    current.reason = ctx.args["reason"]
    return {"token": found.id, "revoked": current.device}
