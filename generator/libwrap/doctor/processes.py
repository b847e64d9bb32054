"""What processes map, read from ``/proc``: ``parse_maps`` reads a ``/proc/<pid>/maps`` text,
``read_process`` a running process once, and the ``Sampler`` every process of a tree while it runs."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from .conflicts import Conflict
    from .libraries import Library

__all__ = ["MappedFiles", "Process", "Sampler", "parse_maps", "read_process", "read_text", "require_linux"]

_REPORTING_EVERY = 20  # rounds between samples of a process whose hook will report at exit

# address perms offset dev inode pathname; the pathname is padded on the left and may hold spaces
_MAPS_LINE = re.compile(
    r"^[0-9a-f]+-[0-9a-f]+[ \t]+\S+[ \t]+[0-9a-f]+[ \t]+[0-9a-f]+:[0-9a-f]+[ \t]+(\d+)[ \t]+(/[^\n]*)$", re.MULTILINE
)
_DELETED = " (deleted)"


def require_linux() -> None:
    if not sys.platform.startswith("linux"):
        msg = (
            "libwrap doctor reads /proc: Linux only for now; on macOS, DYLD_PRINT_LIBRARIES=1 COMMAND "
            "lists what a command loads"
        )
        raise UsageError(msg)


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


def read_text(path: str) -> str | None:
    """The text of PATH, None when it cannot be read (gone, or never written)."""
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


class Sampler:
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
            self.reporting[key] = read_text(str(self.reports / f"{pid}.started")) == exe
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
            text = read_text(f"/proc/{pid}/maps")
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
