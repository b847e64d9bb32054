"""libwrap doctor on PyPI's own wheels: NumPy 2.4.6 and SciPy 1.17.1 in a venv of their own. Each
grafts its OpenBLAS, libgfortran and libquadmath (auditwheel): `import numpy, scipy.linalg` maps two
of each (scipy.linalg's _fblas/_flapack pull in SciPy's; plain `import scipy` maps none), and the
installed environment holds two OpenBLAS and three libgfortran, two of them byte-identical under one
SONAME (which is why no process maps the third)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..helpers import run, shared_build

pytestmark = [pytest.mark.slow, pytest.mark.realworld]

PINS = ("numpy==2.4.6", "scipy==1.17.1")


@pytest.fixture(scope="module")
def pypi_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with PyPI's wheels only (about 55 MB of download), made once per run."""

    def build(root: Path) -> Path:
        run(sys.executable, "-m", "venv", root)
        python = root / "bin" / "python"
        run(python, "-m", "pip", "install", "-q", "--only-binary=:all:", *PINS)
        return python

    return shared_build(tmp_path_factory, "doctor-pypi-numpy-scipy", build)


def doctor(*args: str | os.PathLike[str]) -> tuple[int, dict[str, Any], str]:
    """libwrap doctor ARGS --json from this interpreter: (exit status, the document, the text report)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYENV_VERSION"))}
    cmd = [sys.executable, "-m", "libwrap", "doctor", *(os.fspath(a) for a in args)]
    as_json = subprocess.run([*cmd[:4], "--json", *cmd[4:]], capture_output=True, text=True, env=clean, check=False)
    as_text = subprocess.run(cmd, capture_output=True, text=True, env=clean, check=False)
    assert as_json.returncode == as_text.returncode, as_text.stderr
    return as_json.returncode, json.loads(as_json.stdout), as_text.stdout


def copies(document: dict[str, Any], family: str) -> list[dict[str, Any]]:
    """The libraries of FAMILY's conflicts in DOCUMENT."""
    by_path = {lib["path"]: lib for lib in document["libraries"]}
    found = [c for c in document["conflicts"] if c["family"] == family]
    return [by_path[path] for c in found for path in c["copies"]]


def test_pypi_numpy_and_scipy_map_two_openblas_and_two_libgfortran(pypi_venv: Path) -> None:
    status, document, text = doctor("--", pypi_venv, "-c", "import numpy, scipy.linalg")
    assert status == 1
    openblas = copies(document, "openblas")
    assert sorted((lib["distribution"], lib["kind"]) for lib in openblas) == [
        ("numpy", "vendored"),
        ("scipy", "vendored"),
    ]
    assert all(lib["size"] > 20_000_000 for lib in openblas)  # each a full DYNAMIC_ARCH OpenBLAS
    gfortran = copies(document, "gfortran")
    assert sorted(str(lib["distribution"]) for lib in gfortran) == ["numpy", "scipy"]
    assert {c["family"] for c in document["conflicts"]} == {"openblas", "gfortran", "quadmath"}
    assert document["duplicated_bytes"] == sum(c["duplicated_bytes"] for c in document["conflicts"])
    assert "CONFLICT OpenBLAS: 2 copies mapped in one process" in text
    assert "numpy.libs/libscipy_openblas64_-" in text
    assert "scipy.libs/libscipy_openblas-" in text


def test_plain_import_scipy_maps_only_numpy_s_libraries(pypi_venv: Path) -> None:
    status, document, _ = doctor("--", pypi_venv, "-c", "import numpy, scipy")
    assert status == 0
    assert document["conflicts"] == []


def test_installed_says_the_same_without_importing(pypi_venv: Path) -> None:
    status, document, text = doctor("--installed", "--python", pypi_venv)
    assert status == 1
    assert document["processes"] == []
    assert len(copies(document, "openblas")) == 2
    gfortran = copies(document, "gfortran")
    assert sorted(str(lib["distribution"]) for lib in gfortran) == ["numpy", "scipy", "scipy"]
    (conflict,) = [c for c in document["conflicts"] if c["family"] == "gfortran"]
    # numpy.libs' copy and SciPy's copy of scipy-openblas's libgfortran are one file twice
    assert len(conflict["identical"]) == 1
    assert len(conflict["identical"][0]) == 2
    assert "CONFLICT libgfortran: 3 copies installed" in text
    assert "one SONAME, so one process maps at most one of them" in text
