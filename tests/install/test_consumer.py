"""Provider and consumer installed apart: the consumer works after `import wrapdemo` alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from libwrap.elf import read_dynamic

from ..helpers import auditwheel, pyenv_pythons, python_ok, python_with, wheel_names

pytestmark = pytest.mark.slow


def extension(site: Path) -> Path:
    return next((site / "democonsumer").glob("_core*.so"))


def test_consumer_links_by_soname_without_search_path(consumer_site: Path) -> None:
    info = read_dynamic(extension(consumer_site))
    assert info is not None
    assert "libwrapdemo.so.1" in info.needed
    # it relies on the preload, not on a path
    assert info.rpath == ()
    assert info.runpath == ()


@pytest.mark.parametrize("order", ["consumer-first", "provider-first"])
def test_consumer_uses_the_one_loaded_copy(consumer_site: Path, provider_site: Path, order: str) -> None:
    paths = [consumer_site, provider_site] if order == "consumer-first" else [provider_site, consumer_site]
    code = "import democonsumer, wrapdemo; print(democonsumer.add(2, 3), democonsumer.init_count(), wrapdemo._init.init_result)"
    out = python_ok(paths, code)
    # init_count 1: the consumer sees the very copy that wrapdemo._init initialised
    assert out.split() == ["5", "1", "wrapdemo", "1.2.3"]


def test_without_the_provider_the_import_error_names_it(consumer_site: Path) -> None:
    proc = python_with([consumer_site], "import democonsumer")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: democonsumer needs wrapdemo>=1.2.3,<2 (No module named 'wrapdemo')")
    assert "pip install 'wrapdemo>=1.2.3,<2'" in last


def test_the_preload_is_what_makes_it_work(consumer_site: Path, provider_site: Path) -> None:
    """Loading the extension without `import wrapdemo` fails: nothing else finds the library."""
    code = (
        "import importlib.machinery as m, importlib.util as u, sys\n"
        f"path = {str(extension(consumer_site))!r}\n"
        "spec = u.spec_from_file_location('democonsumer._core', path, loader=m.ExtensionFileLoader('democonsumer._core', path))\n"
        "u.module_from_spec(spec)\n"
    )
    proc = python_with([consumer_site, provider_site], code)
    assert proc.returncode == 1
    assert "libwrapdemo.so.1: cannot open shared object file" in proc.stderr


def test_consumer_repairs_to_manylinux_without_the_library(consumer_wheel: Path, tmp_path: Path) -> None:
    auditwheel("repair", "--exclude", "libwrapdemo.so.1", "-w", tmp_path / "repaired", consumer_wheel)
    repaired = next((tmp_path / "repaired").glob("*.whl"))
    assert "manylinux" in repaired.name
    assert not [n for n in wheel_names(repaired) if "libwrapdemo" in n or ".libs/" in n]


@pytest.mark.parametrize("version", list(pyenv_pythons()))
def test_abi3_wheels_import_on_every_cpython(version: str, provider_site: Path, consumer_site: Path) -> None:
    python = pyenv_pythons()[version]
    if python is None:
        pytest.skip(f"CPython {version} is not installed here (pyenv install {version})")
    code = "import sys, democonsumer, wrapdemo; print(sys.version_info[:2], democonsumer.add(40, 2), wrapdemo._init.init_result)"
    out = python_ok([consumer_site, provider_site], code, python=python)
    major, minor = version.split(".")
    assert out.strip() == f"({major}, {minor}) 42 wrapdemo 1.2.3"
