"""cffi from its PyPI sdist on the libffi provider (no init symbol), repaired with `libwrap repair`
and judged by cffi's own test suite. `_cffi_backend` is a top-level extension module, which generated
modules import directly: repair moves it aside behind a module `_cffi_backend.py` that imports libffi
first, so it binds to the provider wherever that is installed."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from libwrap.elf import read_dynamic_stream

from ..helpers import install_target, python_with, run, wheel_names
from .builds import build_env, cffi_wheel, libffi_wheel

pytestmark = [pytest.mark.slow, pytest.mark.realworld]


@pytest.fixture(scope="module")
def repaired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw, _ = cffi_wheel(tmp_path_factory)
    out = tmp_path_factory.mktemp("cffi-repaired")
    run(sys.executable, "-m", "libwrap", "repair", "--provider", libffi_wheel(tmp_path_factory), "-w", out, raw)
    (wheel,) = out.glob("*.whl")
    return wheel


def backend(wheel: Path) -> str:
    return next(n for n in wheel_names(wheel) if n.startswith("_cffi_backend.libwrap.") and n.endswith(".so"))


def test_repaired_cffi_declares_and_finds_the_provider(
    repaired: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import io

    assert "manylinux" in repaired.name
    with zipfile.ZipFile(repaired) as zf:
        info = read_dynamic_stream(io.BytesIO(zf.read(backend(repaired))))
        metadata = zf.read("cffi-2.1.1.dist-info/METADATA").decode()
        shim = zf.read("_cffi_backend.py").decode()
    assert info is not None
    assert "libffi_pypi.so.8" in info.needed
    assert "Requires-Dist: libffi>=3.4.4,<4" in metadata
    assert '_import("libffi", "libffi", "libffi>=3.4.4,<4"' in shim
    assert repr(backend(repaired)) in shim
    assert not any(".libs/" in name for name in wheel_names(repaired))  # nothing grafted
    run(sys.executable, "-m", "libwrap", "check", "--provider", libffi_wheel(tmp_path_factory), repaired)


def run_cffi_suite(paths: list[Path], sdist: Path, python: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """cffi's suite (src/c/test_c.py and testing/) from its sdist, against the cffi installed in PATHS:
    serial, as cffi runs it (its tests share build directories). PYTHON needs pytest and setuptools
    (>= 77 reads cffi's pyproject.toml when tests compile)."""
    with tarfile.open(sdist) as tar:
        tar.extractall(workdir, filter="data")
    (tree,) = workdir.glob("cffi-*/")
    code = "import sys, pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'src/c/test_c.py', 'testing']))"
    return python_with(paths, code, python=str(python), cwd=tree)


def test_cffi_suite_passes_on_the_provider(
    repaired: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    _, sdist = cffi_wheel(tmp_path_factory)
    site = tmp_path / "site"
    for wheel in (repaired, libffi_wheel(tmp_path_factory)):
        install_target(wheel, site)
    env = build_env(tmp_path_factory, "ffi-env")
    run(env.python, "-m", "pip", "install", "-q", "--no-deps", "--target", site, "pycparser")
    proc = run_cffi_suite([site], sdist, env.python, tmp_path)
    out = proc.stdout + proc.stderr
    summary = out.strip().splitlines()[-1]
    assert proc.returncode == 0, out[-4000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed is not None, summary
    assert int(passed[1]) > 1900, summary
    assert not re.search(r"\d+ (failed|errors?)\b", summary), summary


@pytest.mark.parametrize("first", ["import cffi", "import _cffi_backend"])
def test_cffi_apart_from_the_provider_binds_to_it(
    repaired: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, first: str
) -> None:
    """Installed in another directory than libffi, through the package or the backend imported first
    (as modules cffi generates do): the backend binds to the provider's copy. Without the provider,
    the import fails with the command that fixes it."""
    site = install_target(repaired, tmp_path / "cffi-site")
    provider = install_target(libffi_wheel(tmp_path_factory), tmp_path / "libffi-site")
    code = (
        f"{first}; import cffi; ffi = cffi.FFI(); ffi.cdef('int abs(int);'); C = ffi.dlopen(None); "
        "print(C.abs(-7), sorted({l.split()[-1] for l in open('/proc/self/maps') if 'libffi' in l.split()[-1].rsplit('/', 1)[-1]}))"
    )
    proc = python_with([site, provider], code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"7 ['{provider / 'libffi' / 'lib' / 'libffi_pypi.so.8'}']"
    missing = python_with([site], code)
    assert missing.returncode == 1
    assert "ImportError: _cffi_backend needs libffi>=3.4.4,<4" in missing.stderr
    assert "install it with: pip install 'libffi>=3.4.4,<4'" in missing.stderr
