"""Config validation: every mistake names the key, the value and what was expected."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gateway import config
from gateway.errors import ConfigError
from gateway.service import mqtt_password, signing_key

EXAMPLE = Path(__file__).parents[2] / "configs" / "gateway.example.toml"


def _problems(data: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config.parse(data)
    return info.value.problems


def test_example_config_is_valid() -> None:
    cfg = config.load(EXAMPLE)
    assert cfg.gateway.id == "site-1-gw-1"
    assert cfg.backend.key is not None
    assert cfg.backend.key.credential == "gateway-key"
    # The example lists every key with its default value.
    defaults = config.Config.model_validate({"gateway": {"id": "x"}, "registry": {"file": "/r.json"}})
    example = tomllib.loads(EXAMPLE.read_text())
    for section, values in example.items():
        for key, value in values.items():
            if section in {"gateway", "backend"} and key in {"id", "url", "key"}:
                continue
            assert getattr(getattr(defaults, section), key) == value, f"{section}.{key}"


def test_errors_name_key_value_and_expectation() -> None:
    problems = _problems(
        {
            "gateway": {"id": "has space"},
            "mqtt": {"port": 70000, "hots": "x", "protocol": "4"},
            "batch": {"max_readings": 5000},
            "registry": {"file": "/r.json"},
        }
    )
    text = "\n".join(problems)
    assert "gateway.id = 'has space' (str): expected a string to match pattern" in text
    assert "mqtt.port = 70000 (int): expected less than or equal to 65535" in text
    assert "mqtt.hots = 'x' (str): unknown key; expected one of: client_id, enabled, host" in text
    assert "mqtt.protocol = '4' (str): expected '5' or '3.1.1'" in text
    assert "batch.max_readings = 5000 (int): expected less than or equal to 3500" in text
    assert len(problems) == 5


def test_cross_field_rules() -> None:
    assert _problems({"gateway": {"id": "g"}}) == [
        "(top level): no source of device keys: set registry.file, "
        "or backend.url with registry.sync_from_backend"
    ]
    assert "backend.key is not" in _problems({"gateway": {"id": "g"}, "backend": {"url": "http://x"}})[0]
    share = _problems(
        {
            "gateway": {"id": "g"},
            "registry": {"file": "/r"},
            "mqtt": {"protocol": "3.1.1", "share_group": "a"},
        }
    )
    assert share == ['mqtt: share_group needs protocol = "5" (shared subscriptions are MQTT 5)']
    missing = _problems({"registry": {"file": "/r"}})
    assert missing == ["gateway: missing; expected a value (this key is required)"]
    quarantine = _problems(
        {
            "gateway": {"id": "g"},
            "registry": {"file": "/r"},
            "store": {"max_bytes": 10_000_000, "quarantine_max_rows": 5000},
        }
    )
    assert quarantine == [
        "store: quarantine_max_rows = 5000 could take 20480000 bytes (up to 4096 a row), more than half "
        "of max_bytes = 10000000; expected at most 1220"
    ]
    assert "quarantine_max_rows = 0 (int): expected greater than or equal to 1" in "\n".join(
        _problems({"gateway": {"id": "g"}, "registry": {"file": "/r"}, "store": {"quarantine_max_rows": 0}})
    )


def test_secrets_from_systemd_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = "11" * 32
    (tmp_path / "gateway-key").write_text(seed + "\n")
    (tmp_path / "mqtt-password").write_text("s3cret\n")
    cfg = config.parse(
        {
            "gateway": {"id": "g"},
            "backend": {"url": "http://b", "key": {"credential": "gateway-key"}},
            "mqtt": {"username": "gw", "password": {"credential": "mqtt-password"}},
        }
    )
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match=r"backend.key.credential = 'gateway-key': \$CREDENTIALS_DIRECTORY"):
        signing_key(cfg)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    key = signing_key(cfg)
    assert key is not None
    assert bytes(key) == bytes.fromhex(seed)
    assert mqtt_password(cfg) == "s3cret"
    (tmp_path / "gateway-key").write_text("short")
    with pytest.raises(ConfigError, match="expected 64 hex digits"):
        signing_key(cfg)


def test_check_config_cli(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    registry = tmp_path / "r.json"
    registry.write_text('{"devices": []}')
    good.write_text(f'[gateway]\nid = "g"\n[registry]\nfile = "{registry}"\n')
    ok = subprocess.run(
        [sys.executable, "-m", "gateway", "check-config", str(good)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert "ok" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[gateway]\nid = "g"\n[mqtt]\nport = "one"\n[registry]\nfile = "/r"\n')
    failed = subprocess.run(
        [sys.executable, "-m", "gateway", "check-config", str(bad)], capture_output=True, text=True
    )
    assert failed.returncode == 2
    assert "mqtt.port = 'one' (str): expected a valid integer" in failed.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[gateway\n")
    failed = subprocess.run(
        [sys.executable, "-m", "gateway", "check-config", str(broken)], capture_output=True, text=True
    )
    assert failed.returncode == 2
    assert "not valid TOML" in failed.stderr
