"""Session fixtures: the fixture libraries and the wheels built from them, each built once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from libwrap.spec import ProviderSpec

from .helpers import FIXTURES, WRAPDEMO, Provider, cmake_install, generate_and_build, install_target


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
