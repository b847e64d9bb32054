"""A real PyTorch C++ extension: `libwrap repair` keeps torch's libraries out of the wheel.

Needs torch 2.13.0 CPU in the test environment (`pip install torch==2.13.0`; .ci/run installs it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from libwrap.tools import tool_env
from libwrap.wheelfile import read_wheel

from ..helpers import FIXTURES, install_target, pip_wheel, python_with, run, wheel_names

pytestmark = [pytest.mark.slow, pytest.mark.torch]

torch = pytest.importorskip("torch", reason="torch is not installed: pip install torch==2.13.0")
TORCH_LIBS = {"libc10.so", "libtorch_cpu.so", "libtorch_python.so"}


@pytest.fixture(scope="session")
def torch_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("torchext")
    project = shutil.copytree(FIXTURES / "torchext", tmp / "torchext")
    return pip_wheel(project, tmp / "raw")


@pytest.fixture(scope="session")
def torch_repaired(torch_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("torch-libwrap")
    proc = subprocess.run(
        [sys.executable, "-m", "libwrap", "repair", "--strip", str(torch_raw), "-w", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for lib in TORCH_LIBS:
        assert f"{lib:32} excluded  provided by torch 2.13.0" in proc.stdout
    return next(out.glob("*.whl"))


def test_extension_needs_torch_libraries(torch_raw: Path) -> None:
    needed = {n for info in read_wheel(torch_raw).elf_files().values() for n in info.needed}
    assert needed >= TORCH_LIBS


def test_repaired_wheel_holds_no_torch_library(torch_repaired: Path) -> None:
    assert "manylinux" in torch_repaired.name
    assert not [n for n in wheel_names(torch_repaired) if ".libs/" in n or "libtorch" in n or "libc10" in n]
    wheel = read_wheel(torch_repaired)
    assert wheel.requires_dist == [f"torch=={torch.__version__.split('+')[0]}"]  # the C++ ABI changes every release
    assert b'_import("torch", "torch",' in wheel.members["torchext/_distributor_init.py"]


def test_check_passes(torch_repaired: Path) -> None:
    run(sys.executable, "-m", "libwrap", "check", torch_repaired)


def test_works_installed_apart_from_torch(torch_repaired: Path, tmp_path: Path) -> None:
    site = install_target(torch_repaired, tmp_path / "site")
    code = "import torch, torchext; print(torchext.scaled_add(torch.ones(3), torch.arange(3.0), 2.0).tolist())"
    proc = python_with([site], code)  # torch itself stays in the environment's site-packages
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[1.0, 3.0, 5.0]"


def test_at_least_100_times_smaller_than_plain_auditwheel(
    torch_raw: Path, torch_repaired: Path, tmp_path: Path
) -> None:
    """Plain `auditwheel repair` (torch/lib on the library path) vendors libtorch; record both sizes.

    Both repairs strip symbols (--strip), as release wheels are.
    """
    env = {**tool_env("patchelf"), "LD_LIBRARY_PATH": str(Path(torch.__file__).parent / "lib")}
    run(sys.executable, "-m", "auditwheel", "repair", "--strip", "-w", tmp_path, torch_raw, env=env)
    grafted = next(tmp_path.glob("*.whl"))
    sizes = {"libwrap_repair": torch_repaired.stat().st_size, "auditwheel_repair": grafted.stat().st_size}
    print(json.dumps(sizes))
    assert [n for n in wheel_names(grafted) if "libtorch_cpu" in n]
    assert sizes["auditwheel_repair"] >= 100 * sizes["libwrap_repair"], sizes
