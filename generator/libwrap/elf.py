"""Read what the dynamic loader sees in an ELF file: the one ELF reader of libwrap, in two speeds.

``read_dynamic`` (pyelftools) is the full reader: machine, type, SONAME, DT_NEEDED, RPATH, RUNPATH and
DT_FILTER, and with ``strict=True`` an ``ElfFormatError`` for anything pyelftools cannot parse. The
provider build (staging), ``repair`` and ``check`` use it, one wheel's files at a time, where a file
read wrong would ship a wheel that does not load.

``read_sections`` (struct, straight from the section table) reads only what says which library a file
is: its type, SONAME and whether it exports given symbol names. ``libwrap doctor`` uses it on every
library a process maps or an environment holds, hundreds at a time: pyelftools parses every section
header, 3 ms a library (median of 2,805 on one machine; 27 ms for OpenBLAS), this reads two or three
tables, 0.2 ms. Tables it does not follow raise ``ElfFormatError``, and the caller asks ``read_dynamic``.
It stays out of ``read_dynamic``: built on it, that agreed with pyelftools on every real library but
not on which broken files ``strict`` refuses.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

__all__ = [
    "DynamicInfo",
    "ElfFormatError",
    "SectionInfo",
    "defined_symbol_type",
    "exported_functions",
    "has_symbol_versions",
    "read_dynamic",
    "read_dynamic_stream",
    "read_sections",
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


# --- the section-table reader ------------------------------------------------------------------------

# the section types, dynamic tag and symbol fields read here (System V gABI)
_SHT_DYNAMIC, _SHT_DYNSYM, _DT_NULL, _DT_SONAME = 6, 11, 0, 14
_STB_GLOBAL, _STB_WEAK, _STV_DEFAULT, _STV_PROTECTED = 1, 2, 0, 3
# e_type by the names pyelftools gives them (DynamicInfo.elf_type), other values as numbers as it does
_E_TYPES = {
    0: "ET_NONE",
    1: "ET_REL",
    2: "ET_EXEC",
    3: "ET_DYN",
    4: "ET_CORE",
    0xFF00: "ET_LOPROC",
    0xFFFF: "ET_HIPROC",
}


@dataclasses.dataclass(frozen=True)
class SectionInfo:
    """What the section table says a file is."""

    elf_type: str  # e_type, named as DynamicInfo.elf_type: ET_DYN, ET_EXEC...
    soname: str | None
    exported: frozenset[bytes]  # those of the names asked for that are part of a symbol it defines and exports


@dataclasses.dataclass(frozen=True)
class _Section:
    kind: int
    offset: int
    size: int
    link: int
    entsize: int


class _SectionTable:
    """An ELF file's section headers, and the tables they point to, read with struct on demand."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        stream.seek(0, os.SEEK_END)
        self.file_size = stream.tell()
        header = self._read(0, 64)
        if header[:4] != b"\x7fELF" or header[4] not in (1, 2) or header[5] not in (1, 2):
            msg = "not a 32- or 64-bit ELF file of either byte order"
            raise ElfFormatError(msg)
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
            msg = f"section headers of {entsize} bytes, not {expected}"
            raise ElfFormatError(msg)
        table = self._read(shoff, entsize * count)
        self.sections = []
        for fields in struct.iter_unpack(self.order + layout, table):
            _, kind, _, _, offset, size, link, _, _, each = fields
            self.sections.append(_Section(kind, offset, size, link, each))

    def _read(self, offset: int, size: int) -> bytes:
        if offset < 0 or size < 0 or offset + size > self.file_size:
            msg = f"a table at {offset:#x} ({size} bytes) lies outside the file ({self.file_size} bytes)"
            raise ElfFormatError(msg)
        self.stream.seek(offset)
        return self.stream.read(size)

    def data(self, section: _Section) -> bytes:
        return self._read(section.offset, section.size)

    def linked(self, section: _Section) -> bytes:
        if not 0 < section.link < len(self.sections):
            msg = f"a section links to section {section.link}, of {len(self.sections)}"
            raise ElfFormatError(msg)
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
            if tag == _DT_NULL:  # ends the table
                break
            if tag == _DT_SONAME:
                strings = self.linked(dynamic)
                end = strings.find(b"\0", value)
                if value >= len(strings) or end < 0:
                    msg = f"DT_SONAME at {value} lies outside its string table"
                    raise ElfFormatError(msg)
                return strings[value:end].decode("utf-8", "surrogateescape")
        return None

    def exported(self, names: Iterable[bytes]) -> set[bytes]:
        """Which NAMES are part of a symbol the file defines and exports (.dynsym). The string table
        is searched first, so a library without any of them costs one section read."""
        dynsym = self.first(_SHT_DYNSYM)
        if dynsym is None:
            return set()
        strings = self.linked(dynsym)
        wanted: dict[int, bytes] = {}
        for name in names:
            at = strings.find(name)
            while at >= 0:
                wanted[strings.rfind(b"\0", 0, at) + 1] = name
                at = strings.find(name, at + 1)
        if not wanted:
            return set()
        layout = self.order + ("IBBHQQ" if self.wide else "IIIBBH")
        size = struct.calcsize(layout)
        if dynsym.entsize != size:
            msg = f".dynsym entries of {dynsym.entsize} bytes, not {size}"
            raise ElfFormatError(msg)
        data = self.data(dynsym)
        found: set[bytes] = set()
        for entry in struct.iter_unpack(layout, data[: len(data) - len(data) % size]):
            name_at, info, other, index = entry[:4] if self.wide else (entry[0], *entry[3:6])
            # defined (not SHN_UNDEF), global or weak, default or protected visibility
            if (
                name_at in wanted
                and index != 0
                and info >> 4 in (_STB_GLOBAL, _STB_WEAK)
                and other & 3 in (_STV_DEFAULT, _STV_PROTECTED)
            ):
                found.add(wanted[name_at])
        return found


def read_sections(path: Path, names: Iterable[bytes] = ()) -> SectionInfo | None:
    """SectionInfo for PATH, NAMES looked for among the symbols it exports (a name is found inside a
    longer symbol: scipy_openblas_get_config64_ exports openblas_get_config); None when it is not ELF.
    Tables that point outside the file, or that this reader does not follow, raise ElfFormatError:
    ``read_dynamic`` may still read them."""
    with path.open("rb") as stream:
        if stream.read(4) != b"\x7fELF":
            return None
        try:
            table = _SectionTable(stream)
            elf_type = _E_TYPES.get(table.elf_type, str(table.elf_type))
            return SectionInfo(elf_type, table.soname(), frozenset(table.exported(names)))
        except struct.error as exc:
            raise ElfFormatError(str(exc)) from None
