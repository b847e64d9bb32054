"""``libwrap doctor``: every native library a process maps, who ships each, and every library it holds
twice under different names (NumPy's and SciPy's OpenBLAS, their libgfortran...).

The machinery is pure functions over text and files: ``parse_maps`` reads ``/proc/<pid>/maps``,
``library_name``/``family_of``/``classify`` name and sort a file, ``find_conflicts`` groups the copies,
``Report`` renders text and JSON. Around them: run a command and collect what each of its processes
mapped (``runtime/doctor_hook.py`` reports from inside every Python process at exit; other processes
are sampled while they run), or scan the installed site directories without importing anything.

In-process use: ``libwrap.doctor.mapped_libraries()`` and ``libwrap.doctor.report()``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from .errors import UsageError

__all__ = [
    "HELP",
    "Conflict",
    "Extension",
    "Library",
    "MappedFiles",
    "Owner",
    "Owners",
    "Process",
    "Report",
    "classify",
    "configure_parser",
    "examine",
    "execute",
    "family_of",
    "find_conflicts",
    "installed",
    "library_name",
    "mapped_libraries",
    "parse_maps",
    "report",
    "run_command",
]

HELP = "list the native libraries a process maps, who ships each, and the libraries it holds more than one copy of"

SCHEMA = 1
KINDS = ("provider", "vendored", "wheel", "system", "extension")
# exit status of the import driver when a module fails: the error is in a file, not guessed from stderr
_IMPORT_FAILED = 97
_IMPORT_ERROR_ENV = "LIBWRAP_DOCTOR_IMPORT_ERROR"
_SAMPLE_SECONDS = 0.05
_REPORTING_EVERY = 20  # rounds between samples of a process whose hook will report at exit

# ---------------------------------------------------------------------------------------------------
# /proc/<pid>/maps

# address perms offset dev inode pathname; the pathname is padded on the left and may hold spaces
_MAPS_LINE = re.compile(
    r"^[0-9a-f]+-[0-9a-f]+[ \t]+\S+[ \t]+[0-9a-f]+[ \t]+[0-9a-f]+:[0-9a-f]+[ \t]+(\d+)[ \t]+(/[^\n]*)$", re.MULTILINE
)
_DELETED = " (deleted)"


@dataclasses.dataclass(frozen=True)
class MappedFiles:
    """The files a maps text names, each once, in order of first appearance."""

    paths: tuple[str, ...]
    deleted: tuple[str, ...]  # replaced or removed since they were mapped (pip upgraded them, memfd...)


def parse_maps(text: str) -> MappedFiles:
    """The files mapped in a ``/proc/<pid>/maps`` TEXT; lines that are not file mappings are skipped."""
    paths: dict[str, None] = {}
    deleted: dict[str, None] = {}
    # one pass over the text: a process with SciPy loaded maps thousands of lines, sampled many times
    for match in _MAPS_LINE.finditer(text):
        if match[1] == "0":
            continue
        # the kernel writes a newline in a path as \012
        path = match[2].replace("\\012", "\n")
        if path.endswith(_DELETED):
            deleted.setdefault(path[: -len(_DELETED)])
        else:
            paths.setdefault(path)
    return MappedFiles(tuple(paths), tuple(deleted))


# ---------------------------------------------------------------------------------------------------
# names and families

# libfoo.so, libfoo.so.1.2.3 (and OpenBLAS's old libopenblasp-r0-2ecf47d5.3.7.dev.so)
_SHARED = re.compile(r"\.so(?:\.[0-9][0-9A-Za-z.]*)?$")
# auditwheel's content hash, once per repair: libgfortran-040039e1-0352e75f.so.5.0.0
_HASHES = re.compile(r"(?:-[0-9a-f]{8})+$")
_HASHED = re.compile(r"-[0-9a-f]{8}(?:\.so|-)")
# OpenBLAS's Makefile names: libopenblasp-r0-2ecf47d5.3.7.dev (p: pthreads, r0: revision, commit, version)
_REVISION = re.compile(r"-r\d+-[0-9a-f]+(?:\..*)?$")
# OpenBLAS's LIBNAMEPREFIX (scipy-openblas) and LIBNAMESUFFIX (ILP64), libwrap's renamed SONAMEs
_PREFIXES = ("scipy_",)
_SUFFIXES = ("_pypi", "64_", "_ilp64")
_EXTENSION = re.compile(
    r".*\.(?:cpython-\d+[a-z]*-[^./]+|abi3|pypy\d+-pp\d+-[^./]+|pypy\d*-[^./]+|graalpy[^./]*)\.so"
    r"|(?!lib)[A-Za-z_][A-Za-z0-9_]*\.so"
)
_LOADER = re.compile(r"ld-linux[^/]*\.so\.\d+|ld64\.so\.\d+|ld-musl-[^/]*\.so\.1")
# Names of one library under several names; OpenMP runtimes are one family (mixing them is the classic
# conflict), each still named by its own runtime.
_ALIASES = {
    "openblasp": "openblas",
    "openblaso": "openblas",
    "openblas64": "openblas",
    "gomp": "openmp",
    "omp": "openmp",
    "omp5": "openmp",
    "iomp5": "openmp",
    "png16": "png",
    "png12": "png",
}
# What a library exports that says which library it is, whatever it is called (scipy_openblas_get_config64_)
_MARKERS = {b"openblas_get_config": "openblas", b"omp_get_num_threads": "openmp"}
# glibc's own pieces: one copy per process by construction, never a conflict worth reporting
_GLIBC = frozenset(
    {"c", "m", "dl", "pthread", "rt", "util", "resolv", "anl", "nsl", "mvec", "BrokenLocale", "thread_db"}
)
_LABELS = {"openblas": "OpenBLAS", "openmp": "OpenMP runtime"}


def library_name(file_name: str) -> str:
    """FILE_NAME as the library it is, whatever copy: libscipy_openblas64_-32a4b2a6.so -> openblas64..."""
    base = _SHARED.sub("", file_name)
    base = base.removeprefix("lib")
    base = _REVISION.sub("", base)
    base = _HASHES.sub("", base)
    for prefix in _PREFIXES:
        if base.startswith(prefix) and len(base) > len(prefix):
            base = base[len(prefix) :]
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if base.endswith(suffix) and len(base) > len(suffix):
                base, changed = base[: -len(suffix)], True
    return base or file_name


def family_of(file_name: str, markers: Iterable[str] = ()) -> tuple[str, str]:
    """(family, runtime) of a library file: the family from what it exports (MARKERS) where that says,
    else from its name; the runtime is its own name (gomp, omp, iomp5 in the OpenMP family)."""
    runtime = library_name(file_name)
    found = set(markers)
    # OpenBLAS first: a BLAS that carries its own OpenMP runtime is still that BLAS
    for family in _MARKERS.values():
        if family in found:
            return family, runtime
    return _ALIASES.get(runtime, runtime), runtime


def family_label(family: str) -> str:
    return _LABELS.get(family, family if family.startswith("lib") else f"lib{family}")


def never_conflicts(family: str) -> bool:
    return family in _GLIBC or family.startswith("nss_")


def is_extension(file_name: str) -> bool:
    """Whether FILE_NAME is a Python extension module's (never a library that conflicts)."""
    return _EXTENSION.fullmatch(file_name) is not None


