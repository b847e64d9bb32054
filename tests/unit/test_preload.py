"""The consumer's preload (libwrap.consumer.imports and .preload): read from the code, version clauses
checked at import, and one writer of ``_distributor_init.py`` shared by ``libwrap repair`` and provider
wheels."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from libwrap.consumer.imports import (
    IMPORT_LINE,
    ensure_init_imports,
    imports_distributor_init_first,
    loads_no_extension,
    loads_provider,
    preload_unproven,
)
from libwrap.consumer.preload import (
    MARKER,
    call_lines,
    helpers,
    merge_distributor_init,
    render_distributor_init,
    writer_module,
)
from libwrap.providers import Provider

from ..helpers import ROOT, pyenv_pythons

OPENBLAS = Provider("openblas", "0.3.28", frozenset({"libopenblas.so.0"}), "openblas~=0.3.28", "openblas", "test")
VENDOR = Provider("vendorlib", "1.2.3", frozenset({"liba.so.1", "libb.so.2"}), "vendorlib>=1.2.3,<2", None, "test")
NUMPY_LIKE_LOADER = '"""docstring"""\ntry:\n    from . import _distributor_init_local\nexcept ImportError:\n    pass\n'

# NumPy's shape: only the else branch imports own modules
NUMPY_SHAPE = "if __NUMPY_SETUP__:\n    sys.stderr.write('setup')\nelse:\n    from . import _distributor_init\n    import pkg._core\n"

FIRST = [
    ("from . import _distributor_init\nfrom ._core import f\n", True),
    ("import pkg._distributor_init\nimport pkg._core\n", True),
    ("from pkg import _distributor_init\nfrom pkg import _core\n", True),
    ("from ._distributor_init import loaded\nfrom . import _core\n", True),
    ("from . import _distributor_init, _core\n", True),
    (
        '"""Doc."""\nfrom __future__ import annotations\nimport os\nimport numpy\nfrom . import _distributor_init\n',
        True,
    ),
    ("try:\n    from . import _distributor_init\nexcept ImportError:\n    raise\nfrom . import _core\n", True),
    ("try:\n    from . import _distributor_init\nfinally:\n    pass\nfrom . import _core\n", True),
    ("try:\n    import os\nexcept ImportError:\n    pass\nfinally:\n    from . import _distributor_init\n", True),
    ("with ctx():\n    from . import _distributor_init\nfrom . import _core\n", True),
    (
        "if a:\n    from . import _distributor_init\nelse:\n    import pkg._distributor_init\nfrom . import _core\n",
        True,
    ),
    ("if a:\n    raise ImportError\nfrom . import _distributor_init\nfrom . import _core\n", True),
    ("import os\nos.environ.setdefault('X', '1')\n__version__ = '1.0'\nfrom . import _distributor_init\n", True),
    ("from . import _distributor_init\nimport importlib\nimportlib.import_module('pkg._core')\n", True),
    (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._core import T\nfrom . import _distributor_init\n",
        True,
    ),
    ("import typing\nif typing.TYPE_CHECKING:\n    from . import _core\nfrom . import _distributor_init\n", True),
    ("def later():\n    from . import _core\nfrom . import _distributor_init\n", True),
    (
        "from typing import TYPE_CHECKING\nif not TYPE_CHECKING:\n    from . import _distributor_init\nfrom . import _core\n",
        True,
    ),
    # only words about it
    ('"""Imports _distributor_init first."""\nfrom ._core import f\n', False),
    ("# from . import _distributor_init\nfrom ._core import f\n", False),
    ("TEXT = 'from . import _distributor_init'\n", False),
    # dead or deferred code
    ("if False:\n    from . import _distributor_init\nfrom . import _core\n", False),
    ("if 0:\n    from . import _distributor_init\n", False),
    ("if TYPE_CHECKING:\n    from . import _distributor_init\n", False),
    ("def load():\n    from . import _distributor_init\nfrom . import _core\n", False),
    ("class Loader:\n    from . import _distributor_init\n", False),
    # an own module before it
    ("from . import _core\nfrom . import _distributor_init\n", False),
    ("from . import _core, _distributor_init\n", False),
    ("from ._core import f\nfrom . import _distributor_init\n", False),
    ("from ._core import *\nfrom . import _distributor_init\n", False),
    ("import pkg._core\nimport pkg._distributor_init\n", False),
    ("from pkg import _core\nfrom pkg import _distributor_init\n", False),
    ("from pkg._core import f\nfrom pkg import _distributor_init\n", False),
    ("if flag:\n    from . import _core\nelse:\n    from . import _distributor_init\n", False),
    ("from . import _distributor_init\n)", False),  # does not parse
    # on some paths only (regression: each passed, and NumPy's own shape is one of them)
    ("try:\n    from . import _distributor_init\nexcept ImportError:\n    pass\nfrom . import _core\n", False),
    ("import contextlib\nwith contextlib.suppress(ImportError):\n    from . import _distributor_init\n", False),
    (NUMPY_SHAPE, False),
    ("if flag:\n    from . import _distributor_init\n", False),
    ("for _ in x:\n    from . import _distributor_init\n", False),
    ("if not TYPE_CHECKING:\n    from . import _distributor_init\nfrom . import _core\n", False),  # unbound name
    ("TYPE_CHECKING = 0\nif TYPE_CHECKING:\n    from ._core import T\nfrom . import _distributor_init\n", False),
    # what loads an extension without an import statement (regression: each passed)
    ("import importlib\nimportlib.import_module('pkg._core')\nfrom . import _distributor_init\n", False),
    ("from importlib import import_module as load\nload('pkg._core')\nfrom . import _distributor_init\n", False),
    ("__import__('pkg._core')\nfrom . import _distributor_init\n", False),
    ("import importlib\nimportlib.__import__('pkg._core')\nfrom . import _distributor_init\n", False),
    ("exec('import pkg._core')\nfrom . import _distributor_init\n", False),
    ("getattr(__builtins__, '__import__')('pkg._core')\nfrom . import _distributor_init\n", False),
    ("import importlib.util as u\nu.find_spec('pkg._core')\nfrom . import _distributor_init\n", False),
    ("import sys\nsys.modules['pkg._distributor_init'] = sys\nfrom . import _distributor_init\n", False),
    ("import operator\noperator.methodcaller('import_module')\nfrom . import _distributor_init\n", False),
    ("def f():\n    import pkg._core\nf()\nfrom . import _distributor_init\n", False),
    ("def f():\n    import pkg._core\nimport atexit\natexit.register(f)\nfrom . import _distributor_init\n", False),
    ("def f():\n    import pkg._core\ng = [f]\ng[0]()\nfrom . import _distributor_init\n", False),
    ("class A:\n    import pkg._core\nfrom . import _distributor_init\n", False),
    ("def __getattr__(n):\n    return n\nfrom . import lazy\nfrom . import _distributor_init\n", False),
    ("_distributor_init = None\nfrom . import _distributor_init\n", False),
    ("from ._core import *\nfrom . import _distributor_init\n", False),
]


@pytest.mark.parametrize(("source", "first"), FIRST)
def test_distributor_init_must_be_the_first_own_import(source: str, first: bool) -> None:
    """Regression: a docstring, comment, dead branch or function body mentioning _distributor_init
    passed (substring test), and an extension imported before it went unnoticed."""
    assert imports_distributor_init_first(source, "pkg") is first


def numpy_files() -> dict[str, str | None]:
    """The installed NumPy's Python sources and extension modules, by path as in its wheel."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        pytest.skip("numpy is not installed")
    root = Path(spec.origin).parent
    files: dict[str, str | None] = {}
    for path in root.rglob("*"):
        name = path.relative_to(root.parent).as_posix()
        if path.suffix == ".py":
            files[name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".so":
            files[name] = None
    return files


def test_real_numpy_is_unproven_until_repair_puts_the_import_first() -> None:
    """NumPy imports _distributor_init only in the else of `if __NUMPY_SETUP__:`, after its pure-Python
    modules: nothing proves every path runs it, so repair adds the import at the top (a second import of
    it later is a no-op), and then it is proven; _core stays an extension, version stays harmless."""
    files = numpy_files()
    init = files["numpy/__init__.py"]
    assert init is not None
    problem = preload_unproven(init, "numpy", files)
    assert problem is not None
    assert problem.startswith("numpy/__init__.py line ")
    fixed = ensure_init_imports(init, "numpy", files)
    assert preload_unproven(fixed, "numpy", files) is None
    assert fixed.count(IMPORT_LINE) == 1
    assert fixed.replace(f"\n{IMPORT_LINE}\n", "", 1) == init
    assert fixed.index(IMPORT_LINE) < fixed.index("import os") < fixed.index("from . import _distributor_init\n")
    harmless = loads_no_extension(files)
    assert not harmless("numpy._core")
    assert harmless("numpy.version")


def test_numpy_with_the_import_first_still_imports(tmp_path: Path) -> None:
    """What repair makes of NumPy's __init__.py (the import at the top, its own one later a no-op) imports
    and works: the installed NumPy, linked file by file beside the rewritten __init__.py."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        pytest.skip("numpy is not installed")
    real = Path(spec.origin).parent
    copy = tmp_path / "numpy"
    copy.mkdir()
    for entry in real.iterdir():
        if entry.name != "__init__.py":
            (copy / entry.name).symlink_to(entry)
    fixed = ensure_init_imports(real.joinpath("__init__.py").read_text(encoding="utf-8"), "numpy", numpy_files())
    (copy / "__init__.py").write_text(fixed, encoding="utf-8")
    code = (
        "import numpy, sys; print(numpy.__file__, 'numpy._distributor_init' in sys.modules, int(numpy.arange(4).sum()))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(copy / "__init__.py"), "True", "6"]


def test_pure_modules_count_only_if_they_import_no_extension() -> None:
    files: dict[str, str | None] = {
        "pkg/__init__.py": "",
        "pkg/version.py": "VERSION = '1.0'\n",
        "pkg/_utils/__init__.py": "from ._text import f\n",
        "pkg/_utils/_text.py": "from .. import version\ndef f():\n    from pkg import _core\n",
        "pkg/helpers.py": "import os\nfrom pkg._utils import f\nfrom ._core import g\n",
        "pkg/loader.py": "import importlib\nimportlib.import_module('pkg._core')\n",
        "pkg/_core.cpython-311-x86_64-linux-gnu.so": None,
    }
    harmless = loads_no_extension(files)
    names = ("pkg.version", "pkg._utils", "pkg._utils._text", "pkg.helpers", "pkg.loader")
    assert [harmless(n) for n in names] == [True, True, True, False, False]
    assert not harmless("pkg._core")
    assert harmless("pkg.version.VERSION")  # a name, not a module
    init = "from .version import VERSION\nfrom . import _utils\nfrom . import _distributor_init\n"
    assert imports_distributor_init_first(init, "pkg", files)
    assert not imports_distributor_init_first(init, "pkg")  # without the files, any own module may be one
    assert preload_unproven("from . import helpers\n" + init, "pkg", files) == (
        "pkg/__init__.py line 1 imports pkg.helpers (pkg/helpers.py line 3 imports pkg._core, an extension "
        "module) before _distributor_init, so nothing proves the providers load first; move "
        "`from . import _distributor_init` above it (libwrap repair does)"
    )
    # a function imported from a pure module is the wheel's code: it may not run before the preload
    calls = "from ._utils import f\nf()\nfrom . import _distributor_init\n"
    assert "line 2 calls f, code of this wheel, before _distributor_init" in (
        preload_unproven(calls, "pkg", files) or ""
    )


LOADS = [
    ("import openblas\n", True),
    ("import openblas.lib as _lib\n", True),
    ("from openblas import get_library\n", True),
    ("try:\n    import openblas\nexcept ModuleNotFoundError:\n    raise\n", True),
    ("_import('openblas', 'openblas', 'openblas~=0.3.28', ())\n", True),
    ("import importlib\nimportlib.import_module('openblas')\n", True),
    ("x = [_import('openblas')]\n", True),
    ("# import openblas\n", False),
    ('"""Calls import openblas\n"""\n', False),
    ("TEXT = \"_import('openblas', 'openblas', 'openblas~=0.3.28', ())\"\n", False),
    ("if False:\n    import openblas\n", False),
    ("if TYPE_CHECKING:\n    import openblas\n", False),
    ("def load():\n    import openblas\n", False),
    ("load = lambda: _import('openblas')\n", False),
    ("import openblas_extra\n", False),
    ("from .openblas import x\n", False),
    ("_import('openblasx', 'openblas')\n", False),
    ("_import(name, 'openblas')\n", False),
]


@pytest.mark.parametrize(("loader", "loads"), LOADS)
def test_loader_imports_the_preload_module(loader: str, loads: bool) -> None:
    """Regression: 'import openblas\\n' anywhere in the text, a comment included, counted as loading it."""
    assert loads_provider(loader, OPENBLAS) is loads


BY_PATH = [
    ("_load_by_path('vendorlib', 'liba.so.1', 'r', ())\n_load_by_path('vendorlib', 'libb.so.2', 'r', ())\n", True),
    ("_load_by_path('VendorLib', 'liba.so.1')\nif True:\n    _load_by_path('vendorlib', 'libb.so.2')\n", True),
    ("_load_by_path('vendorlib', 'liba.so.1', 'r', ())\n", False),
    ("_load_by_path('vendorlib', 'liba.so.1')\n# _load_by_path('vendorlib', 'libb.so.2', 'r', ())\n", False),
    ("_load_by_path('other', 'liba.so.1')\n_load_by_path('other', 'libb.so.2')\n", False),
    ("def f():\n    _load_by_path('vendorlib', 'liba.so.1')\n    _load_by_path('vendorlib', 'libb.so.2')\n", False),
    ("import vendorlib\n", False),
]


@pytest.mark.parametrize(("loader", "loads"), BY_PATH)
def test_loader_loads_each_soname_by_path(loader: str, loads: bool) -> None:
    """Regression: the call was found as text, so a commented-out call counted."""
    assert loads_provider(loader, VENDOR) is loads


def test_libwrap_writes_what_it_recognises() -> None:
    for provider in (OPENBLAS, VENDOR):
        assert loads_provider(render_distributor_init([provider]), provider)
        assert not loads_provider(render_distributor_init([OPENBLAS if provider is VENDOR else VENDOR]), provider)


@pytest.mark.parametrize(
    "source",
    [
        '"""Mentions _distributor_init."""\nfrom ._core import f\n',
        '"""Doc."""\n\nfrom __future__ import annotations\n\nfrom ._core import f\nfrom . import _distributor_init\n',
        "from ._core import f\n",
        "# -*- coding: utf-8 -*-\n# licence header\n\nfrom ._core import f\n",
        '"""Doc."""',
        "",
    ],
)
def test_init_gets_the_import_first(source: str) -> None:
    """Regression: any mention of _distributor_init (a docstring, a late import) stopped the fix."""
    fixed = ensure_init_imports(source, "pkg")
    assert imports_distributor_init_first(fixed, "pkg")
    assert ensure_init_imports(fixed, "pkg") == fixed
    assert fixed.count(IMPORT_LINE) == 1
    # the docstring, __future__ imports and a leading comment block stay before it
    before = fixed.split(IMPORT_LINE)[0]
    assert all(part in before for part in ('"""', "from __future__", "# -*- coding") if part in source)
    assert [line for line in fixed.splitlines() if line.strip() and line != IMPORT_LINE] == [
        line for line in source.splitlines() if line.strip()
    ]


def test_init_that_imports_it_first_is_kept() -> None:
    source = '"""Doc."""\nimport os\n\nfrom . import _distributor_init  # noqa: F401\nfrom ._core import f\n'
    assert ensure_init_imports(source, "pkg") == source


def test_pure_modules_before_it_are_kept_when_known() -> None:
    source = "from . import version\nfrom . import _distributor_init\nfrom . import _core\n"
    files: dict[str, str | None] = {"pkg/version.py": "V = 1\n", "pkg/_core.so": None}
    assert ensure_init_imports(source, "pkg", files) == source
    assert ensure_init_imports(source, "pkg").startswith(IMPORT_LINE)


def run_loader(provider: Provider, installed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Execute the _distributor_init.py libwrap writes for PROVIDER with INSTALLED as its version."""
    module = types.ModuleType(provider.preload or "")
    module.__version__ = installed  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(render_distributor_init([provider]), "_distributor_init.py", "exec"), {"__name__": "demo._x"})  # noqa: S102


@pytest.mark.parametrize(
    ("requirement", "installed", "accepted"),
    [
        ("fakeprov~=0.3.28", "0.3.28", True),
        ("fakeprov~=0.3.28", "0.3.31", True),
        ("fakeprov~=0.3.28", "0.4.0", False),
        ("fakeprov~=0.3.28", "0.3.27", False),
        ("fakeprov~=0.3.28", "0.4.0rc1", False),
        ("fakeprov>=1.2.3,<2", "1.2.3", True),
        ("fakeprov>=1.2.3,<2", "1.9", True),
        ("fakeprov>=1.2.3,<2", "2.0.0", False),
        ("fakeprov>=1.2.3,<2", "1.2.2", False),
        ("fakeprov==2.13.0", "2.13.0+cpu", True),
        ("fakeprov==2.13.0", "2.13", True),
        ("fakeprov==2.13.0", "2.13.1", False),
        ("fakeprov==2.13.0", "2.12.9", False),
        ("fakeprov>1.0,<=1.5,!=1.3", "1.3.0", False),
        ("fakeprov>1.0,<=1.5,!=1.3", "1.4", True),
        ("fakeprov>1.0,<=1.5,!=1.3", "1.0", False),
        ("fakeprov>1.0,<=1.5,!=1.3", "1.5.1", False),
        ("fakeprov", "0.0.1", True),
    ],
)
def test_loader_checks_the_installed_version(
    monkeypatch: pytest.MonkeyPatch, requirement: str, installed: str, accepted: bool
) -> None:
    """Regression: ~= lost its upper bound (only >=, == and < were read), so 0.4.0 passed ~=0.3.28."""
    provider = Provider("fakeprov", "0", frozenset({"libfake.so.1"}), requirement, "fakeprov", "test")
    if accepted:
        run_loader(provider, installed, monkeypatch)
        return
    with pytest.raises(ImportError) as caught:
        run_loader(provider, installed, monkeypatch)
    assert str(caught.value) == (
        f"demo needs {requirement}, but fakeprov {installed} is installed; "
        f"install a matching one with: pip install '{requirement}'"
    )


def test_loader_by_path_checks_before_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path loader refuses a release outside the clauses without opening any file."""
    from importlib import metadata

    provider = Provider("fakedist", "0.3.28", frozenset({"libfake.so.1"}), "fakedist~=0.3.28", None, "test")
    monkeypatch.setattr(metadata, "version", lambda _: "0.4.0")
    monkeypatch.setattr(metadata, "files", lambda _: [])
    text = render_distributor_init([provider])
    with pytest.raises(ImportError, match=r"needs fakedist~=0\.3\.28, but fakedist 0\.4\.0 is installed"):
        exec(compile(text, "_distributor_init.py", "exec"), {"__name__": "demo._x"})  # noqa: S102
    monkeypatch.setattr(metadata, "version", lambda _: "0.3.30")
    with pytest.raises(ImportError, match=r"fakedist 0\.3\.30 has no libfake\.so\.1; reinstall it"):
        exec(compile(text, "_distributor_init.py", "exec"), {"__name__": "demo._x"})  # noqa: S102


def test_calls_carry_the_clauses() -> None:
    assert call_lines(OPENBLAS) == [
        '_import("openblas", "openblas", "openblas~=0.3.28", ((">=", (0, 3, 28)), ("<", (0, 4))))'
    ]
    assert call_lines(VENDOR) == [
        f'_load_by_path("vendorlib", "{name}", "vendorlib>=1.2.3,<2", ((">=", (1, 2, 3)), ("<", (2,))))'
        for name in ("liba.so.1", "libb.so.2")
    ]


def test_merge_is_idempotent_and_keeps_what_is_there() -> None:
    calls = call_lines(OPENBLAS)
    fresh = merge_distributor_init("", calls)
    assert fresh.startswith('"""Load the shared libraries')
    assert fresh.count(MARKER) == 1
    assert merge_distributor_init(fresh, calls) == fresh
    both = merge_distributor_init(fresh, call_lines(VENDOR))
    assert both.startswith(fresh)
    assert both.count(MARKER) == 1
    assert both.endswith("".join(f"{c}\n" for c in call_lines(VENDOR)))
    assert merge_distributor_init("x = 1", []) == "x = 1"
    numpy_like = merge_distributor_init(NUMPY_LIKE_LOADER, calls)
    assert numpy_like.startswith(NUMPY_LIKE_LOADER)
    assert numpy_like.count('"""docstring"""') == 1
    assert '"""Load the shared libraries' not in numpy_like


def test_older_helpers_get_the_new_ones_appended() -> None:
    """A file whose helpers take other arguments (another libwrap) keeps them for its own calls."""
    old = "# libwrap: load providers\ndef _import(module, distribution, requirement, minimum, below):\n    pass\n"
    merged = merge_distributor_init(old, call_lines(OPENBLAS))
    assert merged.startswith(old)
    assert merged.count(MARKER) == 1


def load_writer(provider: Provider, tmp_path: Path) -> types.ModuleType:
    """The generated _preload.py of PROVIDER, imported from a file as a provider wheel ships it."""
    path = tmp_path / f"{provider.distribution}_preload.py"
    path.write_text(writer_module(provider, "9.9.9"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("provider", [OPENBLAS, VENDOR], ids=["import", "by-path"])
def test_provider_writer_is_the_same_writer(provider: Provider, tmp_path: Path) -> None:
    """Regression: provider wheels wrote _distributor_init.py with a hand-kept copy of this code."""
    writer = load_writer(provider, tmp_path)
    text = writer.merge("")
    assert text == render_distributor_init([provider], "")
    assert writer.merge(text) == text
    merged = writer.merge(NUMPY_LIKE_LOADER)
    assert merged.startswith(NUMPY_LIKE_LOADER)
    assert merged == render_distributor_init([provider], NUMPY_LIKE_LOADER)
    assert loads_provider(merged, provider)
    other = VENDOR if provider is OPENBLAS else OPENBLAS
    assert writer.merge(render_distributor_init([other])) == render_distributor_init([other, provider])
    source = (tmp_path / f"{provider.distribution}_preload.py").read_text(encoding="utf-8")
    assert source.startswith("# Copied from libwrap 9.9.9 (libwrap/runtime/preload.py) by the build of ")
    assert writer.__all__ == ["merge"]


def test_generated_code_is_python_3_9(tmp_path: Path) -> None:
    """Consumers import _distributor_init.py, and providers _preload.py, on Python 3.9 and later."""
    for text in (writer_module(OPENBLAS, "1"), render_distributor_init([OPENBLAS, VENDOR]), helpers()):
        ast.parse(text, feature_version=(3, 9))
    python39 = pyenv_pythons()["3.9"]
    if python39 is None:
        return
    (tmp_path / "_preload.py").write_text(writer_module(OPENBLAS, "1"), encoding="utf-8")
    code = "import _preload; t = _preload.merge(''); compile(t, 'd.py', 'exec'); print(_preload.merge(t) == t)"
    proc = subprocess.run([python39, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"


def test_generated_writer_passes_ruff(tmp_path: Path) -> None:
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is not installed")
    path = tmp_path / "_preload.py"
    path.write_text(writer_module(VENDOR, "1"), encoding="utf-8")
    for command in (["check"], ["format", "--check"]):
        proc = subprocess.run([ruff, *command, "--isolated", str(path)], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", ["cmake", "meson"])
def test_committed_example_loaders_are_current(kind: str) -> None:
    """The example consumers' committed _distributor_init.py is what the writer makes of its calls today
    (the install layer also checks it against what the built provider writes)."""
    path = ROOT / "examples" / "openblas" / f"consumer-{kind}" / "src" / f"dgemm_{kind}" / "_distributor_init.py"
    text = path.read_text(encoding="utf-8")
    calls = [line for line in text.splitlines() if line.startswith(("_import(", "_load_by_path("))]
    assert calls
    assert text == merge_distributor_init("", calls)
