"""libwrap.runtime.provider as a provider wheel runs it: copied into a package as ``_libwrap.py`` with
the build's facts, imported by a fresh interpreter. A stub ``_init`` stands in for the extension."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from libwrap.runtime import provider

from ..helpers import pyenv_pythons

PLACEHOLDER = "MANIFEST: dict[str, object] = {}"
MANIFEST = {
    "name": "demo",
    "version": "1.2.3",
    "requirement": "demo>=1.2.3,<2",
    "library": "libdemo.so.1",
    "sonames": ["libdemo.so.1"],
    "link_name": "demo",
    "cmake_package": "Demo",
    "versioned_symbols": False,
    "requires": [],
    "dependencies": [],
}
INIT = (
    '"""The demo library."""\n\nfrom . import _libwrap\nfrom ._libwrap import get_sonames, get_library_path\n\n'
    "__version__ = _libwrap.version()\nversion_info = _libwrap.version_info()\n_init = _libwrap.load()\n"
)
OURS = "{lib}/libdemo.so.1"


def make_provider(
    root: Path,
    *,
    manifest: dict[str, object] | None = None,
    init: str = f"library_path = {OURS!r}\nlibrary_versioned = None\ninit_result = None\n",
    library: bool = True,
) -> Path:
    """A package ``demo`` under ROOT as a provider wheel installs it; returns ROOT."""
    package = root / "demo"
    (package / "lib").mkdir(parents=True)
    source = Path(provider.__file__).read_text(encoding="utf-8")
    assert source.count(PLACEHOLDER) == 1
    facts = {**MANIFEST, **(manifest or {})}
    (package / "_libwrap.py").write_text(source.replace(PLACEHOLDER, f"MANIFEST = {facts!r}"), encoding="utf-8")
    (package / "__init__.py").write_text(INIT, encoding="utf-8")
    (package / "_init.py").write_text(init.format(lib=package / "lib"), encoding="utf-8")
    if library:
        (package / "lib" / "libdemo.so.1").write_bytes(b"")
    return root


def run(
    root: Path, code: str, python: str = sys.executable, *flags: str, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "LD_", "DEMO_"))}
    return subprocess.run(
        [python, *flags, "-c", code],
        env={**clean, "PYTHONPATH": str(root), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def last_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0, proc.stdout
    return proc.stderr.strip().splitlines()[-1]


def test_a_provider_loads_and_answers(tmp_path: Path) -> None:
    root = make_provider(tmp_path)
    proc = run(root, "import demo; print(demo.__version__, demo.version_info, demo.get_sonames())")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split(maxsplit=1) == ["1.2.3", "(1, 2, 3) ['libdemo.so.1']\n"]


def test_the_provider_imports_no_json_or_typing(tmp_path: Path) -> None:
    """Import time is part of every consumer's: the facts are Python, not a file to parse (-S: no site
    module, whose customisations may import either first)."""
    root = make_provider(tmp_path)
    code = "import sys; before = set(sys.modules); import demo; print(sorted(set(sys.modules) - before))"
    proc = run(root, code, sys.executable, "-S")
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.strip().strip("[]").replace("'", "").split(", ")
    assert "json" not in loaded
    assert "typing" not in loaded


def test_a_deleted_library_names_the_provider_and_the_reinstall(tmp_path: Path) -> None:
    """The loader's message named only the file; a provider with its library gone is a damaged install."""
    root = make_provider(tmp_path, library=False, init="raise ImportError('libdemo.so.1: cannot open shared object')")
    (root / "demo" / "_init.abi3.so").write_bytes(b"")  # an extension the loader cannot read
    line = last_line(run(root, "import demo"))
    assert line.startswith(f"ImportError: demo 1.2.3 is damaged: libdemo.so.1 missing from {root / 'demo'} (")
    assert line.endswith("reinstall it: pip install --force-reinstall 'demo==1.2.3'")


def test_another_import_error_is_passed_on(tmp_path: Path) -> None:
    root = make_provider(tmp_path, init="raise ImportError('undefined symbol: demo_x')")
    (root / "demo" / "_init.abi3.so").write_bytes(b"")
    assert "is damaged" not in last_line(run(root, "import demo"))


def test_a_missing_required_provider_names_its_range(tmp_path: Path) -> None:
    root = make_provider(tmp_path, manifest={"requires": ["libother"], "dependencies": ["libother>=1.0,<2"]})
    assert last_line(run(root, "import demo")) == (
        "ImportError: demo needs libother>=1.0,<2, which is not installed; install it: pip install 'libother>=1.0,<2'"
    )


def test_required_providers_load_first(tmp_path: Path) -> None:
    root = make_provider(tmp_path, manifest={"requires": ["libother"], "dependencies": ["libother>=1.0,<2"]})
    (root / "libother.py").write_text("import sys\nprint('libother', 'demo._init' in sys.modules)\n")
    proc = run(root, "import demo")
    assert proc.stdout == "libother False\n", proc.stderr