def looks_shared(file_name: str) -> bool:
    """Whether FILE_NAME is named like a shared library or an extension module."""
    return _SHARED.search(file_name) is not None


def is_vendored_path(path: str) -> bool:
    """Whether PATH is a copy a repair tool grafted: under ``*.libs/`` (auditwheel) or ``.dylibs/``
    (delocate), or with auditwheel's hash in its name."""
    where = Path(path)
    parent = where.parent.name
    return parent.endswith(".libs") or parent == ".dylibs" or _HASHED.search(where.name) is not None


# ---------------------------------------------------------------------------------------------------
# owners


@dataclasses.dataclass(frozen=True)
class Owner:
    """The installed distribution a file belongs to."""

    distribution: str
    version: str
    site: str  # the site directory its RECORD is relative to (realpath)
    provider: bool  # a libwrap provider: it has a libwrap.json


class Owners:
    """Every installed distribution's files (RECORD) by real path, one site directory at a time: those
    given, and any other that a looked-up file lies in (a directory holding ``*.dist-info``)."""

    def __init__(self, sites: Iterable[str] = ()) -> None:
        self._files: dict[str, Owner] = {}
        self._indexed: dict[str, int] = {}  # site -> distributions in it
        self._is_site: dict[str, bool] = {}
        self.notes: list[str] = []
        for site in sites:
            self.index(site)

    @property
    def sites(self) -> list[str]:
        return list(self._indexed)

    @property
    def distributions(self) -> int:
        return sum(self._indexed.values())

    def index(self, site: str) -> None:
        from importlib import metadata

        real = os.path.realpath(site)
        if real in self._indexed or not Path(real).is_dir():
            return
        self._indexed[real] = 0
        self._is_site[real] = True
        for dist in metadata.distributions(path=[real]):
            meta = dist.metadata
            name, version = meta["Name"], meta["Version"]
            if not name:
                continue
            self._indexed[real] += 1
            # RECORD read as CSV: PackagePath objects for every file of SciPy cost more than the rest
            record = dist.read_text("RECORD")
            if record is not None:
                entries = [row[0] for row in csv.reader(record.splitlines()) if row]
            else:
                entries = [str(file) for file in dist.files or []]
            provider = any(e.count("/") == 1 and e.endswith("/libwrap.json") for e in entries)
            owner = Owner(str(name), str(version), real, provider)
            for entry in entries:
                if not looks_shared(entry.rpartition("/")[2]):
                    continue
                path = os.path.normpath(f"{real}/{entry}")
                # a data file installed outside the site (../../lib/libmkl_rt.so.2) may pass through a link
                self._files.setdefault(os.path.realpath(path) if entry.startswith("..") else path, owner)

    def files(self) -> dict[str, Owner]:
        """Every shared-library-like file the indexed distributions record, and its owner."""
        return dict(self._files)

    def site_of(self, path: str) -> str | None:
        """The site directory PATH lies in, if any (indexing it on the way)."""
        directory = str(Path(path).parent)
        while True:
            known = self._is_site.get(directory)
            if known is None:
                try:
                    with os.scandir(directory) as entries:
                        known = any(e.name.endswith((".dist-info", ".egg-info")) for e in entries)
                except OSError:
                    known = False
                self._is_site[directory] = known
                if known:
                    self.index(directory)
            if known:
                return directory
            parent = str(Path(directory).parent)
            if parent == directory:
                return None
            directory = parent

    def owner(self, path: str) -> Owner | None:
        self.site_of(path)
        return self._files.get(path)


def system_packages(paths: Sequence[str]) -> dict[str, str]:
    """The dpkg or rpm package that installed each of PATHS (those that have one), asked once for all."""
    candidates: dict[str, str] = {}
    for path in paths:
        # usrmerge: the package may list /lib/... for the /usr/lib/... file the loader mapped
        twins = [path, path.removeprefix("/usr")] if path.startswith("/usr/lib") else [path]
        if path.startswith("/lib"):
            twins.append(f"/usr{path}")
        for twin in twins:
            candidates.setdefault(twin, path)
    found: dict[str, str] = {}
    if not candidates:
        return found
    dpkg, rpm = shutil.which("dpkg-query"), shutil.which("rpm")
    try:
        if dpkg:
            proc = subprocess.run([dpkg, "-S", *candidates], capture_output=True, text=True, check=False, timeout=60)
            for line in proc.stdout.splitlines():
                # "libgfortran5:amd64: /usr/lib/x86_64-linux-gnu/libgfortran.so.5.0.0"
                packages, sep, file = line.partition(": ")
                if sep and file in candidates and not line.startswith("diversion"):
                    found.setdefault(candidates[file], packages.split(",")[0].strip().split(":")[0])
        elif rpm:
            names = list(candidates)
            proc = subprocess.run(
                [rpm, "-q", "--qf", "%{NAME}\\n", "-f", *names], capture_output=True, text=True, check=False, timeout=60
            )
            lines = proc.stdout.splitlines()
            if len(lines) == len(names):  # one line per file, "file ... is not owned by any package" for misses
                for name, line in zip(names, lines):
                    if " " not in line.strip() and line.strip():
                        found.setdefault(candidates[name], line.strip())
    except (OSError, subprocess.SubprocessError):
        return found
    return found


