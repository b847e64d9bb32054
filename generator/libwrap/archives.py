"""The one place that reads and extracts source archives (``.tar.*``, ``.zip``): every member is
checked before anything is written.

An archive comes from strangers. Before the first write a pre-pass over every member refuses
absolute names, ``..`` components, Windows paths (zip), device and FIFO members, and links (hard or
symbolic) whose target leaves the extraction directory, resolved lexically through the archive's own
links, as the kernel would resolve them once they are on disk; it also refuses members written
through such links. Set-id, sticky and group/other write bits are cleared, the other permission bits
kept (configure scripts must stay executable). This is the semantics of ``tarfile``'s ``data``
filter (PEP 706), which is applied as well; it is not relied on alone, since CPython releases before
3.9.23/3.10.18/3.11.13/3.12.11/3.13.4 have known bypasses of it (CVE-2025-4517 and relatives).
The archive is extracted into a fresh directory beside DEST, renamed at the end: a refusal or a
failure leaves nothing.
"""

from __future__ import annotations

import importlib
import lzma
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, cast

from .errors import UsageError

__all__ = [
    "ARCHIVES",
    "ArchiveError",
    "Extracted",
    "Member",
    "extract",
    "member_names",
    "read_members",
    "safe_mode",
]

#: The archive names a source or prefix may have.
ARCHIVES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tar", ".zip")
#: How many links one path may pass through, as on Linux (ELOOP).
MAX_LINKS = 40
#: The longest link target a zip member may store (PATH_MAX).
MAX_TARGET = 4096
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_SPECIAL_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX
_LOOP = f"a link loop (or a chain of more than {MAX_LINKS} links)"
_LINKS = frozenset({"symlink", "hardlink"})
_ADVICE = "get the source from its publisher, or unpack and check it yourself"

Kind = Literal["file", "dir", "symlink", "hardlink", "device", "fifo", "other"]


class ArchiveError(UsageError):
    """An archive that cannot be read, or a member that would leave the extraction directory."""


@dataclass(frozen=True)
class Member:
    """One member as the archive states it, independent of the format."""

    name: str
    kind: Kind
    #: Where a symbolic link points (relative to its directory), or what a hard link names (relative to the top).
    target: str = ""
    #: Permission bits as stored, set-id and sticky bits included; None when the archive keeps none.
    mode: int | None = None


def _show(text: str) -> str:
    """TEXT quoted so that no byte of it can break the one-line message (newlines, escapes), and cut
    short when it is longer than a message line should be."""
    return repr(text) if len(text) <= 160 else f"{text[:80]!r}...{text[-40:]!r}"


def _reason(exc: BaseException) -> str:
    """EXC's message on one line (tarfile's lists one line per compression it tried), cut short."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


class _Refused(Exception):
    """Raised inside the pre-pass; becomes an ArchiveError naming the archive."""


class _Escape(Exception):
    def __init__(self, via: tuple[str, ...] | None) -> None:
        super().__init__(via)
        self.via = via  # the link whose target climbs out; None when the path itself does


class _Loop(Exception):
    pass


class _Tree:
    """What the archive creates so far, as far as paths go: which locations are links, and to what."""

    def __init__(self) -> None:
        self.links: dict[tuple[str, ...], str] = {}
        self.kinds: dict[tuple[str, ...], str] = {}

    def resolve(self, parts: list[str], *, follow_last: bool = True, followed: int = 0) -> tuple[str, ...]:
        """PARTS (relative to the extraction directory) with the archive's links followed, as the kernel
        walks a path: raises _Escape when it climbs out, _Loop after MAX_LINKS links (FOLLOWED already)."""
        done: list[str] = []
        # each component with the link whose target it comes from (None: PARTS itself)
        pending: list[tuple[str, tuple[str, ...] | None]] = [(part, None) for part in parts]
        while pending:
            part, origin = pending.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not done:
                    raise _Escape(origin)
                done.pop()
                continue
            here = (*done, part)
            target = self.links.get(here)
            if target is None or not (pending or follow_last):
                done.append(part)
                continue
            followed += 1
            if followed > MAX_LINKS:
                raise _Loop
            if target.startswith("/"):
                raise _Escape(here)
            pending = [(item, here) for item in target.split("/")] + pending
        return tuple(done)


def _parts(member: Member, *, zip_names: bool) -> list[str]:
    """The member's path components; refuses names that are absolute, climb with '..' or are Windows paths."""
    name = member.name
    if zip_names and ("\\" in name or (len(name) > 1 and name[1] == ":" and name[0].isalpha())):
        msg = f"member {_show(name)} is a Windows path (a backslash or a drive letter)"
        raise _Refused(msg)
    if name.startswith("/"):
        msg = f"member {_show(name)} has an absolute path"
        raise _Refused(msg)
    raw = name.split("/")
    if ".." in raw:
        msg = f"member {_show(name)} has a '..' component, which climbs out of the archive's directory"
        raise _Refused(msg)
    return [part for part in raw if part not in ("", ".")]


