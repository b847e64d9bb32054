"""`libwrap check` on synthetic wheels: a provided library must be declared and preloaded, and the
package must import its ``_distributor_init`` before its extensions (read from the code)."""

from __future__ import annotations

import _json as json_extension
import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from libwrap.cli import main
from libwrap.consumer.check import problems
from libwrap.consumer.preload import call_lines, render_distributor_init, render_shim
from libwrap.consumer.repair import _add_preloads, _add_shims
from libwrap.errors import UsageError
from libwrap.providers import ProviderIndex
from libwrap.wheelfile import Wheel, read_wheel

from .synthetic import elf, make_wheel, tiny_elf

NEEDED = "libx.so.6"  # what the stand-in extension needs; as long as libc.so.6, which it replaces
EXTENSION = "demo/_core.cpython-311-x86_64-linux-gnu.so"
GOOD_INIT = '"""Demo."""\n\nfrom . import version\nfrom . import _distributor_init\nfrom ._core import f\n'


def libwrap_provider(tmp_path: Path) -> Path:
    """xprov 0.3.28, a libwrap provider of libx.so.6 loaded by `import xprov`."""
    manifest = {"name": "xprov", "version": "0.3.28", "requirement": "xprov~=0.3.28", "sonames": [NEEDED]}
    return make_wheel(
        tmp_path / "xprov-0.3.28-py3-none-manylinux_2_17_x86_64.whl",
        {"xprov/__init__.py": "", "xprov/libwrap.json": json.dumps(manifest), f"xprov/lib/{NEEDED}": elf()},
    )


def plain_provider(tmp_path: Path) -> Path:
    """vendorlib 1.2.3: a wheel that just ships libx.so.6, so consumers load it by path."""
    return make_wheel(
        tmp_path / "vendorlib-1.2.3-py3-none-manylinux_2_17_x86_64.whl", {f"vendorlib/{NEEDED}": elf(soname=NEEDED)}
    )


def consumer(
    tmp_path: Path, init: str, loader: str | None, *, requires: str = "xprov~=0.3.28", version_py: str = "V = 1\n"
) -> Path:
    """demo 1.0: its extension demo/_core needs libx.so.6."""
    members: dict[str, bytes | str] = {
        "demo/__init__.py": init,
        "demo/version.py": version_py,
        EXTENSION: elf(needed=NEEDED),
    }
    if loader is not None:
        members["demo/_distributor_init.py"] = loader
    return make_wheel(
        tmp_path / "demo-1.0-cp311-cp311-linux_x86_64.whl", members, requires=(requires,) if requires else ()
    )


def found(wheel: Path, provider: Path) -> list[str]:
    return problems(read_wheel(wheel), ProviderIndex([str(provider)]))


def xprov_loader(tmp_path: Path) -> str:
    index = ProviderIndex([str(libwrap_provider(tmp_path))])
    return render_distributor_init(index.lookup(NEEDED))


def test_a_preloaded_consumer_passes(tmp_path: Path) -> None:
    """The pure-Python demo.version may come before _distributor_init: it loads no extension."""
    provider = libwrap_provider(tmp_path)
    assert found(consumer(tmp_path, GOOD_INIT, xprov_loader(tmp_path)), provider) == []


