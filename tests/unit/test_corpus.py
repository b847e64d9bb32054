"""The corpus of hostile inputs (tests/corpus): each one line, its exit status, and nothing written.

A case fails on a traceback, on more than one line or another message than the one it names, on a
file written outside its scratch directory (or inside it, unless the case allows it), and on the
absolute target the crafted archives aim at coming into existence.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
INPUTS = CORPUS / "inputs"
#: What the crafted archives' absolute links point under; it must never exist.
OUTSIDE_FIXED = Path("/tmp/libwrap-corpus-outside")
LIBZ = next(iter(sorted(Path("/usr/lib").glob("*-linux-gnu/libz.so.1"))), Path("/usr/lib/libz.so.1"))
KEYS = {"id", "why", "command", "argv", "setup", "user", "exit", "message", "writes"}


@dataclass(frozen=True)
class Case:
    id: str
    why: str
    argv: tuple[str, ...]
    message: str
    command: str = "libwrap"
    exit: int = 2
    setup: dict[str, Any] = field(default_factory=dict)
    user: str = ""
    writes: tuple[str, ...] = ()
    source: str = ""


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CORPUS.glob("*.toml")):
        for raw in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            unknown = set(raw) - KEYS
            assert not unknown, f"{path.name}: case {raw.get('id')!r} has unknown keys {sorted(unknown)}"
            cases.append(
                Case(
                    **{**raw, "argv": tuple(raw["argv"]), "writes": tuple(raw.get("writes", ()))},
                    source=path.name,
                )
            )
    return cases


CASES = load_cases()


def test_case_ids_are_unique_and_explained() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(case.why and case.message for case in CASES)


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ROOT (links not followed) with what it is: file content, link target, or dir."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = f"-> {path.readlink()}"
            elif path.is_dir():
                found[rel] = "dir"
            else:
                try:
                    found[rel] = path.read_bytes().hex()[:64] + f" {path.stat().st_size}"
                except PermissionError:
                    found[rel] = "unreadable"
    return found


def prepare(scratch: Path, outside: Path, setup: dict[str, Any]) -> None:
    for rel, text in setup.get("files", {}).items():
        path = scratch / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expand(text, scratch, outside), encoding="utf-8")
    for rel in setup.get("libraries", []):
        if not LIBZ.is_file():
            pytest.skip(f"{LIBZ} is missing: it stands in for the libraries")
        path = scratch / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LIBZ, path)
    for rel, target in setup.get("symlinks", {}).items():
        path = scratch / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(expand(target, scratch, outside))
    for rel, mode in setup.get("modes", {}).items():
        (scratch / rel).chmod(mode)


def expand(value: str, scratch: Path, outside: Path) -> str:
    return value.format(inputs=INPUTS, scratch=scratch, outside=outside)


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_in_process(case: Case, argv: list[str]) -> tuple[int, str]:
    if case.command == "stage":
        from libwrap.stage import main
    else:
        from libwrap.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse
            status = int(exc.code or 0)
    return status, err.getvalue()


def drop() -> None:
    os.setgid(65534)
    os.setuid(65534)


@functools.cache
def as_nobody() -> list[str] | None:
    """The command prefix that starts this interpreter as nobody, or None when nobody cannot start it.
    setpriv keeps root's right to search directories until it executes the interpreter, which may live
    where nobody may not enter (pyenv's under /root); a plain setuid first (the fallback) cannot."""
    setpriv = shutil.which("setpriv")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else []
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-c", "import libwrap.cli"],
            cwd="/",
            capture_output=True,
            check=False,
            preexec_fn=None if prefix else drop,
        )
    except OSError:
        return None
    return prefix if proc.returncode == 0 else None


def run_as(case: Case, argv: list[str], scratch: Path) -> tuple[int, str]:
    if os.geteuid() != 0:
        pytest.skip(f"running as {case.user} needs root")
    prefix = as_nobody()
    if prefix is None:
        pytest.skip(f"{sys.executable} cannot be started as {case.user} here")
    module = "libwrap.stage" if case.command == "stage" else "libwrap"
    os.chmod(scratch, 0o777)  # noqa: PTH101  (the user must be able to work there)
    env = {**os.environ, "HOME": str(scratch)}
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", module, *argv],
        cwd=scratch,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=None if prefix else drop,
        env=env,
    )
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    assert not OUTSIDE_FIXED.exists(), f"{OUTSIDE_FIXED} exists before the case; remove it"
    scratch, outside = tmp_path / "scratch", tmp_path / "outside"
    scratch.mkdir()
    outside.mkdir()
    prepare(scratch, outside, case.setup)
    argv = [expand(arg, scratch, outside) for arg in case.argv]
    around, before = sorted(p.name for p in tmp_path.iterdir()), snapshot(scratch)
    with working_directory(scratch):
        status, err = run_as(case, argv, scratch) if case.user else run_in_process(case, argv)
    lines = err.strip().splitlines()
    assert "Traceback" not in err, f"{case.id}: a traceback\n{err}"
    assert len(lines) == 1, f"{case.id}: {len(lines)} lines on stderr, not one:\n{err}"
    assert re.search(case.message, lines[0]), f"{case.id}: {lines[0]!r} does not match {case.message!r}"
    assert status == case.exit, f"{case.id}: exit {status}, not {case.exit}: {lines[0]}"
    assert not OUTSIDE_FIXED.exists(), f"{case.id} wrote {OUTSIDE_FIXED}"
    assert sorted(p.name for p in tmp_path.iterdir()) == around, f"{case.id} wrote beside its scratch directory"
    assert list(outside.iterdir()) == [], f"{case.id} wrote into {outside}"
    after = snapshot(scratch)
    new = {rel for rel in set(after) - set(before) if not any(fnmatch.fnmatch(rel, g) for g in case.writes)}
    changed = {rel for rel in set(after) & set(before) if after[rel] != before[rel]}
    assert not new, f"{case.id} wrote {sorted(new)}"
    assert not changed, f"{case.id} changed {sorted(changed)}"


def test_committed_inputs_are_what_the_generators_write(tmp_path: Path) -> None:
    """inputs/ never drifts from make_*.py: each generator writes its files again, byte for byte."""
    written: dict[str, bytes] = {}
    for script in sorted(CORPUS.glob("make_*.py")):
        out = tmp_path / script.stem
        subprocess.run([sys.executable, str(script), str(out)], check=True)
        for path in out.iterdir():
            assert path.name not in written, f"{path.name} written by two generators"
            written[path.name] = path.read_bytes()
    committed = {p.name: p.read_bytes() for p in INPUTS.iterdir() if p.is_file()}
    assert sorted(written) == sorted(committed)
    stale = [name for name in written if written[name] != committed[name]]
    assert not stale, f"{stale} differ from their generator; run it and commit the result"


def test_every_input_is_used_by_a_case() -> None:
    used = {m for case in CASES for arg in case.argv for m in re.findall(r"\{inputs\}/([^\s/]+)", arg)}
    assert sorted(p.name for p in INPUTS.iterdir() if p.is_file()) == sorted(used)