def _outside(member: Member, exc: _Escape, tree: _Tree) -> _Refused:
    name = _show(member.name)
    if exc.via is not None:
        link, target = _show("/".join(exc.via)), _show(tree.links[exc.via])
        return _Refused(f"member {name} goes through {link}, which links to {target}, outside the archive")
    if member.kind == "symlink":
        return _Refused(f"member {name} links to {_show(member.target)}, outside the archive")
    return _Refused(f"member {name} would be written outside the archive's directory")


def _check_members(members: list[Member], *, zip_names: bool = False) -> list[tuple[Member, tuple[str, ...]]]:
    """The members to extract, each with where it lands; raises _Refused on the first unsafe one.

    The checks follow the archive's order, since a member is written through the links that the
    members before it created; a last pass checks every link again against all the others (a link
    that is harmless when written may be made to climb out by a later one)."""
    tree = _Tree()
    kept: list[tuple[Member, tuple[str, ...]]] = []
    for member in members:
        if member.kind in ("device", "fifo", "other"):
            what = {"device": "a device file", "fifo": "a FIFO", "other": "neither a file, a directory nor a link"}
            msg = f"member {_show(member.name)} is {what[member.kind]}"
            raise _Refused(msg)
        parts = _parts(member, zip_names=zip_names)
        if not parts:
            if member.kind == "dir":
                continue  # "./", the extraction directory itself
            msg = f"member {_show(member.name)} has an empty name"
            raise _Refused(msg)
        if member.kind != "dir" and member.name.rsplit("/", 1)[-1] in ("", "."):
            msg = f"member {_show(member.name)} names a directory, but is not one"
            raise _Refused(msg)
        try:
            where = (*tree.resolve(parts[:-1]), parts[-1])
        except _Escape as exc:
            raise _outside(member, exc, tree) from None
        except _Loop:
            msg = f"member {_show(member.name)} goes through {_LOOP}"
            raise _Refused(msg) from None
        under = next((where[:d] for d in range(1, len(where)) if tree.kinds.get(where[:d], "dir") != "dir"), None)
        if under is not None:
            msg = f"member {_show(member.name)} is under {_show('/'.join(under))}, which is a file of the archive"
            raise _Refused(msg)
        before = tree.kinds.get(where)
        if before is not None and _LINKS & {before, member.kind}:
            msg = f"member {_show(member.name)} appears twice in the archive, once as a link"
            raise _Refused(msg)
        if before is not None and (before == "dir") != (member.kind == "dir"):
            msg = f"member {_show(member.name)} appears twice in the archive, as a file and as a directory"
            raise _Refused(msg)
        if member.kind == "symlink":
            _check_symlink(member, where, tree)
            tree.links[where] = member.target
        elif member.kind == "hardlink":
            _check_hardlink(member, tree, zip_names=zip_names)
        for depth in range(1, len(where)):
            tree.kinds.setdefault(where[:depth], "dir")  # created on the way: a later link there would replace it
        tree.kinds[where] = member.kind
        kept.append((member, where))
    for member, where in kept:
        if member.kind == "symlink":
            _check_symlink(member, where, tree)
    return kept


