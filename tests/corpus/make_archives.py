"""Write the crafted source and prefix archives of the corpus: ``python tests/corpus/make_archives.py OUTDIR``.

Only files named ``archive-*`` and ``prefix-*`` are written, byte for byte the same on every run
(fixed times, owners and names; gzip without a time stamp; zstd as raw blocks, which need no
compressor), so that ``tests/corpus/inputs`` can be checked against this script. Absolute links
point under /tmp/libwrap-corpus-outside, which the corpus runner requires never to exist.
"""

from __future__ import annotations

import bz2
import io
import lzma
import stat
import struct
import sys
import tarfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

OUTSIDE = "/tmp/libwrap-corpus-outside"
TOP = "pkg-1.0"
#: Enough '..' to reach / from any extraction directory, then down to OUTSIDE.
CLIMB = "../" * 40 + OUTSIDE.lstrip("/")
MTIME = 1_700_000_000
#: CVE-2025-4517's directories: 16 of them expand past PATH_MAX (4096) under an extraction directory
#: of up to 127 characters, while each path tarfile creates stays below it.
STEPS = "abcdefghijklmnop"
COMPONENT = "d" * 247
ZIP_TIME = (2023, 11, 14, 22, 13, 20)


@dataclass(frozen=True)
class Entry:
    """One member: a file, directory, link or special file, and its permission bits."""

    name: str
    kind: str = "file"  # file, dir, symlink, hardlink, chr, blk, fifo
    data: str = ""  # a file's text, a link's target
    mode: int = 0o644
    pax: tuple[tuple[str, str], ...] = ()


def f(name: str, data: str = "text\n", mode: int = 0o644) -> Entry:
    return Entry(name, "file", data, mode)


def d(name: str, mode: int = 0o755) -> Entry:
    return Entry(name, "dir", mode=mode)


def link(name: str, target: str) -> Entry:
    return Entry(name, "symlink", target, 0o777)


def hard(name: str, target: str) -> Entry:
    return Entry(name, "hardlink", target)


SOURCE = [
    d(TOP),
    f(f"{TOP}/LICENSE", "MIT License\n"),
    f(f"{TOP}/CMakeLists.txt", "project(demo VERSION 1.0 LANGUAGES C)\n"),
    f(f"{TOP}/configure", "#!/bin/sh\necho configured\n", 0o755),
]

# Each attack on its own, with the members a real source has around it.
ATTACKS: dict[str, list[Entry]] = {
    # the case: a link out of the tree, then a member written through it
    "abs-link": [*SOURCE, link(f"{TOP}/link", OUTSIDE), f(f"{TOP}/link/file", "pwned\n")],
    "rel-link": [*SOURCE, link(f"{TOP}/link", CLIMB), f(f"{TOP}/link/file", "pwned\n")],
    "dotdot": [*SOURCE, f(f"{TOP}/{CLIMB}/evil", "pwned\n")],
    "absolute": [*SOURCE, f(f"{OUTSIDE}/evil", "pwned\n")],
    # a chain of links, each harmless-looking, that climbs out at its end
    "chain": [*SOURCE, link(f"{TOP}/a", "b"), link(f"{TOP}/b", "c"), link(f"{TOP}/c", "../.."), f(f"{TOP}/a/x")],
    # nothing hostile: kept modes (configure stays executable), a link inside
    "good": [*SOURCE, link(f"{TOP}/COPYING", "LICENSE"), d(f"{TOP}/src"), f(f"{TOP}/src/demo.c", "int x;\n")],
}
FORMATS = ("tar", "tar.gz", "tgz", "tar.xz", "tar.bz2", "tar.zst", "zip")

