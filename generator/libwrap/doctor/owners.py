"""Who ships a library file: the installed distribution whose RECORD lists it (``Owners``, one site
directory at a time), or the system package (dpkg or rpm) that installed it (``system_packages``)."""

from __future__ import annotations

import csv
import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from .names import looks_shared

__all__ = ["Owner", "Owners", "system_packages"]


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
