"""Who provides a SONAME: libwrap providers (their manifest), installed wheels that ship the file,
or a provider named on the command line (a distribution or a wheel file)."""

from __future__ import annotations

import dataclasses
import json
import posixpath
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

from .elf import read_dynamic
from .errors import UsageError
from .versions import compatible_requirement
from .wheelfile import read_wheel

__all__ = [
    "PRELOADING_DISTRIBUTIONS",
    "InstalledProvider",
    "Provider",
    "ProviderIndex",
    "installed_libwrap_provider",
    "provider_from_wheel",
]

# Distributions that load their own libraries when their top-level module is imported, and need an
# exact pin because their C++ ABI changes with every release.
PRELOADING_DISTRIBUTIONS = {"torch": "torch"}
EXACT_PIN = frozenset({"torch"})


@dataclasses.dataclass(frozen=True)
class Provider:
    """A distribution that ships some SONAMEs, and how a consumer gets them loaded."""

    distribution: str
    version: str
    sonames: frozenset[str]
    requirement: str
    # module whose import loads the libraries; None: load each file by path (never RTLD_GLOBAL)
    preload: str | None
    origin: str  # where it was found, for messages: "installed NAME", "wheel FILE", "libwrap build"

    @property
    def key(self) -> str:
        return str(canonicalize_name(self.distribution))


def _requirement(distribution: str, version: str) -> str:
    """What a consumer declares for a provider that has no libwrap manifest: the ABI range, or an
    exact pin for distributions whose ABI changes with every release."""
    return compatible_requirement(distribution, version, exact=canonicalize_name(distribution) in EXACT_PIN)


def _from_manifest(text: str | bytes, origin: str) -> Provider:
    """A provider from its libwrap.json; a broken manifest is a UsageError, not a traceback."""
    try:
        data = json.loads(text)
        name, version, requirement, sonames = (data[key] for key in ("name", "version", "requirement", "sonames"))
        if not isinstance(sonames, list):
            raise TypeError(sonames)
    except (ValueError, KeyError, TypeError):
        msg = (
            f"{origin}: libwrap.json is not a libwrap manifest (JSON with name, version, requirement and a sonames "
            "list); rebuild the provider with libwrap"
        )
        raise UsageError(msg) from None
    return Provider(
        distribution=str(name),
        version=str(version),
        sonames=frozenset(map(str, sonames)),
        requirement=str(requirement),
        preload=str(data.get("preload") or name),
        origin=origin,
    )


def provider_from_wheel(path: Path) -> Provider:
    """A provider wheel given by path: its libwrap manifest, else the SONAMEs of its libraries."""
    wheel = read_wheel(path)
    for name, data in wheel.members.items():
        if name.endswith("/libwrap.json") and name.count("/") == 1:
            return _from_manifest(data, f"wheel {path.name}")
    # libraries auditwheel grafted into <pkg>.libs/ are the wheel's private copies, not what it provides
    sonames = frozenset(
        info.soname
        for member, info in wheel.elf_files().items()
        if info.soname and not posixpath.dirname(member).endswith(".libs")
    )
    version = wheel.version
    dist = wheel.name
    if not sonames:
        msg = f"wheel {path.name} ships no shared library with a SONAME; it cannot provide one"
        raise UsageError(msg)
    preload = PRELOADING_DISTRIBUTIONS.get(str(canonicalize_name(dist)))
    return Provider(dist, version, sonames, _requirement(dist, version), preload, f"wheel {path.name}")


class ProviderIndex:
    """Maps SONAMEs to the distributions that provide them, installed or named explicitly."""

    def __init__(self, explicit: list[str] | None = None) -> None:
        self.explicit = [self._explicit(item) for item in explicit or []]
        self._installed: list[Provider] | None = None

    @staticmethod
    def _explicit(item: str) -> Provider:
        if item.endswith(".whl"):
            return provider_from_wheel(Path(item))
        try:
            dist = metadata.distribution(item)
        except metadata.PackageNotFoundError:
            msg = (
                f"--provider {item} is neither a wheel file nor an installed distribution; install it or pass its .whl"
            )
            raise UsageError(msg) from None
        found = _installed_provider(dist, only_known_sonames=False)
        if found is None:
            msg = f"--provider {item} ships no shared library with a SONAME; it cannot provide one"
            raise UsageError(msg)
        return found

    def installed(self) -> list[Provider]:
        if self._installed is None:
            seen: dict[str, Provider] = {}
            for dist in metadata.distributions():
                found = _installed_provider(dist, only_known_sonames=True)
                if found is not None:
                    seen.setdefault(found.key, found)
            self._installed = list(seen.values())
        return self._installed

    def lookup(self, soname: str) -> list[Provider]:
        """Providers of SONAME: an explicit one wins; otherwise every installed distribution that has it."""
        explicit = [p for p in self.explicit if soname in p.sonames]
        if explicit:
            return explicit[:1]
        return [p for p in self.installed() if soname in p.sonames]


def _installed_provider(dist: metadata.Distribution, *, only_known_sonames: bool) -> Provider | None:
    """A libwrap provider from its manifest, else any distribution shipping ELF libraries."""
    files = dist.files or []
    name = dist.metadata["Name"]
    for file in files:
        if file.name == "libwrap.json" and len(file.parts) == 2:
            text = Path(str(dist.locate_file(file))).read_text(encoding="utf-8")
            return _from_manifest(text, f"installed {name}")
    sonames: set[str] = set()
    for file in files:
        # a library's file name is its SONAME in wheels (no symlinks); the ELF header confirms it
        if ".so" not in file.name or file.name.endswith((".py", ".pyc")) or ".libs" in str(file.parent):
            continue
        if only_known_sonames and not file.name.startswith("lib"):
            continue
        path = Path(str(dist.locate_file(file)))
        info = read_dynamic(path) if path.is_file() else None
        if info is not None and info.soname == file.name:
            sonames.add(info.soname)
    if not sonames:
        return None
    version = dist.version
    preload = PRELOADING_DISTRIBUTIONS.get(str(canonicalize_name(name)))
    return Provider(name, version, frozenset(sonames), _requirement(name, version), preload, f"installed {name}")


@dataclasses.dataclass(frozen=True)
class InstalledProvider:
    """A libwrap provider installed in this Python: what another provider's build needs of it."""

    provider: Provider
    root: Path  # the package directory: include/, lib/, lib/pkgconfig/, lib/cmake/
    pkgconfig: tuple[str, ...]  # its .pc modules, the main one first
    cmake_package: str
    requires: tuple[str, ...] = ()  # the providers it is built on


def installed_libwrap_provider(name: str) -> InstalledProvider:
    """The libwrap provider NAME installed in this Python, from its libwrap.json."""
    import sys

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        dist = None
    manifest = (
        next((f for f in (dist.files or []) if f.name == "libwrap.json" and len(f.parts) == 2), None) if dist else None
    )
    if dist is None or manifest is None:
        msg = (
            f"the provider {name} is not installed in {sys.executable}; install it, or list it in the project's "
            "build-system.requires (libwrap new --requires does)"
        )
        raise UsageError(msg)
    path = Path(str(dist.locate_file(manifest)))
    text = path.read_text(encoding="utf-8")
    provider = _from_manifest(text, f"installed {name}")
    data = json.loads(text)
    pkgconfig = tuple(map(str, data.get("pkgconfig") or [provider.distribution]))
    cmake_package = str(data.get("cmake_package") or provider.distribution)
    return InstalledProvider(provider, path.parent, pkgconfig, cmake_package, tuple(map(str, data.get("requires", []))))