# tar only: what zip cannot hold, and the finer points of link resolution
TAR_ATTACKS: dict[str, tuple[str, list[Entry]]] = {
    "hardlink-abs": ("tar.gz", [*SOURCE, hard(f"{TOP}/passwd", "/etc/passwd")]),
    "hardlink-climb": ("tar", [*SOURCE, hard(f"{TOP}/passwd", "../../../../etc/passwd")]),
    "hardlink-missing": ("tar.xz", [*SOURCE, hard(f"{TOP}/h", f"{TOP}/nothing")]),
    # a hard link through a link that leads out (tarfile links what the name resolves to)
    "hardlink-to-link": ("tgz", [*SOURCE, link(f"{TOP}/up", ".."), hard(f"{TOP}/h", f"{TOP}/up")]),
    "chardev": ("tar.gz", [*SOURCE, Entry(f"{TOP}/null", "chr", mode=0o666)]),
    "blockdev": ("tar.xz", [*SOURCE, Entry(f"{TOP}/sda", "blk", mode=0o660)]),
    "fifo": ("tar", [*SOURCE, Entry(f"{TOP}/pipe", "fifo", mode=0o644)]),
    "fifo-zst": ("tar.zst", [*SOURCE, Entry(f"{TOP}/pipe", "fifo", mode=0o644)]),
    # not refused: the bits are dropped (the success line counts them)
    "setid": (
        "tar.gz",
        [
            d(TOP, 0o2755),
            f(f"{TOP}/LICENSE", "MIT License\n"),
            f(f"{TOP}/su", "#!/bin/sh\n", 0o4755),
            f(f"{TOP}/sg", "#!/bin/sh\n", 0o2775),
            d(f"{TOP}/tmp", 0o1777),
            f(f"{TOP}/world-writable", "x\n", 0o666),
        ],
    ),
    "setid-zst": ("tar.zst", [*SOURCE, f(f"{TOP}/su", "#!/bin/sh\n", 0o4755)]),
    "loop": ("tar.gz", [*SOURCE, link(f"{TOP}/a", "b"), link(f"{TOP}/b", "a")]),
    "self-loop": ("tar.xz", [*SOURCE, link(f"{TOP}/a", "a")]),
    "dir-loop": ("tar.bz2", [*SOURCE, link(f"{TOP}/a", "b/c"), link(f"{TOP}/b", "a"), f(f"{TOP}/a/x")]),
    # 41 links in a row: more than the kernel follows (ELOOP), so its end cannot be known
    "long-chain": ("tar", [*SOURCE, *[link(f"{TOP}/l{i}", f"l{i + 1}") for i in range(41)], f(f"{TOP}/l41")]),
    # harmless when written, made to climb out by a link written after it
    "late-link": (
        "tar.gz",
        [*SOURCE, d(f"{TOP}/a/b"), link(f"{TOP}/a/b/x", "d/../../../.."), link(f"{TOP}/a/b/d", "../../q")],
    ),
    # the same, with a member written through the link once it climbs out
    "late-write": (
        "tgz",
        [
            *SOURCE,
            d(f"{TOP}/a/b"),
            link(f"{TOP}/a/b/x", "d/../../../.."),
            link(f"{TOP}/a/b/d", "../../q"),
            f(f"{TOP}/a/b/x/evil", "pwned\n"),
        ],
    ),
    "link-to-root": ("tar.xz", [*SOURCE, link(f"{TOP}/root", "/"), f(f"{TOP}/root/tmp/libwrap-corpus-outside/x")]),
    "link-then-file": ("tar.gz", [*SOURCE, link(f"{TOP}/x", "LICENSE"), f(f"{TOP}/x", "overwritten\n")]),
    "dir-then-link": ("tar.bz2", [*SOURCE, d(f"{TOP}/d"), f(f"{TOP}/d/x"), link(f"{TOP}/d", "src")]),
    "implicit-dir-then-link": ("tar", [*SOURCE, f(f"{TOP}/d/x"), link(f"{TOP}/d", "src")]),
    "file-then-child": ("tar.xz", [*SOURCE, f(f"{TOP}/x"), f(f"{TOP}/x/y")]),
    "file-named-dot": ("tar.bz2", [*SOURCE, f(f"{TOP}/src/.")]),
    "empty-target": ("tar.gz", [*SOURCE, link(f"{TOP}/nowhere", "")]),
    # PAX headers rename a harmless-looking member after the fact
    "pax-path": ("tar", [*SOURCE, Entry(f"{TOP}/harmless", "file", "pwned\n", 0o644, (("path", f"{OUTSIDE}/pax"),))]),
    "pax-linkpath": (
        "tar.gz",
        [
            *SOURCE,
            Entry(f"{TOP}/harmless", "symlink", "LICENSE", 0o777, (("linkpath", OUTSIDE),)),
            f(f"{TOP}/harmless/x"),
        ],
    ),
    # a name longer than 100 bytes (GNU longname) that climbs out
    "longname": ("tar.xz", [*SOURCE, f(f"{TOP}/" + "long/" * 30 + CLIMB + "/evil")]),
    # a newline in a name must not break the one-line message
    "newline-name": ("tar.gz", [*SOURCE, f(f"{OUTSIDE}/evil\nsecond line")]),
    "empty": ("tar.gz", []),
    # CVE-2025-4517, as CPython's own test builds it: a link whose expansion passes PATH_MAX, which
    # realpath() then leaves unexpanded, so the data filter of CPython before 3.9.23, 3.10.18, 3.11.13,
    # 3.12.11 and 3.13.4 takes escape (one level above the tree) for a path inside
    "pathmax": (
        "tar",
        [
            *[
                entry
                for depth, step in enumerate(STEPS)
                for entry in (
                    d("/".join([COMPONENT] * (depth + 1)), 0o777),
                    link("/".join([*[COMPONENT] * depth, step]), COMPONENT),
                )
            ],
            link("/".join([*STEPS, "l" * 254]), "/".join([".."] * len(STEPS))),
            link("escape", "/".join([*STEPS, "l" * 254, ".."])),
            f("escape/newfile", "pwned\n"),
        ],
    ),
}

