"""A provider works or says exactly what is wrong: foreign copies, wrong versions, odd layouts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from libwrap.spec import ProviderSpec

from ..conftest import PKGCONF, build_consumer
from ..helpers import (
    FIXTURES,
    WRAPDEMO,
    Provider,
    cmake_install,
    generate_and_build,
    install_target,
    python_ok,
    python_with,
    run,
)

pytestmark = pytest.mark.slow

ALLOW = "WRAPDEMO_ALLOW_FOREIGN_LIBRARY"


@pytest.fixture(scope="session")
def foreign_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second, unversioned libwrapdemo.so.1 elsewhere: a system copy or another wheel's."""
    root = tmp_path_factory.mktemp("foreign")
    return cmake_install(FIXTURES / "wrapdemo", root / "prefix", root / "build") / "lib" / "libwrapdemo.so.1"


def preload_then(path: Path, code: str) -> str:
    return f"import ctypes\nctypes.CDLL({str(path)!r})\n{code}"


def test_foreign_copy_loaded_first_is_an_import_error(provider_site: Path, foreign_copy: Path) -> None:
    proc = python_with([provider_site], preload_then(foreign_copy, "import wrapdemo"))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: wrapdemo loaded ")
    assert str(foreign_copy.resolve()) in last or str(foreign_copy) in last
    assert str(provider_site / "wrapdemo" / "lib" / "libwrapdemo.so.1") in last
    assert f"set {ALLOW}=1" in last