# ---------------------------------------------------------------------------------------------------
# libraries


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


# ELF constants: the section types and dynamic tags read here
_SHT_DYNAMIC, _SHT_DYNSYM, _DT_SONAME, _ET_EXEC = 6, 11, 14, 2


@dataclasses.dataclass(frozen=True)
class _Section:
    kind: int
    offset: int
    size: int
    link: int
    entsize: int


class _Broken(Exception):
    """A file that starts like ELF but whose tables point nowhere."""


class _RawElf:
    """The few tables of an ELF file that say what a library is (SONAME, exported names), read with
    struct straight from the section table: pyelftools parses every section header and costs ~13 ms a
    library, this a fraction of one, which is most of doctor's own time on a large environment."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        stream.seek(0, os.SEEK_END)
        self.file_size = stream.tell()
        header = self._read(0, 64)
        if header[:4] != b"\x7fELF" or header[4] not in (1, 2) or header[5] not in (1, 2):
            raise _Broken
        self.wide = header[4] == 2
        self.order = "<" if header[5] == 1 else ">"
        (self.elf_type,) = struct.unpack_from(self.order + "H", header, 16)
        if self.wide:
            (shoff,) = struct.unpack_from(self.order + "Q", header, 0x28)
            entsize, count, _ = struct.unpack_from(self.order + "HHH", header, 0x3A)
            layout, expected = "IIQQQQIIQQ", 64
        else:
            (shoff,) = struct.unpack_from(self.order + "I", header, 0x20)
            entsize, count, _ = struct.unpack_from(self.order + "HHH", header, 0x2E)
            layout, expected = "IIIIIIIIII", 40
        if count and entsize != expected:
            raise _Broken
        table = self._read(shoff, entsize * count)
        self.sections = []
        for fields in struct.iter_unpack(self.order + layout, table):
            _, kind, _, _, offset, size, link, _, _, each = fields
            self.sections.append(_Section(kind, offset, size, link, each))

    def _read(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0 or offset + size > self.file_size:
            raise _Broken
        self.stream.seek(offset)
        return self.stream.read(size)

    def data(self, section: _Section) -> bytes:
        return self._read(section.offset, section.size)

    def linked(self, section: _Section) -> bytes:
        if not 0 < section.link < len(self.sections):
            raise _Broken
        return self.data(self.sections[section.link])

    def first(self, kind: int) -> _Section | None:
        return next((s for s in self.sections if s.kind == kind), None)

    def soname(self) -> str | None:
        dynamic = self.first(_SHT_DYNAMIC)
        if dynamic is None:
            return None
        layout = self.order + ("qQ" if self.wide else "iI")
        data = self.data(dynamic)
        data = data[: len(data) - len(data) % struct.calcsize(layout)]
        for tag, value in struct.iter_unpack(layout, data):
            if tag == 0:  # DT_NULL ends the table
                break
            if tag == _DT_SONAME:
                strings = self.linked(dynamic)
                end = strings.find(b"\0", value)
                if value >= len(strings) or end < 0:
                    raise _Broken
                return strings[value:end].decode("utf-8", "surrogateescape")
        return None

    def exported(self, markers: Iterable[bytes]) -> set[bytes]:
        """Which MARKERS are part of a symbol the file defines and exports (.dynsym). The string table
        is searched first, so a library without any of them costs one section read."""
        dynsym = self.first(_SHT_DYNSYM)
        if dynsym is None:
            return set()
        strings = self.linked(dynsym)
        wanted: dict[int, bytes] = {}
        for marker in markers:
            at = strings.find(marker)
            while at >= 0:
                wanted[strings.rfind(b"\0", 0, at) + 1] = marker
                at = strings.find(marker, at + 1)
        if not wanted:
            return set()
        layout = self.order + ("IBBHQQ" if self.wide else "IIIBBH")
        size = struct.calcsize(layout)
        if dynsym.entsize != size:
            raise _Broken
        data = self.data(dynsym)
        found: set[bytes] = set()
        for entry in struct.iter_unpack(layout, data[: len(data) - len(data) % size]):
            name, info, other, index = entry[:4] if self.wide else (entry[0], *entry[3:6])
            # defined (not SHN_UNDEF), global or weak, default or protected visibility
            if name in wanted and index != 0 and info >> 4 in (1, 2) and other & 3 in (0, 3):
                found.add(wanted[name])
        return found


def exported_markers(path: str, markers: Iterable[bytes] = tuple(_MARKERS)) -> set[bytes]:
    """Which MARKERS are part of a symbol PATH defines and exports; none for a file that is not ELF."""
    try:
        with Path(path).open("rb") as stream:
            return _RawElf(stream).exported(markers)
    except (OSError, _Broken, struct.error):
        return set()


def _read_library(path: str) -> tuple[str | None, set[str]] | None:
    """(SONAME, marker families) of the shared library PATH; None when it is not ELF or an executable."""
    from .elf import read_dynamic

    try:
        with Path(path).open("rb") as stream:
            if stream.read(4) != b"\x7fELF":
                return None
            try:
                elf = _RawElf(stream)
                if elf.elf_type == _ET_EXEC:
                    return None
                return elf.soname(), {_MARKERS[m] for m in elf.exported(_MARKERS)}
            except (_Broken, struct.error):
                pass
        # tables this reader does not follow: pyelftools, libwrap's one full ELF reader, decides
        info = read_dynamic(Path(path))
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
        if path in skipped or path in libraries or path in extensions or _LOADER.fullmatch(name):
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


# ---------------------------------------------------------------------------------------------------
# conflicts


@dataclasses.dataclass(frozen=True)
class Conflict:
    """Two or more distinct files of one library family mapped in one process (or installed)."""

    family: str
    copies: tuple[str, ...]  # paths, largest first
    pids: tuple[int, ...]  # the processes that map them all; () in installed mode
    duplicated_bytes: int  # all but the largest copy
    runtimes: tuple[str, ...]  # distinct runtime names, when they differ (gomp and omp)
    identical: tuple[tuple[str, ...], ...]  # groups of byte-identical copies

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "label": family_label(self.family),
            "copies": list(self.copies),
            "pids": list(self.pids),
            "duplicated_bytes": self.duplicated_bytes,
            "runtimes": list(self.runtimes),
            "identical": [list(group) for group in self.identical],
        }


def _digest(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _identical(copies: Sequence[str], libraries: Mapping[str, Library]) -> tuple[tuple[str, ...], ...]:
    """Groups of byte-identical COPIES; only files of equal size are read."""
    by_size: dict[int, list[str]] = {}
    for path in copies:
        by_size.setdefault(libraries[path].size, []).append(path)
    groups: dict[str, list[str]] = {}
    for same in by_size.values():
        if len(same) > 1:
            for path in same:
                digest = _digest(path)
                if digest is not None:
                    groups.setdefault(digest, []).append(path)
    return tuple(tuple(group) for group in groups.values() if len(group) > 1)


def find_conflicts(scopes: Iterable[tuple[int, Iterable[str]]], libraries: Mapping[str, Library]) -> list[Conflict]:
    """The conflicts in each scope (a process's pid and mapped paths; pid 0: what is installed), the
    same set of copies reported once with every pid that maps it."""
    merged: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for pid, paths in scopes:
        families: dict[str, set[str]] = {}
        for path in paths:
            lib = libraries.get(path)
            if lib is not None and not never_conflicts(lib.family):
                families.setdefault(lib.family, set()).add(path)
        for family, copies in families.items():
            if len(copies) > 1:
                ordered = tuple(sorted(copies, key=lambda p: (-libraries[p].size, p)))
                merged.setdefault((family, ordered), []).append(pid)
    found: list[Conflict] = []
    for (family, ordered), pids in merged.items():
        runtimes = tuple(sorted({libraries[p].runtime for p in ordered}))
        found.append(
            Conflict(
                family=family,
                copies=ordered,
                pids=tuple(sorted({p for p in pids if p > 0})),
                duplicated_bytes=sum(libraries[p].size for p in ordered[1:]),
                runtimes=runtimes if len(runtimes) > 1 else (),
                identical=_identical(ordered, libraries),
            )
        )
    return sorted(found, key=lambda c: (-c.duplicated_bytes, c.family))


# ---------------------------------------------------------------------------------------------------
# processes


@dataclasses.dataclass(frozen=True)
class Process:
    """What one process mapped, and how we know: "exit report" (the hook, at exit), "sampled" (read
    while it ran), or "read" (a running process, once)."""

    pid: int
    argv: tuple[str, ...]
    exe: str | None
    source: str
    mapped: MappedFiles

    def to_json(self, libraries: Mapping[str, Library], conflicts: Sequence[Conflict]) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "argv": list(self.argv),
            "exe": self.exe,
            "source": self.source,
            "libraries": [p for p in self.mapped.paths if p in libraries],
            "deleted": list(self.mapped.deleted),
            "duplicated_bytes": sum(c.duplicated_bytes for c in conflicts if self.pid in c.pids),
        }


def _read_text(path: str) -> str | None:
    try:
        with Path(path).open(encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except OSError:
        return None


def _argv(pid: int) -> tuple[str, ...]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ()
    return tuple(os.fsdecode(part) for part in raw.split(b"\0")[:-1])


def _exe(pid: int) -> str | None:
    try:
        return str(Path(f"/proc/{pid}/exe").readlink())
    except OSError:
        return None


def read_process(pid: int) -> Process:
    """What the running process PID maps now."""
    maps = f"/proc/{pid}/maps"
    try:
        with Path(maps).open(encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except FileNotFoundError:
        msg = f"there is no process {pid} (no {maps}); give the pid of a running process"
        raise UsageError(msg) from None
    except PermissionError:
        msg = f"cannot read {maps} (permission denied); run libwrap doctor as that process's user or as root"
        raise UsageError(msg) from None
    return Process(pid, _argv(pid), _exe(pid), "read", parse_maps(text))


def _stat(pid: int) -> tuple[int, bytes] | None:
    """(parent pid, start time) of PID, None when it is gone. Read with os.read: the sampler reads every
    process's stat each round, and a file object costs several times more."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        raw = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = raw.rpartition(b")")[2].split()
    try:
        return int(fields[1]), fields[19]
    except (IndexError, ValueError):
        return None


class _Sampler:
    """Reads the maps of every process of a tree while it runs (what a process that cannot report at
    exit leaves us: a program that is not Python, a Python run with -I or -S, one ending in os._exit)."""

    def __init__(self, root: int, reports: Path | None = None) -> None:
        self.root = root
        self.reports = reports
        self.rounds = 0
        self.reporting: dict[tuple[int, str], bool] = {}
        self.known: dict[int, bytes] = {}  # pid -> start time, so a reused pid is not taken for ours
        self.images: dict[tuple[int, str], tuple[tuple[str, ...], dict[str, None], dict[str, None]]] = {}
        # between fork and exec a child still shows libwrap's own image: never take that for the command's
        self.own = _argv(os.getpid())

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        started: dict[int, bytes] = {}
        try:
            pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]  # noqa: PTH208 - names only, every round
        except OSError:
            return []
        for pid in pids:
            stat = _stat(pid)
            if stat is not None:
                parents[pid], started[pid] = stat
        ours = {pid for pid, start in self.known.items() if started.get(pid) == start}
        if self.root in started:
            ours.add(self.root)
        grown = True
        while grown:
            new = {pid for pid, parent in parents.items() if parent in ours and pid not in ours}
            ours |= new
            grown = bool(new)
        for pid in ours:
            self.known[pid] = started[pid]
        return sorted(ours)

    def _reports(self, pid: int, exe: str) -> bool:
        """Whether PID, running EXE, is a Python whose hook will report at exit (it said so at start)."""
        if self.reports is None:
            return False
        key = (pid, exe)
        # asked again until it says yes: the hook writes its file only once the interpreter has started
        if not self.reporting.get(key):
            self.reporting[key] = _read_text(str(self.reports / f"{pid}.started")) == exe
        return self.reporting[key]

    def sample(self) -> None:
        self.rounds += 1
        for pid in self._tree():
            argv = _argv(pid)
            exe = _exe(pid)
            if argv == self.own or exe is None:
                continue
            # a Python that will report needs no sampling; now and then all the same, in case of os._exit
            if self._reports(pid, exe) and self.rounds % _REPORTING_EVERY:
                continue
            text = _read_text(f"/proc/{pid}/maps")
            if not text:
                continue
            # keyed by executable too: an exec (pyenv's shim becoming python) starts a new image
            _, paths, deleted = self.images.setdefault((pid, exe), (argv, {}, {}))
            mapped = parse_maps(text)
            paths.update(dict.fromkeys(mapped.paths))
            deleted.update(dict.fromkeys(mapped.deleted))

    def processes(self) -> list[Process]:
        return [
            Process(pid, argv, exe, "sampled", MappedFiles(tuple(paths), tuple(deleted)))
            for (pid, exe), (argv, paths, deleted) in self.images.items()
        ]


