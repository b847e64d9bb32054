"""The build environment: the tools checked before anything is fetched, and what a library needs to
build against the providers it links to."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import StageError
from ..providers import installed_libwrap_provider
from ..tools import find_tool, require_build_tool, require_tool

__all__ = ["build_env", "preflight"]


def preflight(build_tools: Sequence[str] = (), build: str = "") -> None:
    """Checks that run before the library is fetched and built, so a missing tool costs seconds."""
    for name in build_tools:
        require_build_tool(name)
    if build == "meson" and importlib.util.find_spec("mesonbuild") is None:
        msg = (
            f"build = meson needs meson, which is not installed in {sys.executable}; list meson and ninja in the "
            "project's build-system.requires (libwrap new --build meson does)"
        )
        raise StageError(msg)
    if sys.platform.startswith("linux"):
        require_tool("patchelf", "rewrite the library's SONAME and RUNPATH")
    try:
        import elftools  # noqa: F401  (pyelftools reads every library staged)
    except ImportError:
        msg = f"pyelftools is missing from {sys.executable}; install it: {sys.executable} -m pip install pyelftools"
        raise StageError(msg) from None


def build_env(providers: Sequence[str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for building a library against PROVIDERS (installed here): their .pc files for
    pkg-config (meson, autoconf's PKG_CHECK_MODULES), headers and libraries for plain compiler and
    linker runs, prefixes for CMake's find_package. Values the user set are kept, after ours."""
    environ = dict(os.environ if environ is None else environ)
    # with the providers those are built on: the linker resolves libxml2's own DT_NEEDED libz too
    found: dict[str, Path] = {}
    pending = list(providers)
    while pending:
        name = pending.pop(0)
        if name not in found:
            dep = installed_libwrap_provider(name)
            found[name] = dep.root
            pending.extend(dep.requires)
    roots = list(found.values())

    def joined(key: str, values: list[str], sep: str) -> str:
        return sep.join([*values, *([environ[key]] if environ.get(key) else [])])

    env = {
        "PKG_CONFIG_PATH": joined("PKG_CONFIG_PATH", [str(r / "lib" / "pkgconfig") for r in roots], os.pathsep),
        "CPPFLAGS": joined("CPPFLAGS", [f"-I{r / 'include'}" for r in roots], " "),
        # -rpath-link: executables the build links (xsltproc) resolve the provider's DT_NEEDED there
        "LDFLAGS": joined(
            "LDFLAGS", [f for r in roots for f in (f"-L{r / 'lib'}", f"-Wl,-rpath-link,{r / 'lib'}")], " "
        ),
        "CMAKE_PREFIX_PATH": joined("CMAKE_PREFIX_PATH", [str(r) for r in roots], os.pathsep),
    }
    pkg_config = environ.get("PKG_CONFIG") or find_tool("pkg-config") or find_tool("pkgconf")
    if pkg_config:
        env["PKG_CONFIG"] = pkg_config
    return env
