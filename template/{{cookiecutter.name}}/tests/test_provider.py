"""Checks that run against the installed wheel (cibuildwheel's test-command runs them)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import {{ cookiecutter.name }} as provider

HERE = Path(__file__).parent


def test_import_loads_the_shipped_library() -> None:
    assert provider._init.library_path is not None
    assert os.path.samefile(provider._init.library_path, provider.get_library_path())


def test_helpers_point_at_real_files() -> None:
    assert Path(provider.get_include_dir()).is_dir()
    assert Path(provider.get_library_path()).is_file()
    assert Path(provider.get_pkgconfig_dir(), "{{ cookiecutter.pkgconfig_name }}.pc").is_file()
    assert Path(provider.get_cmake_dir(), "{{ cookiecutter.cmake_package }}Config.cmake").is_file()
    assert provider.get_library(fullname=True) in provider.get_sonames()
    assert provider.get_requirement().startswith("{{ cookiecutter.name }}")


def test_command_line_matches_the_api() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.name }}", "--version", "--libdir"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out == [provider.__version__, provider.get_lib_dir()]


@pytest.mark.skipif(sys.platform == "win32", reason="the smoke test drives a Unix compiler")
def test_compile_and_link(tmp_path: Path) -> None:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler on PATH")
    exe = tmp_path / "smoke"
    flags = [*shlex.split(provider.get_cflags()), *shlex.split(provider.get_ldflags())]
    # The wheel carries no RPATH for consumers; a test binary points at the library itself.
    rpath = f"-Wl,-rpath,{provider.get_lib_dir()}"
    subprocess.run([cc, str(HERE / "smoke" / "smoke.c"), "-o", str(exe), *flags, rpath], check=True)
    assert subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout == "ok\n"
