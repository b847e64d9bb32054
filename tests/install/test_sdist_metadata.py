"""A consumer's sdist says what its repaired wheel requires (issue 20: `libwrap repair` added Requires-Dist
to the wheel only, so a resolver reading the sdist's metadata, uv's or pip's metadata-only paths, saw no
dependency on the provider). Each backend's way of declaring it at build time: scikit-build-core through
libwrap's dynamic metadata provider (examples/openblas/consumer-cmake), meson-python
(examples/openblas/consumer-meson) and setuptools (tests/fixtures/setupconsumer) with the range written
statically. For each: the sdist, the wheel built from the unpacked sdist, `libwrap repair`, which verifies
the declared range instead of adding one, and the sdist's Requires-Dist equal to the repaired wheel's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from ..helpers import (
    FIXTURES,
    ROOT,
    Provider,
    build_sdist,
    dynamic_fields,
    install_target,
    python_with,
    requires_dist,
    run,
    sdist_metadata,
    shared_build,
    unpack_sdist,
    wheel_metadata,
)

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "examples" / "openblas"
BIN = str(Path(sys.executable).parent)  # pkgconf-pypi, meson, ninja of the test environment


def libwrap(*args: str | Path, paths: Sequence[Path] = ()) -> str:
    """The CLI in a fresh interpreter that sees PATHS (installed providers); must succeed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}
    proc = subprocess.run(
        [sys.executable, "-m", "libwrap", *map(str, args)], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def repaired_from_sdist(
    sdist: Path, raw: Path, tmp_path: Path, provider: str | Path, requirement: str, paths: Sequence[Path] = ()
) -> Path:
    """`libwrap repair` of RAW (the wheel built from SDIST) verifies REQUIREMENT instead of adding it, check
    passes, and the sdist's Requires-Dist is the repaired wheel's; returns the repaired wheel."""
    out = libwrap("repair", "--provider", provider, "-w", tmp_path / "repaired", raw, paths=paths)
    assert f"  Requires-Dist verified: {requirement} (declared by the wheel, within " in out, out
    assert "Requires-Dist added" not in out
    (repaired,) = (tmp_path / "repaired").glob("*.whl")
    libwrap("check", "--provider", provider, repaired, paths=paths)
    assert requires_dist(sdist_metadata(sdist)) == requires_dist(wheel_metadata(repaired)) == [requirement]
    assert "Dynamic: Requires-Dist" not in wheel_metadata(repaired)  # repair changed nothing of it
    return repaired


@pytest.fixture(scope="session")
def setuptools_env(wrapdemo_provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build environment as a user's: a recent setuptools (the test environment's 65 writes no
    Requires-Dist into PKG-INFO at all), pkgconf from PyPI, and the wrapdemo provider installed."""

    def build(directory: Path) -> Path:
        run(sys.executable, "-m", "venv", directory)
        python = directory / "bin" / "python"
        run(python, "-m", "pip", "install", "-q", "setuptools>=77", "pkgconf>=2.4", wrapdemo_provider.wheel)
        return directory

    return shared_build(tmp_path_factory, "setuptools-env", build)


def test_a_setuptools_consumer_declares_the_provider_statically(
    setuptools_env: Path, provider_site: Path, tmp_path: Path
) -> None:
    project = shutil.copytree(FIXTURES / "setupconsumer", tmp_path / "setupconsumer")
    shutil.copy(FIXTURES / "consumer" / "src" / "democonsumer" / "_core.c", project / "src" / "setupconsumer")
    python = setuptools_env / "bin" / "python"
    env = {**os.environ, "PATH": f"{setuptools_env / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    sdist = build_sdist(project, tmp_path / "sdist", python, env)
    assert sdist_metadata(sdist).startswith("Metadata-Version: 2.4\n")
    assert dynamic_fields(sdist_metadata(sdist)) == []  # static: resolvers may trust it (PEP 643)
    source = unpack_sdist(sdist, tmp_path / "unpacked")
    run(
        python, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", tmp_path / "raw", source, env=env
    )
    (raw,) = (tmp_path / "raw").glob("*.whl")
    repaired = repaired_from_sdist(sdist, raw, tmp_path, "wrapdemo", "wrapdemo<2,>=1.2.3", [provider_site])
    site = install_target(repaired, tmp_path / "site")
    proc = python_with([site, provider_site], "import setupconsumer; print(setupconsumer.add(40, 2))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["42"]


@pytest.mark.openblas
def test_the_meson_example_declares_the_provider_statically(
    openblas_wheel: Path, openblas_site: Path, tmp_path: Path
) -> None:
    """meson-python takes no plugin (only version and licence may be dynamic): the range is written in
    [project] dependencies and build-system.requires alike."""
    project = shutil.copytree(EXAMPLE / "consumer-meson", tmp_path / "consumer-meson")
    # meson dist, which meson-python's sdist runs, exports a git checkout
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        run("git", *command, cwd=project)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(openblas_site)}
    sdist = build_sdist(project, tmp_path / "sdist", env=env)
    assert dynamic_fields(sdist_metadata(sdist)) == []
    source = unpack_sdist(sdist, tmp_path / "unpacked")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", tmp_path / "raw",
        source, env=env)  # fmt: skip
    (raw,) = (tmp_path / "raw").glob("*.whl")
    repaired_from_sdist(sdist, raw, tmp_path, openblas_wheel, "openblas<0.4,>=0.3.31")


@pytest.mark.openblas
def test_the_cmake_example_declares_the_provider_through_libwrap(
    openblas_wheel: Path, openblas_site: Path, tmp_path: Path
) -> None:
    """scikit-build-core with libwrap's dynamic metadata provider: the installed provider's own range in the
    sdist (marked Dynamic: a wheel built against a later provider says its range) and in the wheel."""
    project = shutil.copytree(EXAMPLE / "consumer-cmake", tmp_path / "consumer-cmake")
    env = {**os.environ, "PYTHONPATH": str(openblas_site)}
    sdist = build_sdist(project, tmp_path / "sdist", env=env)
    assert dynamic_fields(sdist_metadata(sdist)) == ["Requires-Dist"]
    source = unpack_sdist(sdist, tmp_path / "unpacked")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", tmp_path / "raw",
        source, env=env)  # fmt: skip
    (raw,) = (tmp_path / "raw").glob("*.whl")
    repaired_from_sdist(sdist, raw, tmp_path, openblas_wheel, "openblas<0.4,>=0.3.31")
