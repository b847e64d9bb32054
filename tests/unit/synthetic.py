"""Synthetic wheels for the unit layer: no compiler, a system zlib stands in for every library (its
SONAME and DT_NEEDED renamed in place), or the corpus's hand-built ELF (tiny_elf). Every wheel carries
the RECORD an honest build writes, unless a test asks for another."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

__all__ = ["corpus_generator", "elf", "make_wheel", "tiny_elf"]

LIBZ = next(iter(sorted(Path("/usr/lib").glob("*-linux-gnu/libz.so.1"))), Path("/usr/lib/libz.so.1"))


def corpus_generator() -> Any:
    """tests/corpus/make_wheels.py as a module: the one writer of crafted wheels and ELF files."""
    path = Path(__file__).resolve().parents[1] / "corpus" / "make_wheels.py"
    spec = importlib.util.spec_from_file_location("make_wheels", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CORPUS = corpus_generator()


def tiny_elf(**kwargs: Any) -> bytes:
    """A minimal ELF shared object built from nothing (see make_wheels.tiny_elf)."""
    data: bytes = _CORPUS.tiny_elf(**kwargs)
    return data


def elf(*, soname: str = "", needed: str = "") -> bytes:
    """A real shared library (zlib) whose SONAME libz.so.1 or DT_NEEDED libc.so.6 is renamed in place
    (same length: the string table keeps its layout)."""
    if not LIBZ.is_file():
        pytest.skip(f"{LIBZ} is missing: it stands in for the libraries")
    data = LIBZ.read_bytes()
    for old, new in (("libz.so.1", soname), ("libc.so.6", needed)):
        if new:
            assert len(new) == len(old)
            assert data.count(f"{old}\0".encode()) == 1
            data = data.replace(f"{old}\0".encode(), f"{new}\0".encode())
    return data


def make_wheel(
    path: Path,
    members: dict[str, bytes | str],
    *,
    requires: tuple[str, ...] = (),
    metadata: bytes = b"",
    record: bytes | Callable[[bytes], bytes] | None = b"",
    after: dict[str, bytes | None] | None = None,
    extra: list[tuple[str, bytes]] | None = None,
) -> Path:
    """A wheel named PATH (name-version-...) with MEMBERS and the dist-info its name implies (METADATA
    replaces its METADATA file). RECORD is
    honest unless RECORD rewrites it (bytes, or a function of the honest text) or drops it (None);
    AFTER changes members once RECORD is written; EXTRA entries go in as they are (duplicates too)."""
    name, version = path.name.split("-")[:2]
    tag = path.name.removesuffix(".whl").split("-", 2)[2]
    data = {member: value.encode() if isinstance(value, str) else value for member, value in members.items()}
    path.write_bytes(
        _CORPUS.wheel_bytes(
            name,
            tag,
            data,
            requires=requires,
            version=version,
            metadata=metadata,
            record_text=record,
            after=after,
            extra=extra,
        )
    )
    return path
