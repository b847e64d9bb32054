"""Read and rewrite wheels: members in memory, RECORD verified on read and regenerated on write.

A wheel is read as an installer would: every member hashed against RECORD, each file listed once,
nothing listed that is not there, one ``.dist-info`` named as the file is. A wheel that fails any of
this was changed after it was built, and repairing it would launder the change into a fresh RECORD.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import email.message
import email.parser
import hashlib
import io
import lzma
import os
import posixpath
import re
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .elf import DynamicInfo, ElfFormatError, read_dynamic_stream
from .errors import UsageError

__all__ = ["Wheel", "read_wheel", "source_encoding", "write_wheel"]

#: Hash algorithms RECORD may use: what every Python has, less those installers refuse as broken.
RECORD_HASHES = frozenset(
    name for name in hashlib.algorithms_guaranteed if name not in ("md5", "sha1") and not name.startswith("shake_")
)
#: Signatures of RECORD, which RECORD cannot list.
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")
#: A member the loader may map: an extension module or a shared library, by its name.
_SHARED_OBJECT = re.compile(r".*\.(so(\.\d+)*|pyd)")
_CHANGED = "the wheel was changed after it was built — rebuild it, or download it again from its source"
_REBUILD = "rebuild it (pip wheel, python -m build)"
# What zipfile raises on a damaged archive or member: bad headers, streams, CRCs, methods, encryption
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    IndexError,
    OSError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
)


def _filename_version(path: Path) -> str:
    """PATH's version (normalized) if its name is a wheel file name, else UsageError."""
    return str(_parse_filename(path)[1])


def _parse_filename(path: Path) -> tuple[str, Version]:
    try:
        name, version, _, _ = parse_wheel_filename(path.name)
    # packaging before 23.2 lets InvalidVersion through instead of wrapping it
    except (InvalidWheelFilename, InvalidVersion):
        msg = f"{path.name} is not a wheel file name (name-version-python-abi-platform.whl); pass a .whl file"
        raise UsageError(msg) from None
    return str(name), version


