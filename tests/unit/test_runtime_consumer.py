"""libwrap.runtime's consumer-side modules as code: ``distributor_init`` (the helpers every
``_distributor_init.py`` carries), ``shim`` (the top-level extension module's loader) and ``preload``
(the writer a provider wheel holds a copy of), imported and called here with fakes, and the files
copied from them executed on the oldest Python a wheel may meet (3.9, from pyenv when installed)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import types
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from libwrap.consumer.preload import (
    HEADER,
    MARKER,
    SHIM_MARKER,
    call_lines,
    helpers,
    merge_distributor_init,
    render_distributor_init,
    render_shim,
    writer_module,
)
from libwrap.providers import Provider
from libwrap.runtime import distributor_init, preload, shim

from ..helpers import FIXTURES, pyenv_pythons

RUNTIME = Path(distributor_init.__file__).parent
#: What libwrap 0.2.0 wrote (examples/openblas/consumer-cmake as committed then): in the wild, and merged again.
RELEASED = (FIXTURES / "preload" / "distributor_init-0.2.0.py.txt").read_text(encoding="utf-8")
FAKE = Provider("fakeprov", "1.2.3", frozenset({"libfake.so.1"}), "fakeprov>=1.2,<2", "fakeprov", "test")
BY_PATH = Provider("fakedist", "0.3.28", frozenset({"libfake.so.1"}), "fakedist~=0.3.28", None, "test")
#: A provider whose own function loads its libraries, as RAPIDS' libucx-cu12.
LOADER = Provider(
    "fakeloaded-cu12", "1.22.0", frozenset({"libfake.so.0"}), "fakeloaded-cu12>=1.22.0,<1.23", "fakeloaded", "test",
    "load_library",
)  # fmt: skip
CLAUSES = ((">=", (1, 2)), ("<", (2,)))


def python39() -> str:
    found = pyenv_pythons()["3.9"]
    if found is None:
        pytest.skip("CPython 3.9 is not installed here (pyenv install 3.9)")
    return found


# --- distributor_init: the helpers, imported


@pytest.mark.parametrize(
    ("version", "release"),
    [
        ("2.13.0+cpu", (2, 13)),
        ("0.4.0rc1", (0, 4)),
        ("1!2.0.1", (2, 0, 1)),
        ("1.2.3.post1", (1, 2, 3)),
        ("1.0.dev0", (1,)),
        ("0", (0,)),
        ("3.0", (3,)),
        ("abc", ()),
    ],
)
def test_release_numbers(version: str, release: tuple[int, ...]) -> None:
    assert distributor_init._release(version) == release


def test_check_refuses_a_release_outside_the_clauses() -> None:
    distributor_init._check("fakeprov", "1.9", "fakeprov>=1.2,<2", CLAUSES)
    distributor_init._check("fakeprov", "5", "fakeprov", ((":=", (1,)),))  # an operator it does not know: no check
    with pytest.raises(ImportError) as caught:
        distributor_init._check("fakeprov", "2.0.0", "fakeprov>=1.2,<2", CLAUSES)
    # the consumer is the package of the module the helpers run in: here libwrap.runtime
    assert str(caught.value) == (
        "libwrap.runtime needs fakeprov>=1.2,<2, but fakeprov 2.0.0 is installed; "
        "install a matching one with: pip install 'fakeprov>=1.2,<2'"
    )


def fake_module(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_import_loads_checks_and_lets_the_provider_explain(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []
    fake_module(monkeypatch, "fakeprov", __version__="1.4", explain_missing_symbols=lambda *a: asked.append(a))
    distributor_init._import("fakeprov", "fakeprov", "fakeprov>=1.2,<2", CLAUSES)
    assert asked == [("libwrap.runtime", "fakeprov>=1.2,<2")]
    fake_module(monkeypatch, "fakeprov", __version__="1.1")
    with pytest.raises(ImportError, match=r"needs fakeprov>=1\.2,<2, but fakeprov 1\.1 is installed"):
        distributor_init._import("fakeprov", "fakeprov", "fakeprov>=1.2,<2", CLAUSES)


def test_import_reads_the_version_from_metadata_without_dunder_version(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_module(monkeypatch, "fakeprov")
    monkeypatch.setattr(metadata, "version", lambda name: {"fakeprov": "2.5"}[name])
    with pytest.raises(ImportError, match=r"but fakeprov 2\.5 is installed"):
        distributor_init._import("fakeprov", "fakeprov", "fakeprov>=1.2,<2", CLAUSES)


def test_import_of_a_missing_provider_names_the_requirement() -> None:
    with pytest.raises(ImportError) as caught:
        distributor_init._import("libwrap_no_such_provider", "nosuch", "nosuch>=1,<2", ())
    assert str(caught.value) == (
        "libwrap.runtime needs nosuch>=1,<2 (No module named 'libwrap_no_such_provider'); "
        "install it with: pip install 'nosuch>=1,<2'"
    )
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_a_provider_that_fails_itself_keeps_its_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression guard: only the provider's own absence becomes 'install it'; its broken import stays."""
    fake_module(monkeypatch, "fakeprov", __path__=[])  # a package without the submodule asked for
    with pytest.raises(ModuleNotFoundError, match=r"No module named 'fakeprov\.missing'"):
        distributor_init._import("fakeprov.missing", "fakeprov", "fakeprov", ())


