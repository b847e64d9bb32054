"""`libwrap check` on synthetic wheels: a provided library must be declared and preloaded, and the
package must import its ``_distributor_init`` before its extensions (read from the code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from libwrap.check import problems
from libwrap.cli import main
from libwrap.preload import call_lines, render_distributor_init
from libwrap.providers import ProviderIndex
from libwrap.repair import _add_preloads
from libwrap.wheelfile import Wheel, read_wheel

from .synthetic import elf, make_wheel

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
BROKEN = [
    (
        "comment",
        "# from . import _distributor_init\nfrom ._core import f\n",
        (
            "demo/__init__.py does not load it first: it imports demo._core before _distributor_init; "
            "move `from . import _distributor_init` above that import (libwrap repair adds it first)"
        ),
    ),
    (
        "docstring",
        '"""Runs _distributor_init, in theory."""\n',
        (
            "demo/__init__.py does not load it first: it never imports _distributor_init; "
            "add `from . import _distributor_init` before its other imports (libwrap repair does)"
        ),
    ),
    (
        "dead-branch",
        "if False:\n    from . import _distributor_init\nfrom ._core import f\n",
        "demo/__init__.py does not load it first: it imports demo._core before",
    ),
    (
        "function",
        "def load():\n    from . import _distributor_init\n",
        "demo/__init__.py does not load it first: it never imports _distributor_init",
    ),
    (
        "extension-first",
        "from ._core import f\nfrom . import _distributor_init\n",
        "demo/__init__.py does not load it first: it imports demo._core before _distributor_init",
    ),
]


@pytest.mark.parametrize(("init", "words"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_init_must_import_distributor_init_before_extensions(tmp_path: Path, init: str, words: str) -> None:
    """Regression: check passed whenever '_distributor_init' appeared anywhere in __init__.py."""
    (problem,) = found(consumer(tmp_path, init, xprov_loader(tmp_path)), libwrap_provider(tmp_path))
    assert problem.startswith(PREFIX + words)


def test_a_pure_module_that_imports_an_extension_counts(tmp_path: Path) -> None:
    wheel = consumer(tmp_path, GOOD_INIT, xprov_loader(tmp_path), version_py="from ._core import V\n")
    assert found(wheel, libwrap_provider(tmp_path)) == [
        PREFIX + "demo/__init__.py does not load it first: it imports demo.version before _distributor_init; "
        "move `from . import _distributor_init` above that import (libwrap repair adds it first)"
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
    commented = consumer(tmp_path, GOOD_INIT, "# " + loader.replace("\n", "\n# "), requires="vendorlib")
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
    assert _add_preloads(wheel, {"demo": index.lookup(NEEDED)}) == ["demo/_distributor_init.py"]
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
    provider = libwrap_provider(tmp_path)
    wheel = consumer(tmp_path, "from ._core import f\nfrom . import _distributor_init\n", xprov_loader(tmp_path))
    assert main(["check", str(wheel), "--provider", str(provider)]) == 1
    out = capsys.readouterr().out
    assert "imports demo._core before _distributor_init" in out
    assert out.endswith(f"libwrap check: {wheel.name}: 1 problem(s)\n")