def test_facts_missing_from_the_copy_are_a_damaged_install(tmp_path: Path) -> None:
    root = make_provider(tmp_path)
    copy = root / "demo" / "_libwrap.py"
    copy.write_text(copy.read_text().replace("MANIFEST = {", "MANIFEST = {'version': '1.2.3'}\n_OLD = {"))
    line = last_line(run(root, "import demo"))
    assert line.startswith("ImportError: demo is damaged: ")
    assert line.endswith(
        "lacks what its build recorded (requires); reinstall it: pip install --force-reinstall 'demo==1.2.3'"
    )


FOREIGN = "library_path = '/elsewhere/libdemo.so.1'\nlibrary_versioned = None\ninit_result = None\n"


@pytest.mark.parametrize("value", ["", "0", "false", "No", "OFF", " "])
def test_a_foreign_copy_is_refused_unless_switched_on(tmp_path: Path, value: str) -> None:
    line = last_line(run(make_provider(tmp_path, init=FOREIGN), "import demo", DEMO_ALLOW_FOREIGN_LIBRARY=value))
    assert line == (
        f"ImportError: demo loaded /elsewhere/libdemo.so.1 instead of its own {tmp_path}/demo/lib/libdemo.so.1: "
        "another copy with the same SONAME was loaded first; import demo before that package, "
        "or set DEMO_ALLOW_FOREIGN_LIBRARY=1 to accept it"
    )


@pytest.mark.parametrize("value", ["1", "true", "Yes", "on"])
def test_switched_on_a_foreign_copy_is_a_warning(tmp_path: Path, value: str) -> None:
    code = "import warnings; warnings.simplefilter('error')\ntry:\n import demo\nexcept RuntimeWarning as w: print(w)"
    proc = run(make_provider(tmp_path, init=FOREIGN), code, DEMO_ALLOW_FOREIGN_LIBRARY=value)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("demo loaded /elsewhere/libdemo.so.1 instead of its own ")


def test_a_switch_value_neither_on_nor_off_is_an_error(tmp_path: Path) -> None:
    line = last_line(run(make_provider(tmp_path, init=FOREIGN), "import demo", DEMO_ALLOW_FOREIGN_LIBRARY="maybe"))
    assert line == (
        "ImportError: DEMO_ALLOW_FOREIGN_LIBRARY='maybe' is neither on (1, true, yes, on) nor off (0, false, no, off); "
        "set 1 or unset it"
    )


def test_a_versioned_provider_refuses_an_unversioned_copy_even_when_allowed(tmp_path: Path) -> None:
    init = FOREIGN.replace("library_versioned = None", "library_versioned = False")
    root = make_provider(tmp_path, manifest={"versioned_symbols": True}, init=init)
    line = last_line(run(root, "import demo", DEMO_ALLOW_FOREIGN_LIBRARY="1"))
    assert line.startswith("ImportError: demo found /elsewhere/libdemo.so.1 loaded under its SONAME, without")
    assert "would abort the interpreter on it" in line


def test_the_cause_of_a_foreign_copy() -> None:
    loaded = "/opt/x/libdemo.so.1"
    assert provider.foreign_cause(loaded, {"LD_PRELOAD": f"/lib/other.so {loaded}"}).startswith(
        f"LD_PRELOAD names it ({loaded})"
    )
    assert provider.foreign_cause(loaded, {"LD_PRELOAD": "libdemo.so.1"}).startswith("LD_PRELOAD names it")
    assert provider.foreign_cause(loaded, {"LD_LIBRARY_PATH": "/usr/lib:/opt/x"}).startswith(
        "LD_LIBRARY_PATH holds its directory (/opt/x)"
    )
    assert provider.foreign_cause(loaded, {"LD_LIBRARY_PATH": "/usr/lib"}).startswith("another copy")


def test_python_m_answers_on_one_line(tmp_path: Path) -> None:
    root = make_provider(tmp_path)
    proc = run(root, "from demo import _libwrap; raise SystemExit(_libwrap.main(['--libs', '--requirement']))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"-L{root}/demo/lib -ldemo demo>=1.2.3,<2\n"
    assert run(root, "from demo import _libwrap; raise SystemExit(_libwrap.main([]))").returncode == 2


def test_the_runtime_runs_on_the_oldest_python() -> None:
    """Provider wheels are abi3 from CPython 3.9 on: their runtime must run there too."""
    python = pyenv_pythons()["3.9"]
    if python is None:
        pytest.skip("CPython 3.9 is not installed (pyenv)")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        proc = run(make_provider(Path(tmp), init=FOREIGN), "import demo", python, DEMO_ALLOW_FOREIGN_LIBRARY="1")
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeWarning: demo loaded /elsewhere/libdemo.so.1" in proc.stderr
