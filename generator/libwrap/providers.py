"""Who provides a SONAME: libwrap providers (their manifest), installed wheels that ship the file,
or a provider named on the command line (a distribution or a wheel file); and, for library wheels
libwrap did not build, how their maintainers say consumers load and pin them (LIBRARY_WHEELS)."""

from __future__ import annotations

import dataclasses
import json
import keyword
import posixpath
import re
import reprlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .elf import read_dynamic
from .errors import UsageError
from .versions import Pin, compatible_requirement, pinned_requirement
from .wheelfile import Wheel, read_wheel

__all__ = [
    "LIBRARY_WHEELS",
    "InstalledProvider",
    "LibraryWheel",
    "Provider",
    "ProviderIndex",
    "installed_libwrap_provider",
    "installed_provider",
    "library_wheel",
    "provider_from_wheel",
    "wheel_manifest",
]

REBUILD = "rebuild the provider with libwrap"


@dataclasses.dataclass(frozen=True)
class LibraryWheel:
    """Library wheels that other wheels build against, shipped by maintainers who say how consumers load
    them and pin them: what libwrap repair declares and preloads for them, and check verifies."""

    #: Regular expression on the canonical distribution name; its named groups fill in MODULE.
    pattern: str
    #: The package a consumer imports first (``{group}`` from PATTERN); None: no Python code, load by path.
    module: str | None
    #: Its function that loads the libraries (``load_library``); None: importing MODULE loads them.
    loader: str | None
    #: The range a consumer declares (libwrap.versions.Pin).
    pin: Pin
    #: Whose advice the rule is, for messages.
    advice: str

    def import_package(self, distribution: str) -> str | None:
        match = re.fullmatch(self.pattern, str(canonicalize_name(distribution)))
        return None if match is None or self.module is None else self.module.format(**match.groupdict())


#: One entry per family, the first that matches wins; anything else gets the ABI rule (>=built,<next major).
LIBRARY_WHEELS = (
    LibraryWheel(
        "torch", "torch", None, "exact",
        "torch's C++ ABI changes with every release: extension projects pin torch==",
    ),
    LibraryWheel(
        r"scipy-openblas(?P<bits>32|64)", "scipy_openblas{bits}", None, "exact",
        "its maintainers ask every user but NumPy and SciPy for an exact pin (MacPython/openblas-libs#203); "
        "importing it loads the library",
    ),
    LibraryWheel(
        r"libucx-cu\d+", "libucx", "load_library", "minor",
        "RAPIDS' UCX consumers require the release they build against and cap the minor one "
        "(ucx-py-cu12 0.42: libucx-cu12>=1.15.0,<1.19)",
    ),
    LibraryWheel(
        r"lib(?P<name>rmm|kvikio|cudf|raft|cuvs|cugraph|cuml|ucxx|rapidsmpf)-cu\d+", "lib{name}", "load_library",
        "series", "RAPIDS pins its C++ libraries to one release series (rmm-cu12 26.10: librmm-cu12==26.10.*)",
    ),
    LibraryWheel(
        "rapids-logger", "rapids_logger", "load_library", "series",
        "RAPIDS pins it to one release series (librmm-cu12 26.10: rapids-logger==0.3.*)",
    ),
    LibraryWheel(
        r"nvidia-.+", None, None, "major",
        "NVIDIA's minor version compatibility: built with a 12.x toolkit, it runs with any later 12.x; the "
        "wheels hold no code, so the files are loaded by path",
    ),
)  # fmt: skip


def library_wheel(distribution: str) -> LibraryWheel | None:
    """The LIBRARY_WHEELS entry of DISTRIBUTION, if it has one."""
    name = str(canonicalize_name(distribution))
    return next((entry for entry in LIBRARY_WHEELS if re.fullmatch(entry.pattern, name)), None)


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
    #: the preload module's function that loads the libraries (RAPIDS' load_library); None: the import does
    loader: str | None = None
    #: whether REQUIREMENT is the range the provider states itself (a libwrap.json), not one libwrap derives
    stated: bool = False

    def range_source(self) -> str:
        """Whose range REQUIREMENT is, for messages."""
        if self.stated:
            return f"the range {self.distribution} {self.version} states (its get_requirement())"
        entry = library_wheel(self.distribution)
        if entry is not None:
            return f"the range its maintainers ask for: {entry.advice}"
        return "libwrap's rule for a library that states no range: this release or newer, below the next major"

    @property
    def key(self) -> str:
        return str(canonicalize_name(self.distribution))


