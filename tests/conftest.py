"""Session fixtures: the fixture libraries and the wheels built from them, each built once."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from libwrap.spec import ProviderSpec

from .helpers import (
    FIXTURES,
    ROOT,
    WRAPDEMO,
    Provider,
    cmake_install,
    generate_and_build,
    install_target,
    pip_wheel,
    python_with,
    run,
    wheel_names,
)

# Property tests: the same examples on every run (CI must not flake), no example database on disk.
settings.register_profile("libwrap", derandomize=True, database=None, deadline=None, max_examples=300)
settings.load_profile("libwrap")


@pytest.fixture(scope="session")
def wrapdemo_prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """wrapdemo built and installed the usual way: the input for --build prebuilt."""
    root = tmp_path_factory.mktemp("wrapdemo-prefix")
    return cmake_install(FIXTURES / "wrapdemo", root / "prefix", root / "build")


@pytest.fixture(scope="session")
def wrapdemo_provider(tmp_path_factory: pytest.TempPathFactory) -> Provider:
    """The reference provider: wrapdemo from its source directory, --build cmake."""
    tmp = tmp_path_factory.mktemp("wrapdemo-provider")
    spec = ProviderSpec(name="wrapdemo", source=str(FIXTURES / "wrapdemo"), **WRAPDEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp, spec)
    return Provider("wrapdemo", tmp / "project" / "wrapdemo", wheel, "libwrapdemo.so.1", "wrapdemo_init")


@pytest.fixture(scope="session")
def libwrap_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """libwrap as a wheel in a directory, standing in for the package index it is published on:
    generated providers list it in build-system.requires."""
    out = tmp_path_factory.mktemp("libwrap-dist")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", out, ROOT)
    return out


@pytest.fixture(scope="session")
def provider_site(wrapdemo_provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """wrapdemo installed alone in a --target directory."""
    return install_target(wrapdemo_provider.wheel, tmp_path_factory.mktemp("provider-site"))


@pytest.fixture
def clean_cwd(tmp_path: Path) -> Iterator[Path]:
    """Run in an empty directory, so a test can prove it wrote nothing."""
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


PKGCONF = Path(sys.executable).parent / "pkgconf-pypi"


def build_consumer(tmp: Path, provider_site: Path, discovery: str, *, preload: bool = True) -> Path:
    """Build democonsumer against the provider installed in PROVIDER_SITE; returns the wheel.

    Without PRELOAD the package neither has nor imports _distributor_init, nor declares wrapdemo:
    what a project looks like before `libwrap repair`.
    """
    project = shutil.copytree(FIXTURES / "consumer", tmp / "consumer")
    package = project / "src" / "democonsumer"
    if preload:
        proc = python_with(
            [provider_site], f"import wrapdemo; print(wrapdemo.write_distributor_init({str(package)!r}))"
        )
        assert proc.returncode == 0, proc.stderr
    else:
        for path, drop in (
            (package / "__init__.py", "_distributor_init"),
            (project / "pyproject.toml", "dependencies"),
        ):
            path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if drop not in line))
    env = {**os.environ, "PYTHONPATH": str(provider_site), "PKG_CONFIG": str(PKGCONF)}
    return pip_wheel(project, tmp / "dist", f"cmake.define.DISCOVERY={discovery}", env=env)


@pytest.fixture(scope="session", params=["pkgconfig", "cmake"])
def consumer_wheel(
    request: pytest.FixtureRequest, provider_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """democonsumer built through pkg-config or find_package."""
    wheel = build_consumer(tmp_path_factory.mktemp(f"consumer-{request.param}"), provider_site, request.param)
    assert wheel_names(wheel) >= {"democonsumer/__init__.py", "democonsumer/_distributor_init.py"}
    assert not [n for n in wheel_names(wheel) if "libwrapdemo" in n]
    return wheel


@pytest.fixture(scope="session")
def consumer_site(consumer_wheel: Path) -> Path:
    """democonsumer installed in its own --target directory."""
    return install_target(consumer_wheel, consumer_wheel.parent.parent / "site")
