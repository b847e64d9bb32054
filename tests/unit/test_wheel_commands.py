"""`libwrap repair` and `libwrap check` on bad wheels and bad places to write: one clear line, exit code 2,
nothing written."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from libwrap.cli import main

from .synthetic import make_wheel, tiny_elf

CORE = "demo/_core.cpython-311-x86_64-linux-gnu.so"


def make(root: Path, case: str) -> Path:
    """Write the wheel a case needs; returns its path."""
    path = root / "demo-1.0-py3-none-any.whl"
    if case == "missing":
        return path
    if case == "corrupt":
        path.write_bytes(b"PK\x03\x04 truncated")
        return path
    if case == "directory":
        path.mkdir()
        return path
    if case == "not-a-wheel-name":
        return make_wheel(root / "demo-1.0-py3-none-any.whl", {"demo/__init__.py": ""}).rename(root / "demo.zip")
    members: dict[str, bytes | str] = {"demo/__init__.py": ""}
    if case == "traversal":
        members["../../etc/cron.d/evil"] = "* * * * * root true\n"
    if case == "absolute":
        members["/usr/lib/evil.so"] = "x"
    if case == "metadata-not-utf8":
        return make_wheel(
            path, members, metadata=b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: caf\xe9\n"
        )
    if case == "no-metadata":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("demo/__init__.py", "")
        return path
    return make_wheel(path, members)


CASES = [
    ("missing", "does not exist"),
    ("corrupt", "is not a readable wheel"),
    ("not-a-wheel-name", "is not a wheel file name"),
    ("traversal", "unsafe entry '../../etc/cron.d/evil'"),
    ("absolute", "unsafe entry '/usr/lib/evil.so'"),
    ("no-metadata", "has no .dist-info directory"),
    ("pure", "has no ELF files"),
    # regression: a UnicodeDecodeError traceback
    ("metadata-not-utf8", "demo-1.0.dist-info/METADATA is not UTF-8 text"),
    # regression: a directory "did not exist"
    ("directory", "demo-1.0-py3-none-any.whl is a directory; pass a .whl file"),
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


def consumer(root: Path, init: bytes = b"from ._core import f\n", **elf: object) -> Path:
    """demo 1.0: an extension module (the corpus's hand-built ELF) that needs only libc."""
    return make_wheel(
        root / "demo-1.0-py3-none-linux_x86_64.whl",
        {"demo/__init__.py": init, CORE: tiny_elf(needed=("libc.so.6",), init="_core", **elf)},
    )


@pytest.mark.parametrize(
    ("init", "words"),
    [
        (
            b"# caf\xe9\nfrom ._core import f\n",
            "demo/__init__.py is not text Python can read (invalid or missing encoding",
        ),
        (
            b"# coding: klingon\nfrom ._core import f\n",
            "demo/__init__.py is not text Python can read (unknown encoding",
        ),
    ],
    ids=["latin-1-without-declaration", "unknown-encoding"],
)
def test_init_python_cannot_read_is_one_line(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str], init: bytes, words: str
) -> None:
    """Regression: repair decoded __init__.py as UTF-8 and died with a UnicodeDecodeError traceback."""
    provider = make_wheel(
        clean_cwd / "xprov-1.0-py3-none-linux_x86_64.whl",
        {"xprov/libx.so.1": tiny_elf(soname="libx.so.1")},
    )
    wheel = make_wheel(
        clean_cwd / "demo-1.0-py3-none-linux_x86_64.whl",
        {"demo/__init__.py": init, CORE: tiny_elf(needed=("libx.so.1", "libc.so.6"), init="_core")},
        requires=("xprov>=1.0,<2",),
    )
    before = sorted(p.name for p in clean_cwd.iterdir())
    for command in ("repair", "check"):
        extra = ["-w", str(clean_cwd / "out")] if command == "repair" else []
        assert main([command, str(wheel), "--provider", str(provider), *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert words in err
        assert "save it as UTF-8 and rebuild the wheel" in err
    assert sorted(p.name for p in clean_cwd.iterdir()) == before


def test_latin1_init_with_its_declaration_is_kept_in_latin1(clean_cwd: Path) -> None:
    """A coding line makes a non-UTF-8 __init__.py valid Python: repair edits it and keeps its encoding."""
    from libwrap.wheelfile import read_wheel

    init = b"# -*- coding: latin-1 -*-\n# caf\xe9\nfrom ._core import f\n"
    provider = make_wheel(
        clean_cwd / "xprov-1.0-py3-none-linux_x86_64.whl", {"xprov/libx.so.1": tiny_elf(soname="libx.so.1")}
    )
    wheel = make_wheel(
        clean_cwd / "demo-1.0-py3-none-linux_x86_64.whl",
        {"demo/__init__.py": init, CORE: tiny_elf(needed=("libx.so.1", "libc.so.6"), init="_core")},
    )
    assert main(["repair", str(wheel), "--provider", str(provider), "-w", str(clean_cwd / "out")]) == 0
    (out,) = (clean_cwd / "out").glob("*.whl")
    fixed = read_wheel(out).members["demo/__init__.py"]
    assert b"caf\xe9" in fixed
    assert fixed.decode("latin-1").splitlines()[:3] == [
        "# -*- coding: latin-1 -*-",
        "# caf\xe9",
        "from . import _distributor_init  # noqa: F401  (libwrap: providers load before extensions)",
    ]


@pytest.mark.parametrize("where", ["under-a-file", "a-file", "read-only"])
def test_bad_output_directory_is_refused_before_auditwheel(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Regression: -w under a file ended in a NotADirectoryError traceback after auditwheel had run, and
    a read-only -w in a PermissionError one."""
    wheel = consumer(clean_cwd)
    (clean_cwd / "file").write_text("x")
    readonly = clean_cwd / "ro"
    readonly.mkdir()
    out = {"under-a-file": clean_cwd / "file" / "out", "a-file": clean_cwd / "file", "read-only": readonly / "out"}[
        where
    ]
    if where == "read-only":
        readonly.chmod(0o555)
        if os.access(readonly, os.W_OK):
            # root writes through any mode: the corpus runs this case as nobody; here access(2) says no
            real = os.access
            monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != readonly and real(path, mode))
    words = {
        "under-a-file": f"-w {out} lies under {clean_cwd / 'file'}, which is a file, not a directory; pass a directory",
        "a-file": f"-w {out} is a file; pass a directory",
        "read-only": f"-w {out}: {readonly} is read-only for this user; pass a directory you can write to",
    }[where]
    try:
        assert main(["repair", str(wheel), "-w", str(out)]) == 2
    finally:
        readonly.chmod(0o755)
    err = capsys.readouterr().err
    assert err == f"libwrap repair: error: {words}\n"
    assert sorted(p.name for p in clean_cwd.iterdir()) == ["demo-1.0-py3-none-linux_x86_64.whl", "file", "ro"]
    assert list(readonly.iterdir()) == []


def test_an_existing_output_wheel_is_replaced_and_said_so(clean_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As auditwheel and pip wheel do, repair replaces a wheel of the same name; it now says it did."""
    wheel = consumer(clean_cwd)
    out = clean_cwd / "out"
    assert main(["repair", str(wheel), "-w", str(out)]) == 0
    (repaired,) = out.glob("*.whl")
    first = capsys.readouterr().out
    assert first.endswith(f"  wrote {repaired}\n")
    repaired.write_bytes(b"stale")
    assert main(["repair", str(wheel), "-w", str(out)]) == 0
    assert capsys.readouterr().out.endswith(f"  wrote {repaired} (replacing the wheel that was there)\n")
    assert repaired.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in out.iterdir()) == [repaired.name]  # no temporary file left beside it


def test_an_output_directory_in_the_wheels_place_is_refused(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = consumer(clean_cwd)
    out = clean_cwd / "out"
    assert main(["repair", str(wheel), "-w", str(out)]) == 0
    (repaired,) = out.glob("*.whl")
    capsys.readouterr()
    repaired.unlink()
    repaired.mkdir()
    assert main(["repair", str(wheel), "-w", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"libwrap repair: error: {repaired} is a directory, where the repaired wheel would go; "
        "remove it or pass another -w\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [repaired.name]


@pytest.mark.parametrize(
    ("args", "words", "code"),
    [
        (
            ["--plat", "manylinux_9_99_nonsense"],
            "auditwheel repair refused an option: argument --plat: invalid choice: 'manylinux_9_99_nonsense'",
            2,
        ),
    ],
    ids=["bad-plat"],
)
def test_auditwheel_refusing_an_option_is_bad_input(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str, code: int
) -> None:
    """Regression: auditwheel's own usage error ended with 'install missing libraries or name their provider'."""
    wheel = consumer(clean_cwd)
    assert main(["repair", str(wheel), "-w", str(clean_cwd / "out"), *args]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert words in err
    assert "--provider" not in err
    assert not (clean_cwd / "out").exists()


def test_only_a_missing_library_gets_the_provider_hint(clean_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = make_wheel(
        clean_cwd / "demo-1.0-py3-none-linux_x86_64.whl",
        {"demo/__init__.py": "", CORE: tiny_elf(needed=("libnowhere.so.7", "libc.so.6"), init="_core")},
    )
    assert main(["repair", str(missing), "-w", str(clean_cwd / "out")]) == 1
    err = capsys.readouterr().err
    assert 'required library "libnowhere.so.7" could not be located' in err
    assert err.endswith("; install the missing library, or name the distribution that provides it with --provider\n")
    no_libc = make_wheel(
        clean_cwd / "other-1.0-py3-none-linux_x86_64.whl",
        {"other/__init__.py": "", "other/_core.abi3.so": tiny_elf(init="_core")},
    )
    assert main(["repair", str(no_libc), "-w", str(clean_cwd / "out")]) == 1
    err = capsys.readouterr().err
    assert "couldn't detect libc" in err
    assert "--provider" not in err
    assert not (clean_cwd / "out").exists()
