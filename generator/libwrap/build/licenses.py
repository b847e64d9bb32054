"""Which licence files a provider wheel ships: the library's own (from its source and install prefix,
or the globs the user names) and those of the system runtime libraries shipped beside it."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import StageError
from ..sources import resolve_inside, tree_names
from ..tools import find_tool
from .libraries import Library

__all__ = [
    "LICENSE_NAMES",
    "PREFIX_LICENSES",
    "describe_license_names",
    "find_licenses",
    "runtime_licenses",
    "source_licenses",
    "system_license_files",
    "write_licenses",
]

#: Licence files at the top of a source tree, matched case-insensitively (libyaml ships `License`).
LICENSE_NAMES = ("license*", "licence*", "copying*", "copyright*", "notice*")

#: Licence files an install prefix may hold, relative to it (fnmatch: ``*`` crosses directories).
PREFIX_LICENSES = ("share/licenses/*", "share/doc/*/copyright")


def _is_license_name(name: str) -> bool:
    return any(fnmatch.fnmatch(name.lower(), pattern) for pattern in LICENSE_NAMES)


def source_licenses(names: Sequence[str], patterns: Sequence[str] = ()) -> list[str]:
    """Which of NAMES (POSIX paths relative to a tree's top) are licence files: those matching the
    user's PATTERNS when given, else the usual names at the top level and, for an install prefix,
    under share/licenses/ and share/doc/*/copyright."""
    if patterns:
        return sorted(n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns))
    found = [n for n in names if "/" not in n and _is_license_name(n)]
    found += [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in PREFIX_LICENSES)]
    return sorted(set(found))


def describe_license_names() -> str:
    """The licence file names looked for at a source's top level, for messages."""
    return ", ".join(n.upper() for n in LICENSE_NAMES) + " (any case)"


def find_licenses(roots: Sequence[Path], patterns: Sequence[str]) -> dict[str, Path]:
    """The licence files to ship, by their path under ``licenses/`` (as under their root), with the
    file each is read from; every one must resolve inside its root. A file identical to one already
    found is skipped (an install often repeats the source's)."""
    chosen: dict[str, Path] = {}
    seen: list[bytes] = []
    for root in roots:
        if not root.is_dir():
            continue
        for name in source_licenses(tree_names(root), patterns):
            path = resolve_inside(root, root / name)
            try:
                data = path.read_bytes()
            except OSError as exc:
                msg = f"cannot read the licence file {root / name} ({exc.strerror or exc}); make it readable"
                raise StageError(msg) from None
            if data in seen:
                continue
            seen.append(data)
            chosen[name if name not in chosen else f"{root.name}/{name}"] = path
    return chosen


def write_licenses(found: dict[str, Path], out: Path) -> list[str]:
    """Copy the licence files FOUND (by find_licenses) under OUT; returns their paths there."""
    for dest, path in found.items():
        (out / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out / dest)
    return sorted(found)


def system_license_files(path: Path) -> list[Path]:
    """The licence files of the system package that installed PATH, asked of dpkg (Debian's
    /usr/share/doc/<package>/copyright) or rpm (its %license files); [] when no package owns it."""
    # usrmerge: a package may list /lib/... for a file the loader found as /usr/lib/...
    text = str(path)
    candidates = [text, text.removeprefix("/usr")] if text.startswith("/usr/lib") else [text]
    if text.startswith("/lib"):
        candidates.append(f"/usr{text}")
    dpkg, rpm = find_tool("dpkg-query"), find_tool("rpm")
    for candidate in candidates:
        if dpkg:
            proc = subprocess.run([dpkg, "-S", candidate], capture_output=True, text=True, check=False)
            if proc.returncode == 0:  # "libgfortran5:amd64: /usr/lib/x86_64-linux-gnu/libgfortran.so.5.0.0"
                package = proc.stdout.split(":", 1)[0].strip()
                copyright = Path("/usr/share/doc") / package / "copyright"
                if copyright.is_file():
                    return [copyright]
        if rpm:
            proc = subprocess.run([rpm, "-q", "-L", "-f", candidate], capture_output=True, text=True, check=False)
            if proc.returncode == 0:
                files = [Path(line) for line in proc.stdout.splitlines() if line.startswith("/")]
                if found := [f for f in files if f.is_file()]:
                    return found
    return []


def runtime_licenses(bundled: Sequence[Library], given: Sequence[str]) -> dict[str, list[Path]]:
    """The licence files of each runtime library shipped beside the library, by SONAME: those GIVEN as
    SONAME=FILE, else those of the system package that installed it. Stops when one has none."""
    chosen: dict[str, list[Path]] = {}
    for item in given:
        soname, sep, file = item.partition("=")
        if not sep or not soname or not Path(file).is_file():
            msg = f"--runtime-license {item!r} is not SONAME=FILE naming an existing file; give e.g. libgfortran.so.5=/path/COPYING"
            raise StageError(msg)
        chosen.setdefault(soname, []).append(Path(file))
    shipped = {lib.soname for lib in bundled}
    for soname in sorted(set(chosen) - shipped):
        print(f"libwrap: warning: --runtime-license names {soname}, which this wheel does not ship", file=sys.stderr)
    for lib in bundled:
        if lib.soname in chosen:
            continue
        found = system_license_files(lib.path)
        if not found:
            msg = (
                f"{lib.soname} ({lib.path}) ships beside the library, but no dpkg or rpm package owns it, so its licence "
                f"was not found; name it with --runtime-license {lib.soname}=FILE (at build time: "
                f"-Ccmake.define.LIBWRAP_RUNTIME_LICENSES={lib.soname}=FILE), or pass --no-license-files if you ship it another way"
            )
            raise StageError(msg)
        chosen[lib.soname] = found
    return {soname: files for soname, files in chosen.items() if soname in shipped}
