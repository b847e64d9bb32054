"""Who provides a SONAME: libwrap providers (their manifest), installed wheels that ship the file,
or a provider named on the command line (a distribution or a wheel file)."""

from __future__ import annotations

import dataclasses
import json
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .elf import read_dynamic
from .errors import UsageError
from .wheelfile import read_wheel

__all__ = ["PRELOADING_DISTRIBUTIONS", "Provider", "ProviderIndex", "default_requirement"]

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
    origin: str  # "libwrap manifest", "installed files", "wheel file"

    @property
    def key(self) -> str:
        return str(canonicalize_name(self.distribution))


def default_requirement(distribution: str, version: str) -> str:
    """`==version` for ABI-unstable distributions (torch), else `>=version,<next major`."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return distribution
    if canonicalize_name(distribution) in EXACT_PIN:
        return f"{distribution}=={parsed.public}"
    major = parsed.release[0]
    upper = f"0.{parsed.release[1] + 1}" if major == 0 and len(parsed.release) > 1 else f"{major + 1}"
    return f"{distribution}>={parsed.public},<{upper}"


def _from_manifest(data: dict[str, object], origin: str) -> Provider:
    sonames = data.get("sonames")
    if not isinstance(sonames, list):
        msg = f"{origin}: libwrap.json has no sonames list; rebuild the provider with libwrap"
        raise UsageError(msg)
    return Provider(
        distribution=str(data["name"]),
        version=str(data["version"]),
        sonames=frozenset(map(str, sonames)),
        requirement=str(data["requirement"]),
        preload=str(data.get("preload") or data["name"]),
        origin=origin,
    )


def provider_from_wheel(path: Path) -> Provider:
    """A provider wheel given by path: its libwrap manifest, else the SONAMEs of its libraries."""
    wheel = read_wheel(path)
    for name, data in wheel.members.items():
        if name.endswith("/libwrap.json") and name.count("/") == 1:
            return _from_manifest(json.loads(data), f"wheel {path.name}")
    sonames = frozenset(
        info.soname for info in wheel.elf_files().values() if info.soname and ".libs/" not in info.soname
    )
    version = path.name.split("-")[1]
    dist = wheel.name
    if not sonames:
        msg = f"wheel {path.name} ships no shared library with a SONAME; it cannot provide one"
        raise UsageError(msg)
    preload = PRELOADING_DISTRIBUTIONS.get(str(canonicalize_name(dist)))
    return Provider(dist, version, sonames, default_requirement(dist, version), preload, f"wheel {path.name}")


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

    def by_distribution(self, name: str) -> Provider | None:
        key = canonicalize_name(name)
        return next((p for p in [*self.explicit, *self.installed()] if p.key == key), None)


def _installed_provider(dist: metadata.Distribution, *, only_known_sonames: bool) -> Provider | None:
    """A libwrap provider from its manifest, else any distribution shipping ELF libraries."""
    files = dist.files or []
    name = dist.metadata["Name"]
    for file in files:
        if file.name == "libwrap.json" and len(file.parts) == 2:
            data = json.loads(Path(str(dist.locate_file(file))).read_text(encoding="utf-8"))
            return _from_manifest(data, f"installed {name}")
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
    return Provider(name, version, frozenset(sonames), default_requirement(name, version), preload, f"installed {name}")
