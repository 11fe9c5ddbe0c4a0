"""The simulator's exceptions: one tree, each message names the bad value."""

from __future__ import annotations


class SimError(Exception):
    """A failure that is not the simulator's bug (bad scenario, unreachable service, ...)."""


class ScenarioError(SimError):
    """A scenario file is malformed; the message lists every bad key and value."""


class MqttError(SimError):
    """An MQTT connection failed or the broker refused it; ``code`` keeps the broker's return code."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class ServiceError(SimError):
    """A backend, broker or gateway the simulator depends on did not start or answer."""
