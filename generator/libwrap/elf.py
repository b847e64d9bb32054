"""Read what the dynamic loader sees in an ELF file (pyelftools): the one ELF reader of libwrap, used
by the provider build (staging) and by ``repair``/``check`` alike."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path
from typing import IO, Any

__all__ = [
    "DynamicInfo",
    "ElfFormatError",
    "defined_symbol_type",
    "has_symbol_versions",
    "read_dynamic",
    "read_dynamic_stream",
]


class ElfFormatError(Exception):
    """A file that starts like ELF but cannot be parsed."""


@dataclasses.dataclass(frozen=True)
class DynamicInfo:
    """The header facts and the dynamic section of one ELF file."""

    machine: str  # e_machine, e.g. EM_X86_64: a library for another machine cannot load
    elf_type: str  # e_type: ET_DYN for shared libraries (and PIE executables)
    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    #: DT_FILTER and DT_AUXILIARY: a filter object's symbols come from these (glibc), not from itself
    filters: tuple[str, ...] = ()


def read_dynamic_stream(stream: IO[bytes], *, strict: bool = False) -> DynamicInfo | None:
    """DynamicInfo for an ELF stream; None when it is not ELF, or is broken and not STRICT (else ElfFormatError)."""
    from elftools.common.exceptions import ELFError
    from elftools.construct.core import ConstructError
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
        filters: list[str] = []
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
                elif kind in ("DT_FILTER", "DT_AUXILIARY"):  # pyelftools leaves their string unread
                    filters.append(section._get_stringtable().get_string(tag.entry.d_val))
        return DynamicInfo(
            str(elf["e_machine"]),
            str(elf["e_type"]),
            soname,
            tuple(needed),
            tuple(rpath),
            tuple(runpath),
            tuple(filters),
        )
    # what pyelftools raises on a header, table or string that points past the data or holds nonsense
    except (
        ELFError,
        ConstructError,
        struct.error,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        AssertionError,
        OverflowError,
        EOFError,
    ) as exc:
        if strict:
            raise ElfFormatError(str(exc) or type(exc).__name__) from None
        return None


def read_dynamic(path: Path, *, strict: bool = False) -> DynamicInfo | None:
    with path.open("rb") as stream:
        return read_dynamic_stream(stream, strict=strict)


def defined_symbol_type(path: Path, symbol: str) -> str | None:
    """The type (STT_FUNC, STT_OBJECT...) of SYMBOL where PATH defines and exports it, else None."""
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        dynsym: Any = ELFFile(f).get_section_by_name(".dynsym")
        for sym in (dynsym.get_symbol_by_name(symbol) or []) if dynsym is not None else []:
            if sym["st_shndx"] != "SHN_UNDEF" and sym["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK"):
                return str(sym["st_info"]["type"])
    return None


def exported_functions(path: Path) -> list[str]:
    """The functions PATH defines and exports (global, default visibility), sorted by name."""
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        dynsym: Any = ELFFile(f).get_section_by_name(".dynsym")
        return sorted(
            {
                sym.name
                for sym in (dynsym.iter_symbols() if dynsym is not None else [])
                if sym.name
                and sym["st_shndx"] != "SHN_UNDEF"
                and sym["st_info"]["bind"] == "STB_GLOBAL"
                and sym["st_info"]["type"] in ("STT_FUNC", "STT_GNU_IFUNC")
                and sym["st_other"]["visibility"] in ("STV_DEFAULT", "STV_PROTECTED")
            }
        )


def has_symbol_versions(path: Path) -> bool:
    """Whether PATH defines symbol versions (a .gnu.version_d section)."""
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        return any(section["sh_type"] == "SHT_GNU_verdef" for section in ELFFile(f).iter_sections())
