"""NumPy from its PyPI sdist on the OpenBLAS providers, as a NumPy release manager builds it
(``openblas_builds.numpy_wheel_build``: its own meson options, the provider found through pkg-config),
`libwrap repair`, `libwrap check`, installed apart from the provider, judged by NumPy's own
`numpy.linalg` suite.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from ..helpers import install_target, python_ok, python_with, run, wheel_names
from .openblas_builds import numpy_wheel_build

pytestmark = [pytest.mark.slow, pytest.mark.openblas, pytest.mark.numpy]

SONAMES = {"openblas": "libopenblas_pypi.so.0", "openblas64": "libopenblas64_pypi.so.0"}


@dataclass(frozen=True)
class NumpyBuild:
    provider: str
    provider_wheel: Path
    provider_site: Path
    wheel: Path  # repaired
    site: Path  # the repaired wheel, installed apart from the provider


def repaired_numpy(tmp: Path, provider: str, provider_wheel: Path, provider_site: Path, raw: Path) -> NumpyBuild:
    """`libwrap repair` and `libwrap check` against the provider, then install apart from it."""
    wheelhouse = tmp / "wheelhouse"
    run(sys.executable, "-m", "libwrap", "repair", "--provider", provider_wheel, "-w", wheelhouse, raw)
    repaired = next(wheelhouse.glob("numpy-*.whl"))
    run(sys.executable, "-m", "libwrap", "check", "--provider", provider_wheel, repaired)
    site = install_target(repaired, tmp / "numpy-site")
    return NumpyBuild(provider, provider_wheel, provider_site, repaired, site)


@pytest.fixture(scope="module")
def numpy_lp64(openblas_wheel: Path, openblas_site: Path, tmp_path_factory: pytest.TempPathFactory) -> NumpyBuild:
    raw = numpy_wheel_build(tmp_path_factory, "openblas", openblas_wheel)
    return repaired_numpy(tmp_path_factory.mktemp("numpy-lp64"), "openblas", openblas_wheel, openblas_site, raw)


@pytest.fixture(scope="module")
def numpy_ilp64(openblas64_wheel: Path, openblas64_site: Path, tmp_path_factory: pytest.TempPathFactory) -> NumpyBuild:
    raw = numpy_wheel_build(tmp_path_factory, "openblas64", openblas64_wheel)
    return repaired_numpy(tmp_path_factory.mktemp("numpy-ilp64"), "openblas64", openblas64_wheel, openblas64_site, raw)


@pytest.fixture(params=["lp64", "ilp64"])
def numpy_build(request: pytest.FixtureRequest) -> NumpyBuild:
    return request.getfixturevalue(f"numpy_{request.param}")  # type: ignore[no-any-return]


def test_repaired_wheel_depends_on_the_provider(numpy_build: NumpyBuild) -> None:
    b = numpy_build
    assert re.search(r"-cp\d+-cp\d+-manylinux_2_\d+_x86_64\.whl$", b.wheel.name), b.wheel.name
    names = wheel_names(b.wheel)
    assert not [n for n in names if re.search(r"(openblas|gfortran|quadmath)[^/]*\.so", n)]
    with zipfile.ZipFile(b.wheel) as zf:
        metadata = next(zf.read(n) for n in zf.namelist() if n.endswith(".dist-info/METADATA")).decode()
        distributor_init = zf.read("numpy/_distributor_init.py").decode()
    requires = [
        Requirement(line.split(":", 1)[1]) for line in metadata.splitlines() if line.startswith("Requires-Dist:")
    ]
    assert [str(r) for r in requires if r.name == b.provider] == [f"{b.provider}<0.4,>=0.3.31"]
    # NumPy's own hook is kept, and the provider is loaded before any extension
    assert "_distributor_init_local" in distributor_init
    assert f'_import("{b.provider}", "{b.provider}"' in distributor_init


def test_show_config_names_the_provider_and_one_copy_is_mapped(numpy_build: NumpyBuild) -> None:
    b = numpy_build
    code = """
import json, numpy
config = numpy.show_config(mode="dicts")["Build Dependencies"]
a = numpy.random.default_rng(0).standard_normal((300, 300))
numpy.linalg.solve(a, a)  # runs LAPACK
maps = sorted({line.split()[-1] for line in open("/proc/self/maps") if "/libopenblas" in line})
print(json.dumps({"blas": config["blas"], "lapack": config["lapack"], "file": numpy.__file__, "maps": maps}))
"""
    result = json.loads(python_ok([b.site, b.provider_site], code))
    assert result["blas"]["name"] == b.provider
    assert result["blas"]["found"] is True
    assert result["blas"]["version"] == "0.3.31"
    # the provider's .pc keeps OpenBLAS's openblas_config variable, which show_config reports
    assert "MAX_THREADS=64" in result["blas"]["openblas configuration"]
    assert result["lapack"]["name"] == b.provider
    assert result["file"].startswith(str(b.site))  # the repaired NumPy, not the test environment's
    assert result["maps"] == [str(b.provider_site / b.provider / "lib" / SONAMES[b.provider])]


def test_numpy_linalg_suite_passes(numpy_build: NumpyBuild, tmp_path: Path) -> None:
    """NumPy's own tests of numpy.linalg, run against the installed, repaired wheel."""
    b = numpy_build
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=f"{b.site}{os.pathsep}{b.provider_site}", PYTHONNOUSERSITE="1")
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "numpy.linalg", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed is not None, summary
    assert int(passed.group(1)) > 400, summary
    assert re.search(r"\b\d+ (failed|error)", summary) is None, summary


def test_numpy_distributor_init_local_hook_still_runs(numpy_lp64: NumpyBuild, tmp_path: Path) -> None:
    """The hook distributors use (numpy/_distributor_init_local.py) runs beside the provider's preload."""
    site = tmp_path / "site"
    shutil.copytree(numpy_lp64.site, site)
    (site / "numpy" / "_distributor_init_local.py").write_text(
        "import sys\nsys.modules['numpy'].LOCAL_HOOK_SAW_OPENBLAS = 'openblas' in sys.modules\n", encoding="utf-8"
    )
    code = "import numpy, sys; print(numpy.LOCAL_HOOK_SAW_OPENBLAS, 'openblas' in sys.modules)"
    out = python_ok([site, numpy_lp64.provider_site], code)
    # NumPy runs its hook first, then libwrap's preload loads the provider
    assert out.split() == ["False", "True"]


def test_missing_provider_is_an_import_error_with_the_fix(numpy_lp64: NumpyBuild) -> None:
    proc = python_with([numpy_lp64.site], "import numpy")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError:"), last
    assert "pip install" in last
    assert "openblas" in last
