"""A provider's facts, written once for each reader: ``libwrap.json`` for tools that must not import the
provider (``libwrap repair``, other providers' builds), the copy of libwrap's runtime module that the
package imports (``_libwrap.py``, the same facts as Python: no JSON to parse at import), the
``_distributor_init.py`` writer consumers' builds call (``_preload.py``), and ``stage.cmake`` for the
CMake half of the build."""

from __future__ import annotations

import json
import pprint
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from .._version import __version__
from ..providers import Provider

__all__ = ["RUNTIME_PLACEHOLDER", "build_manifest", "cmake_settings", "runtime_module", "write_metadata"]

#: The line of libwrap/runtime/provider.py that the copy in each wheel holds filled in.
RUNTIME_PLACEHOLDER = "MANIFEST: dict[str, object] = {}"


def build_manifest(
    *,
    package: str,
    version: str,
    requirement: str,
    library: str,
    sonames: Sequence[str],
    versioned_symbols: bool,
    link_name: str,
    pkgconfig: Sequence[str],
    cmake_package: str,
    requires: Sequence[str],
    dependencies: Sequence[str],
    upstream_soname: str = "",
    system_filter: str = "",
) -> dict[str, object]:
    """The facts of libwrap.json (schema 1; readers ignore keys they do not know)."""
    return {
        "schema": 1,
        "name": package,
        "version": version,
        "requirement": requirement,
        "preload": package,
        "library": library,
        "sonames": list(sonames),
        "versioned_symbols": versioned_symbols,
        "link_name": link_name,
        # for providers built on this one (libwrap new --requires): the main module first
        "pkgconfig": list(pkgconfig),
        "cmake_package": cmake_package,
        "requires": list(requires),
        # the requirement of each of "requires": what `import <package>` names when one is missing
        "dependencies": list(dependencies),
        # NAME_PREFER_SYSTEM_LIBRARY: the SONAME the system's copy has, and the filter that serves it
        # under a renamed SONAME (a path under the package; "" when the SONAME is not renamed)
        "upstream_soname": upstream_soname,
        "system_filter": system_filter,
    }


def runtime_module(facts: Mapping[str, object]) -> str:
    """The source of ``<package>/_libwrap.py``: libwrap's runtime module with FACTS filled in."""
    source = resources.files("libwrap.runtime").joinpath("provider.py").read_text(encoding="utf-8")
    if source.count(RUNTIME_PLACEHOLDER) != 1:  # pragma: no cover - a broken libwrap install
        msg = f"libwrap/runtime/provider.py must hold the line {RUNTIME_PLACEHOLDER!r} once"
        raise RuntimeError(msg)
    filled = "MANIFEST: dict[str, object] = " + pprint.pformat(dict(facts), width=110, sort_dicts=False)
    header = f"# Copied from libwrap {__version__} (libwrap/runtime/provider.py) by the build; rebuild to update.\n"
    return header + source.replace(RUNTIME_PLACEHOLDER, filled)


def write_metadata(out: Path, facts: Mapping[str, object]) -> None:
    """libwrap.json, _libwrap.py and _preload.py into OUT (created)."""
    from ..consumer.preload import writer_module

    out.mkdir(parents=True, exist_ok=True)
    (out / "libwrap.json").write_text(json.dumps(dict(facts), indent=2) + "\n", encoding="utf-8")
    (out / "_libwrap.py").write_text(runtime_module(facts), encoding="utf-8")
    sonames = facts["sonames"]
    provider = Provider(
        str(facts["name"]),
        str(facts["version"]),
        frozenset(map(str, sonames if isinstance(sonames, list) else [])),
        str(facts["requirement"]),
        str(facts["preload"]),
        "libwrap build",
    )
    (out / "_preload.py").write_text(writer_module(provider, __version__), encoding="utf-8")


def cmake_settings(values: Mapping[str, str]) -> str:
    """VALUES as CMake ``set()`` lines, each a bracket argument (no escape can change its meaning)."""
    for value in values.values():
        if "]==]" in value:
            msg = f"{value!r} cannot be written as a CMake bracket argument; remove ']==]' from it"
            raise ValueError(msg)
    return "".join(f"set({key} [==[{value}]==])\n" for key, value in values.items())