def test_foreign_copy_can_be_accepted_with_a_warning(provider_site: Path, foreign_copy: Path) -> None:
    code = preload_then(
        foreign_copy, "import warnings\nwarnings.simplefilter('always')\nimport wrapdemo\nprint('imported')"
    )
    proc = python_with([provider_site], code, env={ALLOW: "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "imported"
    assert "RuntimeWarning: wrapdemo loaded" in proc.stderr


@pytest.fixture(scope="session")
def versioned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Provider, Path, Path]:
    """A provider whose library has symbol versions (WRAPDEMO_1), and a consumer built against it."""
    tmp = tmp_path_factory.mktemp("versioned")
    spec = ProviderSpec(name="wrapdemo", source=str(FIXTURES / "wrapdemo"), **WRAPDEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp, spec, "cmake.define.LIBWRAP_EXTRA_BUILD_ARGS=-DWRAPDEMO_SYMBOL_VERSIONS=ON")
    site = install_target(wheel, tmp / "provider-site")
    consumer = install_target(build_consumer(tmp / "c", site, "pkgconfig"), tmp / "consumer-site")
    provider = Provider("wrapdemo", tmp / "project" / "wrapdemo", wheel, "libwrapdemo.so.1", "wrapdemo_init")
    return provider, site, consumer


def test_unversioned_copy_would_abort_a_versioned_consumer(
    versioned: tuple[Provider, Path, Path], foreign_copy: Path
) -> None:
    """Why the guard exists: glibc kills the process, no Python exception is possible."""
    _, _, consumer = versioned
    extension = next((consumer / "democonsumer").glob("_core*.so"))
    load = (
        "import importlib.machinery as m, importlib.util as u\n"
        f"spec = u.spec_from_file_location('democonsumer._core', {str(extension)!r}, "
        f"loader=m.ExtensionFileLoader('democonsumer._core', {str(extension)!r}))\n"
        "u.module_from_spec(spec)\n"
    )
    proc = python_with([], preload_then(foreign_copy, load))
    assert proc.returncode not in (0, 1)  # killed inside ld.so, not a Python error
    assert "ImportError" not in proc.stderr


def test_versioned_provider_refuses_unversioned_copy_even_when_allowed(
    versioned: tuple[Provider, Path, Path], foreign_copy: Path
) -> None:
    _, site, consumer = versioned
    ok = python_with(
        [consumer, site],
        "import democonsumer, wrapdemo; print(wrapdemo._init.library_versioned, democonsumer.add(1, 2))",
    )
    assert ok.stdout.split() == ["True", "3"], ok.stderr
    proc = python_with([consumer, site], preload_then(foreign_copy, "import democonsumer"), env={ALLOW: "1"})
    assert proc.returncode == 1  # an ImportError, not the abort above
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: wrapdemo found ")
    assert "would abort the interpreter" in last


@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
def test_provider_outside_the_built_range(consumer_site: Path, tmp_path: Path, version: str) -> None:
    """democonsumer was built against wrapdemo 1.2.3: an older one may lack symbols, a 2.x breaks the ABI."""
    spec = ProviderSpec(name="wrapdemo", source=str(FIXTURES / "wrapdemo"), **{**WRAPDEMO, "version": version})  # type: ignore[arg-type]
    site = install_target(generate_and_build(tmp_path, spec), tmp_path / "site")
    proc = python_with([consumer_site, site], "import democonsumer")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (
        f"ImportError: democonsumer needs wrapdemo>=1.2.3,<2, but wrapdemo {version} is installed; "
        "install a matching one with: pip install 'wrapdemo>=1.2.3,<2'"
    )


def test_eight_threads_import_at_once(consumer_site: Path, provider_site: Path) -> None:
    code = (
        "import threading\nresults, barrier = [], threading.Barrier(8)\n"
        "def work():\n    barrier.wait()\n    import democonsumer\n    results.append(democonsumer.add(2, 2))\n"
        "threads = [threading.Thread(target=work) for _ in range(8)]\n"
        "[t.start() for t in threads]\n[t.join() for t in threads]\n"
        "import democonsumer\nprint(results, democonsumer.init_count())"
    )
    out = python_ok([consumer_site, provider_site], code)
    assert out.strip() == "[4, 4, 4, 4, 4, 4, 4, 4] 1"


def test_fork_after_import(consumer_site: Path, provider_site: Path) -> None:
    code = (
        "import os, democonsumer\npid = os.fork()\n"
        "if pid == 0:\n    os._exit(0 if democonsumer.add(3, 4) == 7 and democonsumer.init_count() == 1 else 3)\n"
        "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))"
    )
    out = python_ok([consumer_site, provider_site], code)
    assert out.strip() == "0"


def make_venv(path: Path, *packages: str) -> Path:
    venv.EnvBuilder(with_pip=True).create(path)
    python = path / "bin" / "python"
    if packages:
        run(python, "-m", "pip", "install", "-q", *packages)
    return python


def test_venv_install(wrapdemo_provider: Provider, consumer_wheel: Path, tmp_path: Path) -> None:
    python = make_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", "-q", "--no-deps", wrapdemo_provider.wheel, consumer_wheel)
    out = run(python, "-c", "import democonsumer; print(democonsumer.add(5, 6))", cwd=tmp_path)
    assert out.strip() == "11"


def test_user_site_provider_and_target_consumer(
    wrapdemo_provider: Provider, consumer_site: Path, tmp_path: Path
) -> None:
    """Provider in ~/.local (pip install --user), consumer in a --target dir on PYTHONPATH."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    env = {**os.environ, "PYTHONUSERBASE": str(tmp_path / "userbase")}
    env.pop("PYTHONNOUSERSITE", None)
    run(base, "-m", "pip", "install", "-q", "--user", "--no-deps", wrapdemo_provider.wheel, env=env)
    code = "import democonsumer, wrapdemo; print(democonsumer.add(1, 1), wrapdemo.__file__)"
    proc = subprocess.run(
        [str(base), "-c", code],
        env={**env, "PYTHONPATH": str(consumer_site)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    total, location = proc.stdout.split()
    assert total == "2"
    assert location.startswith(str(tmp_path / "userbase"))


def test_editable_consumer(wrapdemo_provider: Provider, tmp_path: Path) -> None:
    """`pip install -e` of the consumer: its extension is rebuilt in place, the provider preloads it."""
    python = make_venv(tmp_path / "venv", "scikit-build-core>=0.11", "cmake", "ninja", "pkgconf")
    run(python, "-m", "pip", "install", "-q", "--no-deps", wrapdemo_provider.wheel)
    project = shutil.copytree(FIXTURES / "consumer", tmp_path / "consumer")
    run(python, "-c", f"import wrapdemo; wrapdemo.write_distributor_init({str(project / 'src' / 'democonsumer')!r})")
    env = {**os.environ, "PKG_CONFIG": str(tmp_path / "venv" / "bin" / PKGCONF.name)}
    run(python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "-e", project, env=env)
    out = run(python, "-c", "import democonsumer; print(democonsumer.add(7, 8), democonsumer.__file__)", cwd=tmp_path)
    total, location = out.split()
    assert total == "15"
    assert location == str(project / "src" / "democonsumer" / "__init__.py")


def test_library_lacking_a_symbol_is_named(consumer_site: Path, tmp_path: Path) -> None:
    """Same version, but the library lacks wrapdemo_init_count, which democonsumer calls."""
    spec = ProviderSpec(name="wrapdemo", source=str(FIXTURES / "wrapdemo"), **WRAPDEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp_path, spec, "cmake.define.LIBWRAP_EXTRA_BUILD_ARGS=-DWRAPDEMO_WITHOUT_COUNT=ON")
    site = install_target(wheel, tmp_path / "site")
    proc = python_with([consumer_site, site], "import democonsumer")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "ImportError: democonsumer._core needs a symbol that libwrapdemo.so.1 from wrapdemo 1.2.3 lacks"
    )
    assert "undefined symbol: wrapdemo_init_count" in last
    assert last.endswith("install the wrapdemo it was built for: pip install 'wrapdemo>=1.2.3,<2'")


@pytest.fixture
def damaged_site(provider_site: Path, tmp_path: Path) -> Path:
    """A copy of the installed provider that a test may damage."""
    return Path(shutil.copytree(provider_site, tmp_path / "site", symlinks=True))


REINSTALL = "reinstall it: pip install --force-reinstall 'wrapdemo==1.2.3'"


def test_a_deleted_library_file_names_the_provider_and_the_reinstall(damaged_site: Path) -> None:
    """The loader's own message named only the file (regression: a raw 'cannot open shared object file')."""
    (damaged_site / "wrapdemo" / "lib" / "libwrapdemo.so.1").unlink()
    proc = python_with([damaged_site], "import wrapdemo")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ImportError: wrapdemo 1.2.3 is damaged: libwrapdemo.so.1 missing from {damaged_site}")
    assert last.endswith(REINSTALL)


def test_a_deleted_manifest_leaves_the_provider_working(damaged_site: Path) -> None:
    """get_sonames() on a provider whose libwrap.json is gone was a bare FileNotFoundError: the package
    now reads the facts the build recorded in its own _libwrap.py (libwrap.json is for tools)."""
    (damaged_site / "wrapdemo" / "libwrap.json").unlink()
    out = python_ok([damaged_site], "import wrapdemo; print(wrapdemo.get_sonames())")
    assert out.strip() == "['libwrapdemo.so.1']"


def test_a_deleted_runtime_module_is_one_line_naming_the_reinstall(damaged_site: Path) -> None:
    (damaged_site / "wrapdemo" / "_libwrap.py").unlink()
    proc = python_with([damaged_site], "import wrapdemo")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: wrapdemo is damaged: ")
    assert last.endswith("reinstall it: pip install --force-reinstall wrapdemo")
    cli = subprocess.run(
        [sys.executable, "-m", "wrapdemo", "--sonames"],
        env={**os.environ, "PYTHONPATH": str(damaged_site)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 1
    assert cli.stderr.count("\n") == 1, cli.stderr
    assert "wrapdemo is damaged: " in cli.stderr


@pytest.mark.parametrize("value", ["0", "false", "No", "off", " "])
def test_an_off_value_keeps_the_foreign_copy_refused(provider_site: Path, foreign_copy: Path, value: str) -> None:
    """ALLOW_FOREIGN_LIBRARY=false turned the override on (regression: any non-empty value but 0 did)."""
    proc = python_with([provider_site], preload_then(foreign_copy, "import wrapdemo"), env={ALLOW: value})
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("ImportError: wrapdemo loaded ")


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_an_on_value_accepts_the_foreign_copy(provider_site: Path, foreign_copy: Path, value: str) -> None:
    code = preload_then(foreign_copy, "import wrapdemo; print('imported')")
    proc = python_with([provider_site], code, env={ALLOW: value})
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeWarning: wrapdemo loaded" in proc.stderr


def test_a_value_neither_on_nor_off_is_an_error(provider_site: Path, foreign_copy: Path) -> None:
    proc = python_with([provider_site], preload_then(foreign_copy, "import wrapdemo"), env={ALLOW: "maybe"})
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (
        f"ImportError: {ALLOW}='maybe' is neither on (1, true, yes, on) nor off (0, false, no, off); set 1 or unset it"
    )


def test_a_foreign_copy_from_ld_library_path_is_blamed_on_it(provider_site: Path, foreign_copy: Path) -> None:
    """The loader searches LD_LIBRARY_PATH before the wheel's RUNPATH (regression: blamed on import order)."""
    env = {"LD_LIBRARY_PATH": str(foreign_copy.parent)}
    proc = python_with([provider_site], "import wrapdemo", env=env)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: wrapdemo loaded ")
    assert f"LD_LIBRARY_PATH holds its directory ({foreign_copy.parent})" in last
    assert "import wrapdemo before" not in last


def test_a_foreign_copy_from_ld_preload_is_blamed_on_it(provider_site: Path, foreign_copy: Path) -> None:
    proc = python_with([provider_site], "import wrapdemo", env={"LD_PRELOAD": str(foreign_copy)})
    assert proc.returncode == 1
    assert f"LD_PRELOAD names it ({foreign_copy})" in proc.stderr.strip().splitlines()[-1]


SYSTEM = "WRAPDEMO_PREFER_SYSTEM_LIBRARY"


@pytest.fixture(scope="session")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """wrapdemo shipped as libwrapdemo_pypi.so.1 (as the openblas preset renames its library), and
    democonsumer built against it: their DT_NEEDED is the wheel's name, which no system copy has."""
    tmp = tmp_path_factory.mktemp("renamed")
    spec = ProviderSpec(name="wrapdemo", source=str(FIXTURES / "wrapdemo"), soname="libwrapdemo_pypi.so.1", **WRAPDEMO)  # type: ignore[arg-type]
    site = install_target(generate_and_build(tmp, spec), tmp / "provider-site")
    consumer = install_target(build_consumer(tmp / "c", site, "pkgconfig"), tmp / "consumer-site")
    return site, consumer


MAPS = "sorted({l.split()[-1] for l in open('/proc/self/maps') if 'libwrapdemo' in l})"


def test_the_systems_copy_serves_on_request_under_the_wheels_name(
    renamed: tuple[Path, Path], foreign_copy: Path
) -> None:
    """NAME_PREFER_SYSTEM_LIBRARY=1 (issue 20): the system's libwrapdemo.so.1 (here found through
    LD_LIBRARY_PATH, as ld.so.cache would find it) serves the provider and its consumer, through the
    wheel's DT_FILTER object; the wheel's own library is not even mapped."""
    site, consumer = renamed
    env = {SYSTEM: "1", "LD_LIBRARY_PATH": str(foreign_copy.parent)}
    code = f"import democonsumer, wrapdemo; print(democonsumer.add(2, 3), wrapdemo._libwrap.SERVED['copy'], {MAPS})"
    out = python_ok([consumer, site], code, env=env)
    total, copy, maps = out.split(" ", 2)
    assert (total, copy) == ("5", "system")
    assert str(foreign_copy.resolve()) in maps
    assert str(site / "wrapdemo" / "lib" / "libwrapdemo_pypi.so.1") not in maps
    info = python_ok([site], "import wrapdemo._libwrap as l, wrapdemo; print(l._info_text())", env=env)
    assert f"library: {foreign_copy} (the system's, {SYSTEM} is on)" in info


def test_without_a_system_copy_the_wheels_serves_with_a_warning(renamed: tuple[Path, Path]) -> None:
    site, consumer = renamed
    code = f"import warnings; warnings.simplefilter('always')\nimport democonsumer, wrapdemo\nprint(democonsumer.add(1, 1), {MAPS})"
    proc = python_with([consumer, site], code, env={SYSTEM: "yes"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("2 ")
    assert str(site / "wrapdemo" / "lib" / "libwrapdemo_pypi.so.1") in proc.stdout
    assert f"RuntimeWarning: {SYSTEM} is on, but no system libwrapdemo.so.1 could be loaded" in proc.stderr


def test_unset_or_off_the_wheels_copy_serves(renamed: tuple[Path, Path], foreign_copy: Path) -> None:
    site, consumer = renamed
    for value in ("", "0", "off"):
        env = {SYSTEM: value, "LD_LIBRARY_PATH": str(foreign_copy.parent)}
        out = python_ok([consumer, site], f"import democonsumer; print({MAPS})", env=env)
        assert str(site / "wrapdemo" / "lib" / "libwrapdemo_pypi.so.1") in out
        assert str(foreign_copy.resolve()) not in out
    proc = python_with([site], "import wrapdemo", env={SYSTEM: "please"})
    assert proc.stderr.strip().splitlines()[-1].startswith(f"ImportError: {SYSTEM}='please' is neither on")