PREFIX = f"{EXTENSION} needs {NEEDED} from xprov, but "
UNPROVEN = (
    "so nothing proves the providers load first; move `from . import _distributor_init` above it (libwrap repair does)"
)
BROKEN = [
    (
        "comment",
        "# from . import _distributor_init\nfrom ._core import f\n",
        f"demo/__init__.py line 2 imports demo._core, an extension module, before _distributor_init, {UNPROVEN}",
    ),
    (
        "docstring",
        '"""Runs _distributor_init, in theory."""\n',
        (
            "demo/__init__.py never imports _distributor_init, so nothing loads the providers first; "
            "add `from . import _distributor_init` at its top (libwrap repair does)"
        ),
    ),
    (
        "dead-branch",
        "if False:\n    from . import _distributor_init\nfrom ._core import f\n",
        (
            "demo/__init__.py line 3 imports demo._core, an extension module, before _distributor_init "
            f"(line 2 imports it only in a branch that never runs), {UNPROVEN}"
        ),
    ),
    (
        "function",
        "def load():\n    from . import _distributor_init\n",
        (
            "demo/__init__.py line 2 imports _distributor_init only inside a function, so nothing proves the providers "
            "load first; import it unconditionally at the top (libwrap repair does)"
        ),
    ),
    (
        "extension-first",
        "from ._core import f\nfrom . import _distributor_init\n",
        f"demo/__init__.py line 1 imports demo._core, an extension module, before _distributor_init, {UNPROVEN}",
    ),
    # regression: these passed check and failed to import (the install layer imports each of them)
    (
        "import-module",
        "import importlib\nimportlib.import_module('demo._core')\nfrom . import _distributor_init\n",
        f"demo/__init__.py line 2 calls importlib.import_module before _distributor_init, {UNPROVEN}",
    ),
    (
        "dunder-import",
        "__import__('demo._core')\nfrom . import _distributor_init\n",
        f"demo/__init__.py line 1 calls __import__ before _distributor_init, {UNPROVEN}",
    ),
    (
        "lazy-getattr",
        (
            "def __getattr__(name):\n    import importlib\n    return importlib.import_module('demo._core')\n"
            "from . import core\nfrom . import _distributor_init\n"
        ),
        (
            "demo/__init__.py line 4 imports core, no module of demo, through its __getattr__ (PEP 562) before "
            f"_distributor_init, {UNPROVEN}"
        ),
    ),
    (
        "one-branch",
        "import os\nif os.environ.get('X'):\n    from . import _distributor_init\nfrom ._core import f\n",
        (
            "demo/__init__.py line 4 imports demo._core, an extension module, before _distributor_init "
            f"(line 3 imports it only in one branch of an if), {UNPROVEN}"
        ),
    ),
    (
        "try-pass",
        "try:\n    from . import _distributor_init\nexcept ImportError:\n    pass\n",
        (
            "demo/__init__.py line 2 imports _distributor_init only inside a try whose except lets the module go on "
            "without it, so nothing proves the providers load first; import it unconditionally at the top"
        ),
    ),
]


