"""The consumer side of the preload: ``_distributor_init.py`` and the import that runs it first."""

from __future__ import annotations

import ast

from packaging.requirements import Requirement

from .providers import Provider

__all__ = ["MARKER", "ensure_init_imports", "loads_provider", "render_distributor_init"]

MARKER = "# libwrap: load providers"
IMPORT_LINE = "from . import _distributor_init  # noqa: F401  (libwrap: providers load before extensions)"

_HEADER = '''"""Load the shared libraries this package's extensions link to, from the packages that provide them.

Written by `libwrap repair`: imported first by __init__.py, before any extension module.
"""
'''

_HELPERS = f'''
{MARKER}
import os as _os


def _release(version):
    """Leading numeric release of a version string: '2.13.0+cpu' -> (2, 13, 0)."""
    parts = []
    for part in version.split("+")[0].split("."):
        digits = "".join(c for c in part if c.isdigit()) if part[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _check(distribution, version, minimum, below, requirement):
    """ImportError, not a crash, when the installed provider is outside the range we were built for."""
    have = _release(version)
    if have < minimum or (below and have >= below):
        raise ImportError(
            f"{{__name__.rpartition('.')[0]}} needs {{requirement}}, but {{distribution}} {{version}} is installed; "
            f"install a matching one with: pip install '{{requirement}}'"
        )


def _import(module, distribution, requirement, minimum, below):
    import importlib

    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.partition(".")[0]:
            raise  # the provider is there but failed: its own message says why
        raise ImportError(
            f"{{__name__.rpartition('.')[0]}} needs {{requirement}} ({{exc}}); install it with: pip install '{{requirement}}'"
        ) from exc
    version = getattr(loaded, "__version__", None)
    if version is None:
        from importlib import metadata

        version = metadata.version(distribution)
    _check(distribution, str(version), minimum, below, requirement)
    # libwrap providers can name themselves should an extension here need a symbol they lack
    getattr(loaded, "explain_missing_symbols", lambda *_: None)(__name__.rpartition(".")[0], requirement)


def _load_by_path(distribution, soname, requirement, minimum, below):
    """For providers that do not load their libraries themselves: find the file, load it RTLD_LOCAL."""
    import ctypes
    from importlib import metadata

    try:
        files = metadata.files(distribution) or []
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError as exc:
        raise ImportError(
            f"{{__name__.rpartition('.')[0]}} needs {{requirement}} ({{exc}}); install it with: pip install '{{requirement}}'"
        ) from exc
    _check(distribution, version, minimum, below, requirement)
    for file in files:
        if file.name == soname:
            ctypes.CDLL(str(file.locate()), mode=_os.RTLD_LOCAL)
            return
    raise ImportError(f"{{distribution}} {{version}} has no {{soname}}; reinstall it: pip install '{{requirement}}'")
'''


def _bounds(requirement: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The (minimum, below) release tuples of a requirement's >=, ==, < clauses; () where unbounded."""
    minimum: tuple[int, ...] = ()
    below: tuple[int, ...] = ()
    for spec in Requirement(requirement).specifier:
        release = tuple(int(p) for p in spec.version.split("+")[0].split(".") if p.isdigit())
        if spec.operator in (">=", "==", "~="):
            minimum = max(minimum, release)
        if spec.operator == "<":
            below = release
        if spec.operator == "==":
            below = (*release[:-1], release[-1] + 1) if release else ()
    return minimum, below


def _call(provider: Provider) -> list[str]:
    minimum, below = _bounds(provider.requirement)
    if provider.preload:
        args = (provider.preload, provider.distribution, provider.requirement, minimum, below)
        return [f"_import{args!r}"]
    return [
        f"_load_by_path{(provider.distribution, soname, provider.requirement, minimum, below)!r}"
        for soname in sorted(provider.sonames)
    ]


def loads_provider(loader: str, provider: Provider) -> bool:
    """Whether a ``_distributor_init.py`` text loads PROVIDER (written by libwrap or by the provider)."""
    if provider.preload:
        module = provider.preload
        return any(s in loader for s in (f"import {module}\n", f"import {module} ", f"_import({module!r},"))
    return all(f"_load_by_path({provider.distribution!r}, {s!r}," in loader for s in provider.sonames)


def render_distributor_init(providers: list[Provider], existing: str = "") -> str:
    """``_distributor_init.py`` that loads PROVIDERS; keeps an existing file and adds what it lacks."""
    calls = [line for provider in providers if not loads_provider(existing, provider) for line in _call(provider)]
    if not calls:
        return existing
    if MARKER in existing:
        return existing.rstrip("\n") + "\n" + "".join(f"{c}\n" for c in calls)
    head = existing if existing else _HEADER
    return head.rstrip("\n") + "\n" + _HELPERS + "\n\n" + "".join(f"{c}\n" for c in calls)


def ensure_init_imports(source: str) -> str:
    """Make ``__init__.py`` import ``_distributor_init`` before anything else (after the docstring
    and ``from __future__`` imports, which must stay first)."""
    if "_distributor_init" in source:
        return source
    tree = ast.parse(source)
    line = 0
    for node in tree.body:
        is_docstring = (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        )
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if (is_docstring and line == 0) or is_future:
            line = node.end_lineno or node.lineno
        else:
            break
    lines = source.splitlines(keepends=True)
    return "".join(lines[:line]) + ("\n" if line else "") + IMPORT_LINE + "\n" + "".join(lines[line:])
