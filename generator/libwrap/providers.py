"""Who provides a SONAME: libwrap providers (their manifest), installed wheels that ship the file,
or a provider named on the command line (a distribution or a wheel file)."""

from __future__ import annotations

import dataclasses
import json
import keyword
import posixpath
import re
import reprlib
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

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
REBUILD = "rebuild the provider with libwrap"


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


@dataclasses.dataclass(frozen=True)
class _Found:
    """Where a manifest was found: the distribution that holds it, for messages and for what it may claim."""

    distribution: str
    version: str
    package: str  # the directory holding libwrap.json: the package the preload module must live in
    where: str  # "wheel FILE" or "installed in DIR"
    fix: str

    def error(self, problem: str) -> UsageError:
        return UsageError(
            f"the provider {self.distribution} ({self.where}) has a libwrap.json that {problem}; {self.fix}"
        )


_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 60


def _show(value: object) -> str:
    """VALUE for a message: short, and safe however deep a hostile manifest nests it."""
    return _SHOW.repr(value)


_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
# what pkg-config and CMake take as a module or package name (no separators, quotes or brackets)
_MODULE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")


def _string(data: dict[str, Any], key: str, found: _Found) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        msg = f"gives {key} as {_show(value)}, not a non-empty string"
        raise found.error(msg)
    return value


def _string_list(data: dict[str, Any], key: str, found: _Found) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        msg = f"gives {key} as {_show(value)}, not a list of non-empty strings"
        raise found.error(msg)
    return value


def _manifest(raw: str | bytes, found: _Found) -> dict[str, Any]:
    """The manifest RAW, checked: everything it claims is about the distribution FOUND that holds it."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        msg = "is not JSON (UTF-8)"
        raise found.error(msg) from None
    if not isinstance(data, dict) or not {"name", "version", "requirement", "sonames"} <= set(data):
        msg = "is not a libwrap manifest (an object with name, version, requirement and sonames)"
        raise found.error(msg)
    name = _string(data, "name", found)
    if not _NAME.fullmatch(name) or canonicalize_name(name) != canonicalize_name(found.distribution):
        msg = f"names the distribution {name!r}, not {found.distribution}"
        raise found.error(msg)
    version = _string(data, "version", found)
    try:
        own = Version(version)
        same = own == Version(found.version)
    except InvalidVersion:
        msg = f"gives the version {version!r}, which is not a PEP 440 version"
        raise found.error(msg) from None
    if not same:
        msg = f"gives the version {version}, but the distribution is {found.version}"
        raise found.error(msg)
    text = _string(data, "requirement", found)
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        msg = f"gives the requirement {text!r}, which does not parse"
        raise found.error(msg) from None
    if canonicalize_name(requirement.name) != canonicalize_name(found.distribution):
        msg = f"gives the requirement {text!r}, which names {requirement.name}, not {found.distribution}"
        raise found.error(msg)
    # what a consumer would declare as given: a marker or extras change when and what it installs
    for flaw, present in (
        ("an environment marker", requirement.marker is not None),
        ("a URL", bool(requirement.url)),
        ("extras", bool(requirement.extras)),
    ):
        if present:
            msg = f"gives the requirement {text!r}, which carries {flaw}"
            raise found.error(msg)
    if not requirement.specifier.contains(own, prereleases=True):
        msg = f"gives the requirement {text!r}, which its own version {version} does not satisfy"
        raise found.error(msg)
    for soname in _string_list(data, "sonames", found):
        if "/" in soname or "\\" in soname or "\0" in soname or soname in (".", ".."):
            msg = f"lists the SONAME {soname!r}, which is not a plain file name"
            raise found.error(msg)
    if not data["sonames"]:
        msg = "lists no SONAME, so it provides nothing"
        raise found.error(msg)
    preload = data.get("preload")
    if preload is not None:
        if not isinstance(preload, str) or not all(
            part.isidentifier() and not keyword.iskeyword(part) for part in preload.split(".")
        ):
            msg = f"gives preload as {_show(preload)}, not a dotted module name"
            raise found.error(msg)
        if preload != found.package and not preload.startswith(f"{found.package}."):
            msg = f"gives the preload module {preload}, which is outside its package {found.package}"
            raise found.error(msg)
    for dependency in _string_list(data, "requires", found):
        if not _NAME.fullmatch(dependency):
            msg = f"lists {dependency!r} in requires, which is not a distribution name"
            raise found.error(msg)
    for module in [
        *_string_list(data, "pkgconfig", found),
        *([data["cmake_package"]] if "cmake_package" in data else []),
    ]:
        if not isinstance(module, str) or not _MODULE_NAME.fullmatch(module):
            msg = f"gives the module name {_show(module)}, which pkg-config or CMake cannot take"
            raise found.error(msg)
    return data


def _from_manifest(raw: str | bytes, origin: str, found: _Found) -> Provider:
    """A provider from its libwrap.json; a broken or lying manifest is a UsageError naming the provider."""
    data = _manifest(raw, found)
    return Provider(
        distribution=found.distribution,
        version=str(data["version"]),
        sonames=frozenset(data["sonames"]),
        requirement=str(data["requirement"]),
        preload=str(data.get("preload") or found.package),
        origin=origin,
    )


def provider_from_wheel(path: Path) -> Provider:
    """A provider wheel given by path: its libwrap manifest, else the SONAMEs of its libraries."""
    wheel = read_wheel(path)
    for name, data in wheel.members.items():
        if name.endswith("/libwrap.json") and name.count("/") == 1:
            where = _Found(wheel.name, wheel.version, name.split("/")[0], f"wheel {path.name}", REBUILD)
            return _from_manifest(data, f"wheel {path.name}", where)
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
            found = _installed(dist, file)
            return _from_manifest(_read(found, Path(str(dist.locate_file(file)))), f"installed {name}", found)
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
    found = _installed(dist, manifest)
    path = Path(str(dist.locate_file(manifest)))
    raw = _read(found, path)
    provider = _from_manifest(raw, f"installed {name}", found)
    data = _manifest(raw, found)
    pkgconfig = tuple(data.get("pkgconfig") or [provider.distribution])
    cmake_package = str(data.get("cmake_package") or provider.distribution)
    return InstalledProvider(provider, path.parent, pkgconfig, cmake_package, tuple(data.get("requires", [])))


def _installed(dist: metadata.Distribution, manifest: metadata.PackagePath) -> _Found:
    name = str(dist.metadata["Name"])
    site = Path(str(dist.locate_file(""))).resolve()
    fix = f"reinstall it (pip install --force-reinstall {name}) or rebuild it with libwrap"
    return _Found(name, dist.version, manifest.parts[0], f"installed in {site}", fix)


def _read(found: _Found, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        msg = f"cannot be read ({exc.strerror})"
        raise found.error(msg) from None
