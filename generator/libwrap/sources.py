"""What ``libwrap new`` can learn from a local library source before anything is built: its version
and whether it carries licence files."""

from __future__ import annotations

import re
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from packaging.version import InvalidVersion, Version

from .spec import ARCHIVES, is_url

__all__ = ["archive_names", "source_names", "tree_names", "version_from_source"]

# A release number after the project name: OpenBLAS-0.3.28, pixman_0.44.0, v1.2.3, 2.1.0rc1.
_RELEASE = re.compile(r"(?:^|[-_])v?(\d+(?:\.\d+)+(?:(?:a|b|rc)\d+)?)(?![\d])")
# Where build files state the version.
_BUILD_FILES = {
    "CMakeLists.txt": re.compile(r"project\s*\([^)]*?\bVERSION\s+(\d+(?:\.\d+)+)", re.IGNORECASE),
    "meson.build": re.compile(r"project\s*\([^)]*?\bversion\s*:\s*'(\d+(?:\.\d+)+)'", re.DOTALL),
    "configure.ac": re.compile(r"AC_INIT\(\s*\[?[^],]+\]?\s*,\s*\[?(\d+(?:\.\d+)+)\]?\s*[,)]"),
}


def version_from_name(name: str) -> str | None:
    """The release in a tarball, directory or URL name; Debian's ``1.3.dfsg+really1.3.1`` gives 1.3.1."""
    stem = PurePosixPath(name.split("?", 1)[0]).name
    for suffix in ARCHIVES:
        stem = stem.removesuffix(suffix)
    stem = stem.removesuffix(".orig").rsplit("+really", 1)[-1]
    match = _RELEASE.search(stem) or re.fullmatch(r"(\d+(?:\.\d+)+)", stem)
    if match is None:
        return None
    try:
        return str(Version(match.group(1)))
    except InvalidVersion:  # pragma: no cover - the pattern only admits valid versions
        return None


def version_from_source(source: str) -> tuple[str, str] | None:
    """(version, where it was read) from SOURCE's name, else from a source directory's build files."""
    found = version_from_name(source)
    if found:
        return found, f"the name {PurePosixPath(source).name}"
    path = Path(source)
    if is_url(source) or not path.is_dir():
        return None
    for filename, pattern in _BUILD_FILES.items():
        build_file = path / filename
        if build_file.is_file():
            match = pattern.search(build_file.read_text(encoding="utf-8", errors="replace"))
            if match:
                return str(Version(match.group(1))), f"{filename} in {path}"
    return None


def archive_names(archive: Path) -> list[str]:
    """Member files of a tarball or zip, relative to its single top-level directory if it has one."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
    else:
        with tarfile.open(archive) as tar:
            names = [m.name for m in tar.getmembers() if m.isfile()]
    names = [n.removeprefix("./") for n in names]
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        names = [n.split("/", 1)[1] for n in names]
    return names


def tree_names(root: Path) -> list[str]:
    """The files under ROOT, as POSIX paths relative to it."""
    return [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]


def source_names(source: str) -> list[str] | None:
    """The files of a local source directory or archive, relative to its top; None when unknown (a URL)."""
    path = Path(source)
    if is_url(source) or not path.exists():
        return None
    if path.is_dir():
        return tree_names(path)
    try:
        return archive_names(path)
    except (tarfile.TarError, zipfile.BadZipFile, OSError):
        return None  # e.g. .tar.zst before Python 3.14: the build checks it instead