class FakeFile:
    def __init__(self, name: str, where: str) -> None:
        self.name, self.where = name, where

    def locate(self) -> str:
        return self.where


def test_load_by_path_checks_then_loads_rtld_local(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes
    import os

    loaded: list[tuple[str, int]] = []
    monkeypatch.setattr(ctypes, "CDLL", lambda path, mode: loaded.append((path, mode)))
    monkeypatch.setattr(
        metadata, "files", lambda _: [FakeFile("other.so", "/x/other.so"), FakeFile("libfake.so.1", "/x/libfake.so.1")]
    )
    monkeypatch.setattr(metadata, "version", lambda _: "0.3.30")
    distributor_init._load_by_path("fakedist", "libfake.so.1", "fakedist~=0.3.28", ((">=", (0, 3, 28)), ("<", (0, 4))))
    assert loaded == [("/x/libfake.so.1", os.RTLD_LOCAL)]
    with pytest.raises(ImportError, match=r"^fakedist 0\.3\.30 has no libmissing\.so\.2; reinstall it"):
        distributor_init._load_by_path("fakedist", "libmissing.so.2", "fakedist~=0.3.28", ())
    monkeypatch.setattr(metadata, "version", lambda _: "0.4.0")
    with pytest.raises(ImportError, match=r"needs fakedist~=0\.3\.28, but fakedist 0\.4\.0 is installed"):
        distributor_init._load_by_path(
            "fakedist", "libfake.so.1", "fakedist~=0.3.28", ((">=", (0, 3, 28)), ("<", (0, 4)))
        )
    assert len(loaded) == 1  # refused before anything was loaded


def test_load_by_path_of_a_missing_distribution_names_the_requirement() -> None:
    with pytest.raises(ImportError, match=r"^libwrap\.runtime needs nosuch>=1 \(No package metadata was found"):
        distributor_init._load_by_path("libwrap-no-such-dist", "libx.so.1", "nosuch>=1", ())


# --- what the writer copies, and where


def test_the_helpers_are_the_module_from_its_marker_on() -> None:
    """The text every _distributor_init.py carries is distributor_init.py's, byte for byte, and the marker
    starts it once; nothing above the marker (the docstring) goes to consumers."""
    source = (RUNTIME / "distributor_init.py").read_text(encoding="utf-8")
    assert source.splitlines().count(MARKER) == 1
    assert helpers() == source[source.index(f"\n{MARKER}\n") + 1 :]
    text = render_distributor_init([FAKE])
    assert text == HEADER + "\n" + helpers() + "\n\n" + "".join(f"{c}\n" for c in call_lines(FAKE))
    assert preload.MARKER == MARKER


def test_the_helpers_run_as_consumers_run_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only underscore names, no __future__ import, no __all__: the text lands in other packages' modules."""
    tree = ast.parse(helpers())
    bound = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    bound |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    bound |= {a.asname or a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    assert bound == {
        "_operator", "_os", "_COMPARE", "_release", "_consumer", "_check", "_import", "_call", "_load_by_path"
    }  # fmt: skip
    assert not any(isinstance(n, ast.ImportFrom) for n in tree.body)
    fake_module(monkeypatch, "fakeprov", __version__="1.3")
    namespace: dict[str, object] = {"__name__": "demo._distributor_init"}
    exec(compile(render_distributor_init([FAKE]), "_distributor_init.py", "exec"), namespace)  # noqa: S102
    assert "_import" in namespace


def test_the_shim_is_the_module_from_its_marker_on() -> None:
    source = (RUNTIME / "shim.py").read_text(encoding="utf-8")
    loader = source[source.index(f"\n{SHIM_MARKER}\n") + 1 :]
    text = render_shim("_x.libwrap.abi3.so", [FAKE])
    assert text.endswith(
        "\n" + loader.replace('_EXTENSION = ""', "_EXTENSION = '_x.libwrap.abi3.so'") + "\n\n_load_extension()\n"
    )
    assert shim._EXTENSION == ""  # the module itself is a template: it loads nothing when imported


def test_the_provider_writer_is_the_runtime_module_filled_in() -> None:
    source = (RUNTIME / "preload.py").read_text(encoding="utf-8")
    copy = writer_module(FAKE, "9.9.9")
    head, _, body = copy.partition("\n")
    assert (
        head
        == "# Copied from libwrap 9.9.9 (libwrap/runtime/preload.py) by the build of fakeprov; rebuild the provider to change it."
    )
    # the module as it is here, up to its placeholders (its last two lines), which the copy fills in
    placeholders = 'HELPERS = ""\nCALLS: list[str] = []\n'
    assert source.endswith(f"\n{placeholders}")
    prefix = source.removesuffix(placeholders)
    assert body.startswith(prefix)
    names = []
    for node in ast.parse(body.removeprefix(prefix)).body:
        assert isinstance(node, (ast.Assign, ast.AnnAssign))
        names.append(ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target))
    assert names == ["HELPERS", "CALLS"]
    namespace: dict[str, Any] = {"__name__": "fakeprov._preload"}
    exec(compile(copy, "_preload.py", "exec"), namespace)  # noqa: S102
    assert namespace["HELPERS"] == helpers()
    assert namespace["CALLS"] == call_lines(FAKE)
    assert namespace["merge"]("") == render_distributor_init([FAKE])


def test_runtime_merge_is_the_one_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    """runtime.preload.merge_distributor_init with the helpers given is what repair writes."""
    calls = call_lines(FAKE)
    assert preload.merge_distributor_init("", calls, helpers()) == merge_distributor_init("", calls)
    monkeypatch.setattr(preload, "HELPERS", "# helpers\n")
    monkeypatch.setattr(preload, "CALLS", ["_a()", "_b()"])
    assert preload.merge("") == f"{HEADER}\n# helpers\n\n\n_a()\n_b()\n"
    assert preload.merge(preload.merge("")) == preload.merge("")
    assert preload.merge(f"x = 1\n{MARKER}\n_a()\n") == f"x = 1\n{MARKER}\n_a()\n_b()\n"


# --- libwrap 0.2.0's files, in the wild


V2_MARKER = "# libwrap: load providers (helpers v2: requirement, version clauses)"


def test_a_file_libwrap_0_2_0_wrote_keeps_merging() -> None:
    """Its helpers (v2) lack _call: merging keeps them for its own calls, changes nothing when it has
    every call, and appends the v3 helpers once before the first call it lacks (regression guard: with
    the old marker kept, a _call line would have been appended below helpers that do not define it)."""
    (call,) = [line for line in RELEASED.splitlines() if line.startswith("_import(")]
    assert V2_MARKER in RELEASED.splitlines()
    assert MARKER not in RELEASED
    assert "def _release(version):" in RELEASED
    assert merge_distributor_init(RELEASED, [call]) == RELEASED
    merged = merge_distributor_init(RELEASED, [call, *call_lines(LOADER)])
    assert merged == RELEASED + "\n" + helpers() + "\n\n" + "".join(f"{c}\n" for c in call_lines(LOADER))
    assert merged.index(call) < merged.index(MARKER)  # its own call runs with its own helpers
    assert merge_distributor_init(merged, [call, *call_lines(LOADER), *call_lines(BY_PATH)]) == merged + "".join(
        f"{c}\n" for c in call_lines(BY_PATH)
    )
    assert render_distributor_init([FAKE], RELEASED).endswith(helpers() + "\n\n" + call_lines(FAKE)[0] + "\n")


def test_call_imports_checks_and_calls_the_providers_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """RAPIDS' libucx loads nothing when imported: its load_library() does (and picks the system's copy
    when RAPIDS_LIBUCX_PREFER_SYSTEM_LIBRARY says so)."""
    calls: list[str] = []
    fake_module(monkeypatch, "fakeloaded", __version__="1.22.0", load_library=lambda: calls.append("loaded"))
    clauses = ((">=", (1, 22)), ("<", (1, 23)))
    distributor_init._call("fakeloaded", "load_library", "fakeloaded-cu12", "fakeloaded-cu12>=1.22.0,<1.23", clauses)
    assert calls == ["loaded"]
    fake_module(monkeypatch, "fakeloaded", __version__="1.23.1", load_library=lambda: calls.append("again"))
    with pytest.raises(
        ImportError, match=r"needs fakeloaded-cu12>=1\.22\.0,<1\.23, but fakeloaded-cu12 1\.23\.1 is installed"
    ):
        distributor_init._call(
            "fakeloaded", "load_library", "fakeloaded-cu12", "fakeloaded-cu12>=1.22.0,<1.23", clauses
        )
    assert calls == ["loaded"]  # refused before its loader ran
    fake_module(monkeypatch, "fakeloaded", __version__="1.22.0")
    with pytest.raises(ImportError) as caught:
        distributor_init._call("fakeloaded", "load_library", "fakeloaded-cu12", "fakeloaded-cu12>=1.22.0,<1.23", ())
    assert str(caught.value) == (
        "fakeloaded-cu12 has no fakeloaded.load_library() to load its libraries; install a matching one: "
        "pip install 'fakeloaded-cu12>=1.22.0,<1.23'"
    )


# --- on Python 3.9


def write_package(root: Path, distributor_init_text: str, provider_version: str) -> Path:
    """A package demo whose _distributor_init.py is the text given, beside a fake provider fakeprov."""
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "__init__.py").write_text("from . import _distributor_init  # noqa: F401\n", encoding="utf-8")
    (root / "demo" / "_distributor_init.py").write_text(distributor_init_text, encoding="utf-8")
    (root / "fakeprov").mkdir()
    (root / "fakeprov" / "__init__.py").write_text(f"__version__ = {provider_version!r}\n", encoding="utf-8")
    (root / "openblas").mkdir()
    (root / "openblas" / "__init__.py").write_text("__version__ = '0.3.31'\n", encoding="utf-8")
    (root / "fakeloaded").mkdir()  # loads nothing when imported: its load_library() does, as RAPIDS' libucx
    (root / "fakeloaded" / "__init__.py").write_text(
        "__version__ = '1.22.0'\n\ndef load_library():\n    print('load_library')\n", encoding="utf-8"
    )
    return root