# zip only: Windows paths, links stored as mode bits, what zipfile's own extractall gets wrong
ZIP_ATTACKS: dict[str, list[Entry]] = {
    "backslash": [*SOURCE, f(f"{TOP}\\..\\..\\evil")],
    "drive": [*SOURCE, f("C:/evil")],
    "zip-device": [*SOURCE, Entry(f"{TOP}/null", "chr", mode=0o666)],
    "zip-fifo": [*SOURCE, Entry(f"{TOP}/pipe", "fifo", mode=0o644)],
    "zip-duplicate": [*SOURCE, f(f"{TOP}/LICENSE", "another licence\n")],
    "zip-encrypted": [*SOURCE, Entry(f"{TOP}/secret", "encrypted", "x\n")],
    "zip-setid": [*SOURCE, f(f"{TOP}/su", "#!/bin/sh\n", 0o4755)],
    "zip-windows": [d(TOP, 0), f(f"{TOP}/LICENSE", "MIT License\n", 0), f(f"{TOP}/CMakeLists.txt", "project(x)\n", 0)],
    "zip-loop": [*SOURCE, link(f"{TOP}/a", "b"), link(f"{TOP}/b", "a")],
}

# install prefixes for --build prebuilt whose links reach the build machine's files
PREFIXES: dict[str, tuple[str, list[Entry]]] = {
    "leak-header": (
        "tar.gz",
        [d("prefix"), f("prefix/lib/libdemo.so.1", "ELF\n"), link("prefix/include/leak.h", "/etc/hostname")],
    ),
    "etc-dir": ("tar.xz", [d("prefix"), f("prefix/lib/libdemo.so.1", "ELF\n"), link("prefix/include/dir", "/etc")]),
    "lib-link": ("tgz", [d("prefix"), link("prefix/lib/libdemo.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1")]),
    "pc-link": (
        "zip",
        [d("prefix"), f("prefix/lib/libdemo.so.1", "ELF\n"), link("prefix/lib/pkgconfig/demo.pc", "/etc/hostname")],
    ),
    "license-link": (
        "tar.bz2",
        [
            d("prefix"),
            f("prefix/lib/libdemo.so.1", "ELF\n"),
            link("prefix/share/licenses/demo/LICENSE", "../../../../../etc/hostname"),
        ],
    ),
    "include-root": (
        "tar",
        [d("prefix"), f("prefix/lib/libdemo.so.1", "ELF\n"), link("prefix/include", "/usr/include")],
    ),
    "zst-leak": (
        "tar.zst",
        [d("prefix"), f("prefix/lib/libdemo.so.1", "ELF\n"), link("prefix/include/leak.h", "/etc/hostname")],
    ),
    "good": (
        "tar.gz",
        [
            d("prefix"),
            f("prefix/lib/libdemo.so.1", "ELF\n"),
            link("prefix/lib/libdemo.so", "libdemo.so.1"),
            f("prefix/include/demo.h", "int demo_init(void);\n"),
            link("prefix/include/alias.h", "demo.h"),
        ],
    ),
}


