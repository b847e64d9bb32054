"""libwrap.elf's section-table reader (``read_sections``, what libwrap doctor reads every library with)
against the pyelftools reader on real bytes, and on broken bytes: it answers, says "not ELF", or raises
ElfFormatError, never anything else (doctor catches that one and asks pyelftools)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libwrap.elf import ElfFormatError, SectionInfo, read_dynamic, read_sections

from .synthetic import LIBZ, elf, tiny_elf

TINY = tiny_elf(soname="libq.so.1", needed=("libc.so.6",), runpath="$ORIGIN", init="q")


@pytest.mark.parametrize("kind", ["tiny", "libz"])
def test_both_readers_agree_on_type_and_soname(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "lib.so"
    path.write_bytes(TINY if kind == "tiny" else elf())
    fast, full = read_sections(path), read_dynamic(path, strict=True)
    assert fast is not None
    assert full is not None
    assert (fast.elf_type, fast.soname) == (full.elf_type, full.soname)
    assert fast.soname == ("libq.so.1" if kind == "tiny" else "libz.so.1")


def test_names_are_found_inside_the_symbols_a_file_defines(tmp_path: Path) -> None:
    path = tmp_path / "_q.so"
    path.write_bytes(TINY)
    # PyInit_q is defined and global; the name is a part of it, as openblas_get_config of scipy_openblas_get_config64_
    info = read_sections(path, [b"Init_q", b"PyInit_r", b"libc.so.6"])
    assert info is not None
    assert info.exported == {b"Init_q"}  # libc.so.6 is in the string table, but names no symbol


def test_not_elf_is_none_and_a_cut_library_raises(tmp_path: Path) -> None:
    text = tmp_path / "libnot.so"
    text.write_text("INPUT(libz.so.1)\n", encoding="utf-8")
    assert read_sections(text) is None
    cut = tmp_path / "libcut.so"
    cut.write_bytes(elf()[:200])  # the section table lies past the end
    with pytest.raises(ElfFormatError, match="outside the file"):
        read_sections(cut)


@st.composite
def elf_bytes(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes after the ELF magic, or a real library with bytes changed or cut."""
    if draw(st.booleans()):
        return b"\x7fELF" + draw(st.binary(max_size=256))
    data = bytearray(draw(st.sampled_from([TINY, LIBZ.read_bytes()] if LIBZ.is_file() else [TINY])))
    limit = st.integers(0, min(len(data), 4096) - 1) | st.integers(0, len(data) - 1)
    for position, value in draw(st.lists(st.tuples(limit, st.integers(0, 255)), min_size=1, max_size=12)):
        data[position] = value
    return bytes(data[: draw(st.integers(1, len(data)))]) if draw(st.booleans()) else bytes(data)


@given(elf_bytes(), st.lists(st.binary(min_size=1, max_size=8), max_size=3))
def test_the_section_reader_never_raises_anything_else(data: bytes, names: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lib.so"
        path.write_bytes(data)
        try:
            info = read_sections(path, names)
        except ElfFormatError:
            return
    if data[:4] != b"\x7fELF":
        assert info is None
        return
    assert isinstance(info, SectionInfo)
    assert info.exported <= set(names)
