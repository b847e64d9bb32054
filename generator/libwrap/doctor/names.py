"""What a library file's name says: which library it is (``library_name``), its family (``family_of``:
NumPy's libscipy_openblas64_-32a4b2a6.so and a provider's libopenblas_pypi.so.0 are both OpenBLAS),
and whether it is an extension module, the loader, or a copy a repair tool grafted."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "MARKERS",
    "family_label",
    "family_of",
    "is_extension",
    "is_loader",
    "is_vendored_path",
    "library_name",
    "looks_shared",
    "never_conflicts",
]

# libfoo.so, libfoo.so.1.2.3 (and OpenBLAS's old libopenblasp-r0-2ecf47d5.3.7.dev.so)
_SHARED = re.compile(r"\.so(?:\.[0-9][0-9A-Za-z.]*)?$")
# auditwheel's content hash, once per repair: libgfortran-040039e1-0352e75f.so.5.0.0
_HASHES = re.compile(r"(?:-[0-9a-f]{8})+$")
_HASHED = re.compile(r"-[0-9a-f]{8}(?:\.so|-)")
# OpenBLAS's Makefile names: libopenblasp-r0-2ecf47d5.3.7.dev (p: pthreads, r0: revision, commit, version)
_REVISION = re.compile(r"-r\d+-[0-9a-f]+(?:\..*)?$")
# OpenBLAS's LIBNAMEPREFIX (scipy-openblas) and LIBNAMESUFFIX (ILP64), libwrap's renamed SONAMEs
_PREFIXES = ("scipy_",)
_SUFFIXES = ("_pypi", "64_", "_ilp64")
_EXTENSION = re.compile(
    r".*\.(?:cpython-\d+[a-z]*-[^./]+|abi3|pypy\d+-pp\d+-[^./]+|pypy\d*-[^./]+|graalpy[^./]*)\.so"
    r"|(?!lib)[A-Za-z_][A-Za-z0-9_]*\.so"
)
_LOADER = re.compile(r"ld-linux[^/]*\.so\.\d+|ld64\.so\.\d+|ld-musl-[^/]*\.so\.1")
# Names of one library under several names; OpenMP runtimes are one family (mixing them is the classic
# conflict), each still named by its own runtime.
_ALIASES = {
    "openblasp": "openblas",
    "openblaso": "openblas",
    "openblas64": "openblas",
    "gomp": "openmp",
    "omp": "openmp",
    "omp5": "openmp",
    "iomp5": "openmp",
    "png16": "png",
    "png12": "png",
}
#: What a library exports that says which library it is, whatever it is called (scipy_openblas_get_config64_)
MARKERS = {b"openblas_get_config": "openblas", b"omp_get_num_threads": "openmp"}
# glibc's own pieces: one copy per process by construction, never a conflict worth reporting
_GLIBC = frozenset(
    {"c", "m", "dl", "pthread", "rt", "util", "resolv", "anl", "nsl", "mvec", "BrokenLocale", "thread_db"}
)
_LABELS = {"openblas": "OpenBLAS", "openmp": "OpenMP runtime"}


def library_name(file_name: str) -> str:
    """FILE_NAME as the library it is, whatever copy: libscipy_openblas64_-32a4b2a6.so -> openblas64..."""
    base = _SHARED.sub("", file_name)
    base = base.removeprefix("lib")
    base = _REVISION.sub("", base)
    base = _HASHES.sub("", base)
    for prefix in _PREFIXES:
        if base.startswith(prefix) and len(base) > len(prefix):
            base = base[len(prefix) :]
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if base.endswith(suffix) and len(base) > len(suffix):
                base, changed = base[: -len(suffix)], True
    return base or file_name


def family_of(file_name: str, markers: Iterable[str] = ()) -> tuple[str, str]:
    """(family, runtime) of a library file: the family from what it exports (MARKERS) where that says,
    else from its name; the runtime is its own name (gomp, omp, iomp5 in the OpenMP family)."""
    runtime = library_name(file_name)
    found = set(markers)
    # OpenBLAS first: a BLAS that carries its own OpenMP runtime is still that BLAS
    for family in MARKERS.values():
        if family in found:
            return family, runtime
    return _ALIASES.get(runtime, runtime), runtime


def family_label(family: str) -> str:
    return _LABELS.get(family, family if family.startswith("lib") else f"lib{family}")


def never_conflicts(family: str) -> bool:
    return family in _GLIBC or family.startswith("nss_")


def is_extension(file_name: str) -> bool:
    """Whether FILE_NAME is a Python extension module's (never a library that conflicts)."""
    return _EXTENSION.fullmatch(file_name) is not None


def is_loader(file_name: str) -> bool:
    """Whether FILE_NAME is the dynamic loader's (every process maps one; never a library listed)."""
    return _LOADER.fullmatch(file_name) is not None


def looks_shared(file_name: str) -> bool:
    """Whether FILE_NAME is named like a shared library or an extension module."""
    return _SHARED.search(file_name) is not None


def is_vendored_path(path: str) -> bool:
    """Whether PATH is a copy a repair tool grafted: under ``*.libs/`` (auditwheel) or ``.dylibs/``
    (delocate), or with auditwheel's hash in its name."""
    where = Path(path)
    parent = where.parent.name
    return parent.endswith(".libs") or parent == ".dylibs" or _HASHED.search(where.name) is not None
