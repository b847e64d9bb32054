"""The OpenBLAS providers the install layer uses, each built once per test run and shared by every
pytest-xdist worker: the first worker that needs one builds it under a file lock, the others wait
and reuse it. Tests build one kernel set (TARGET=HASWELL) instead of DYNAMIC_ARCH's twenty.

NumPy is built here too, from its PyPI sdist, once per provider: the NumPy tests and run.sh's
test share it.

For local runs, LIBWRAP_OPENBLAS_WHEEL / LIBWRAP_OPENBLAS64_WHEEL name wheels built before from
the same projects and skip the builds, and LIBWRAP_NUMPY_SDIST a local numpy sdist; CI sets none.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from libwrap.cli import main as libwrap_main

from ..helpers import ROOT, pip_wheel, run, shared_build

__all__ = [
    "FULL_SOURCE",
    "FULL_SOURCE_SHA256",
    "REPACK_SOURCE",
    "numpy_wheel_build",
    "openblas64_wheel_build",
    "openblas_repack_wheel_build",
    "openblas_wheel_build",
    "shared_build",
]

SOURCES = ROOT.parent / "shared" / "sources"
#: OpenBLAS 0.3.31's complete tree (lapack-netlib included); the presets name the upstream URL instead.
FULL_SOURCE = SOURCES / "OpenBLAS-0.3.31.tar.xz"
FULL_SOURCE_SHA256 = "3dc04ab5956072677f28e2d0d27ccfebda7ed35744d450d614209cb6b727d343"
#: Debian's repack of 0.3.29: no lapack-netlib, so BLAS and CBLAS only.
REPACK_SOURCE = SOURCES / "openblas_0.3.29+ds.orig.tar.xz"
EXAMPLE_PROVIDER = ROOT / "examples" / "openblas" / "provider"

# One kernel set: CMake and OpenBLAS's Makefile spell it differently. The Makefile tests
# `ifdef DYNAMIC_ARCH`, so the preset's DYNAMIC_ARCH=1 is cleared with an empty value, not 0. The
# goal `shared` builds the library without running OpenBLAS's own test programs (minutes on two
# cores); numpy.linalg's suite judges the ILP64 build here instead. The ILP64 build leaves out LAPACKE
# (NO_LAPACKE=1), which NumPy does not use (a third of the LP64 CMake build's compile time, by its
# .ninja_log); the LP64 build keeps it.
CMAKE_ONE_TARGET = "-DDYNAMIC_ARCH=OFF;-DTARGET=HASWELL"
MAKE_ONE_TARGET = "DYNAMIC_ARCH=;TARGET=HASWELL;NO_LAPACKE=1;shared"


def _source(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"no OpenBLAS source at {path} (../shared/sources)")
    return path


def openblas_wheel_build(factory: pytest.TempPathFactory) -> Path:
    """The LP64 provider (examples/openblas/provider) from the full 0.3.31 tree: BLAS, CBLAS, LAPACK."""
    if os.environ.get("LIBWRAP_OPENBLAS_WHEEL"):
        return Path(os.environ["LIBWRAP_OPENBLAS_WHEEL"])
    config = (
        f"cmake.define.LIBWRAP_SOURCE={_source(FULL_SOURCE)}",
        f"cmake.define.LIBWRAP_SHA256={FULL_SOURCE_SHA256}",
        f"cmake.define.LIBWRAP_EXTRA_BUILD_ARGS={CMAKE_ONE_TARGET}",
    )
    return shared_build(factory, "openblas", lambda d: pip_wheel(EXAMPLE_PROVIDER, d / "dist", *config))


def openblas64_wheel_build(factory: pytest.TempPathFactory) -> Path:
    """The ILP64 provider, rendered by `libwrap new openblas64` and built with OpenBLAS's Makefile."""
    if os.environ.get("LIBWRAP_OPENBLAS64_WHEEL"):
        return Path(os.environ["LIBWRAP_OPENBLAS64_WHEEL"])
    config = (
        f"cmake.define.LIBWRAP_SOURCE={_source(FULL_SOURCE)}",
        f"cmake.define.LIBWRAP_SHA256={FULL_SOURCE_SHA256}",
        f"cmake.define.LIBWRAP_EXTRA_BUILD_ARGS={MAKE_ONE_TARGET}",
    )

    def build(directory: Path) -> Path:
        assert libwrap_main(["new", "openblas64", "--no-input", "-o", str(directory)]) == 0
        return pip_wheel(directory / "openblas64", directory / "dist", *config)

    return shared_build(factory, "openblas64", build)


