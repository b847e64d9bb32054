"""Conflicts: two or more distinct files of one library family in one process (or one environment),
the same set of copies reported once with every process that maps it, and which copies are identical."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .libraries import Library
from .names import family_label, never_conflicts

__all__ = ["Conflict", "find_conflicts"]


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
