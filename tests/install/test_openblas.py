"""The OpenBLAS example: a real provider built from OpenBLAS 0.3.31's full source (LAPACK from
gfortran), two real consumers, installed apart. The provider is built once per run for one kernel
set (``openblas_builds``); Debian's BLAS-only repack is built too, to keep it working.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from libwrap.elf import read_dynamic

from ..helpers import (
    ROOT,
    assert_hygienic,
    auditwheel,
    check_as_provider,
    pyenv_pythons,
    python_ok,
    python_with,
    run,
    wheel_names,
)
from .openblas_builds import numpy_wheel_build

pytestmark = [pytest.mark.slow, pytest.mark.openblas]

EXAMPLE = ROOT / "examples" / "openblas"
SONAME = "libopenblas_pypi.so.0"
REQUIREMENT = "openblas>=0.3.31,<0.4"
# What gfortran-built LAPACK needs at run time: shipped beside the library, provided to consumers.
FORTRAN_RUNTIME = ("libgfortran.so.5", "libquadmath.so.0")
# OpenBLAS's CMake install puts them in include/openblas; the preset ships that directory as include/.
HEADERS = (
    "cblas.h",
    "f77blas.h",
    "lapack.h",
    "lapacke.h",
    "lapacke_config.h",
    "lapacke_example_aux.h",
    "lapacke_mangling.h",
    "lapacke_utils.h",
    "openblas_config.h",
)


def test_provider_wheel_contents(openblas_wheel: Path) -> None:
    assert re.fullmatch(r"openblas-0\.3\.31-cp39-abi3-linux_[a-z0-9_]+\.whl", openblas_wheel.name)
    assert wheel_names(openblas_wheel) == {
        "openblas/__init__.py",
        "openblas/__main__.py",
        "openblas/_init.abi3.so",
        "openblas/_init.pyi",
        "openblas/py.typed",
        "openblas/libwrap.json",
        "openblas/_preload.py",
        "openblas/_libwrap.py",
        f"openblas/lib/{SONAME}",
        # the ELF filter that OPENBLAS_PREFER_SYSTEM_LIBRARY=1 loads: forwards to the system's copy
        f"openblas/lib/system/{SONAME}",
        *(f"openblas/lib/{name}" for name in FORTRAN_RUNTIME),
        "openblas/lib/libopenblas.a",
        "openblas/lib/pkgconfig/openblas.pc",
        "openblas/lib/cmake/OpenBLAS/OpenBLASConfig.cmake",
        "openblas/lib/cmake/OpenBLAS/OpenBLASConfigVersion.cmake",
        *(f"openblas/include/{h}" for h in HEADERS),
        "openblas-0.3.31.dist-info/licenses/LICENSE",
        # the Fortran runtime ships with its own licence: Debian's copyright of the package that installed it
        *(f"openblas-0.3.31.dist-info/licenses/{name}/copyright" for name in FORTRAN_RUNTIME),
        "openblas-0.3.31.dist-info/METADATA",
        "openblas-0.3.31.dist-info/WHEEL",
        "openblas-0.3.31.dist-info/RECORD",
        "openblas-0.3.31.dist-info/entry_points.txt",
    }
    assert_hygienic(openblas_wheel)
    check_as_provider(openblas_wheel)  # the Fortran runtime beside the library counts as its own SONAMEs
    with zipfile.ZipFile(openblas_wheel) as zf:
        assert zf.read("openblas/lib/libopenblas.a") == f"INPUT({SONAME})\n".encode()
        runtime = zf.read("openblas-0.3.31.dist-info/licenses/libgfortran.so.5/copyright").decode()
        assert "GCC RUNTIME LIBRARY EXCEPTION" in runtime
        manifest = json.loads(zf.read("openblas/libwrap.json"))
    assert manifest["sonames"] == sorted([SONAME, *FORTRAN_RUNTIME])
    assert manifest["requirement"] == REQUIREMENT


def test_provider_links_and_loads_its_library(openblas_site: Path) -> None:
    init = read_dynamic(openblas_site / "openblas" / "_init.abi3.so")
    lib = read_dynamic(openblas_site / "openblas" / "lib" / SONAME)
    assert init is not None
    assert lib is not None
    assert SONAME in init.needed
    assert init.runpath == ("$ORIGIN/lib",)
    assert lib.soname == SONAME
    code = "import openblas; print(openblas.config); print(openblas._init.library_path)"
    out = python_ok([openblas_site], code)
    config, path = out.splitlines()
    assert config.startswith("OpenBLAS 0.3.31")
    assert "MAX_THREADS=64" in config  # not the build machine's core count
    assert "NO_LAPACK" not in config
    # the library finds the Fortran runtime beside it, not the system's
    assert lib.runpath == ("$ORIGIN",)
    assert set(FORTRAN_RUNTIME) <= set(lib.needed) | {"libquadmath.so.0"}
    assert Path(path).resolve() == (openblas_site / "openblas" / "lib" / SONAME).resolve()


def test_threadpoolctl_sees_and_controls_it(openblas_site: Path) -> None:
    """threadpoolctl finds OpenBLAS by file name prefix: the renamed SONAME must keep libopenblas."""
    pytest.importorskip("threadpoolctl")
    code = (
        "import json, openblas, threadpoolctl\n"
        "info = [i for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas']\n"
        "with threadpoolctl.threadpool_limits(1, user_api='blas'):\n"
        "    limited = [i['num_threads'] for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas']\n"
        "print(json.dumps({'info': info, 'limited': limited}))\n"
    )
    out = python_ok([openblas_site], code)
    result = json.loads(out)
    assert [Path(i["filepath"]).name for i in result["info"]] == [SONAME]
    assert result["limited"] == [1]


def test_repair_gives_manylinux(openblas_wheel: Path, tmp_path: Path) -> None:
    auditwheel("repair", "-w", tmp_path, openblas_wheel)
    repaired = next(tmp_path.glob("*.whl"))
    assert re.search(r"-cp39-abi3-manylinux_2_\d+_x86_64", repaired.name), repaired.name
    run(sys.executable, "-m", "abi3audit", "--strict", "--report", openblas_wheel)


@pytest.mark.parametrize("version", list(pyenv_pythons()))
def test_imports_on_every_cpython(openblas_site: Path, version: str) -> None:
    python = pyenv_pythons()[version]
    if python is None:
        pytest.skip(f"CPython {version} is not installed here (pyenv install {version})")
    proc = python_with([openblas_site], "import openblas; print(openblas.config.split()[:2])", python=python)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['OpenBLAS', '0.3.31']"


def test_run_sh_builds_both_consumers_and_checks_them(
    openblas_wheel: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """README's main job, with this run's provider and NumPy wheels instead of building them again."""
    numpy = numpy_wheel_build(tmp_path_factory, "openblas", openblas_wheel)
    env = {
        **os.environ,
        "WORK": str(tmp_path),
        "PROVIDER_WHEEL": str(openblas_wheel),
        "NUMPY_WHEEL": str(numpy),
        "PYTHON": sys.executable,
    }
    proc = subprocess.run(["bash", str(EXAMPLE / "run.sh")], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    # NumPy, built on the provider and installed apart, shares the one mapped OpenBLAS
    assert report["consumers"]["numpy"]["file"].startswith(str(tmp_path / "numpy-site"))
    assert report["consumers"]["numpy"]["blas"]["name"] == "openblas"
    assert report["consumers"]["numpy"]["solve_residual"] < 1e-8
    assert [Path(p["filepath"]).name for p in report["threadpoolctl"]] == [SONAME]
    for kind in ("cmake", "meson"):
        result = report["consumers"][f"dgemm_{kind}"]
        assert result["max_abs_error"] < 1e-10
        assert result["config"] == report["config"]
        # installed apart: the consumer lives in its own site directory
        assert str(tmp_path / f"consumer-{kind}-site") in result["file"]
        wheel = next((tmp_path / f"consumer-{kind}" / "wheelhouse").glob("*.whl"))
        assert "manylinux" in wheel.name
        assert not [n for n in wheel_names(wheel) if "openblas" in n.lower() and n.endswith((".so", ".so.0"))]
        with zipfile.ZipFile(wheel) as zf:
            metadata = next(zf.read(n) for n in zf.namelist() if n.endswith(".dist-info/METADATA")).decode()
        requires = [
            Requirement(line.split(":", 1)[1]) for line in metadata.splitlines() if line.startswith("Requires-Dist:")
        ]
        assert [(r.name, r.specifier) for r in requires] == [("openblas", SpecifierSet(REQUIREMENT[len("openblas") :]))]
    ours = [p for p in report["loaded"] if Path(p).name == SONAME]
    assert ours == [report["provider"]]


@pytest.mark.parametrize("kind", ["cmake", "meson"])
def test_committed_distributor_init_is_what_the_provider_writes(openblas_site: Path, tmp_path: Path, kind: str) -> None:
    proc = python_with([openblas_site], f"import openblas; openblas.write_distributor_init({str(tmp_path)!r})")
    assert proc.returncode == 0, proc.stderr
    committed = EXAMPLE / f"consumer-{kind}" / "src" / f"dgemm_{kind}" / "_distributor_init.py"
    assert committed.read_text() == (tmp_path / "_distributor_init.py").read_text()


def test_fork_after_import_and_threaded_work(openblas_site: Path) -> None:
    """OpenBLAS's thread pool survives fork: the child multiplies through the copy openblas loaded."""
    code = (
        "import ctypes, os, openblas\n"
        "lib = ctypes.CDLL(openblas.get_library_path())  # the same, already loaded, copy\n"
        "n = 256\nA = (ctypes.c_double * (n * n))(*([1.0] * (n * n)))\nC = (ctypes.c_double * (n * n))()\n"
        "def dgemm():\n"
        "    lib.cblas_dgemm(101, 111, 111, n, n, n, ctypes.c_double(1.0), A, n, A, n, ctypes.c_double(0.0), C, n)\n"
        "    return C[0]\n"
        "assert dgemm() == n\n"
        "pid = os.fork()\n"
        "if pid == 0:\n    os._exit(0 if dgemm() == n else 3)\n"
        "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), dgemm())"
    )
    out = python_ok([openblas_site], code)
    assert out.split() == ["0", "256.0"]


def test_foreign_copy_under_our_soname_is_refused(openblas_site: Path, tmp_path: Path) -> None:
    """Another wheel's copy of libopenblas_pypi.so.0, loaded first, is named in the ImportError."""
    foreign = tmp_path / SONAME
    foreign.write_bytes((openblas_site / "openblas" / "lib" / SONAME).read_bytes())
    proc = python_with([openblas_site], f"import ctypes\nctypes.CDLL({str(foreign)!r})\nimport openblas")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ImportError: openblas loaded {foreign} instead of its own")
    assert "OPENBLAS_ALLOW_FOREIGN_LIBRARY=1" in last
