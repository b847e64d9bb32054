"""Session fixtures of the install layer: the OpenBLAS providers (built once per run, shared by workers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..helpers import install_target
from .openblas_builds import openblas64_wheel_build, openblas_repack_wheel_build, openblas_wheel_build


@pytest.fixture(scope="session")
def openblas_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return openblas_wheel_build(tmp_path_factory)


@pytest.fixture(scope="session")
def openblas_site(openblas_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_target(openblas_wheel, tmp_path_factory.mktemp("openblas-site"))


@pytest.fixture(scope="session")
def openblas64_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return openblas64_wheel_build(tmp_path_factory)


@pytest.fixture(scope="session")
def openblas64_site(openblas64_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_target(openblas64_wheel, tmp_path_factory.mktemp("openblas64-site"))


@pytest.fixture(scope="session")
def openblas_repack_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return openblas_repack_wheel_build(tmp_path_factory)