def source_encoding(data: bytes) -> str:
    """The encoding Python reads the source DATA in (its coding line, a BOM, else UTF-8); ValueError
    naming the first undecodable byte when DATA is not text in it."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        msg = f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not {exc.encoding}"
        raise ValueError(msg) from None
    except (SyntaxError, LookupError) as exc:  # an unknown or contradictory coding line
        raise ValueError(str(exc)) from None
    return encoding


@dataclasses.dataclass
class Wheel:
    """A wheel's members, in their original order."""

    path: Path
    members: dict[str, bytes]

    @property
    def dist_info(self) -> str:
        return next(name.split("/", 1)[0] for name in self.members if name.split("/", 1)[0].endswith(".dist-info"))

    @property
    def metadata(self) -> str:
        return self.members[f"{self.dist_info}/METADATA"].decode("utf-8")

    def _headers(self) -> email.message.Message:
        return email.parser.Parser().parsestr(self.metadata, headersonly=True)

    @property
    def name(self) -> str:
        return str(self._headers()["Name"])

    @property
    def version(self) -> str:
        """METADATA's Version; the file name's when METADATA has none."""
        version = self._headers()["Version"]
        return str(version).strip() if version else _filename_version(self.path)

    @property
    def requires_dist(self) -> list[str]:
        return self._headers().get_all("Requires-Dist") or []

    @property
    def tags(self) -> list[str]:
        wheel = email.parser.Parser().parsestr(self.members[f"{self.dist_info}/WHEEL"].decode("utf-8"))
        return wheel.get_all("Tag") or []

    def python_source(self, name: str) -> str:
        """Member NAME as Python reads it (its coding line, else UTF-8); a UsageError naming it if it is not."""
        data = self.members[name]
        try:
            return data.decode(source_encoding(data))
        except ValueError as exc:
            msg = (
                f"wheel {self.path.name}: {name} is not text Python can read ({exc}), so the package cannot be "
                "imported; save it as UTF-8 and rebuild the wheel"
            )
            raise UsageError(msg) from None

    def set_python_source(self, name: str, text: str) -> None:
        """Store TEXT as member NAME in the encoding the member had (UTF-8 for a new one)."""
        old = self.members.get(name)
        encoding = "utf-8" if old is None else source_encoding(old)
        self.members[name] = text.encode(encoding)

    def elf_files(self) -> dict[str, DynamicInfo]:
        """Every ELF file in the wheel with its dynamic section, by member name; a UsageError naming a
        member that is named like a shared object, or starts like ELF, and does not parse as one."""
        found: dict[str, DynamicInfo] = {}
        for name, data in self.members.items():
            looks_shared = _SHARED_OBJECT.fullmatch(posixpath.basename(name)) is not None
            if data[:4] != b"\x7fELF" and not looks_shared:
                continue
            try:
                info = read_dynamic_stream(io.BytesIO(data), strict=True)
                reason = "" if info is not None else "it does not start with the ELF magic number"
            except ElfFormatError as exc:
                info, reason = None, str(exc)
            if info is None:
                msg = (
                    f"wheel {self.path.name}: {name} is not a valid ELF file ({reason}), so it cannot load; "
                    "rebuild the wheel, or remove the file"
                )
                raise UsageError(msg)
            found[name] = info
        return found

    @property
    def metadata_version(self) -> Version | None:
        """METADATA's Metadata-Version; None when it has none, or one that does not parse."""
        try:
            return Version(str(self._headers()["Metadata-Version"] or "").strip())
        except InvalidVersion:
            return None

    @property
    def generator(self) -> str:
        """What built the wheel, from the WHEEL file: "scikit-build-core 1.1.2", "meson", "setuptools (80.9.0)"."""
        wheel = email.parser.Parser().parsestr(self.members[f"{self.dist_info}/WHEEL"].decode("utf-8"))
        return str(wheel["Generator"] or "").strip()

    def add_header(self, name: str, value: str) -> None:
        """Append the header NAME: VALUE to METADATA (before the body, with the other headers)."""
        head, sep, body = self.metadata.partition("\n\n")
        text = f"{head.rstrip(chr(10))}\n{name}: {value}\n" + (f"\n{body}" if sep else "")
        self.members[f"{self.dist_info}/METADATA"] = text.encode()

    def add_requirement(self, requirement: str) -> None:
        """Append a Requires-Dist header to METADATA (before the body, with the other headers)."""
        self.add_header("Requires-Dist", requirement)

    def mark_dynamic(self, field: str) -> bool:
        """Add ``Dynamic: FIELD`` to METADATA unless it has it, when its Metadata-Version (2.2 and later)
        knows the field; whether METADATA says so now."""
        version = self.metadata_version
        if version is None or version < Version("2.2"):
            return False
        if field.lower() not in {str(v).strip().lower() for v in self._headers().get_all("Dynamic") or []}:
            self.add_header("Dynamic", field)
        return True