def _foreign(
    distribution: str, version: str, sonames: frozenset[str], origin: str, read: Callable[[str], str | None]
) -> Provider:
    """A provider with no libwrap manifest: its maintainers' load path and range where LIBRARY_WHEELS
    knows them (and the wheel has that code: READ gives a file of it by path, None if absent), else the
    ABI range (>=built, below the next major) and its files loaded by path."""
    entry = library_wheel(distribution)
    if entry is None:
        return Provider(distribution, version, sonames, compatible_requirement(distribution, version), None, origin)
    requirement = pinned_requirement(distribution, version, entry.pin)
    module = entry.import_package(distribution)
    init = read(f"{module}/__init__.py") if module else None
    if module is None or init is None:
        return Provider(distribution, version, sonames, requirement, None, origin)
    if entry.loader is not None and not _defines(read, module, init, entry.loader):
        return Provider(distribution, version, sonames, requirement, None, origin)  # an older release without it
    return Provider(distribution, version, sonames, requirement, module, origin, entry.loader)


def _defines(read: Callable[[str], str | None], module: str, init: str, function: str) -> bool:
    """Whether the package MODULE (its __init__.py INIT) has FUNCTION: defined there, or imported there
    from a submodule that defines it (RAPIDS: ``from .load import load_library``)."""
    if re.search(rf"^def {re.escape(function)}\(|\bimport[^\n]*\b{re.escape(function)}\b", init, re.MULTILINE) is None:
        return False
    found = re.search(rf"^from \.(\w+) import[^\n]*\b{re.escape(function)}\b", init, re.MULTILINE)
    if found is None:
        return True
    source = read(f"{module}/{found.group(1)}.py")
    return source is not None and re.search(rf"^def {re.escape(function)}\(", source, re.MULTILINE) is not None


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
        stated=True,
    )


def _wheel_manifest_member(wheel: Wheel) -> tuple[str, bytes] | None:
    for name, data in wheel.members.items():
        if name.endswith("/libwrap.json") and name.count("/") == 1:
            return name, data
    return None


def wheel_manifest(wheel: Wheel) -> tuple[str, dict[str, Any]] | None:
    """The package holding WHEEL's libwrap.json and the manifest, checked as repair checks it (a
    UsageError naming what it claims wrongly); None when the wheel has none."""
    member = _wheel_manifest_member(wheel)
    if member is None:
        return None
    package = member[0].split("/")[0]
    where = _Found(wheel.name, wheel.version, package, f"wheel {wheel.path.name}", REBUILD)
    return package, _manifest(member[1], where)


def provider_from_wheel(path: Path) -> Provider:
    """A provider wheel given by path: its libwrap manifest, else the SONAMEs of its libraries."""
    wheel = read_wheel(path)
    member = _wheel_manifest_member(wheel)
    if member is not None:
        where = _Found(wheel.name, wheel.version, member[0].split("/")[0], f"wheel {path.name}", REBUILD)
        return _from_manifest(member[1], f"wheel {path.name}", where)
    # libraries auditwheel grafted into <pkg>.libs/ are the wheel's private copies, not what it provides
    sonames = frozenset(
        info.soname
        for member, info in wheel.elf_files().items()
        if info.soname and not posixpath.dirname(member).endswith(".libs")
    )
    if not sonames:
        msg = f"wheel {path.name} ships no shared library with a SONAME; it cannot provide one"
        raise UsageError(msg)

    def read(member: str) -> str | None:
        data = wheel.members.get(member)
        return None if data is None else data.decode("utf-8", "replace")

    return _foreign(wheel.name, wheel.version, sonames, f"wheel {path.name}", read)


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
    listed = {str(file) for file in files}

    def read(member: str) -> str | None:
        if member not in listed:
            return None
        try:
            return Path(str(dist.locate_file(member))).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    return _foreign(name, dist.version, frozenset(sonames), f"installed {name}", read)


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


def installed_provider(name: str) -> Provider:
    """The provider NAME installed in this Python: a libwrap provider from its libwrap.json, any other
    library wheel from its libraries (with its maintainers' range, LIBRARY_WHEELS)."""
    import sys

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        msg = (
            f"the provider {name} is not installed in {sys.executable}; install it, or list it in the project's "
            "build-system.requires"
        )
        raise UsageError(msg) from None
    found = _installed_provider(dist, only_known_sonames=False)
    if found is None:
        msg = f"{dist.metadata['Name']} {dist.version} is installed but ships no shared library with a SONAME; name the provider whose library the extensions link to"
        raise UsageError(msg)
    return found


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
