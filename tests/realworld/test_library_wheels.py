"""A library wheel on PyPI that libwrap did not build: RAPIDS' libucx-cu12 1.22.0 (43 MB, downloaded once
per run), with its own loader (``libucx.load_library()``, which honours RAPIDS_LIBUCX_PREFER_SYSTEM_LIBRARY)
and RAPIDS' pinning rule. ``libwrap check`` names what it ships wrong (its .pc files name RAPIDS' CI
prefix); a consumer built against it (tests/fixtures/ucxconsumer: scikit-build-core, find_package(ucx),
libwrap's dynamic metadata provider) is repaired with libucx excluded and its own loader called, then
installed apart from it, imported, and judged by its own tests, on the wheel's UCX and on the system's."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..helpers import (
    FIXTURES,
    build_sdist,
    dynamic_fields,
    install_target,
    python_with,
    requires_dist,
    sdist_metadata,
    unpack_sdist,
    wheel_metadata,
)
from .builds import BuildEnv, build_env_with, libucx_wheel

pytestmark = [pytest.mark.slow, pytest.mark.realworld]

#: RAPIDS' rule for UCX (libwrap.providers.LIBRARY_WHEELS): the release built against, below the next minor.
REQUIREMENT = "libucx-cu12<1.23,>=1.22.0"
BUILD_PREFIX = "/__w/ucx-wheels/ucx-wheels/python/libucx/build/lib/libucx"


def libwrap(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "libwrap", *map(str, args)], capture_output=True, text=True, check=False
    )


def test_check_names_each_line_libucx_must_fix(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Regression (issue 20): check passed provider wheels it could not judge; RAPIDS' libucx ships .pc
    and .la files naming its CI prefix and every library three times (no symlinks in wheels)."""
    wheel = libucx_wheel(tmp_path_factory)
    proc = libwrap("check", wheel)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert (
        f"libwrap check: libucx/lib/pkgconfig/ucx.pc line 7: prefix = {BUILD_PREFIX}: the build machine's prefix; "
        "write prefix=${pcfiledir}/../.. (libwrap's staging does)"
    ) in lines
    assert (
        f"libwrap check: libucx/lib/libucm.la line 41: libdir='{BUILD_PREFIX}/lib': an absolute path, the build "
        "machine's: libtool's .la files always record the build's paths; leave them out of the wheel (Debian and "
        "Fedora delete them, libwrap's staging ships none)"
    ) in lines
    assert (
        "libwrap check: libucx/lib/libucp.so, libucx/lib/libucp.so.0 and libucx/lib/libucp.so.0.0.0 all have the "
        "SONAME libucp.so.0 (10,781,961 B each): a wheel cannot hold symlinks, so each is a copy, and a process can "
        "map more than one; ship only libucx/lib/libucp.so.0, and let -lucp find it through a linker script "
        "(libwrap's staging writes libucp.a holding INPUT(libucp.so.0))"
    ) in lines
    assert (
        f"libwrap check: libucx/lib/libucp.so.0 has the RPATH entry '{BUILD_PREFIX}/lib', which is an absolute "
        "path, the build machine's, not where the wheel is installed; build the library without it (libwrap's "
        "staging removes them)"
    ) in lines
    # its licence is there and named; no header names a build directory (they do name /sys paths)
    assert not [line for line in lines if "licence" in line or "/include/" in line]
    assert proc.stderr.startswith(f"libwrap check: error: {wheel.name} fails: ")


def ucx_env(factory: pytest.TempPathFactory) -> BuildEnv:
    """A build environment holding libucx-cu12, as a user's would (pip install libucx-cu12)."""
    return build_env_with(factory, "ucx-env", libucx_wheel(factory))


def test_a_consumer_of_libucx_from_its_sdist_to_its_own_tests(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """Regression (issue 20): repair loaded libucx's libraries by path, each in name order, so the consumer
    failed to import ("libucm.so.0: undefined symbol: ucs_load_modules"), declared libucx-cu12>=1.22.0,<2
    across minor releases RAPIDS does not promise, and only in the wheel."""
    env = ucx_env(tmp_path_factory)
    wheel = libucx_wheel(tmp_path_factory)
    project = shutil.copytree(FIXTURES / "ucxconsumer", tmp_path / "ucxconsumer")
    sdist = build_sdist(project, tmp_path / "sdist", env.python, env.environ)
    pkg_info = sdist_metadata(sdist)
    # the sdist says what the wheel will require, and that a wheel built from it may say otherwise
    assert requires_dist(pkg_info) == [REQUIREMENT, 'pytest>=7; extra == "test"']
    assert dynamic_fields(pkg_info) == ["Requires-Dist"]
    raw = env.wheel(unpack_sdist(sdist, tmp_path / "unpacked"), tmp_path / "raw")

    out = tmp_path / "repaired"
    proc = libwrap("repair", "--provider", wheel, "-w", out, raw)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "libucp.so.0                      excluded  provided by libucx-cu12 1.22.0" in proc.stdout
    assert f"  Requires-Dist verified: {REQUIREMENT} (declared by the wheel, within libucx-cu12>=1.22.0,<1.23)" in (
        proc.stdout.splitlines()
    )
    assert "Requires-Dist added" not in proc.stdout
    (repaired,) = out.glob("*.whl")
    assert "manylinux" in repaired.name
    assert requires_dist(wheel_metadata(repaired)) == requires_dist(pkg_info)
    proc = libwrap("check", "--provider", wheel, repaired)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    consumer = install_target(repaired, tmp_path / "consumer-site")
    provider = install_target(wheel, tmp_path / "provider-site")
    assert not list(consumer.rglob("libucp*"))  # nothing of UCX in the consumer's wheel
    tests = project / "tests"
    # its own tests, installed apart from libucx; then with the system's UCX (here: a copy of every UCX
    # library in a directory of its own, on LD_LIBRARY_PATH), which libucx's loader picks when asked
    system = tmp_path / "system-ucx"
    system.mkdir()
    for library in (provider / "libucx" / "lib").glob("*.so*"):
        shutil.copyfile(library, system / library.name)
    for extra in ({}, {"RAPIDS_LIBUCX_PREFER_SYSTEM_LIBRARY": "1", "LD_LIBRARY_PATH": str(system),
                       "UCXCONSUMER_EXPECT_UCP_DIR": str(system)}):  # fmt: skip
        proc = python_with(
            [consumer, provider], f"import pytest, sys; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', {str(tests)!r}]))",
            env=extra, cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "3 passed" in proc.stdout
    missing = python_with([consumer], "import ucxconsumer")
    assert missing.stderr.strip().splitlines()[-1] == (
        "ImportError: ucxconsumer needs libucx-cu12>=1.22.0,<1.23 (No module named 'libucx'); "
        "install it with: pip install 'libucx-cu12>=1.22.0,<1.23'"
    )