def read_wheel(path: Path) -> Wheel:
    """Load a wheel; refuse anything that is not a well-formed, safe wheel whose RECORD vouches for
    every member, as an installer would."""
    if path.is_dir():
        msg = f"{path} is a directory; pass a .whl file"
        raise UsageError(msg)
    if not path.is_file():
        msg = f"wheel {path} does not exist; pass the path of a .whl file"
        raise UsageError(msg)
    _parse_filename(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [info for info in zf.infolist() if not info.filename.endswith("/")]  # directories hold nothing
            names = [info.filename for info in infos]
            _check_names(path, names)
            members = {info.filename: zf.read(info) for info in infos}
    except _ZIP_ERRORS as exc:
        msg = f"{path} is not a readable wheel ({str(exc) or type(exc).__name__}); rebuild or re-download it"
        raise UsageError(msg) from None
    wheel = Wheel(path, members)
    dist_info = _check_dist_info(path, members)
    _check_record(path, dist_info, members)
    _check_metadata(wheel, dist_info)
    return wheel


def _check_names(path: Path, names: list[str]) -> None:
    """Refuse member names that leave the install directory, and names given twice (zipfile reads the last)."""
    seen: set[str] = set()
    for name in names:
        parts = name.split("/")
        if not name:
            msg = f"{path} has an entry with no name, which no installer can place; do not install this wheel"
            raise UsageError(msg)
        if name.startswith("/") or ".." in parts or "\\" in name or re.match(r"[A-Za-z]:", name):
            msg = f"{path} has an unsafe entry {name!r} (absolute or '..' path); do not install this wheel"
            raise UsageError(msg)
        if name in seen:
            msg = (
                f"wheel {path.name} holds {name} twice, and installers may read either copy; "
                f"do not install it: {_CHANGED}"
            )
            raise UsageError(msg)
        seen.add(name)


def _check_dist_info(path: Path, members: dict[str, bytes]) -> str:
    """The wheel's one top-level .dist-info directory, named as the file is; its METADATA and WHEEL present."""
    found = sorted({name.split("/", 1)[0] for name in members if name.split("/", 1)[0].endswith(".dist-info")})
    if not found:
        msg = f"{path} has no .dist-info directory; it is not a wheel (rebuild it with pip wheel)"
        raise UsageError(msg)
    if len(found) > 1:
        msg = f"wheel {path.name} has {len(found)} .dist-info directories ({', '.join(found)}), not one; {_REBUILD}"
        raise UsageError(msg)
    (dist_info,) = found
    name, version = _parse_filename(path)
    stem_name, _, stem_version = dist_info.removesuffix(".dist-info").rpartition("-")
    try:
        same = canonicalize_name(stem_name) == canonicalize_name(name) and Version(stem_version) == version
    except InvalidVersion:
        same = False
    if not same:
        msg = (
            f"wheel {path.name} holds {dist_info}, which does not match its file name (expected "
            f"{name.replace('-', '_')}-{version}.dist-info); {_REBUILD}, or give it the name it was built with"
        )
        raise UsageError(msg)
    for required in ("METADATA", "WHEEL"):
        if f"{dist_info}/{required}" not in members:
            msg = f"wheel {path.name} has no {dist_info}/{required}, so it is not a wheel; {_REBUILD}"
            raise UsageError(msg)
    return dist_info


def _record_rows(path: Path, record: str, data: bytes) -> dict[str, tuple[int, str, str]]:
    """RECORD's rows by path: (line, hash, size); UsageError on text that is not RECORD's CSV."""
    try:
        text = data.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        msg = f"wheel {path.name}: {record} is not a CSV file of path,hash,size ({exc}); {_REBUILD}"
        raise UsageError(msg) from None
    found: dict[str, tuple[int, str, str]] = {}
    for line, row in enumerate(rows, start=1):
        if not row:
            continue
        if len(row) != 3:
            msg = f"wheel {path.name}: {record} line {line} has {len(row)} fields, not 3 (path,hash,size); {_REBUILD}"
            raise UsageError(msg)
        name, digest, size = row
        if name in found:
            msg = f"wheel {path.name}: {record} lists {name} twice (lines {found[name][0]} and {line}); {_CHANGED}"
            raise UsageError(msg)
        found[name] = (line, digest, size)
    return found


def _check_record(path: Path, dist_info: str, members: dict[str, bytes]) -> None:
    """Every member but RECORD (and its signatures) listed once in RECORD with a hash and size that match,
    and nothing listed that the wheel does not hold: what an installer checks."""
    record = f"{dist_info}/RECORD"
    if record not in members:
        msg = f"wheel {path.name} has no {record}, so nothing vouches for its files; {_REBUILD}"
        raise UsageError(msg)
    rows = _record_rows(path, record, members[record])
    for name, data in members.items():
        row = rows.pop(name, None)
        if name == record or name in {f"{dist_info}/{s}" for s in _SIGNATURES}:
            if name == record and row is not None and (row[1] or row[2]):
                msg = f"wheel {path.name}: {record} gives itself a hash or size, which it cannot have; {_REBUILD}"
                raise UsageError(msg)
            continue
        if row is None:
            msg = f"wheel {path.name}: {name} is not listed in {record}; {_CHANGED}"
            raise UsageError(msg)
        _check_row(path, name, data, row[1], row[2])
    if rows:
        name = min(rows, key=lambda n: rows[n][0])
        msg = f"wheel {path.name}: {record} lists {name}, which the wheel does not hold; {_CHANGED}"
        raise UsageError(msg)


def _check_row(path: Path, name: str, data: bytes, digest: str, size: str) -> None:
    algorithm, sep, value = digest.partition("=")
    if not sep or not value:
        msg = f"wheel {path.name}: RECORD gives {name} no hash; {_REBUILD}"
        raise UsageError(msg)
    if algorithm not in RECORD_HASHES:
        msg = f"wheel {path.name}: RECORD hashes {name} with {algorithm!r}, which installers refuse; {_REBUILD}"
        raise UsageError(msg)
    if not size.isdigit():
        said = f"the size {size!r}, not a number of bytes" if size else "no size"
        msg = f"wheel {path.name}: RECORD gives {name} {said}; {_REBUILD}"
        raise UsageError(msg)
    if int(size) != len(data):
        msg = f"wheel {path.name}: {name} is {len(data)} bytes, but RECORD says {int(size)}; {_CHANGED}"
        raise UsageError(msg)
    # installers compare the urlsafe-base64 text, without padding
    expected = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
    if value.rstrip("=") != expected:
        msg = f"wheel {path.name}: {name} does not match the hash RECORD gives it; {_CHANGED}"
        raise UsageError(msg)


def _check_metadata(wheel: Wheel, dist_info: str) -> None:
    """METADATA and WHEEL are UTF-8 text, and METADATA names the distribution the file name does."""
    path = wheel.path
    for member in ("METADATA", "WHEEL"):
        try:
            wheel.members[f"{dist_info}/{member}"].decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"wheel {path.name}: {dist_info}/{member} is not UTF-8 text (byte {exc.start}); {_REBUILD}"
            raise UsageError(msg) from None
    name = wheel._headers()["Name"]
    expected, _ = _parse_filename(path)
    if name is None or canonicalize_name(str(name).strip()) != canonicalize_name(expected):
        said = f"names {str(name).strip()!r}" if name is not None else "has no Name"
        msg = f"wheel {path.name}: {dist_info}/METADATA {said}, but the file name says {expected}; {_REBUILD}"
        raise UsageError(msg)


def _record_row(name: str, data: bytes) -> tuple[str, str, str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return name, f"sha256={digest}", str(len(data))


def write_wheel(wheel: Wheel, out: Path) -> Path:
    """Write WHEEL's members to OUT (a .whl path) with a fresh RECORD; dist-info goes last."""
    _filename_version(out)  # before anything is written
    record = f"{wheel.dist_info}/RECORD"
    names = [n for n in wheel.members if n != record]
    names.sort(key=lambda n: n.startswith(wheel.dist_info + "/"))  # stable: payload first
    text = io.StringIO()
    # PEP 376: csv rows path,hash,size; RECORD lists itself with neither
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows([*(_record_row(n, wheel.members[n]) for n in names), (record, "", "")])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if _executable(name, wheel.members[name]) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, wheel.members[name])
        zf.writestr(zipfile.ZipInfo(record, date_time=(1980, 1, 1, 0, 0, 0)), text.getvalue())
    tmp.replace(out)
    return out


def _executable(name: str, data: bytes) -> bool:
    return data[:4] == b"\x7fELF" or posixpath.basename(posixpath.dirname(name)) == "scripts"
