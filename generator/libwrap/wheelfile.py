"""Read and rewrite wheels: members in memory, RECORD regenerated on write."""

from __future__ import annotations

import base64
import csv
import dataclasses
import email.message
import email.parser
import hashlib
import io
import posixpath
import re
import zipfile
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion

from .elf import DynamicInfo, read_dynamic_stream
from .errors import UsageError

__all__ = ["Wheel", "read_wheel", "write_wheel"]


def _filename_version(path: Path) -> str:
    """PATH's version (normalized) if its name is a wheel file name, else UsageError."""
    try:
        _, version, _, _ = parse_wheel_filename(path.name)
    # packaging before 23.2 lets InvalidVersion through instead of wrapping it
    except (InvalidWheelFilename, InvalidVersion):
        msg = f"{path.name} is not a wheel file name (name-version-python-abi-platform.whl); pass a .whl file"
        raise UsageError(msg) from None
    return str(version)


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

    def elf_files(self) -> dict[str, DynamicInfo]:
        """Every ELF file in the wheel with its dynamic section, by member name."""
        found: dict[str, DynamicInfo] = {}
        for name, data in self.members.items():
            if data[:4] == b"\x7fELF":
                info = read_dynamic_stream(io.BytesIO(data))
                if info is not None:
                    found[name] = info
        return found

    def add_requirement(self, requirement: str) -> None:
        """Append a Requires-Dist header to METADATA (before the body, with the other headers)."""
        head, sep, body = self.metadata.partition("\n\n")
        text = f"{head.rstrip(chr(10))}\nRequires-Dist: {requirement}\n" + (f"\n{body}" if sep else "")
        self.members[f"{self.dist_info}/METADATA"] = text.encode()


def read_wheel(path: Path) -> Wheel:
    """Load a wheel; refuse anything that is not a well-formed, safe wheel."""
    if not path.is_file():
        msg = f"wheel {path} does not exist; pass the path of a .whl file"
        raise UsageError(msg)
    _filename_version(path)
    try:
        with zipfile.ZipFile(path) as zf:
            members = {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        msg = f"{path} is not a readable wheel ({exc}); rebuild or re-download it"
        raise UsageError(msg) from None
    for name in members:
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or "\\" in name or re.match(r"[A-Za-z]:", name):
            msg = f"{path} has an unsafe entry {name!r} (absolute or '..' path); do not install this wheel"
            raise UsageError(msg)
    wheel = Wheel(path, members)
    try:
        wheel.metadata  # noqa: B018  (checks the dist-info exists)
    except (StopIteration, KeyError):
        msg = f"{path} has no .dist-info/METADATA; it is not a wheel (rebuild it with pip wheel)"
        raise UsageError(msg) from None
    return wheel


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
    tmp = out.with_suffix(".tmp")
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