def _hook_source() -> str:
    return (Path(__file__).parent / "runtime" / "doctor_hook.py").read_text(encoding="utf-8")


def _resolve_program(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        where = "" if os.sep in program else " on PATH"
        msg = f"{program}: no such command{where} (or it is not executable); check its name or give its full path"
        raise UsageError(msg)
    return found


@dataclasses.dataclass(frozen=True)
class Run:
    """What running a command left: its processes, its exit status, the sys.path its Pythons had."""

    processes: list[Process]
    status: int
    sys_path: list[str]
    import_error: str | None = None


def run_command(argv: Sequence[str], *, stdout_to_stderr: bool = False, env: Mapping[str, str] | None = None) -> Run:
    """Run ARGV with the exit hook on PYTHONPATH and sample its process tree while it runs."""
    from .runtime.doctor_hook import ENV

    program = _resolve_program(argv[0])
    with tempfile.TemporaryDirectory(prefix="libwrap-doctor-") as tmp:
        hook, reports = Path(tmp, "hook"), Path(tmp, "reports")
        hook.mkdir()
        reports.mkdir()
        (hook / "sitecustomize.py").write_text(_hook_source(), encoding="utf-8")
        error_file = Path(tmp, "import-error")
        environment = dict(os.environ if env is None else env)
        old = environment.get("PYTHONPATH")
        environment["PYTHONPATH"] = str(hook) + (os.pathsep + old if old else "")
        environment[ENV] = str(reports)
        environment[_IMPORT_ERROR_ENV] = str(error_file)
        try:
            child = subprocess.Popen([program, *argv[1:]], env=environment, stdout=2 if stdout_to_stderr else None)
        except OSError as exc:
            msg = f"{argv[0]}: cannot run it ({exc.strerror}); check that it is a program for this machine"
            raise UsageError(msg) from None
        sampler = _Sampler(child.pid, reports)
        status: int | None = None
        while status is None:
            sampler.sample()
            try:
                status = child.wait(timeout=_SAMPLE_SECONDS)
            except subprocess.TimeoutExpired:
                continue
            except KeyboardInterrupt:
                # the command got the interrupt too: report what it mapped once it is gone
                status = child.wait()
        reported: dict[int, Process] = {}
        sys_path: list[str] = []
        for report_file in sorted(reports.glob("*.json")):
            try:
                data = json.loads(report_file.read_text(encoding="ascii"))
                pid = int(data["pid"])
                maps = str(data["maps"])
                argv_seen = tuple(str(a) for a in data.get("argv") or ())
                exe = str(data["exe"]) if data.get("exe") else None
                sys_path += [str(p) for p in data.get("path") or () if isinstance(p, str)]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            reported[pid] = Process(pid, argv_seen, exe, "exit report", parse_maps(maps))
        import_error = _read_text(str(error_file)) if status == _IMPORT_FAILED else None
    sampled = [p for p in sampler.processes() if p.pid not in reported and p.mapped.paths]
    processes = sorted([*reported.values(), *sampled], key=lambda p: (p.pid, p.source))
    return Run(processes, status, list(dict.fromkeys(sys_path)), import_error)


# ---------------------------------------------------------------------------------------------------
# the report


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@dataclasses.dataclass
class Report:
    """Everything ``libwrap doctor`` found, as text (``text()``) or JSON (``to_json()``)."""

    mode: str  # "command", "import", "process", "installed"
    title: str
    libraries: dict[str, Library]
    extensions: dict[str, Extension]
    conflicts: list[Conflict]
    processes: list[Process] = dataclasses.field(default_factory=list)
    command: list[str] | None = None
    modules: list[str] | None = None
    exit_status: int | None = None
    sites: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def duplicated_bytes(self) -> int:
        """What the worst process holds twice (in installed mode: the disk the extra copies take)."""
        if self.mode == "installed":
            return sum(c.duplicated_bytes for c in self.conflicts)
        per_process = [sum(c.duplicated_bytes for c in self.conflicts if p.pid in c.pids) for p in self.processes]
        return max(per_process, default=0)

    def families(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for lib in sorted(self.libraries.values(), key=lambda lib: (lib.family, -lib.size, lib.path)):
            found.setdefault(lib.family, []).append(lib.path)
        return found

    def to_json(self) -> dict[str, Any]:
        in_conflict = {c.family for c in self.conflicts}
        by_owner: dict[tuple[str | None, str | None], list[Extension]] = {}
        for ext in self.extensions.values():
            by_owner.setdefault((ext.distribution, ext.version), []).append(ext)
        return {
            "schema": SCHEMA,
            "mode": self.mode,
            "command": self.command,
            "modules": self.modules,
            "exit_status": self.exit_status,
            "sites": self.sites,
            "processes": [p.to_json(self.libraries, self.conflicts) for p in self.processes],
            "libraries": [lib.to_json() for lib in sorted(self.libraries.values(), key=lambda lib: lib.path)],
            "extensions": [
                {"distribution": d, "version": v, "count": len(exts), "size": sum(e.size for e in exts)}
                for (d, v), exts in sorted(by_owner.items(), key=lambda item: (item[0][0] or "", item[0][1] or ""))
            ],
            "families": [
                {"family": family, "label": family_label(family), "copies": copies, "conflict": family in in_conflict}
                for family, copies in self.families().items()
            ],
            "conflicts": [c.to_json() for c in self.conflicts],
            "duplicated_bytes": self.duplicated_bytes,
            "notes": self.notes,
        }

    @staticmethod
    def _row(lib: Library) -> list[str]:
        return [megabytes(lib.size), lib.soname or "-", lib.owner, lib.kind, lib.shown_path]

    def _where(self, conflict: Conflict) -> str:
        if self.mode == "installed":
            return "installed"
        if len(conflict.pids) == 1:
            return f"mapped in one process (pid {conflict.pids[0]})"
        return f"mapped in each of {len(conflict.pids)} processes (pids {', '.join(map(str, conflict.pids))})"

    def _processes_line(self) -> str:
        if self.mode == "installed":
            return ""
        counts: dict[str, int] = {}
        for process in self.processes:
            counts[process.source] = counts.get(process.source, 0) + 1
        if not self.processes:
            return "no process reported at exit or lived long enough to be sampled"
        if len(self.processes) == 1:
            only = self.processes[0]
            name = Path(only.exe or (only.argv[0] if only.argv else "?")).name
            how = {"exit report": "reported at exit", "sampled": "sampled while it ran", "read": "read now"}
            return f"pid {only.pid} ({name}), {how.get(only.source, only.source)}"
        parts = [f"{n} {how}" for how, n in sorted(counts.items())]
        return f"{len(self.processes)} processes: {', '.join(parts)}"

    def _extensions_line(self) -> str:
        if not self.extensions:
            return ""
        by_owner: dict[str, int] = {}
        for ext in self.extensions.values():
            stdlib = "/lib-dynload/" in ext.path
            owner = (
                f"{ext.distribution} {ext.version}" if ext.distribution else "stdlib" if stdlib else "no distribution"
            )
            by_owner[owner] = by_owner.get(owner, 0) + 1
        top = sorted(by_owner.items(), key=lambda item: (-item[1], item[0]))
        listed = ", ".join(f"{owner}: {n}" for owner, n in top[:6]) + (", ..." if len(top) > 6 else "")
        return f"{_count(len(self.extensions), 'Python extension module')} ({listed}): not libraries, never a conflict"

    def _identical_line(self, group: Sequence[str]) -> str:
        names = {self.libraries[p].soname for p in group}
        # the loader takes a loaded SONAME for the file: identical copies under one SONAME never map twice
        once = "; one SONAME, so one process maps at most one of them" if len(names) == 1 and None not in names else ""
        return f"  byte-identical: {', '.join(self.libraries[p].shown_path for p in group)}{once}"

    def text(self) -> str:
        """The report for people: conflicts first, one line per file, then a summary line."""
        sections: list[tuple[str, list[list[str]], list[str]]] = []
        shown: set[str] = set()
        for conflict in self.conflicts:
            mixed = f" (mixed runtimes: {', '.join(conflict.runtimes)})" if conflict.runtimes else ""
            heading = (
                f"CONFLICT {family_label(conflict.family)}: {len(conflict.copies)} copies {self._where(conflict)}, "
                f"{megabytes(conflict.duplicated_bytes)} duplicated{mixed}"
            )
            rows = [self._row(self.libraries[path]) for path in conflict.copies]
            sections.append((heading, rows, [self._identical_line(g) for g in conflict.identical]))
            shown.update(conflict.copies)
        rest = sorted(
            (lib for lib in self.libraries.values() if lib.path not in shown),
            key=lambda lib: (lib.family, -lib.size, lib.path),
        )
        if rest and self.mode != "installed":
            heading = f"one copy each ({_count(len(rest), 'library', 'libraries')}):"
            sections.append((heading, [self._row(lib) for lib in rest], []))
        widths = [max((len(row[i]) for _, rows, _ in sections for row in rows), default=0) for i in range(4)]
        lines = [self.title]
        if self._processes_line():
            lines.append(self._processes_line())
        for heading, rows, after in sections:
            lines.append("")
            lines.append(heading)
            for row in rows:
                cells = [row[0].rjust(widths[0]), *(cell.ljust(width) for cell, width in zip(row[1:4], widths[1:4]))]
                lines.append(("  " + "  ".join([*cells, row[4]])).rstrip())
            lines += after
        extra = [
            *([self._extensions_line()] if self.extensions else []),
            *(
                [f"{_count(len(rest), 'other library', 'other libraries')}, one copy each (--json lists them)"]
                if rest and self.mode == "installed"
                else []
            ),
            *(f"note: {note}" for note in self.notes),
        ]
        if extra:
            lines.append("")
            lines += extra
        lines.append("")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        libraries = _count(len(self.libraries), "library", "libraries")
        things = f"{libraries} and {_count(len(self.extensions), 'extension module')}"
        if self.mode == "installed":
            scope = f"{things} installed"
        else:
            scope = f"{things} mapped in {_count(len(self.processes), 'process', 'processes')}"
        status = "" if self.exit_status is None else f"; the command exited {self.exit_status}"
        if not self.processes and self.mode != "installed":
            return (
                f"nothing seen: no process of the command reported at exit or lived long enough to be sampled{status}"
            )
        if not self.conflicts:
            return f"no conflict: {scope}, one copy of each library{status}"
        names = ", ".join(f"{family_label(c.family)} {len(c.copies)}" for c in self.conflicts)
        copies = sum(len(c.copies) for c in self.conflicts)
        fewer = len({c.family for c in self.conflicts})
        many = "s" * (len(self.conflicts) != 1)
        duplicated = "on disk" if self.mode == "installed" else "in memory"
        return (
            f"{len(self.conflicts)} conflict{many} ({names} copies): {copies} files where {fewer} would do, "
            f"{megabytes(self.duplicated_bytes)} duplicated {duplicated}; {scope}{status}"
        )


def _notes(processes: Sequence[Process]) -> list[str]:
    notes = []
    sampled = [p for p in processes if p.source == "sampled"]
    if sampled:
        names = ", ".join(f"{p.pid} ({Path(p.argv[0]).name if p.argv else '?'})" for p in sampled[:8])
        more = f" and {len(sampled) - 8} more" if len(sampled) > 8 else ""
        notes.append(
            f"{_count(len(sampled), 'process', 'processes')} did not report at exit and were sampled while they "
            f"ran: {names}{more} (not Python, Python with -I, -E or -S, or an exit through os._exit); "
            "a library loaded and unloaded between two samples, or a process shorter than one, is missed"
        )
    deleted = sorted({d for p in processes for d in p.mapped.deleted if looks_shared(Path(d).name)})
    if deleted:
        notes.append(
            f"{_count(len(deleted), 'mapped library', 'mapped libraries')} had been deleted or replaced since "
            f"loading (an upgrade while the process ran?), not examined: {', '.join(deleted[:4])}"
        )
    return notes


def _mapped_report(
    mode: str, title: str, processes: list[Process], owners: Owners, *, ask_system: bool = True, **fields: Any
) -> Report:
    paths: dict[str, None] = {}
    skip: set[str] = set()
    for process in processes:
        paths.update(dict.fromkeys(process.mapped.paths))
        if process.exe:
            skip.add(process.exe)
    libraries, extensions = examine(paths, owners, skip=skip, ask_system=ask_system)
    # the images of one pid before and after an exec are separate scopes: the loader starts afresh
    conflicts = find_conflicts([(p.pid, p.mapped.paths) for p in processes], libraries)
    return Report(
        mode,
        title,
        libraries,
        extensions,
        conflicts,
        processes=processes,
        notes=_notes(processes),
        **fields,
    )


def report(pids: Sequence[int] | None = None, *, ask_system: bool = True) -> Report:
    """What the running processes PIDS (default: this one) map, and their conflicts."""
    _require_linux()
    processes = [read_process(pid) for pid in (pids or [os.getpid()])]
    owners = Owners(sys.path if pids is None else ())
    title = "libwrap doctor: " + (
        "this process" if pids is None else ", ".join(f"pid {p.pid} ({_shell(p.argv)})" for p in processes)
    )
    return _mapped_report("process", title, processes, owners, ask_system=ask_system)


def mapped_libraries(pid: int | None = None) -> list[Library]:
    """Every native library process PID (default: this one) maps, extension modules left out."""
    return list(report(None if pid is None else [pid], ask_system=False).libraries.values())


def installed(paths: Sequence[str], *, ask_system: bool = False) -> Report:
    """Every shared library the distributions in the site directories PATHS ship (and any unrecorded
    file in their ``*.libs/``), nothing imported; a family with more than one file is a conflict."""
    owners = Owners(paths)
    files = set(owners.files())
    for site in owners.sites:
        # grafted copies nobody recorded still take disk and may still be loaded
        try:
            with os.scandir(site) as entries:
                dirs = [e.path for e in entries if e.is_dir() and e.name.endswith(".libs")]
        except OSError:
            dirs = []
        for directory in dirs:
            with os.scandir(directory) as entries:
                files.update(entry.path for entry in entries)
    candidates = sorted(p for p in files if Path(p).is_file())
    libraries, extensions = examine(candidates, owners, ask_system=ask_system)
    conflicts = find_conflicts([(0, list(libraries))], libraries)
    sites = owners.sites
    title = (
        f"libwrap doctor --installed: {len(sites)} site director{'ies' if len(sites) != 1 else 'y'}, "
        f"{owners.distributions} distributions, nothing imported"
    )
    return Report("installed", title, libraries, extensions, conflicts, sites=sites)


# ---------------------------------------------------------------------------------------------------
# the command line


def _require_linux() -> None:
    if not sys.platform.startswith("linux"):
        msg = (
            "libwrap doctor reads /proc: Linux only for now; on macOS, DYLD_PRINT_LIBRARIES=1 COMMAND "
            "lists what a command loads"
        )
        raise UsageError(msg)


def _shell(argv: Sequence[str]) -> str:
    return shlex.join(argv) if argv else "?"


_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_DRIVER = """\
import importlib, os, sys
for _name in {modules!r}:
    try:
        importlib.import_module(_name)
    except BaseException as _exc:
        with open(os.environ[{env!r}], "w", encoding="utf-8") as _f:
            _f.write(_name + "\\n" + type(_exc).__name__ + ": " + str(_exc))
        sys.exit({status})
"""


def import_command(python: str, modules: Sequence[str]) -> list[str]:
    """A command that imports MODULES in a fresh PYTHON, saying which one failed and why."""
    return [python, "-c", _DRIVER.format(modules=list(modules), env=_IMPORT_ERROR_ENV, status=_IMPORT_FAILED)]


def python_sys_path(python: str) -> list[str]:
    """The sys.path of the interpreter PYTHON, asked of it (it imports nothing but site)."""
    proc = subprocess.run(
        [python, "-c", "import json, sys; print(json.dumps(sys.path))"], capture_output=True, text=True, check=False
    )
    try:
        found = json.loads(proc.stdout)
    except ValueError:
        found = None
    if proc.returncode != 0 or not isinstance(found, list):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        msg = f"--python {python} does not run as a Python interpreter ({last}); give the path of one"
        raise UsageError(msg)
    return [str(p) for p in found]


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-i",
        "--import",
        dest="modules",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE (repeatable) in a fresh interpreter and report what it maps "
        "(default, with no command: the interpreter with nothing imported)",
    )
    parser.add_argument(
        "--installed",
        action="store_true",
        help="import nothing: read the site directories and report every library installed more than once",
    )
    parser.add_argument(
        "--path",
        dest="paths",
        action="append",
        default=[],
        metavar="DIR",
        help="with --installed: a site directory to read (repeatable; default: the interpreter's sys.path)",
    )
    parser.add_argument(
        "--python",
        metavar="PYTHON",
        help="the interpreter for -i and --installed (default: the one running libwrap)",
    )
    parser.add_argument(
        "--pid",
        dest="pids",
        type=int,
        action="append",
        default=[],
        metavar="PID",
        help="report what the running process PID maps now (repeatable)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="write one JSON document to stdout (a command's own standard output then goes to stderr)",
    )
    parser.add_argument(
        "argv",  # not "command": the top-level parser keeps the subcommand's name there
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARG...]",
        help="run COMMAND and report what each of its processes maps (Python processes report at exit, "
        "children included; other programs are sampled while they run)",
    )


def _interpreter(given: str | None) -> str:
    if given is None:
        return sys.executable
    found = shutil.which(given)
    if found is None:
        msg = f"--python {given}: no such interpreter; give the path of a Python executable"
        raise UsageError(msg)
    return found


def _checked(args: argparse.Namespace) -> tuple[str, list[str]]:
    """The mode the arguments ask for, and the command (after --), or a UsageError naming the clash."""
    command = list(args.argv)
    dashes = bool(command) and command[0] == "--"
    if dashes:
        command = command[1:]
    if dashes and not command:
        msg = "no command after --; write libwrap doctor -- COMMAND [ARG...]"
        raise UsageError(msg)
    if command and command[0].startswith("-") and not dashes:
        msg = f"unknown option {command[0]}; put the command to inspect after --"
        raise UsageError(msg)
    chosen = [
        name
        for name, given in (
            ("a command", bool(command)),
            ("-i", bool(args.modules)),
            ("--installed", args.installed),
            ("--pid", bool(args.pids)),
        )
        if given
    ]
    if len(chosen) > 1:
        msg = f"{' and '.join(chosen)} are different modes; give one of them"
        raise UsageError(msg)
    if args.paths and not args.installed:
        msg = "--path is for --installed; add --installed, or drop --path"
        raise UsageError(msg)
    if args.python is not None and (command or args.pids):
        msg = "--python is for -i and --installed; a command names its own interpreter"
        raise UsageError(msg)
    for module in args.modules:
        if not _MODULE.fullmatch(module):
            msg = f"-i {module!r} is not a module name; give a dotted name such as scipy.linalg"
            raise UsageError(msg)
    for pid in args.pids:
        if pid <= 0:
            msg = f"--pid {pid} is not a process id; give a positive number"
            raise UsageError(msg)
    for path in args.paths:
        if not Path(path).is_dir():
            msg = f"--path {path}: no such directory; give a site directory (a site-packages or a --target)"
            raise UsageError(msg)
    return (chosen[0] if chosen else "-i"), command


def build(args: argparse.Namespace) -> Report:
    """The report the parsed arguments ask for."""
    _require_linux()
    mode, command = _checked(args)
    if mode == "--installed":
        if args.paths:
            sites = list(args.paths)
        else:
            sites = sys.path if args.python is None else python_sys_path(_interpreter(args.python))
        return installed([s for s in sites if s and Path(s).is_dir()])
    if mode == "--pid":
        return report(args.pids)
    if mode == "a command":
        run = run_command(command, stdout_to_stderr=args.json)
        title = f"libwrap doctor -- {_shell(command)}"
        return _mapped_report(
            "command", title, run.processes, Owners(run.sys_path), command=command, exit_status=run.status
        )
    python = _interpreter(args.python)
    run = run_command(import_command(python, args.modules), stdout_to_stderr=args.json)
    if run.import_error is not None:
        name, _, error = run.import_error.partition("\n")
        first = (error.strip().splitlines() or ["it raised"])[0][:300]
        msg = f"import {name} failed in {python}: {first}; install it there, or check the module's name"
        raise UsageError(msg)
    what = f"import {', '.join(args.modules)}" if args.modules else "nothing imported"
    title = f"libwrap doctor: {python}, {what}"
    if run.status != 0:
        msg = f"{python} exited {run.status} before it could report; check that it runs: {python} -c pass"
        raise UsageError(msg)
    return _mapped_report("import", title, run.processes, Owners(run.sys_path), modules=list(args.modules))


def execute(args: argparse.Namespace) -> int:
    found = build(args)
    try:
        sys.stdout.write(json.dumps(found.to_json(), indent=2) + "\n" if args.json else found.text())
        sys.stdout.flush()
    except BrokenPipeError:
        # a reader that stopped early (| head): the rest goes nowhere, not into a traceback at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1 if found.conflicts else 0
