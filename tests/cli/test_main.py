"""The command line's boundaries: malformed arguments, keystore failures, refusals and exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.ports import free_port
from tests.cli.story import Story
from tests.cli.test_telemetry import leasechain

MINT = [
    "token",
    "mint",
    "--serial",
    "CNC-0001",
    "--model",
    "CNC-5",
    "--price",
    "100000",
    "--salvage-value",
    "10000",
    "--shares",
    "100",
    "--share-price",
    "10",
]


def test_a_wrong_passphrase_is_exit_3_and_named(story: Story) -> None:
    result = story.cli.run(*MINT, key="maker", passphrase="not the passphrase")
    assert result.code == 3
    assert "wrong passphrase for key 'maker'" in result.err


def test_an_unknown_key_is_exit_3(story: Story) -> None:
    result = story.cli.run(*MINT, key="ghost")
    assert result.code == 3
    assert "no key named 'ghost'" in result.err


def test_signing_without_a_key_says_how(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEASECHAIN_KEY", raising=False)
    result = story.cli.run(*MINT)
    assert result.code == 2
    assert "give --key NAME" in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "token",
                "mint",
                "--serial",
                "S",
                "--model",
                "M",
                "--price",
                "abc",
                "--salvage-value",
                "1",
                "--shares",
                "1",
                "--share-price",
                "1",
            ],
            "'abc' is not a whole number",
        ),
        (["shares", "buy", "tok-1", "0"], "'0' must be at least 1"),
        (["account", "withdraw", "-5", "--reference", "r"], "'-5' is negative"),
        (
            [
                "lease",
                "offer",
                "tok-1",
                "--lessee",
                "lessee",
                "--period",
                "3",
                "--fixed-rent",
                "1",
                "--periods",
                "1",
                "--fee",
                "nobps",
            ],
            "must be ACCOUNT:BPS",
        ),
        (["enterprise", "register", "--name", "n", "--role", "pilot"], "invalid choice: 'pilot'"),
        (["token", "status"], "the following arguments are required: token"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_malformed_arguments_are_exit_2_naming_the_value(story: Story, args: list[str], message: str) -> None:
    result = story.cli.run(*args, key="maker")
    assert result.code == 2, result
    assert message in result.err


def test_bad_values_found_after_parsing_are_exit_2(story: Story) -> None:
    result = story.cli.run(
        "enterprise", "register", "--name", "n", "--role", "lessee", "--info", "novalue", key="lessee"
    )
    assert result.code == 2
    assert "info 'novalue' must be KEY=VALUE" in result.err
    result = story.cli.run("enterprise", "approve", "nobody-by-that-name", key="operator")
    assert result.code == 2
    assert "'nobody-by-that-name' is neither an account id" in result.err
    result = story.cli.run("token", "bind-device", story.token, "abcd", key="maker")
    assert result.code == 2
    assert "is 2 bytes, expected 32" in result.err


def test_a_refusal_is_exit_1_with_the_ledgers_reason(story: Story) -> None:
    result = story.cli.run(*MINT, "--json", key="maker")
    assert result.code == 1
    assert result.json()["error"]["reason"] == "duplicate_token"
    assert result.json()["error"]["status"] == 409
    assert "duplicate_token (HTTP 409)" in result.err
    result = story.cli.run("lease", "show", "lease-0000000000000000")
    assert result.code == 1
    assert "HTTP 404" in result.err


def test_an_unreachable_backend_is_exit_4(story: Story) -> None:
    result = story.cli.run("log", "head", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.code == 4
    assert "failed" in result.err


def test_the_console_script_runs(story: Story) -> None:
    ok = subprocess.run([*leasechain(), "--help"], capture_output=True, timeout=60, check=False)
    assert ok.returncode == 0
    assert b"audit" in ok.stdout
    bad = subprocess.run([*leasechain(), "token", "mint"], capture_output=True, timeout=60, check=False)
    assert bad.returncode == 2
    assert b"required" in bad.stderr


def _env(story: Story, **extra: str) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update(
        LEASECHAIN_URL=story.backend.url,
        LEASECHAIN_KEYSTORE=str(story.cli.keystore),
        LEASECHAIN_PASSPHRASE="test passphrase",
        **extra,
    )
    return env


def test_defaults_come_from_the_environment(story: Story) -> None:
    env = _env(story, LEASECHAIN_KEY="investor")
    before = subprocess.run(
        [*leasechain(), "account", "balance", "--json"], capture_output=True, timeout=60, check=True, env=env
    )
    balance = json.loads(before.stdout)["balance"]
    subprocess.run(
        [*leasechain(), "account", "withdraw", "1", "--reference", "env-1"],
        capture_output=True,
        timeout=60,
        check=True,
        env=env,
    )
    after = subprocess.run(
        [*leasechain(), "account", "balance", "--json"], capture_output=True, timeout=60, check=True, env=env
    )
    assert json.loads(after.stdout)["balance"] == balance - 1


def test_progress_is_shown_on_a_terminal_only(story: Story, tmp_path: Path) -> None:
    import os
    import pty

    args = [*leasechain(), "audit", "export", "--lease", story.lease, "--period", "0"]
    main_fd, replica_fd = pty.openpty()
    try:
        on_tty = subprocess.run(
            [*args, "-o", str(tmp_path / "a.json")],
            stdout=replica_fd,
            stderr=subprocess.PIPE,
            timeout=60,
            check=True,
            env=_env(story),
        )
    finally:
        os.close(replica_fd)
        os.close(main_fd)
    assert b"reading the log" in on_tty.stderr
    piped = subprocess.run(
        [*args, "-o", str(tmp_path / "b.json")], capture_output=True, timeout=60, check=True, env=_env(story)
    )
    assert piped.stderr == b""
    assert b"wrote" in piped.stdout