@pytest.mark.parametrize(("init", "words"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_init_must_import_distributor_init_before_extensions(tmp_path: Path, init: str, words: str) -> None:
    """Regression: check passed whenever '_distributor_init' appeared anywhere in __init__.py, and later
    whenever no import statement of an own module came first (importlib, __import__, a branch)."""
    (problem,) = found(consumer(tmp_path, init, xprov_loader(tmp_path)), libwrap_provider(tmp_path))
    assert problem.startswith(PREFIX + words)


def test_a_pure_module_that_imports_an_extension_counts(tmp_path: Path) -> None:
    wheel = consumer(tmp_path, GOOD_INIT, xprov_loader(tmp_path), version_py="from ._core import V\n")
    assert found(wheel, libwrap_provider(tmp_path)) == [
        PREFIX + "demo/__init__.py line 3 imports demo.version (demo/version.py line 1 imports demo._core, an "
        f"extension module) before _distributor_init, {UNPROVEN}"
    ]


@pytest.mark.parametrize(
    "loader",
    ["# import xprov\n", '"""import xprov\n"""\n', "if False:\n    import xprov\n", "", None],
    ids=["comment", "docstring", "dead-branch", "empty", "missing"],
)
def test_loader_must_import_the_provider(tmp_path: Path, loader: str | None) -> None:
    """Regression: 'import xprov\\n' in a comment or string of _distributor_init.py counted as loading it."""
    wheel = consumer(tmp_path, GOOD_INIT, loader)
    assert found(wheel, libwrap_provider(tmp_path)) == [
        PREFIX + "demo/_distributor_init.py does not load it first: it does not import xprov; "
        "add the preload (libwrap repair writes it)"
    ]


def test_undeclared_provider(tmp_path: Path) -> None:
    wheel = consumer(tmp_path, GOOD_INIT, xprov_loader(tmp_path), requires="")
    assert found(wheel, libwrap_provider(tmp_path)) == [
        f"{EXTENSION} needs {NEEDED} from xprov, which the wheel does not declare; add Requires-Dist: xprov~=0.3.28"
    ]


def test_provider_loaded_by_path(tmp_path: Path) -> None:
    provider = plain_provider(tmp_path)
    index = ProviderIndex([str(provider)])
    (vendorlib,) = index.lookup(NEEDED)
    assert vendorlib.preload is None
    loader = render_distributor_init([vendorlib])
    assert call_lines(vendorlib)[0] in loader.splitlines()
    good = consumer(tmp_path, GOOD_INIT, loader, requires="vendorlib>=1.2.3,<2")
    assert found(good, provider) == []
    commented = consumer(tmp_path, GOOD_INIT, "# " + loader.replace("\n", "\n# "), requires="vendorlib>=1.2.3,<2")
    assert found(commented, provider) == [
        (
            f"{EXTENSION} needs {NEEDED} from vendorlib, but demo/_distributor_init.py does not load it first: "
            f"it does not load {NEEDED}; add the preload (libwrap repair writes it)"
        )
    ]


def test_repair_preload_step_satisfies_check(tmp_path: Path) -> None:
    """What repair writes into a bare consumer (no preload, extension imported first) passes check;
    a second run changes nothing."""
    provider = libwrap_provider(tmp_path)
    wheel = read_wheel(consumer(tmp_path, '"""Demo."""\nfrom ._core import f\n', None))
    index = ProviderIndex([str(provider)])
    assert _add_preloads(wheel, {"demo": index.lookup(NEEDED)}) == ["demo/_distributor_init.py", "demo/__init__.py"]
    assert problems(wheel, index) == []
    again = Wheel(wheel.path, dict(wheel.members))
    assert _add_preloads(again, {"demo": index.lookup(NEEDED)}) == []
    assert again.members == wheel.members


def test_repair_keeps_an_init_that_check_accepts(tmp_path: Path) -> None:
    """Pure-Python modules before _distributor_init pass check, so repair leaves __init__.py alone."""
    wheel = read_wheel(consumer(tmp_path, GOOD_INIT, None))
    index = ProviderIndex([str(libwrap_provider(tmp_path))])
    _add_preloads(wheel, {"demo": index.lookup(NEEDED)})
    assert wheel.members["demo/__init__.py"].decode() == GOOD_INIT


def test_check_command_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every problem on stdout; one line on stderr names the first, so a failing check reads as an error."""
    provider = libwrap_provider(tmp_path)
    wheel = consumer(tmp_path, "from ._core import f\nfrom . import _distributor_init\n", xprov_loader(tmp_path))
    assert main(["check", str(wheel), "--provider", str(provider)]) == 1
    captured = capsys.readouterr()
    problem = (
        PREFIX
        + f"demo/__init__.py line 1 imports demo._core, an extension module, before _distributor_init, {UNPROVEN}"
    )
    assert captured.out == f"libwrap check: {problem}\n"
    assert captured.err == f"libwrap check: error: {wheel.name} fails: {problem}\n"


def test_repair_fixes_every_pattern_check_refuses(tmp_path: Path) -> None:
    """What repair writes passes check for each __init__.py check cannot prove: the import goes first."""
    index = ProviderIndex([str(libwrap_provider(tmp_path))])
    for _, init, _ in BROKEN:
        wheel = read_wheel(consumer(tmp_path, init, xprov_loader(tmp_path)))
        _add_preloads(wheel, {"demo": index.lookup(NEEDED)})
        assert problems(wheel, index) == [], init
        body = ast.parse(wheel.members["demo/__init__.py"].decode()).body
        first = body[1] if isinstance(body[0], ast.Expr) and len(body) > 1 else body[0]
        assert ast.unparse(first) == "from . import _distributor_init", init


RUNPATHS = [
    (
        "/tmp/build/site-packages/xprov/lib",
        "is an absolute path, the build machine's, not where the wheel is installed",
    ),
    ("$ORIGIN/../../..", "leaves the directory the wheel is installed into"),
    ("$ORIGIN/../xprov/lib", "points into xprov/, another distribution's package, which may be installed elsewhere"),
    ("$ORIGIN/../elsewhere", "points to elsewhere, outside the wheel"),
    ("", "is empty: the loader reads it as the current directory"),
    ("$LIB/x", "is not relative to $ORIGIN, so it depends on the current directory or the system"),
]


@pytest.mark.parametrize(("entry", "why"), RUNPATHS, ids=["absolute", "escapes", "provider", "outside", "empty", "lib"])
@pytest.mark.parametrize("tag", ["runpath", "rpath"])
def test_search_paths_outside_the_wheel_fail(tmp_path: Path, entry: str, why: str, tag: str) -> None:
    """Regression: a consumer linked with a provider's `-Wl,-rpath,${libdir}` kept the build environment's
    site-packages in RUNPATH, and check passed it."""
    members: dict[str, bytes | str] = {
        "demo/__init__.py": GOOD_INIT,
        "demo/version.py": "V = 1\n",
        "demo/_distributor_init.py": xprov_loader(tmp_path),
        EXTENSION: tiny_elf(needed=(NEEDED, "libc.so.6"), **{tag: f"$ORIGIN/../demo.libs:{entry}"}),
        "demo.libs/libq-1a2b3c4d.so.1": tiny_elf(soname="libq.so.1", runpath="$ORIGIN"),
    }
    wheel = make_wheel(tmp_path / "demo-1.0-cp311-cp311-linux_x86_64.whl", members, requires=("xprov~=0.3.28",))
    assert found(wheel, libwrap_provider(tmp_path)) == [
        f"{EXTENSION} has the {tag.upper()} entry {entry!r}, which {why}; libwrap repair drops it"
    ]


def test_a_provider_wheel_is_held_to_the_same_rule(tmp_path: Path) -> None:
    """...and told to fix its build: repair is for consumers."""
    provider = make_wheel(
        tmp_path / "xprov-0.3.28-py3-none-linux_x86_64.whl",
        {"xprov/__init__.py": "", "xprov/_init.abi3.so": tiny_elf(needed=(NEEDED,), runpath="$ORIGIN/lib:/usr/local/lib"),
         f"xprov/lib/{NEEDED}": tiny_elf(soname=NEEDED), "xprov-0.3.28.dist-info/licenses/LICENSE": "MIT\n"},
        metadata=b"Metadata-Version: 2.4\nName: xprov\nVersion: 0.3.28\nLicense-File: LICENSE\n",
    )  # fmt: skip
    assert problems(read_wheel(provider), ProviderIndex()) == [
        (
            "xprov/_init.abi3.so has the RUNPATH entry '/usr/local/lib', which is an absolute path, the build machine's, "
            "not where the wheel is installed; build the library without it (libwrap's staging removes them)"
        )
    ]


def test_a_non_utf8_init_is_bad_input(tmp_path: Path) -> None:
    """Regression: check read __init__.py with errors replaced; Python cannot import it at all."""
    wheel = consumer(tmp_path, "", xprov_loader(tmp_path))
    contents = read_wheel(wheel)
    contents.members["demo/__init__.py"] = b"from . import _distributor_init  # caf\xe9\n"
    with pytest.raises(UsageError, match=r"demo/__init__.py is not text Python can read"):
        problems(contents, ProviderIndex([str(libwrap_provider(tmp_path))]))


TOP_LEVEL = "_demo_backend.cpython-311-x86_64-linux-gnu.so"
SHIMMED = "_demo_backend.libwrap.cpython-311-x86_64-linux-gnu.so"


def top_level_consumer(tmp_path: Path, members: dict[str, bytes | str] | None = None) -> Path:
    """demo 1.0 whose top-level extension module _demo_backend needs libx.so.6 (as cffi's _cffi_backend)."""
    return make_wheel(
        tmp_path / "demo-1.0-cp311-cp311-linux_x86_64.whl",
        {"demo/__init__.py": "", TOP_LEVEL: elf(needed=NEEDED), **(members or {})},
        requires=("xprov~=0.3.28",),
    )


def test_top_level_extension_goes_behind_a_shim(tmp_path: Path) -> None:
    """Nothing can import a provider before a top-level extension module: check says so, repair moves
    the module aside behind a Python module of its name that does, check then passes; again, no change."""
    provider = libwrap_provider(tmp_path)
    index = ProviderIndex([str(provider)])
    wheel = read_wheel(top_level_consumer(tmp_path))
    assert problems(wheel, index) == [
        (
            f"{TOP_LEVEL} needs {NEEDED} from xprov, but as a top-level extension module nothing imports xprov "
            f"before it; libwrap repair moves it to {SHIMMED} behind a module _demo_backend.py that does"
        )
    ]
    assert _add_shims(wheel, {TOP_LEVEL: index.lookup(NEEDED)}) == ["_demo_backend.py"]
    assert TOP_LEVEL not in wheel.members
    assert SHIMMED in wheel.members
    shim = wheel.members["_demo_backend.py"].decode()
    assert '_import("xprov", "xprov", "xprov~=0.3.28"' in shim
    assert problems(wheel, index) == []
    again = Wheel(wheel.path, dict(wheel.members))
    assert _add_shims(again, {SHIMMED: index.lookup(NEEDED)}) == []
    assert again.members == wheel.members
    # a shim that lost its provider import, or points elsewhere, is named
    for old, new, words in (
        ('_import("xprov"', 'print("xprov"', "it does not import xprov"),
        (SHIMMED, "other.so", f"it does not load {SHIMMED}"),
    ):
        wheel.members["_demo_backend.py"] = shim.replace(old, new).encode()
        assert problems(wheel, index) == [
            (
                f"{SHIMMED} needs {NEEDED} from xprov, but _demo_backend.py does not load it first: {words}; "
                "repair the wheel again"
            )
        ]
    del wheel.members["_demo_backend.py"]
    assert "_demo_backend.py, the module that loads it, is missing" in problems(wheel, index)[0]


def test_a_module_of_the_same_name_is_not_overwritten(tmp_path: Path) -> None:
    provider = libwrap_provider(tmp_path)
    index = ProviderIndex([str(provider)])
    wheel = read_wheel(top_level_consumer(tmp_path, {"_demo_backend.py": "X = 1\n"}))
    with pytest.raises(UsageError, match=r"both define the top-level module _demo_backend; remove _demo_backend\.py"):
        _add_shims(wheel, {TOP_LEVEL: index.lookup(NEEDED)})


def test_the_shim_imports_as_the_extension_itself(tmp_path: Path) -> None:
    """The shim a Python interpreter finds first loads the moved extension under the module's name:
    the standard library's _json, moved aside as repair moves a top-level extension."""
    original = Path(json_extension.__file__ or "")
    if original.suffix != ".so":
        pytest.skip("this interpreter's _json is built in")
    suffix = original.name.partition(".")[2]
    moved = f"_json.libwrap.{suffix}"
    shutil.copy(original, tmp_path / moved)
    (tmp_path / "_json.py").write_text(render_shim(moved, []), encoding="utf-8")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import _json; "
        "print(_json.__file__, _json.__spec__.origin == _json.__file__, sys.modules['_json'] is _json, "
        "_json.encode_basestring_ascii('é'))"
    )
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(tmp_path / moved), "True", "True", '"\\u00e9"']


DECLARED = [
    ("xprov~=0.3.28", None),
    ("xprov>=0.3.28,<0.3.30", None),
    ("xprov==0.3.28; sys_platform == 'linux'", None),
    ("xprov", "which sets no bound, where xprov~=0.3.28 is the range xprov 0.3.28 states (its get_requirement())"),
    ("xprov>=0.3", "which admits releases outside xprov~=0.3.28, the range xprov 0.3.28 states (its get_requirement())"),
    ("xprov>=0.3.28,<0.5", "which admits releases outside xprov~=0.3.28, the range xprov 0.3.28 states (its get_requirement())"),
    ("xprov>=0.3.29,<0.4", "which xprov 0.3.28, the provider it was built against, does not satisfy"),
]  # fmt: skip


@pytest.mark.parametrize(("declared", "why"), DECLARED)
def test_a_declared_requirement_must_lie_within_the_providers_range(
    tmp_path: Path, declared: str, why: str | None
) -> None:
    """Regression: check counted any Requires-Dist naming the provider, unbounded or across its ABI break
    (what a hand-written static dependency often is), as declaring it."""
    wheel = consumer(tmp_path, GOOD_INIT, xprov_loader(tmp_path), requires=declared)
    expected = [] if why is None else [
        (f"{EXTENSION} needs {NEEDED} from xprov, but the wheel declares Requires-Dist: {declared}, {why}; declare "
        "xprov~=0.3.28 where the project lists its dependencies ([project] dependencies, and the same range in "
        "build-system.requires), then build it again")
    ]  # fmt: skip
    assert found(wheel, libwrap_provider(tmp_path)) == expected


def loader_provider(tmp_path: Path) -> Path:
    """fakeucx-cu12 1.22.0, shaped like RAPIDS' libucx-cu12: its package loads nothing when imported;
    fakeucx.load_library() does."""
    return make_wheel(
        tmp_path / "libucx_cu12-1.22.0-py3-none-manylinux_2_28_x86_64.whl",
        {
            "libucx/__init__.py": "from .load import load_library\n",
            "libucx/load.py": "def load_library():\n    return []\n",
            f"libucx/lib/{NEEDED}": elf(soname=NEEDED),
        },
        metadata=b"Metadata-Version: 2.4\nName: libucx-cu12\nVersion: 1.22.0\nLicense-File: LICENSE\n",
    )


@pytest.mark.parametrize(
    ("loader", "passes"),
    [
        ('_call("libucx", "load_library", "libucx-cu12", "libucx-cu12>=1.22.0,<1.23", ())\n', True),
        ("import libucx\nlibucx.load_library()\n", True),  # what RAPIDS' own rmm writes
        ("import libucx\n", False),
        ('_import("libucx", "libucx-cu12", "libucx-cu12>=1.22.0,<1.23", ())\n', False),
        ("import libucx as u\nlibucx.load_library()\n", False),
    ],
)
def test_a_provider_with_its_own_loader_must_be_called(tmp_path: Path, loader: str, passes: bool) -> None:
    """Regression: importing libucx was taken for loading it; its libraries load only in load_library()."""
    provider = loader_provider(tmp_path)
    wheel = consumer(tmp_path, GOOD_INIT, loader, requires="libucx-cu12>=1.22.0,<1.23")
    expected = [] if passes else [
        (f"{EXTENSION} needs {NEEDED} from libucx-cu12, but demo/_distributor_init.py does not load it first: it does "
        "not call libucx.load_library(), which loads libucx-cu12's libraries; add the preload (libwrap repair writes it)")
    ]  # fmt: skip
    assert found(wheel, provider) == expected
