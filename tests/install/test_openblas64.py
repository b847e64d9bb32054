"""The ILP64 provider (`libwrap new openblas64`): OpenBLAS's Makefile with INTERFACE64=1 and the 64_
symbol suffix NumPy expects, its own SONAME, pkg-config and CMake names, beside the LP64 provider in
one process. Also: Debian's BLAS-only repack still makes a provider."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from ..helpers import assert_hygienic, check_as_provider, install_target, python_ok, wheel_names

pytestmark = [pytest.mark.slow, pytest.mark.openblas]

SONAME = "libopenblas_pypi.so.0"
SONAME64 = "libopenblas64_pypi.so.0"
FORTRAN_RUNTIME = ("libgfortran.so.5", "libquadmath.so.0")


def exported(library: Path) -> set[str]:
    """Names the library defines in .dynsym: what the loader binds consumers to."""
    with library.open("rb") as f:
        dynsym = ELFFile(f).get_section_by_name(".dynsym")
        assert isinstance(dynsym, SymbolTableSection), library
        return {s.name for s in dynsym.iter_symbols() if s["st_shndx"] != "SHN_UNDEF" and s.name}


def test_ilp64_wheel_contents(openblas64_wheel: Path) -> None:
    assert re.fullmatch(r"openblas64-0\.3\.31-cp39-abi3-linux_[a-z0-9_]+\.whl", openblas64_wheel.name)
    names = wheel_names(openblas64_wheel)
    assert {
        f"openblas64/lib/{SONAME64}",
        "openblas64/lib/libopenblas64_.a",  # the linker script behind -lopenblas64_
        "openblas64/lib/pkgconfig/openblas64.pc",  # the first name NumPy's ILP64 lookup asks pkg-config for
        "openblas64/lib/cmake/OpenBLAS64/OpenBLAS64Config.cmake",
        "openblas64/include/cblas.h",
        "openblas64-0.3.31.dist-info/licenses/LICENSE",
        *(f"openblas64-0.3.31.dist-info/licenses/{name}/copyright" for name in FORTRAN_RUNTIME),
    } <= names
    assert not [n for n in names if re.search(r"libopenblas(?!64_pypi)[^/]*\.so", n)]
    with zipfile.ZipFile(openblas64_wheel) as zf:
        manifest = json.loads(zf.read("openblas64/libwrap.json"))
        pc = zf.read("openblas64/lib/pkgconfig/openblas64.pc").decode()
        cblas = zf.read("openblas64/include/cblas.h").decode()
    assert manifest["sonames"] == sorted([SONAME64, *FORTRAN_RUNTIME])
    assert manifest["requirement"] == "openblas64>=0.3.31,<0.4"
    # OpenBLAS's own .pc says -lopenblas64_64_ here (both suffixes); the provider links its own name
    assert re.search(r"^Libs: .*-lopenblas64_$", pc, re.MULTILINE), pc
    assert "cblas_dgemm64_" in cblas  # headers name the suffixed symbols consumers link to
    assert_hygienic(openblas64_wheel)
    check_as_provider(openblas64_wheel)


def test_ilp64_exports_only_suffixed_symbols(openblas64_site: Path) -> None:
    """The suffix is in .dynsym (what the loader binds), not only .symtab (OpenBLAS#3998, CMake's build)."""
    names = exported(openblas64_site / "openblas64" / "lib" / SONAME64)
    assert {"cblas_dgemm64_", "dgemm_64_", "dsyevd_64_", "openblas_get_config64_"} <= names
    assert not {"cblas_dgemm", "dgemm_", "dsyevd_", "openblas_get_config"} & names
    config = python_ok([openblas64_site], "import openblas64; print(openblas64.config)").strip()
    assert config.startswith("OpenBLAS 0.3.31")
    assert "USE64BITINT" in config
    assert "MAX_THREADS=64" in config


def test_lp64_and_ilp64_in_one_process(openblas_site: Path, openblas64_site: Path) -> None:
    """Two providers, two SONAMEs, two symbol sets: each answers through its own integer width, and
    threadpoolctl sees and limits both."""
    pytest.importorskip("threadpoolctl")
    code = """
import ctypes, json, openblas, openblas64, threadpoolctl
lp = ctypes.CDLL(openblas.get_library_path())
ilp = ctypes.CDLL(openblas64.get_library_path())
n = 1000
x = (ctypes.c_double * n)(*([2.0] * n))
y = (ctypes.c_double * n)(*([3.0] * n))
lp.cblas_ddot.restype = ilp.cblas_ddot64_.restype = ctypes.c_double
lp.cblas_ddot.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
ilp.cblas_ddot64_.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64]
dots = [lp.cblas_ddot(n, x, 1, y, 1), ilp.cblas_ddot64_(n, x, 1, y, 1)]
pools = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"]
with threadpoolctl.threadpool_limits(1, user_api="blas"):
    limited = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"]
maps = sorted({line.split()[-1] for line in open("/proc/self/maps") if "libopenblas" in line})
print(json.dumps({"dots": dots, "pools": pools, "limited": limited, "maps": maps}))
"""
    result = json.loads(python_ok([openblas_site, openblas64_site], code))
    assert result["dots"] == [6000.0, 6000.0]
    assert sorted(Path(p["filepath"]).name for p in result["pools"]) == sorted([SONAME, SONAME64])
    assert {p["version"] for p in result["pools"]} == {"0.3.31"}
    assert result["limited"] == [1, 1]
    assert sorted(Path(p).name for p in result["maps"]) == sorted([SONAME, SONAME64])


def test_debian_blas_only_repack_still_makes_a_provider(openblas_repack_wheel: Path, tmp_path: Path) -> None:
    """No lapack-netlib: BLAS and CBLAS only, and so no Fortran runtime to ship."""
    assert openblas_repack_wheel.name.startswith("openblas-0.3.29-")
    names = wheel_names(openblas_repack_wheel)
    assert f"openblas/lib/{SONAME}" in names
    assert not [n for n in names if "gfortran" in n or "quadmath" in n]
    check_as_provider(openblas_repack_wheel)
    site = install_target(openblas_repack_wheel, tmp_path / "site")
    code = (
        "import ctypes, openblas\n"
        "lib = ctypes.CDLL(openblas.get_library_path())\n"
        "print(openblas.config, hasattr(lib, 'cblas_ddot'), hasattr(lib, 'dsyevd_'))"
    )
    config, has_cblas, has_lapack = python_ok([site], code).rsplit(maxsplit=2)
    assert config.startswith("OpenBLAS 0.3.29")
    assert "NO_LAPACK" in config
    assert (has_cblas, has_lapack) == ("True", "False")
