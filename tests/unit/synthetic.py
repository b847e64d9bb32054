"""Synthetic wheels for the unit layer: no compiler, a system zlib stands in for every library (its
SONAME and DT_NEEDED renamed in place)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

__all__ = ["elf", "make_wheel"]

LIBZ = next(iter(sorted(Path("/usr/lib").glob("*-linux-gnu/libz.so.1"))), Path("/usr/lib/libz.so.1"))


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


def make_wheel(path: Path, members: dict[str, bytes | str], *, requires: tuple[str, ...] = ()) -> Path:
    """A wheel named PATH (name-version-...) with MEMBERS and the dist-info its name implies."""
    name, version = path.name.split("-")[:2]
    tag = path.name.removesuffix(".whl").split("-", 2)[2]
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
        zf.writestr(f"{name}-{version}.dist-info/METADATA", metadata)
        zf.writestr(f"{name}-{version}.dist-info/WHEEL", f"Wheel-Version: 1.0\nTag: {tag}\n")
        zf.writestr(f"{name}-{version}.dist-info/RECORD", "")
    return path
