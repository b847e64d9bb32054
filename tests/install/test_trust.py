"""Wheels that really fail to import, installed beside the real wrapdemo provider: `libwrap check` must fail
naming the path it cannot prove, and `libwrap repair` must make a wheel that imports. And a provider whose
.pc says -Wl,-rpath,${libdir}: the build environment's path must not survive `libwrap repair`."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from libwrap.elf import read_dynamic_stream
from libwrap.wheelfile import read_wheel, write_wheel

from ..conftest import build_consumer
from ..helpers import auditwheel, install_target, python_with

pytestmark = pytest.mark.slow

INIT = "democonsumer/__init__.py"
LOADER_ERROR = "libwrapdemo.so.1: cannot open shared object file"
CORE_IMPORT = "from ._core import add, init_count\n"


def libwrap(*args: str | Path, paths: Sequence[Path] = ()) -> tuple[int, str]:
    """The CLI in a fresh interpreter that sees PATHS (installed providers), as a user runs it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}
    proc = subprocess.run(
        [sys.executable, "-m", "libwrap", *map(str, args)], env=env, capture_output=True, text=True, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def consumer(provider_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """democonsumer as its build wrote it: it declares wrapdemo and has wrapdemo's _distributor_init.py."""
    return build_consumer(tmp_path_factory.mktemp("trust-consumer"), provider_site, "pkgconfig")


# __init__.py bodies a dishonest or careless build could ship, each with the line check must name
PATTERNS = {
    "import-module": (
        'import importlib\n\nimportlib.import_module("democonsumer._core")\n'
        "from . import _distributor_init  # noqa: F401\n" + CORE_IMPORT,
        "democonsumer/__init__.py line 3 calls importlib.import_module before _distributor_init",
    ),
    "dunder-import": (
        '__import__("democonsumer._core")\nfrom . import _distributor_init  # noqa: F401\n' + CORE_IMPORT,
        "democonsumer/__init__.py line 1 calls __import__ before _distributor_init",
    ),
    "lazy-getattr": (
        (
            "def __getattr__(name):\n"
            '    if name == "core":\n'
            "        import importlib\n\n"
            '        return importlib.import_module("democonsumer._core")\n'
            "    raise AttributeError(name)\n\n\n"
            "from . import core\nfrom . import _distributor_init  # noqa: F401\n\nadd, init_count = core.add, core.init_count\n"
        ),
        "democonsumer/__init__.py line 9 imports core, no module of democonsumer, through its __getattr__ (PEP 562)",
    ),
    "one-branch": (
        'import os\n\nif os.environ.get("DEMOCONSUMER_PRELOAD"):\n    from . import _distributor_init  # noqa: F401\n'
        + CORE_IMPORT,
        (
            "democonsumer/__init__.py line 5 imports democonsumer._core, an extension module, before _distributor_init "
            "(line 4 imports it only in one branch of an if)"
        ),
    ),
    "try-branch": (
        "try:\n    import democonsumer_settings  # noqa: F401\n    from . import _distributor_init  # noqa: F401\n"
        "except ImportError:\n    pass\n" + CORE_IMPORT,
        (
            "democonsumer/__init__.py line 6 imports democonsumer._core, an extension module, before _distributor_init "
            "(line 3 imports it only inside a try whose except lets the module go on without it)"
        ),
    ),
}


def rewritten(wheel: Path, out: Path, members: dict[str, bytes]) -> Path:
    """WHEEL with MEMBERS replaced and a RECORD that vouches for them: what a careless build ships."""
    contents = read_wheel(wheel)
    contents.members.update(members)
    out.mkdir(parents=True, exist_ok=True)
    return write_wheel(contents, out / wheel.name)


@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_check_refuses_what_fails_to_import_and_repair_fixes_it(
    consumer: Path, provider_site: Path, tmp_path: Path, pattern: str
) -> None:
    """Regression: check passed each of these __init__.py, and each fails to import beside its provider
    with the loader's own error (its extension loads before wrapdemo); repair puts the import first."""
    init, words = PATTERNS[pattern]
    broken = rewritten(consumer, tmp_path / "broken", {INIT: init.encode()})
    site = install_target(broken, tmp_path / "site")
    proc = python_with([site, provider_site], "import democonsumer")
    assert proc.returncode == 1, proc.stdout
    # the dynamic loader's own error, not the ImportError a missing provider gets from _distributor_init
    assert proc.stderr.strip().splitlines()[-1] == f"ImportError: {LOADER_ERROR}: No such file or directory"
    code, output = libwrap("check", broken, paths=[provider_site])
    assert code == 1, output
    assert words in output
    code, output = libwrap("repair", broken, "-w", tmp_path / "repaired", paths=[provider_site])
    assert code == 0, output
    (repaired,) = (tmp_path / "repaired").glob("*.whl")
    code, output = libwrap("check", repaired, paths=[provider_site])
    assert code == 0, output
    fixed = install_target(repaired, tmp_path / "fixed")
    proc = python_with([fixed, provider_site], "import democonsumer; print(democonsumer.add(40, 2))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["42"]


def test_a_corrupt_extension_beside_a_good_one_is_refused(consumer: Path, provider_site: Path, tmp_path: Path) -> None:
    """Regression: a member named like an extension that is no valid ELF was skipped by both commands, and
    repair shipped it; the package fails to import with it."""
    text = read_wheel(consumer).members[INIT].decode()
    members = {
        "democonsumer/_extra.abi3.so": b"\x7fELF\x02\x01\x01" + b"\xff" * 57,
        INIT: (text + "from . import _extra\n").encode(),
    }
    broken = rewritten(consumer, tmp_path / "broken", members)
    proc = python_with([install_target(broken, tmp_path / "site"), provider_site], "import democonsumer")
    assert proc.returncode == 1
    assert "_extra.abi3.so" in proc.stderr
    for command in ("check", "repair"):
        extra: list[str | Path] = ["-w", tmp_path / "out"] if command == "repair" else []
        code, output = libwrap(command, broken, *extra, paths=[provider_site])
        assert code == 2, output
        assert output.startswith(
            f"libwrap {command}: error: wheel {broken.name}: democonsumer/_extra.abi3.so is not a valid ELF file ("
        )
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def rpath_provider_site(provider_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """wrapdemo installed as a provider whose .pc says -Wl,-rpath,${libdir}, as some PyPI library wheels do."""
    site = shutil.copytree(provider_site, tmp_path_factory.mktemp("rpath-provider") / "site")
    pc = site / "wrapdemo" / "lib" / "pkgconfig" / "wrapdemo.pc"
    text = pc.read_text(encoding="utf-8")
    assert "\nLibs: " in text
    pc.write_text(text.replace("\nLibs: ", "\nLibs: -Wl,-rpath,${libdir} "), encoding="utf-8")
    return site


def core_search_path(wheel: Path) -> tuple[str, ...]:
    contents = read_wheel(wheel)
    (member,) = [m for m in contents.members if m.startswith("democonsumer/_core")]
    info = read_dynamic_stream(io.BytesIO(contents.members[member]))
    assert info is not None
    return (*info.rpath, *info.runpath)


def test_the_build_environments_rpath_does_not_survive_repair(
    rpath_provider_site: Path, provider_site: Path, tmp_path: Path
) -> None:
    """Regression: auditwheel keeps RUNPATH when it grafts nothing, so every extension of the repaired wheel
    named the build environment's site-packages, and check passed it. repair drops it, check names it."""
    bare = build_consumer(tmp_path / "build", rpath_provider_site, "pkgconfig", preload=False)
    (built_with,) = core_search_path(bare)  # ${libdir}: the build environment's wrapdemo/lib, absolute
    assert built_with.startswith(f"{rpath_provider_site}/wrapdemo/lib")
    # what libwrap repair wrote before: auditwheel's output, the provider declared and preloaded
    auditwheel("repair", "--exclude", "libwrapdemo.so.1", "-w", tmp_path / "auditwheel", bare)
    (plain,) = (tmp_path / "auditwheel").glob("*.whl")
    assert built_with in core_search_path(plain)
    code, output = libwrap("repair", bare, "-w", tmp_path / "repaired", paths=[rpath_provider_site])
    assert code == 0, output
    assert f"search path dropped: democonsumer/_core.abi3.so RUNPATH '{built_with}' (is an absolute path)" in output
    (repaired,) = (tmp_path / "repaired").glob("*.whl")
    assert core_search_path(repaired) == ()
    assert libwrap("check", repaired, paths=[provider_site])[0] == 0
    # check names the path in a wheel that still has it: the old repair's output, made consistent
    core = next(m for m in read_wheel(plain).members if m.startswith("democonsumer/_core"))
    old = rewritten(repaired, tmp_path / "old", {core: read_wheel(plain).members[core]})
    code, output = libwrap("check", old, paths=[provider_site])
    assert code == 1, output
    assert f"has the RUNPATH entry '{built_with}', which is an absolute path, the build machine's" in output
    site = install_target(repaired, tmp_path / "site")
    proc = python_with([site, provider_site], "import democonsumer; print(democonsumer.add(2, 3))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["5"]
