"""The auditor's report: which checks ran, how many items each covered, and every failure with its place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHECKS = (
    "tree_head_signature",
    "log_key",
    "log_inclusion",
    "tlog_proof",
    "transaction_signature",
    "lease_terms",
    "device_bindings",
    "batch_inclusion",
    "reading_signature",
    "usage",
    "evidence",
    "invoice",
    "holders",
    "payouts",
)


@dataclass(frozen=True)
class Failure:
    """One failed check: its name, where it failed (an entry, a reading, an invoice line) and why."""

    check: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check} failed at {self.where}: {self.detail}"


@dataclass
class Report:
    """Outcome of verifying a bundle; ``ok`` only when no check failed."""

    passed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHECKS, 0))
    failures: list[Failure] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not self.failures

    def good(self, check: str, count: int = 1) -> None:
        """Record ``count`` items that passed ``check``."""
        self.passed[check] += count

    def fail(self, check: str, where: str, detail: str) -> None:
        """Record a failure of ``check`` at ``where``."""
        assert check in self.passed, check
        self.failures.append(Failure(check, where, detail))

    def failed(self, check: str) -> list[Failure]:
        """The failures of one check."""
        return [f for f in self.failures if f.check == check]

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``--json``."""
        return {
            "ok": self.ok,
            "checks": {
                name: {"passed": self.passed[name], "failed": len(self.failed(name))} for name in CHECKS
            },
            "failures": [{"check": f.check, "where": f.where, "detail": f.detail} for f in self.failures],
            "summary": self.summary,
        }
