"""`libwrap repair` and `libwrap check` on bad wheels: one clear line, exit code 2, nothing written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from libwrap.cli import main

META = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"


def make(root: Path, case: str) -> Path:
    """Write the wheel a case needs; returns its path."""
    path = root / "demo-1.0-py3-none-any.whl"
    if case == "missing":
        return path
    if case == "corrupt":
        path.write_bytes(b"PK\x03\x04 truncated")
        return path
    if case == "not-a-wheel-name":
        path = root / "demo.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("demo/__init__.py", "")
        if case == "traversal":
            zf.writestr("../../etc/cron.d/evil", "* * * * * root true\n")
        if case == "absolute":
            zf.writestr("/usr/lib/evil.so", "x")
        if case != "no-metadata":
            zf.writestr("demo-1.0.dist-info/METADATA", META)
            zf.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
    return path


CASES = [
    ("missing", "does not exist"),
    ("corrupt", "is not a readable wheel"),
    ("not-a-wheel-name", "is not a wheel file name"),
    ("traversal", "unsafe entry '../../etc/cron.d/evil'"),
    ("absolute", "unsafe entry '/usr/lib/evil.so'"),
    ("no-metadata", "has no .dist-info/METADATA"),
    ("pure", "has no ELF files"),
]


@pytest.mark.parametrize("command", ["repair", "check"])
@pytest.mark.parametrize(("case", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_wheels(clean_cwd: Path, capsys: pytest.CaptureFixture[str], command: str, case: str, words: str) -> None:
    wheel = make(clean_cwd, case)
    before = sorted(p.name for p in clean_cwd.iterdir())
    args = [command, str(wheel)] + (["-w", str(clean_cwd / "out")] if command == "repair" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"libwrap {command}: error: ")
    assert words in err
    assert sorted(p.name for p in clean_cwd.iterdir()) == before


def test_unknown_provider_is_named(clean_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheel = make(clean_cwd, "pure")
    assert main(["check", str(wheel), "--provider", "no-such-dist-xyz"]) == 2
    assert (
        "--provider no-such-dist-xyz is neither a wheel file nor an installed distribution" in capsys.readouterr().err
    )