def _check_symlink(member: Member, where: tuple[str, ...], tree: _Tree) -> None:
    if not member.target:
        msg = f"member {_show(member.name)} is a link with an empty target"
        raise _Refused(msg)
    if member.target.startswith("/"):
        msg = f"member {_show(member.name)} links to {_show(member.target)}, outside the archive"
        raise _Refused(msg)
    try:
        tree.resolve([*where[:-1], *member.target.split("/")], followed=1)  # the kernel counts this link too
    except _Escape as exc:
        raise _outside(member, exc, tree) from None
    except _Loop:
        msg = f"member {_show(member.name)} links to {_show(member.target)}, {_LOOP}"
        raise _Refused(msg) from None


def _check_hardlink(member: Member, tree: _Tree, *, zip_names: bool) -> None:
    """A hard link must name a file the archive wrote before it (tarfile links what the name resolves to)."""
    linked = Member(member.target, "file")
    try:
        parts = _parts(linked, zip_names=zip_names)
        where = tree.resolve(parts)
    except _Refused:
        msg = f"member {_show(member.name)} is a hard link to {_show(member.target)}, outside the archive"
        raise _Refused(msg) from None
    except _Escape:
        msg = f"member {_show(member.name)} is a hard link to {_show(member.target)}, outside the archive"
        raise _Refused(msg) from None
    except _Loop:
        msg = f"member {_show(member.name)} is a hard link through {_LOOP}"
        raise _Refused(msg) from None
    if tree.kinds.get(where) not in ("file", "hardlink"):
        msg = f"member {_show(member.name)} is a hard link to {_show(member.target)}, which is no file before it in the archive"
        raise _Refused(msg)


def safe_mode(member: Member) -> int:
    """The data filter's permission bits for a file: no set-id, sticky or group/other write bits, the
    owner may read and write, and execute bits only when the owner had one."""
    mode = (0o644 if member.mode is None else member.mode) & 0o755
    if not mode & stat.S_IXUSR:
        mode &= ~0o111
    return mode | 0o600


def _tar_kind(info: tarfile.TarInfo) -> Kind:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.ischr() or info.isblk():
        return "device"
    if info.isfifo():
        return "fifo"
    return "other"


def _zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Member:
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    kind: Kind = "dir" if info.is_dir() else "file"
    target = ""
    file_type = stat.S_IFMT(mode)
    if file_type == stat.S_IFLNK:
        kind = "symlink"
        if info.file_size > MAX_TARGET:
            msg = f"member {_show(info.filename)} is a link with a target of {info.file_size} bytes"
            raise _Refused(msg)
        target = zf.read(info).decode("utf-8", "surrogateescape")
    elif file_type in (stat.S_IFCHR, stat.S_IFBLK):
        kind = "device"
    elif file_type in (stat.S_IFIFO, stat.S_IFSOCK):
        kind = "fifo"
    elif file_type == stat.S_IFDIR:
        kind = "dir"
    if info.flag_bits & 0x1:
        msg = f"member {_show(info.filename)} is encrypted"
        raise _Refused(msg)
    return Member(info.filename, kind, target, stat.S_IMODE(mode) or None)


def _format(archive: Path) -> str:
    with archive.open("rb") as file:
        magic = file.read(4)
    if magic in _ZIP_MAGIC:
        return "zip"
    if magic == _ZSTD_MAGIC:
        return "zstd"
    return "tar"


