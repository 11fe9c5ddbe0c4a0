"""Type-check the device code against the MicroPython ESP32 stubs.

The stubs (``micropython-esp32-stubs`` and ``micropython-stdlib-stubs``, in
the project's test extra) install loose ``.pyi`` files into site-packages, so
mypy cannot pick them up as it does PEP 561 packages.  This gathers them into
a temporary directory, uses it both as mypy's typeshed (MicroPython's
builtins instead of CPython's) and as its search path, silences errors inside
the stubs themselves, and checks ``firmware/leasechain``, ``boot.py`` and
``main.py`` with ``firmware/mypy.ini``.

    python -m firmware.tools.typecheck
"""

from __future__ import annotations

import configparser
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from mypy import api

FIRMWARE = Path(__file__).resolve().parents[1]
STUB_DISTRIBUTIONS = ("micropython-esp32-stubs", "micropython-stdlib-stubs")
TARGETS = ("leasechain", "boot.py", "main.py", "lcboot.py")


class StubsMissingError(RuntimeError):
    """The stub distributions are not installed in this environment."""


def stub_entries() -> dict[str, Path]:
    """Top-level files and folders of the stub distributions, by name."""
    entries: dict[str, Path] = {}
    for name in STUB_DISTRIBUTIONS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise StubsMissingError(f"{name} is not installed; pip install -e '.[test]'") from None
        for file in dist.files or ():
            top = file.parts[0]
            if top.endswith(".dist-info") or top == "__pycache__" or top in entries:
                continue
            entries[top] = Path(str(dist.locate_file(top)))
    return entries


def _module_name(entry: str) -> str | None:
    if entry.endswith(".pyi"):
        return entry[: -len(".pyi")]
    if "." not in entry:
        return entry
    return None


def write_config(typings: Path, entries: dict[str, Path], out: Path, firmware: Path = FIRMWARE) -> None:
    """firmware/mypy.ini plus ``ignore_errors`` for every stub module (their own flaws are not ours)."""
    parser = configparser.ConfigParser()
    parser.read(firmware / "mypy.ini")
    parser["mypy"]["mypy_path"] = f"{typings}:{firmware}"
    parser["mypy"]["custom_typeshed_dir"] = str(typings)
    modules = sorted(m for m in map(_module_name, entries) if m and m != "stdlib")
    section = "mypy-" + ",".join(f"{m},{m}.*" for m in modules)
    parser[section] = {"ignore_errors": "True"}
    with out.open("w") as f:
        parser.write(f)


def run(extra_args: list[str] | None = None, firmware: Path = FIRMWARE) -> int:
    """Run mypy on the device code in ``firmware`` (default: this tree); return its exit status."""
    entries = stub_entries()
    with tempfile.TemporaryDirectory(prefix="mpy-typings-") as tmp:
        typings = Path(tmp) / "typings"
        typings.mkdir()
        for name, source in entries.items():
            (typings / name).symlink_to(source)
        config = Path(tmp) / "mypy.ini"
        write_config(typings, entries, config, firmware)
        args = ["--config-file", str(config), "--cache-dir", str(Path(tmp) / "cache"), *(extra_args or [])]
        stdout, stderr, status = api.run([*args, *(str(firmware / t) for t in TARGETS)])
    sys.stdout.write(stdout.replace(str(firmware) + "/", "firmware/"))
    sys.stderr.write(stderr)
    return status


def main() -> int:
    """Command-line entry point."""
    try:
        return run(sys.argv[1:])
    except StubsMissingError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