def _tarinfo(entry: Entry) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(entry.name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = MTIME, 1000, 1000, "libwrap", "libwrap"
    info.mode = entry.mode
    data = None
    if entry.kind == "file":
        data = entry.data.encode()
        info.size = len(data)
    elif entry.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif entry.kind in ("symlink", "hardlink"):
        info.type = tarfile.SYMTYPE if entry.kind == "symlink" else tarfile.LNKTYPE
        info.linkname = entry.data
    else:
        info.type = {"chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}[entry.kind]
        info.devmajor, info.devminor = (1, 3) if entry.kind != "fifo" else (0, 0)
    if entry.pax:
        info.pax_headers = dict(entry.pax)
    return info, data


def tar_bytes(entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    pax = any(entry.pax for entry in entries)
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT if pax else tarfile.GNU_FORMAT) as tar:
        for entry in entries:
            info, data = _tarinfo(entry)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def zstd_raw(data: bytes) -> bytes:
    """A zstd frame of raw (stored) blocks: valid for every decoder, the same bytes everywhere."""
    block = 128 * 1024
    frame = bytearray(struct.pack("<I", 0xFD2FB528))
    frame += bytes([0x00, 7 << 3])  # no content size nor checksum; window 2**(10 + 7) = 128 KiB
    chunks = [data[i : i + block] for i in range(0, len(data), block)] or [b""]
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        frame += (len(chunk) << 3 | int(last)).to_bytes(3, "little") + chunk  # block type 0: raw
    return bytes(frame)


def zip_bytes(entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        warnings.simplefilter("ignore")  # zip-duplicate repeats a name on purpose
        for entry in entries:
            name = entry.name + ("/" if entry.kind == "dir" else "")
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            kinds = {"dir": stat.S_IFDIR, "symlink": stat.S_IFLNK, "chr": stat.S_IFCHR, "fifo": stat.S_IFIFO}
            file_type = kinds.get(entry.kind, stat.S_IFREG)
            dos = 0x10 if entry.kind == "dir" else 0x20  # MS-DOS attributes: directory, archive
            # mode 0: made on Windows (MS-DOS attributes only, no Unix permission bits)
            info.create_system = 3 if entry.mode else 0
            info.external_attr = ((file_type | entry.mode) << 16 if entry.mode else 0) | dos
            zf.writestr(info, "" if entry.kind in ("dir", "chr", "fifo") else entry.data)
    data = bytearray(out.getvalue())
    # zipfile clears the encryption flag it cannot honour: set it in the local and the central header
    for entry in entries:
        if entry.kind == "encrypted":
            local = _header(data, b"PK\x03\x04", 26, 30, entry.name.encode())
            central = _header(data, b"PK\x01\x02", 28, 46, entry.name.encode())
            data[local + 6] |= 0x1
            data[central + 8] |= 0x1
    return bytes(data)


def _header(data: bytearray, signature: bytes, length_at: int, name_at: int, name: bytes) -> int:
    """The offset of the zip header with SIGNATURE that holds NAME."""
    start = 0
    while True:
        start = data.index(signature, start)
        length = int.from_bytes(data[start + length_at : start + length_at + 2], "little")
        if data[start + name_at : start + name_at + length] == name:
            return start
        start += 1


def gzip_bytes(data: bytes) -> bytes:
    """A gzip member with no time stamp nor name, and the same OS byte (255, unknown) on every Python."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return b"\x1f\x8b\x08\x00" + bytes(4) + b"\x02\xff" + body + trailer


def archive_bytes(fmt: str, entries: list[Entry]) -> bytes:
    if fmt == "zip":
        return zip_bytes(entries)
    tar = tar_bytes(entries)
    if fmt in ("tar.gz", "tgz"):
        return gzip_bytes(tar)
    if fmt == "tar.xz":
        return lzma.compress(tar, format=lzma.FORMAT_XZ)
    if fmt == "tar.bz2":
        return bz2.compress(tar, 9)
    if fmt == "tar.zst":
        return zstd_raw(tar)
    return tar


def inputs() -> dict[str, bytes]:
    """Every crafted file by name."""
    files: dict[str, bytes] = {}
    for attack, entries in ATTACKS.items():
        for fmt in FORMATS:
            files[f"archive-{attack}.{fmt}"] = archive_bytes(fmt, entries)
    for attack, (fmt, entries) in TAR_ATTACKS.items():
        files[f"archive-{attack}.{fmt}"] = archive_bytes(fmt, entries)
    for attack, entries in ZIP_ATTACKS.items():
        files[f"archive-{attack}.zip"] = archive_bytes("zip", entries)
    files["archive-corrupt.tar.gz"] = b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4
    files["archive-truncated.tar.xz"] = archive_bytes("tar.xz", ATTACKS["good"])[:200]
    files["archive-zstd-garbage.tar.zst"] = b"\x28\xb5\x2f\xfd" + b"\xff" * 64
    for name, (fmt, entries) in PREFIXES.items():
        files[f"prefix-{name}.{fmt}"] = archive_bytes(fmt, entries)
    return files


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/corpus/make_archives.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, data in inputs().items():
        (out / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