@contextmanager
def _zstd_decompressed(archive: Path) -> Iterator[IO[bytes]]:
    """The tar inside a .tar.zst: Python 3.14's compression.zstd, else the zstd program."""
    if sys.version_info >= (3, 14):  # pragma: no cover - the CPython releases tested here predate it
        zstd = importlib.import_module("compression.zstd")
        with zstd.ZstdFile(archive) as file:
            yield file
        return
    from .tools import find_tool

    program = find_tool("zstd")
    if program is None:
        msg = (
            f"archive {archive.name} is zstd-compressed, which this Python ({sys.version.split()[0]}) cannot read; "
            "install the zstd program (Debian/Ubuntu: apt-get install zstd) or recompress it as .tar.xz"
        )
        raise ArchiveError(msg)
    with tempfile.TemporaryFile() as tar:
        proc = subprocess.run([program, "-dcq", "--", str(archive)], stdout=tar, stderr=subprocess.PIPE, check=False)
        if proc.returncode != 0:
            reason = _reason(Exception(proc.stderr.decode(errors="replace"))) or f"exit status {proc.returncode}"
            msg = f"archive {archive.name} is not a valid zstd file ({reason}); re-download it"
            raise ArchiveError(msg)
        tar.seek(0)
        yield tar


_READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)


@contextmanager
def _opened(archive: Path) -> Iterator[tarfile.TarFile | zipfile.ZipFile]:
    """ARCHIVE open for reading, whatever its format; any failure to read it is one ArchiveError."""
    try:
        kind = _format(archive)
    except OSError as exc:
        msg = f"cannot read archive {archive} ({exc.strerror or exc}); make it readable by this user or pass another"
        raise ArchiveError(msg) from None
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive) as zf:
                yield zf
        elif kind == "zstd":
            with _zstd_decompressed(archive) as stream, tarfile.open(fileobj=stream, mode="r:") as tar:
                yield tar
        else:
            with tarfile.open(archive, mode="r:*") as tar:
                yield tar
    except ArchiveError:
        raise
    except _READ_ERRORS as exc:
        msg = f"archive {archive.name} is not a readable tar or zip archive ({_reason(exc)}); re-download it"
        raise ArchiveError(msg) from None


def _members(opened: tarfile.TarFile | zipfile.ZipFile) -> list[tuple[Member, object]]:
    """Every member of OPENED with the format's own record of it, in the archive's order."""
    if isinstance(opened, zipfile.ZipFile):
        infos = opened.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            twice = next(name for name in names if names.count(name) > 1)
            msg = f"member {_show(twice)} appears twice in the archive"
            raise _Refused(msg)
        return [(_zip_member(opened, info), info) for info in infos]
    return [(Member(info.name, _tar_kind(info), info.linkname, info.mode), info) for info in opened.getmembers()]


def _refusal(archive: Path, why: str) -> ArchiveError:
    return ArchiveError(f"archive {archive.name}: {why}; refusing to extract it ({_ADVICE})")


def read_members(archive: Path) -> list[tuple[Member, tuple[str, ...]]]:
    """The checked members of ARCHIVE with where each lands; raises ArchiveError on an unsafe one."""
    with _opened(archive) as opened:
        try:
            return _check_members([m for m, _ in _members(opened)], zip_names=isinstance(opened, zipfile.ZipFile))
        except _Refused as exc:
            raise _refusal(archive, str(exc)) from None
        except _READ_ERRORS as exc:
            msg = f"archive {archive.name} is not a readable tar or zip archive ({_reason(exc)}); re-download it"
            raise ArchiveError(msg) from None


def member_names(archive: Path) -> list[str]:
    """The files of ARCHIVE (checked), relative to its single top-level directory if it has one."""
    members = read_members(archive)
    files = {where for member, where in members if member.kind in ("file", "hardlink")}
    tree = _Tree()
    for member, where in members:
        if member.kind == "symlink":
            tree.links[where] = member.target
    names = []
    for member, where in members:
        if member.kind in ("file", "hardlink") or (
            member.kind == "symlink" and tree.resolve([*where[:-1], *member.target.split("/")]) in files
        ):
            names.append("/".join(where))
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        names = [name.split("/", 1)[1] for name in names]
    return names


