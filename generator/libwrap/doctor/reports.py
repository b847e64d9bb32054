"""The ``Report``: everything ``libwrap doctor`` found, as text for people and as JSON (schema 1), and
the reports of the Python API: ``report()`` and ``mapped_libraries()`` (running processes, this one by
default) and ``installed()`` (site directories, nothing imported)."""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .conflicts import Conflict, find_conflicts
from .libraries import Extension, Library, examine
from .names import family_label, looks_shared
from .owners import Owners
from .processes import Process, read_process, require_linux

__all__ = [
    "SCHEMA",
    "Report",
    "installed",
    "mapped_libraries",
    "mapped_report",
    "megabytes",
    "report",
    "shown_command",
]

SCHEMA = 1


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


def mapped_report(
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
    require_linux()
    processes = [read_process(pid) for pid in (pids or [os.getpid()])]
    owners = Owners(sys.path if pids is None else ())
    title = "libwrap doctor: " + (
        "this process" if pids is None else ", ".join(f"pid {p.pid} ({shown_command(p.argv)})" for p in processes)
    )
    return mapped_report("process", title, processes, owners, ask_system=ask_system)


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


def shown_command(argv: Sequence[str]) -> str:
    """ARGV as a shell would take it, for a report's title."""
    return shlex.join(argv) if argv else "?"
