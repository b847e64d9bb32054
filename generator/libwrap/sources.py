"""What ``libwrap new`` can learn from a local library source before anything is built (its version,
whether it carries licence files), and the one walker of the trees a build reads from: links are
followed only while they stay inside the tree."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path, PurePosixPath

from packaging.version import InvalidVersion, Version

from .archives import ARCHIVES, member_names
from .errors import UsageError
from .spec import is_url

__all__ = [
    "LinkError",
    "resolve_inside",
    "source_names",
    "tree_files",
    "tree_names",
    "version_from_name",
    "version_from_source",
]

# A release number after the project name: OpenBLAS-0.3.28, pixman_0.44.0, v1.2.3, 2.1.0rc1.
_RELEASE = re.compile(r"(?:^|[-_])v?(\d+(?:\.\d+)+(?:(?:a|b|rc)\d+)?)(?![\d])")
# Where build files state the version.
_BUILD_FILES = {
    "CMakeLists.txt": re.compile(r"project\s*\([^)]*?\bVERSION\s+(\d+(?:\.\d+)+)", re.IGNORECASE),
    "meson.build": re.compile(r"project\s*\([^)]*?\bversion\s*:\s*'(\d+(?:\.\d+)+)'", re.DOTALL),
    "configure.ac": re.compile(r"AC_INIT\(\s*\[?[^],]+\]?\s*,\s*\[?(\d+(?:\.\d+)+)\]?\s*[,)]"),
}


class LinkError(UsageError):
    """A link in a tree the build reads from leads outside it, loops, or points nowhere."""


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
            try:
                text = build_file.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                msg = f"cannot read {build_file} ({exc.strerror or exc}); make it readable, or pass --version"
                raise UsageError(msg) from None
            match = pattern.search(text)
            if match:
                return str(Version(match.group(1))), f"{filename} in {path}"
    return None


def _within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _link_problem(path: Path, top: str) -> str:
    """Why the links on the way to PATH keep it from being read inside the tree TOP; "" if they do not."""
    real = os.path.realpath(path)
    inside = _within(real, top)
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a link loop; remove it"
        if exc.errno == errno.ENOENT and inside:
            return "which does not exist; remove the link or restore what it names"
    return "" if inside else "outside"


def resolve_inside(root: Path, path: Path) -> Path:
    """PATH (ROOT itself or under it) with every link resolved; a LinkError naming the link when that
    leads outside ROOT (the build machine's own files would ship), loops or points nowhere."""
    top = os.path.realpath(root)
    if not _link_problem(path, top):
        return Path(os.path.realpath(path))
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if not current.is_symlink():
            continue
        problem = _link_problem(current, top)
        if not problem:
            continue
        target = str(current.readlink())
        if problem == "outside":
            problem = (
                f"outside {root}; a wheel must not ship the build machine's files: copy the file into {root} instead"
            )
        msg = f"{current} links to {target!r}, {problem}"
        raise LinkError(msg)
    msg = (
        f"{path} cannot be read inside {root}; remove the links on its way"  # pragma: no cover - a link is found above
    )
    raise LinkError(msg)


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError as exc:
        msg = f"cannot read the directory {directory} ({exc.strerror or exc}); make it readable (chmod -R u+rX) or run as its owner"
        raise UsageError(msg) from None


def tree_files(root: Path, top: Path | None = None, *, strict: bool = False) -> list[tuple[str, Path]]:
    """Every file under TOP (default ROOT) as (POSIX path relative to TOP, the path to read it from),
    following links while they resolve inside ROOT; a directory link to an enclosing directory is a loop.

    STRICT (a tree that ships whole, like include/): a link that leads outside ROOT, loops or points
    nowhere stops with a LinkError naming it. Otherwise (a tree searched for licence files) a file link
    is listed as it is, for ``resolve_inside`` to check when it is read, and other such links are skipped."""
    base = root if top is None else top
    real_top = os.path.realpath(root)
    start = str(resolve_inside(root, base))
    found: list[tuple[str, Path]] = []

    def walk(directory: Path, real: str, prefix: str, ancestors: frozenset[str]) -> None:
        for entry in _scan(directory):
            path, name = Path(entry.path), prefix + entry.name
            if not entry.is_symlink():
                if entry.is_dir(follow_symlinks=False):
                    here = str(Path(real, entry.name))
                    walk(path, here, name + "/", ancestors | {here})
                elif entry.is_file(follow_symlinks=False):
                    found.append((name, path))
                continue
            if _link_problem(path, real_top):
                if strict:
                    resolve_inside(root, path)
                if not strict and path.is_file():
                    found.append((name, path))  # outside: refused if a licence pattern picks it
                continue
            target = os.path.realpath(path)
            if Path(target).is_dir():
                if target in ancestors:
                    if strict:
                        msg = f"{path} links to {str(path.readlink())!r}, a directory that holds it (a loop); remove it"
                        raise LinkError(msg)
                    continue
                walk(path, target, name + "/", ancestors | {target})
            elif Path(target).is_file():
                found.append((name, Path(target)))

    walk(base, start, "", frozenset({start}))
    return found


def tree_names(root: Path) -> list[str]:
    """The files under ROOT, as POSIX paths relative to it (links inside followed)."""
    return [name for name, _ in tree_files(root)]


def source_names(source: str) -> list[str] | None:
    """The files of a local source directory or archive, relative to its top; None when unknown (a URL).
    An archive's members are checked as the build checks them before extracting it."""
    path = Path(source)
    if is_url(source) or not path.exists():
        return None
    if path.is_dir():
        return tree_names(path)
    return member_names(path)