def openblas_repack_wheel_build(factory: pytest.TempPathFactory) -> Path:
    """`libwrap new openblas --source <Debian's BLAS-only repack>`: the version comes from the tarball's
    name and the preset adds BUILD_WITHOUT_LAPACK because the tree has no lapack-netlib."""
    source = _source(REPACK_SOURCE)

    def build(directory: Path) -> Path:
        assert libwrap_main(["new", "openblas", "--no-input", "--source", str(source), "-o", str(directory)]) == 0
        # all four types: OpenBLAS 0.3.29's utest, built whatever BUILD_TESTING says, links only with them
        extra = f"cmake.define.LIBWRAP_EXTRA_BUILD_ARGS={CMAKE_ONE_TARGET}"
        return pip_wheel(directory / "openblas", directory / "dist", extra)

    return shared_build(factory, "openblas-repack", build)


NUMPY = "2.4.6"
#: NumPy's meson options for each provider (numpy's meson.options: blas, lapack, use-ilp64, ...).
NUMPY_SETUP_ARGS = {
    "openblas": ["-Dblas=openblas", "-Dlapack=openblas", "-Dallow-noblas=false"],
    "openblas64": [
        "-Dblas=openblas",
        "-Dlapack=openblas",
        "-Dallow-noblas=false",
        "-Duse-ilp64=true",
        "-Dblas-symbol-suffix=64_",
    ],
}


def numpy_wheel_build(factory: pytest.TempPathFactory, provider: str, provider_wheel: Path) -> Path:
    """NumPy from its sdist as NumPy documents for a custom BLAS: an environment with its build
    requirements and the provider, no build isolation, PKG_CONFIG_PATH from `python -m <provider>
    --pkgconfigdir`. Returns the wheel as built (not repaired)."""

    def build(directory: Path) -> Path:
        env_dir = directory / "build-env"
        run(sys.executable, "-m", "venv", env_dir)
        python = env_dir / "bin" / "python"
        requirements = ("meson-python>=0.18", "Cython>=3.0.6", "ninja", "pkgconf", provider_wheel)
        run(python, "-m", "pip", "install", "-q", *requirements)
        env = {  # as after `source build-env/bin/activate`, plus where the provider keeps its .pc
            **os.environ,
            "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "VIRTUAL_ENV": str(env_dir),
            "PKG_CONFIG_PATH": run(python, "-m", provider, "--pkgconfigdir").strip(),
        }
        sdist = os.environ.get("LIBWRAP_NUMPY_SDIST") or f"numpy=={NUMPY}"
        # NumPy's own SIMD loops for the baseline only (not BLAS, which is the provider's): one compile
        # of each dispatch source instead of one per CPU level
        setup = [f"-Csetup-args={arg}" for arg in (*NUMPY_SETUP_ARGS[provider], "-Dcpu-dispatch=none")]
        out = directory / "raw"
        # --no-cache-dir: pip's wheel cache is keyed by the sdist, not by -Csetup-args; the NumPy built
        # for one provider would be handed back for the other
        run(python, "-m", "pip", "wheel", "-q", "--no-cache-dir", "--no-build-isolation", "--no-deps",
            "--no-binary", "numpy", "-w", out, *setup, sdist, env=env)  # fmt: skip
        return next(out.glob("numpy-*.whl"))

    return shared_build(factory, f"numpy-{provider}", build)