@dataclass(frozen=True)
class Extracted:
    """What extract() wrote: how many members, and how many lost set-id or sticky bits."""

    members: int
    cleared: int


def extract(archive: Path, dest: Path) -> Extracted:
    """Extract ARCHIVE into DEST (which must not exist), refusing it whole if any member is unsafe."""
    if os.path.lexists(dest):
        msg = f"{dest} already exists; remove it, or extract into a new directory"
        raise ArchiveError(msg)
    with _opened(archive) as opened:
        try:
            records = _members(opened)
            checked = _check_members([m for m, _ in records], zip_names=isinstance(opened, zipfile.ZipFile))
        except _Refused as exc:
            raise _refusal(archive, str(exc)) from None
        except _READ_ERRORS as exc:
            msg = f"archive {archive.name} is not a readable tar or zip archive ({_reason(exc)}); re-download it"
            raise ArchiveError(msg) from None
        if not checked:
            msg = f"archive {archive.name} is empty; pass the archive of the library's source"
            raise ArchiveError(msg)
        keep = {id(member) for member, _ in checked}
        chosen = [(member, record) for member, record in records if id(member) in keep]
        cleared = sum(1 for member, _ in chosen if member.mode is not None and member.mode & _SPECIAL_BITS)
        above = next(p for p in dest.parents if p.exists() or p == p.parent)
        if not above.is_dir():
            msg = f"cannot create {dest}: {above} is a file; pass a directory to extract into"
            raise ArchiveError(msg)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
        except OSError as exc:
            msg = f"cannot create {dest} ({exc.strerror or exc}); pass a directory you can write to"
            raise ArchiveError(msg) from None
        try:
            if isinstance(opened, zipfile.ZipFile):
                _extract_zip(opened, chosen, part)
            else:
                _extract_tar(opened, chosen, part)
            part.chmod(0o755)
            part.rename(dest)
        except _READ_ERRORS as exc:  # tarfile's FilterError is a TarError
            shutil.rmtree(part, ignore_errors=True)
            msg = f"extracting archive {archive.name} failed ({_reason(exc)}); re-download it, or unpack and check it yourself"
            raise ArchiveError(msg) from None
        except BaseException:
            shutil.rmtree(part, ignore_errors=True)
            raise
    return Extracted(len(chosen), cleared)


def _extract_tar(tar: tarfile.TarFile, chosen: list[tuple[Member, object]], part: Path) -> None:
    infos = [record for _, record in chosen if isinstance(record, tarfile.TarInfo)]
    tar.errorlevel = 2  # a member the filter refuses stops extraction, rather than being skipped quietly
    if hasattr(tarfile, "data_filter"):
        tar.extractall(part, members=infos, filter="data")  # the same rules again, as a second line of defence
        return
    for info in infos:  # CPython before 3.9.17 has no data filter: its permission and owner rules by hand
        info.mode = 0o755 if info.isdir() else safe_mode(Member(info.name, "file", mode=info.mode))
        info.uid = info.gid = -1
        info.uname = info.gname = ""
    tar.extractall(part, members=infos)


def _inside(path: Path, root: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top + os.sep)


def _extract_zip(zf: zipfile.ZipFile, chosen: list[tuple[Member, object]], part: Path) -> None:
    """zipfile's extractall drops permission bits and writes links as files: each member by hand."""
    for member, record in chosen:
        info = cast("zipfile.ZipInfo", record)
        path = part.joinpath(*[p for p in member.name.split("/") if p not in ("", ".")])
        if member.kind == "dir":
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not _inside(path.parent, part):  # the pre-pass already refused this; checked again on disk
            msg = f"member {_show(member.name)} would be written outside the extraction directory"
            raise OSError(msg)
        if member.kind == "symlink":
            path.symlink_to(member.target)
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out, zf.open(info) as data:
            shutil.copyfileobj(data, out)
        path.chmod(safe_mode(member))
