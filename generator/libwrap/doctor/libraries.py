"""The native libraries among a set of files (``examine``): each with its SONAME (read through
``libwrap.elf``), its family, its owner and its kind (``classify``); extension modules counted apart."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..elf import ElfFormatError, read_dynamic, read_sections
from .names import MARKERS, family_of, is_extension, is_loader, is_vendored_path
from .owners import Owner, Owners, system_packages

__all__ = ["KINDS", "Extension", "Library", "classify", "examine"]

KINDS = ("provider", "vendored", "wheel", "system", "extension")


@dataclasses.dataclass(frozen=True)
class Library:
    """One native library file (not an extension module)."""

    path: str  # realpath
    soname: str | None
    size: int
    kind: str  # provider, vendored, wheel, system
    family: str
    runtime: str  # its own name within the family: gomp, omp, iomp5...
    distribution: str | None = None
    version: str | None = None
    site: str | None = None
    system_package: str | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def shown_path(self) -> str:
        """The path relative to its site directory when it lies in one."""
        if self.site and self.path.startswith(self.site.rstrip("/") + "/"):
            return self.path[len(self.site.rstrip("/")) + 1 :]
        return self.path

    @property
    def owner(self) -> str:
        if self.distribution:
            return f"{self.distribution} {self.version}"
        if self.system_package:
            return self.system_package
        return "-"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "soname": self.soname,
            "size": self.size,
            "kind": self.kind,
            "family": self.family,
            "runtime": self.runtime,
            "distribution": self.distribution,
            "version": self.version,
            "site": self.site,
            "relative_path": self.shown_path if self.site else None,
            "system_package": self.system_package,
        }


@dataclasses.dataclass(frozen=True)
class Extension:
    """A Python extension module: counted, never a conflict."""

    path: str
    size: int
    distribution: str | None
    version: str | None


def classify(path: str, soname: str | None, owner: Owner | None, *, in_site: bool = False) -> str:
    """The kind of the file PATH: extension, vendored (a grafted copy), provider (a libwrap provider's,
    or a library a distribution ships under its own SONAME, as libwrap repair takes a provider),
    wheel (anything else a distribution ships) or system (no distribution's)."""
    name = Path(path).name
    if is_extension(name):
        return "extension"
    if is_vendored_path(path):
        return "vendored"
    if owner is not None and (owner.provider or (name.startswith("lib") and soname == name)):
        return "provider"
    if owner is not None or in_site:
        return "wheel"
    return "system"


def _read_library(path: str) -> tuple[str | None, set[str]] | None:
    """(SONAME, marker families) of the shared library PATH; None when it is not ELF or an executable."""
    try:
        try:
            found = read_sections(Path(path), MARKERS)
        except ElfFormatError:
            # tables the section-table reader does not follow: pyelftools decides
            info = read_dynamic(Path(path))
        else:
            if found is None or found.elf_type == "ET_EXEC":
                return None
            return found.soname, {MARKERS[m] for m in found.exported}
    except OSError:
        return None
    if info is None or info.elf_type == "ET_EXEC":
        return None
    return info.soname, set()


def examine(
    paths: Iterable[str], owners: Owners, *, skip: Iterable[str] = (), ask_system: bool = True
) -> tuple[dict[str, Library], dict[str, Extension]]:
    """Libraries and extension modules among PATHS (realpaths); the loader, SKIP (executables) and
    files that are not ELF left out. System libraries are named by their dpkg/rpm package, asked once."""
    skipped = set(skip)
    libraries: dict[str, Library] = {}
    extensions: dict[str, Extension] = {}
    for path in paths:
        name = Path(path).name
        if path in skipped or path in libraries or path in extensions or is_loader(name):
            continue
        try:
            size = Path(path).stat().st_size
        except OSError:
            continue
        owner = owners.owner(path)
        site = owner.site if owner else owners.site_of(path)
        if is_extension(name):
            extensions[path] = Extension(path, size, *((owner.distribution, owner.version) if owner else (None, None)))
            continue
        read = _read_library(path)
        if read is None:
            continue
        soname, markers = read
        family, runtime = family_of(name, markers)
        libraries[path] = Library(
            path=path,
            soname=soname,
            size=size,
            kind=classify(path, soname, owner, in_site=site is not None),
            family=family,
            runtime=runtime,
            distribution=owner.distribution if owner else None,
            version=owner.version if owner else None,
            site=site,
        )
    if ask_system:
        system = [lib.path for lib in libraries.values() if lib.kind == "system"]
        for path, package in system_packages(system).items():
            libraries[path] = dataclasses.replace(libraries[path], system_package=package)
    return libraries, extensions
