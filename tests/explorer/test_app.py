"""The explorer when the ledger is gone, and its command line."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from explorer.cli import main
from harness.ports import free_port, wait_for_port


def test_a_ledger_that_does_not_answer_is_a_502_page_naming_it() -> None:
    ledger = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "explorer", "--ledger", ledger, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30)
        page = caught.value.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert caught.value.code == 502
    assert "The ledger does not answer" in page
    assert ledger in page


def test_a_port_out_of_range_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "70000"]) == 2
    assert "--port 70000 is outside 1..65535" in capsys.readouterr().err


def test_a_malformed_witness_key_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--witness", "w1+0000+AAAA"]) == 2
    assert "--witness: vkey 'w1+0000+AAAA'" in capsys.readouterr().err


def test_an_api_page_out_of_range_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--api-page", "5000"])
    assert exited.value.code == 2
    assert "--api-page: '5000' is not a number of rows in 1..1000" in capsys.readouterr().err


def test_without_jinja2_it_names_the_extra_to_install() -> None:
    # A fresh interpreter in which Jinja2 cannot be imported (as after a plain `pip install .`).
    code = "import sys; sys.modules['jinja2'] = None; from explorer.cli import main; sys.exit(main([]))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "pip install 'leasechain[explorer]'" in done.stderr
