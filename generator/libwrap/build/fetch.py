"""Get the library's source: a directory as it is, or an archive (local or downloaded) checked against
its sha256 and extracted once per content, every member checked first (``libwrap.archives``)."""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..archives import extract
from ..errors import BuildError, UsageError
from ..spec import is_url

__all__ = ["fetch_source", "sha256_of"]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, work: Path) -> Path:
    """URL's file, downloaded once: cached per URL, not per file name (v1.2.tar.gz of two projects differ)."""
    name = Path(urllib.parse.urlsplit(url).path).name or "source"
    archive = work / "download" / hashlib.sha256(url.encode()).hexdigest() / name
    if archive.is_file():
        return archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    part = archive.with_name(archive.name + ".part")
    print(f"libwrap: downloading {url}", file=sys.stderr)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, part.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        msg = f"downloading {url} failed ({reason}); check the network or pass a local copy as the source"
        raise BuildError(msg) from None
    part.replace(archive)
    return archive


def fetch_source(source: str, sha256: str, work: Path, base: Path | None = None) -> Path:
    """The directory holding SOURCE's tree (or, for a prebuilt library, its prefix). A relative path is
    relative to BASE (the project directory). WORK caches downloads and extracted trees."""
    if not source:
        msg = "no library source is set; set source in [tool.libwrap], or pass -Ccmake.define.LIBWRAP_SOURCE=..."
        raise UsageError(msg)
    sha256 = sha256.lower()
    if is_url(source):
        archive = _download(source, work)
    elif _SCHEME.match(source):
        msg = f"source {source!r} is not a supported URL; use http(s)://, ftp:// or file://"
        raise UsageError(msg)
    else:
        path = Path(source) if base is None else base / source
        path = path.absolute()
        if path.is_dir():
            if sha256:
                # a hash that is never checked would look like a guarantee
                msg = (
                    f"sha256 is set (LIBWRAP_SHA256, or sha256 in [tool.libwrap]), but the source {path} is a "
                    "directory, which has no hash to check; pass the tarball it came from as the source, or drop "
                    "the sha256"
                )
                raise UsageError(msg)
            return path
        if not path.exists():
            msg = f"source {path} does not exist; pass an existing directory, tarball or URL as the source"
            raise UsageError(msg)
        archive = path
    actual = sha256_of(archive)
    if sha256 and actual != sha256:
        msg = (
            f"sha256 mismatch for {source}: expected {sha256}, got {actual}; the file is corrupt or not the release "
            "you meant (set sha256 in [tool.libwrap], or LIBWRAP_SHA256, to the right hash)"
        )
        raise UsageError(msg)
    tree = work / actual
    done = work / f"{actual}.done"
    if not done.exists():
        if tree.exists():
            shutil.rmtree(tree)
        extracted = extract(archive, tree)
        cleared = f"; cleared the set-id or sticky bits of {extracted.cleared}" if extracted.cleared else ""
        print(f"libwrap: extracted {extracted.members} members of {archive.name}{cleared}", file=sys.stderr)
        done.touch()
    entries = list(tree.iterdir())
    # a tarball normally holds one top-level directory
    return entries[0] if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink() else tree
