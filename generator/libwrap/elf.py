"""Read what the dynamic loader sees in an ELF file (pyelftools): SONAME, DT_NEEDED, search paths."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import IO, Any

__all__ = ["DynamicInfo", "read_dynamic", "read_dynamic_stream"]


@dataclasses.dataclass(frozen=True)
class DynamicInfo:
    """The dynamic section of one ELF file."""

    machine: str
    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]


def read_dynamic_stream(stream: IO[bytes]) -> DynamicInfo | None:
    """DynamicInfo for an ELF stream, None when it is not an ELF file."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    if stream.read(4) != b"\x7fELF":
        return None
    stream.seek(0)
    try:
        elf = ELFFile(stream)
        soname: str | None = None
        needed: list[str] = []
        rpath: list[str] = []
        runpath: list[str] = []
        for section in elf.iter_sections():
            if not isinstance(section, DynamicSection):
                continue
            tag: Any  # pyelftools sets the per-tag attributes (soname, needed...) dynamically
            for tag in section.iter_tags():
                kind = tag.entry.d_tag
                if kind == "DT_SONAME":
                    soname = tag.soname
                elif kind == "DT_NEEDED":
                    needed.append(tag.needed)
                elif kind == "DT_RPATH":
                    rpath += tag.rpath.split(":")
                elif kind == "DT_RUNPATH":
                    runpath += tag.runpath.split(":")
        return DynamicInfo(str(elf["e_machine"]), soname, tuple(needed), tuple(rpath), tuple(runpath))
    except ELFError:
        return None


def read_dynamic(path: Path) -> DynamicInfo | None:
    with path.open("rb") as stream:
        return read_dynamic_stream(stream)
