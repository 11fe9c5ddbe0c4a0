"""The HTTP routes read the ledger only through backend.reads: no route touches its state, storage or tree."""

from __future__ import annotations

import ast
from pathlib import Path

import backend.routes

ROUTES = sorted(Path(backend.routes.__file__).parent.glob("*.py"))
INNARDS = {"state", "storage", "tree", "readings", "listeners"}  # the Ledger's attributes behind Reads
SUBMISSIONS = {"Submission", "WithMessages"}
INNER_MODULES = {
    "backend.state",
    "backend.storage",
    "backend.tree",
    "backend.readings",
    "backend.marketplace",
}


def _reaches(tree: ast.AST) -> list[str]:
    found = [
        f"line {n.lineno}: .{n.attr}"
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr in INNARDS
    ]
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        names = {a.name for a in node.names}
        # The writer takes submissions, so their types may come from the ledger module; nothing else.
        if node.module in INNER_MODULES or (node.module == "backend.ledger" and names - SUBMISSIONS):
            found.append(f"line {node.lineno}: from {node.module} import {', '.join(sorted(names))}")
    return found


def test_no_route_reaches_into_the_ledger() -> None:
    assert len(ROUTES) > 10
    offences = {path.name: _reaches(ast.parse(path.read_text())) for path in ROUTES}
    assert {name: found for name, found in offences.items() if found} == {}


def test_the_check_finds_a_route_that_does() -> None:
    source = "from backend.ledger import Ledger\ndef route(ledger):\n    return ledger.state.tokens\n"
    assert _reaches(ast.parse(source)) == ["line 3: .state", "line 1: from backend.ledger import Ledger"]