@pytest.mark.parametrize("released", [False, True], ids=["written-now", "0.2.0-merged"])
def test_a_written_distributor_init_runs_on_python_3_9(tmp_path: Path, released: bool) -> None:
    """The helpers' annotations are evaluated when the functions are defined (no __future__ import in a
    consumer's file): they must be Python 3.9's. A 0.2.0 file (v2 helpers) merged with a provider's
    loader call runs its own call, then the v3 helpers' _call."""
    python = python39()
    text = render_distributor_init([FAKE, LOADER], RELEASED if released else "")
    root = write_package(tmp_path / "ok", text, "1.4")
    proc = subprocess.run(
        [python, "-c", "import demo; print('ok')"], cwd=root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["load_library", "ok"]
    root = write_package(tmp_path / "old", text, "1.1")
    proc = subprocess.run([python, "-c", "import demo"], cwd=root, capture_output=True, text=True, check=False)
    assert proc.stderr.strip().splitlines()[-1] == (
        "ImportError: demo needs fakeprov>=1.2,<2, but fakeprov 1.1 is installed; "
        "install a matching one with: pip install 'fakeprov>=1.2,<2'"
    )


def test_the_runtime_modules_import_on_python_3_9(tmp_path: Path) -> None:
    python = python39()
    for name in ("distributor_init", "shim", "preload"):
        shutil.copy(RUNTIME / f"{name}.py", tmp_path / f"{name}.py")
    code = "import distributor_init as d, shim, preload; print(d._release('1.2.0'), shim._EXTENSION == '', preload.merge(''))"
    proc = subprocess.run([python, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:3] == ["(1,", "2)", "True"]


def test_the_shim_loads_the_extension_on_python_3_9(tmp_path: Path) -> None:
    """The shim of a top-level extension module, on Python 3.9's own _json moved aside as repair moves one."""
    python = python39()
    found = subprocess.run(
        [python, "-c", "import _json; print(_json.__file__)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    original = Path(found)
    moved = f"_json.libwrap.{original.name.partition('.')[2]}"
    shutil.copy(original, tmp_path / moved)
    (tmp_path / "_json.py").write_text(render_shim(moved, []), encoding="utf-8")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import _json; "
        "print(_json.__file__, sys.modules['_json'] is _json, _json.encode_basestring_ascii('é'))"
    )
    proc = subprocess.run([python, "-S", "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(tmp_path / moved), "True", '"\\u00e9"']
