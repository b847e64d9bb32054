"""The one writer of the files that load a consumer's providers first: ``<pkg>/_distributor_init.py``,
the module that stands in for a top-level extension module, and ``<provider>/_preload.py``.

The code those files run is ``libwrap.runtime``'s, as modules (linted, type-checked, unit-tested);
this module copies their text: ``distributor_init.py`` from its marker line on, under a header, with
one call per provider after it (``runtime.preload.merge_distributor_init``, the code a provider's
copy runs too); ``shim.py`` likewise, after those; ``preload.py`` whole, with a provider's helpers and
calls filled in.
"""

from __future__ import annotations

import ast
import functools
from importlib import resources

from ..providers import Provider
from ..pyliteral import python_literal
from ..runtime import preload as _runtime
from ..runtime.preload import HEADER, MARKER
from ..versions import clauses
from .imports import loads_provider

__all__ = [
    "HEADER",
    "MARKER",
    "SHIM_MARKER",
    "call_lines",
    "helpers",
    "merge_distributor_init",
    "render_distributor_init",
    "render_shim",
    "writer_module",
]

#: The line the top-level shim's loader starts with (libwrap/runtime/shim.py).
SHIM_MARKER = "# libwrap: the extension module itself, now that its libraries are loaded"
# The lines of the runtime modules that each copy holds filled in.
_EXTENSION_LINE = '_EXTENSION = ""'
_HELPERS_LINE = 'HELPERS = ""'
_CALLS_LINE = "CALLS: list[str] = []"

_SHIM_HEADER = '''"""Load the shared libraries the extension module {extension} links to, from the packages
that provide them, then that module under this module's name.

Written by libwrap repair: a top-level extension module has no package to import its providers first,
so this module takes its place (the extension's file name matches no extension suffix).
"""
'''


@functools.cache
def _runtime_source(name: str) -> str:
    """The text of libwrap/runtime/NAME, as the installed libwrap holds it."""
    return resources.files("libwrap.runtime").joinpath(name).read_text(encoding="utf-8")


def _broken(name: str, what: str) -> RuntimeError:  # pragma: no cover - a damaged libwrap install
    return RuntimeError(f"libwrap/runtime/{name} must hold {what} once; reinstall libwrap")


def _from_marker(name: str, marker: str) -> str:
    """The text of libwrap/runtime/NAME from the line MARKER on: what a consumer's file carries."""
    source = _runtime_source(name)
    if source.count(f"\n{marker}\n") != 1:  # pragma: no cover
        raise _broken(name, f"the line {marker!r}")
    return source[source.index(f"\n{marker}\n") + 1 :]


def _fill(name: str, text: str, line: str, value: str) -> str:
    """TEXT (from libwrap/runtime/NAME) with its placeholder LINE replaced by VALUE."""
    if text.count(f"\n{line}\n") != 1:  # pragma: no cover
        raise _broken(name, f"the line {line!r}")
    return text.replace(f"\n{line}\n", f"\n{value}\n", 1)


def helpers() -> str:
    """The helpers every ``_distributor_init.py`` carries: libwrap/runtime/distributor_init.py from
    its MARKER line on."""
    return _from_marker("distributor_init.py", MARKER)


def call_lines(provider: Provider) -> list[str]:
    """The lines of ``_distributor_init.py`` that load PROVIDER and check its version clauses."""
    checks = clauses(provider.requirement)
    if provider.preload and provider.loader:
        args = (provider.preload, provider.loader, provider.distribution, provider.requirement, checks)
        return [f"_call{python_literal(args)}"]
    if provider.preload:
        return [f"_import{python_literal((provider.preload, provider.distribution, provider.requirement, checks))}"]
    return [
        f"_load_by_path{python_literal((provider.distribution, soname, provider.requirement, checks))}"
        for soname in sorted(provider.sonames)
    ]


def merge_distributor_init(existing: str, calls: list[str]) -> str:
    """EXISTING ``_distributor_init.py`` text (may be empty) with libwrap's helpers, once, and each of
    CALLS it lacks as a line; unchanged when it has them all (see runtime.preload)."""
    return _runtime.merge_distributor_init(existing, calls, helpers())


def render_distributor_init(providers: list[Provider], existing: str = "") -> str:
    """``_distributor_init.py`` that loads PROVIDERS; keeps an existing file and adds what it lacks."""
    calls = [line for provider in providers if not loads_provider(existing, provider) for line in call_lines(provider)]
    return merge_distributor_init(existing, calls)


def render_shim(extension: str, providers: list[Provider]) -> str:
    """The Python module that stands in for the top-level extension module EXTENSION (its file name in
    the wheel, as consumer.analysis.shimmed_name gives it): loads PROVIDERS, then EXTENSION under its
    own name."""
    calls = [line for provider in providers for line in call_lines(provider)]
    head = merge_distributor_init(_SHIM_HEADER.format(extension=extension), calls)
    loader = _fill("shim.py", _from_marker("shim.py", SHIM_MARKER), _EXTENSION_LINE, f"_EXTENSION = {extension!r}")
    return f"{head}\n{loader}\n\n_load_extension()\n"


def _literal(text: str) -> str:
    """TEXT as a readable Python literal, "..." or '''...''' where that reads back exactly, else its repr."""
    for candidate in (f'"{text}"', f"'''{text}'''"):
        try:
            if "\\" not in text and ast.literal_eval(candidate) == text:
                return candidate
        except (SyntaxError, ValueError):
            continue
    return repr(text)


def writer_module(provider: Provider, libwrap_version: str) -> str:
    """Source of ``<provider>/_preload.py``: libwrap/runtime/preload.py with the helpers and PROVIDER's
    calls filled in, so that its ``merge(existing)`` adds PROVIDER's loader to a consumer's
    ``_distributor_init.py`` with the code libwrap repair runs (Python 3.9+, standard library only)."""
    source = _runtime_source("preload.py")
    calls = "".join(f"    {call!r},\n" for call in call_lines(provider))
    source = _fill("preload.py", source, _HELPERS_LINE, f"HELPERS = {_literal(helpers())}")
    source = _fill("preload.py", source, _CALLS_LINE, f"CALLS: list[str] = [\n{calls}]")
    header = (
        f"# Copied from libwrap {libwrap_version} (libwrap/runtime/preload.py) by the build of "
        f"{provider.distribution}; rebuild the provider to change it.\n"
    )
    return header + source
