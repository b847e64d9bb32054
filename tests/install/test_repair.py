"""`libwrap repair` and `libwrap check` on a consumer of the wrapdemo provider."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from libwrap.cli import main
from libwrap.wheelfile import read_wheel, write_wheel

from ..conftest import build_consumer
from ..helpers import FIXTURES, WRAPDEMO, generate_and_build, install_target, python_with, wheel_names
from ..unit.synthetic import make_wheel

pytestmark = pytest.mark.slow


def libwrap(*args: str | Path, paths: Sequence[Path] = (), env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the CLI in a fresh interpreter that sees PATHS (installed providers), like a user would."""
    full = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(map(str, paths))}
    proc = subprocess.run(
        [sys.executable, "-m", "libwrap", *map(str, args)], env=full, capture_output=True, text=True, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="session")
def bare_consumer(provider_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """democonsumer as its authors built it: linked to libwrapdemo.so.1, no preload, no requirement."""
    wheel = build_consumer(tmp_path_factory.mktemp("bare"), provider_site, "pkgconfig", preload=False)
    assert "democonsumer/_distributor_init.py" not in wheel_names(wheel)
    return wheel


@pytest.fixture(scope="session")
def repaired(bare_consumer: Path, provider_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("repaired")
    code, output = libwrap("repair", bare_consumer, "-w", out, paths=[provider_site])
    assert code == 0, output
    assert "libwrapdemo.so.1                 excluded  provided by wrapdemo 1.2.3" in output
    assert "Requires-Dist added: wrapdemo>=1.2.3,<2" in output
    return next(out.glob("*.whl"))


def test_repaired_wheel_is_manylinux_declares_and_preloads(repaired: Path) -> None:
    assert "manylinux" in repaired.name
    names = wheel_names(repaired)
    assert not [n for n in names if "libwrapdemo" in n or ".libs/" in n]
    wheel = read_wheel(repaired)
    assert wheel.requires_dist == ["wrapdemo>=1.2.3,<2"]
    init = wheel.members["democonsumer/__init__.py"].decode()
    assert init.index("from . import _distributor_init") < init.index("from ._core import")


def test_check_passes_on_the_repaired_wheel(repaired: Path, provider_site: Path) -> None:
    code, output = libwrap("check", repaired, paths=[provider_site])
    assert code == 0, output


def test_repaired_consumer_works_installed_apart(repaired: Path, provider_site: Path, tmp_path: Path) -> None:
    site = install_target(repaired, tmp_path / "site")
    proc = python_with(
        [site, provider_site], "import democonsumer; print(democonsumer.add(20, 22), democonsumer.init_count())"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["42", "1"]
    missing = python_with([site], "import democonsumer")
    assert "ImportError: democonsumer needs wrapdemo>=1.2.3,<2" in missing.stderr
    assert "pip install 'wrapdemo>=1.2.3,<2'" in missing.stderr


def rewrite(source: Path, out: Path, edit: str) -> Path:
    wheel = read_wheel(source)
    if edit == "no-preload":
        init = wheel.members["democonsumer/__init__.py"].decode()
        wheel.members["democonsumer/__init__.py"] = init.replace("from . import _distributor_init", "pass  #").encode()
    elif edit == "no-requirement":
        meta = f"{wheel.dist_info}/METADATA"
        text = wheel.members[meta].decode()
        wheel.members[meta] = "".join(
            line for line in text.splitlines(keepends=True) if not line.startswith("Requires-Dist: wrapdemo")
        ).encode()
    return write_wheel(wheel, out / source.name)


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ("no-preload", "before _distributor_init, so nothing proves the providers load first"),
        ("no-requirement", "which the wheel does not declare; add Requires-Dist: wrapdemo>=1.2.3,<2"),
    ],
)
def test_check_fails_and_says_why(repaired: Path, provider_site: Path, tmp_path: Path, edit: str, words: str) -> None:
    broken = rewrite(repaired, tmp_path, edit)
    code, output = libwrap("check", broken, paths=[provider_site])
    assert code == 1
    assert words in output


def test_without_any_provider_the_library_is_grafted(bare_consumer: Path, provider_site: Path, tmp_path: Path) -> None:
    """A soname nobody provides is grafted as auditwheel would; `check` then passes on the result."""
    lib_dir = provider_site / "wrapdemo" / "lib"
    code, output = libwrap("repair", bare_consumer, "-w", tmp_path, env={"LD_LIBRARY_PATH": str(lib_dir)})
    assert code == 0, output
    assert "libwrapdemo.so.1                 grafted   democonsumer.libs/libwrapdemo-" in output
    wheel = next(tmp_path.glob("*.whl"))
    assert [n for n in wheel_names(wheel) if n.startswith("democonsumer.libs/libwrapdemo-")]
    assert libwrap("check", wheel)[0] == 0


def test_library_nobody_has_is_a_clear_error(bare_consumer: Path, tmp_path: Path) -> None:
    code, output = libwrap("repair", bare_consumer, "-w", tmp_path / "out")
    assert code == 1
    assert output.startswith("libwrap repair: error: auditwheel repair failed:")
    assert "--provider" in output
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="session")
def second_provider(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another distribution shipping libwrapdemo.so.1: a conflict for `repair` to refuse."""
    from libwrap.spec import ProviderSpec

    tmp = tmp_path_factory.mktemp("wrapdemo2")
    spec = ProviderSpec(name="wrapdemo2", source=str(FIXTURES / "wrapdemo"), **WRAPDEMO)  # type: ignore[arg-type]
    return install_target(generate_and_build(tmp, spec), tmp / "site")


def test_conflicting_providers(bare_consumer: Path, provider_site: Path, second_provider: Path, tmp_path: Path) -> None:
    code, output = libwrap("repair", bare_consumer, "-w", tmp_path / "a", paths=[provider_site, second_provider])
    assert code == 2
    assert (
        "libwrapdemo.so.1 is provided by both wrapdemo (installed wrapdemo) and wrapdemo2 (installed wrapdemo2); choose one with --provider"
        in output
    )
    code, output = libwrap(
        "repair", bare_consumer, "-w", tmp_path / "b", "--provider", "wrapdemo2", paths=[provider_site, second_provider]
    )
    assert code == 0, output
    assert "Requires-Dist added: wrapdemo2>=1.2.3,<2" in output


def test_unreadable_and_pure_wheels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "junk-1.0-py3-none-any.whl"
    garbage.write_bytes(b"not a zip")
    assert main(["repair", str(garbage), "-w", str(tmp_path / "out")]) == 2
    assert "is not a readable wheel" in capsys.readouterr().err
    pure = make_wheel(tmp_path / "pure-1.0-py3-none-any.whl", {"pure/__init__.py": ""})
    assert main(["repair", str(pure), "-w", str(tmp_path / "out")]) == 2
    assert "has no ELF files" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="session")
def plain_library_wheel(provider_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel that ships libwrapdemo.so.1 and nothing else, like the nvidia-*-cu12 wheels: no manifest,
    no code that loads it."""
    tmp = tmp_path_factory.mktemp("vendorlib")
    library = (provider_site / "wrapdemo" / "lib" / "libwrapdemo.so.1").read_bytes()
    wheel = make_wheel(
        tmp / "vendorlib-1.2.3-py3-none-manylinux_2_17_x86_64.whl",
        {"vendorlib/__init__.py": "", "vendorlib/lib/libwrapdemo.so.1": library},
    )
    return install_target(wheel, tmp / "site")


def test_provider_without_a_preload_is_loaded_by_path(
    bare_consumer: Path, plain_library_wheel: Path, tmp_path: Path
) -> None:
    code, output = libwrap("repair", bare_consumer, "-w", tmp_path, paths=[plain_library_wheel])
    assert code == 0, output
    assert "provided by vendorlib 1.2.3 (installed vendorlib); requires vendorlib>=1.2.3,<2" in output
    wheel = next(tmp_path.glob("*.whl"))
    loader = read_wheel(wheel).members["democonsumer/_distributor_init.py"].decode()
    assert (
        '_load_by_path("vendorlib", "libwrapdemo.so.1", "vendorlib>=1.2.3,<2", ((">=", (1, 2, 3)), ("<", (2,))))'
        in loader
    )
    assert "RTLD_GLOBAL" not in loader
    assert libwrap("check", wheel, paths=[plain_library_wheel])[0] == 0
    site = install_target(wheel, tmp_path / "site")
    proc = python_with([site, plain_library_wheel], "import democonsumer; print(democonsumer.add(2, 40))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "42"
