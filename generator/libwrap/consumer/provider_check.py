"""What ``libwrap check`` finds wrong with a provider wheel, one that other wheels link to: a libwrap
provider (a top-level ``<pkg>/libwrap.json``) or any wheel that ships libraries under their own SONAME
(the ``nvidia-*`` and RAPIDS ``lib*`` wheels).

A provider's files are read by other projects' builds and by the dynamic loader on machines it was
not built on, so each rule is about that: every ``.pc``, CMake, libtool and ``*-config`` file names
no absolute path (a ``.pc`` works through ``${pcfiledir}``), no text file names the build machine's
directories, every library is one file under its SONAME (a wheel cannot hold symlinks), the licences
are there and named in METADATA, and for a libwrap provider ``libwrap.json`` says what the ELF files
are and ``_init`` loads every library it lists. (Search paths, and what the libraries need, are
checked as for any wheel: ``libwrap.consumer.check``.)
"""

from __future__ import annotations

import dataclasses
import email.parser
import posixpath
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..build.libraries import link_name
from ..elf import DynamicInfo, has_symbol_versions
from ..errors import UsageError
from ..providers import wheel_manifest
from ..wheelfile import Wheel
from .analysis import declared_distributions, origin_dirs

__all__ = ["ProviderWheel", "provider_problems", "recognise"]

REBUILD = "rebuild the provider with libwrap"

#: Where builds happen, not where wheels are installed: a path under one of these in a text file is the
#: build machine's. /tmp and /var/tmp (pip's and scikit-build-core's build directories), /__w (GitHub
#: Actions container jobs), /home and /root (build users' homes, GitHub's /home/runner/work), /builds
#: (GitLab CI), /github/workspace, /project (cibuildwheel's Linux containers), /io (the manylinux
#: images' documented mount), /opt/_internal (manylinux's own Pythons), /opt/conda/conda-bld (conda-build).
BUILD_ROOTS = (
    "/tmp/", "/var/tmp/", "/__w/", "/home/", "/root/", "/builds/", "/github/workspace/", "/project/",
    "/io/", "/opt/_internal/", "/opt/conda/conda-bld/",
)  # fmt: skip

# An absolute path in a line: "/" at the start, after a separator or -I/-L, not "//" (a URL's host).
_ABSOLUTE = re.compile(r"(?:^|(?<=[\s\"'`=(;,:])|(?<=-[IL]))(/(?!/)[\w.~+@%-][^\s\"'`;,:()\]]*)")
# A .pc variable definition: name = value (fields are "Name: value").
_PC_VARIABLE = re.compile(r"\s*([A-Za-z0-9_.]+)\s*=")
_SHOWN = 160  # characters of a line a message quotes
# What a licence file is called (libwrap.build.licenses looks for the same names in a source)
_LICENSE_NAME = re.compile(r"(?i)(licen[cs]e|copying|copyright|notice)")


@dataclasses.dataclass(frozen=True)
class ProviderWheel:
    """A wheel other wheels link to, and what it says it is."""

    #: The package holding libwrap.json; None for a library wheel libwrap did not build.
    package: str | None
    #: libwrap.json as checked by libwrap.providers (None: no manifest, or one that does not parse).
    manifest: Mapping[str, Any] | None
    #: Why the manifest was refused ("" when it was not).
    manifest_error: str = ""

    def requires(self) -> frozenset[str]:
        """The providers its libwrap.json says it is built on (canonical names): its load() imports them."""
        names = self.manifest.get("requires", []) if self.manifest else []
        return frozenset(str(canonicalize_name(name)) for name in names)


def _private(member: str) -> bool:
    """Whether MEMBER is metadata or a copy auditwheel grafted (``<pkg>.libs/``): not what the wheel provides."""
    top = member.split("/", 1)[0]
    return top.endswith(".dist-info") or posixpath.dirname(member).endswith(".libs")


def _shipped_library(member: str, info: DynamicInfo) -> bool:
    """A library the wheel ships for others to link to: a shared object with a SONAME, named like a
    library (``lib/libfoo.so.1``), not metadata nor a grafted copy. (Extension modules have no SONAME,
    or not a ``lib*`` one.)"""
    name = posixpath.basename(member)
    soname = info.soname or ""
    return info.elf_type == "ET_DYN" and soname.startswith("lib") and name.startswith("lib") and not _private(member)


def recognise(wheel: Wheel, elf: Mapping[str, DynamicInfo]) -> ProviderWheel | None:
    """WHEEL as a provider: its libwrap.json, else the libraries it ships for others (see
    _shipped_library); None when it ships none (a consumer)."""
    try:
        found = wheel_manifest(wheel)
    except UsageError as exc:
        package = next(m.split("/")[0] for m in wheel.members if m.count("/") == 1 and m.endswith("/libwrap.json"))
        return ProviderWheel(package, None, str(exc))
    if found is not None:
        return ProviderWheel(found[0], found[1])
    if any(_shipped_library(member, info) for member, info in elf.items()):
        return ProviderWheel(None, None)
    return None


def provider_problems(wheel: Wheel, elf: Mapping[str, DynamicInfo], provider: ProviderWheel) -> list[str]:
    """Each way the provider wheel WHEEL (whose ELF files are ELF) fails other projects' builds or the
    loader, as one line; none: it passes."""
    found = list(_text_problems(wheel, elf))
    found += _soname_problems(wheel, elf, provider)
    found += _license_problems(wheel)
    if provider.package is not None:
        if provider.manifest is None:
            found.append(f"{provider.package}/libwrap.json is refused: {provider.manifest_error}")
        else:
            found += _manifest_problems(wheel, elf, provider.package, provider.manifest)
            found += _init_problems(elf, provider.package, provider.manifest)
    return found


# --- text files: relocatable build files and the build machine's paths


def _kind(member: str) -> str:
    """How a member's paths are judged: a build file other projects' builds read (pc, cmake, la, config,
    manifest: no absolute path at all), a C header (header: no build machine's path outside ``#if 0``),
    Python code (python: not the wheel's own build prefix), any other text (text: no build machine's path)."""
    name = posixpath.basename(member)
    if name.endswith(".pc"):
        return "pc"
    if name.endswith(".cmake"):
        return "cmake"
    if name.endswith(".la"):
        return "la"
    if name.endswith("-config"):
        return "config"
    if name == "libwrap.json" and member.count("/") == 1:
        return "manifest"
    if name.endswith((".h", ".hh", ".hpp", ".hxx")):
        return "header"
    return "python" if name.endswith((".py", ".pyi")) else "text"


def _text(data: bytes) -> str | None:
    """DATA as text, or None for a binary file (NUL bytes, not UTF-8)."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _build_path(path: str, prefixes: Iterable[str]) -> bool:
    """Whether PATH is under a build machine's directory: a build root, or a prefix the wheel names as its own."""
    return path.startswith(BUILD_ROOTS) or any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def _shown(line: str) -> str:
    text = line.strip()
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _pc_prefix_fix(member: str) -> str:
    """What prefix= of the .pc MEMBER must say: the directory its lib/pkgconfig (or share/pkgconfig) is in."""
    parts = posixpath.dirname(member).split("/")
    if parts[-1] == "pkgconfig" and len(parts) >= 3 and parts[-2] in ("lib", "lib64", "share"):
        return "write prefix=${pcfiledir}/../.. (libwrap's staging does)"
    return "write prefix as a path relative to ${pcfiledir} (libwrap's staging does)"


def _learned_prefixes(wheel: Wheel, elf: Mapping[str, DynamicInfo]) -> set[str]:
    """The directories the wheel itself names as where it was built: absolute RUNPATH/RPATH entries, the
    absolute prefix= of its .pc files and libdir= of its .la files."""
    found = {entry for info in elf.values() for entry in (*info.runpath, *info.rpath) if entry.startswith("/")}
    for member, data in wheel.members.items():
        kind = _kind(member)
        if kind not in ("pc", "la"):
            continue
        for line in (_text(data) or "").splitlines():
            name, _, value = line.partition("=")
            if name.strip() in ("prefix", "libdir") and value.strip().strip("'\"").startswith("/"):
                found.add(value.strip().strip("'\"").rstrip("/"))
    return {path for path in found if path.count("/") >= 2}  # not "/usr": every system path is under one


def _why(kind: str, member: str, line: str, path: str, prefixes: set[str]) -> str:
    """Why PATH on LINE of MEMBER (a build file of KIND) is wrong, and how to fix it."""
    whose = "the build machine's" if _build_path(path, prefixes) else "outside the wheel"
    if kind == "pc":
        match = _PC_VARIABLE.match(line)
        if match and match.group(1) == "prefix":
            where = "the build machine's prefix" if whose != "outside the wheel" else "an absolute prefix"
            return f"{where}; {_pc_prefix_fix(member)}"
        return f"an absolute path, {whose}; write it from ${{prefix}}, itself relative to ${{pcfiledir}}"
    if kind == "cmake":
        return (
            f"an absolute path, {whose}; derive the package's paths from ${{CMAKE_CURRENT_LIST_DIR}} "
            "(libwrap's CMake config does) and name system libraries without a path"
        )
    if kind == "la":
        return (
            f"an absolute path, {whose}: libtool's .la files always record the build's paths; leave them "
            "out of the wheel (Debian and Fedora delete them, libwrap's staging ships none)"
        )
    if kind == "config":
        return (
            f"an absolute path, {whose}; compute the prefix from the script's own location, or leave the "
            "script out (the .pc file says the same, relocatably)"
        )
    return f"an absolute path, {whose}; {REBUILD}"


_IF = re.compile(r"\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b\s*(.*)")


def _dead_lines(text: str) -> set[int]:
    """The line numbers of TEXT (a C header) inside ``#if 0`` blocks: what no compiler reads
    (libxslt's xsltconfig.h keeps its plug-in path there when built --without-plugins)."""
    dead: set[int] = set()
    depth = 0  # nesting inside the #if 0 block, 0 when outside
    for number, line in enumerate(text.splitlines(), start=1):
        match = _IF.match(line)
        keyword, rest = (match.group(1), match.group(2).split("/")[0].strip()) if match else ("", "")
        if depth == 0:
            if keyword == "if" and rest == "0":
                depth = 1
                dead.add(number)
            continue
        dead.add(number)
        if keyword in ("if", "ifdef", "ifndef"):
            depth += 1
        elif keyword == "endif" or (keyword in ("else", "elif") and depth == 1):
            depth -= 1
    return dead


def _offending(text: str, kind: str, prefixes: set[str]) -> Iterator[tuple[int, str, str]]:
    """(line number, line, path) of each line of TEXT that names a path it must not: any absolute path
    in a build file (comments aside), a build machine's path in any other text ("python": only the
    prefixes the wheel names as its own, for Python code names /tmp and /home paths of its users; a C
    header's ``#if 0`` blocks aside)."""
    dead = _dead_lines(text) if kind == "header" else set()
    for number, line in enumerate(text.splitlines(), start=1):
        if (kind not in ("manifest", "text", "python", "header") and line.lstrip().startswith("#")) or number in dead:
            continue
        for match in _ABSOLUTE.finditer(line):
            path = match.group(1)
            if kind == "python":
                bad = any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)
            else:
                bad = kind not in ("text", "header") or _build_path(path, prefixes)
            if bad:
                yield number, line, path
                break


def _text_problems(wheel: Wheel, elf: Mapping[str, DynamicInfo]) -> Iterator[str]:
    prefixes = _learned_prefixes(wheel, elf)
    for member, data in wheel.members.items():
        if member in elf or _private(member) or data[:8] == b"!<arch>\n" or member.endswith(".pyc"):
            continue
        text = _text(data)
        if text is None:
            continue
        kind = _kind(member)
        lines = list(_offending(text, kind, prefixes))
        if not lines:
            continue
        number, line, path = lines[0]
        more = f" (and {len(lines) - 1} more line{'s' if len(lines) > 2 else ''})" if len(lines) > 1 else ""
        if kind in ("text", "python", "header"):
            why = (
                "the build machine's directory, which does not exist where the wheel is installed; "
                "generate the file without it"
            )
        else:
            why = _why(kind, member, line, path, prefixes)
        yield f"{member} line {number}{more}: {_shown(line)}: {why}"


# --- libraries: one file per SONAME


def _soname_problems(wheel: Wheel, elf: Mapping[str, DynamicInfo], provider: ProviderWheel) -> Iterator[str]:
    manifest = provider.manifest or {}
    system_filter = f"{provider.package}/{manifest['system_filter']}" if manifest.get("system_filter") else ""
    by_soname: dict[str, list[str]] = defaultdict(list)
    for member, info in elf.items():
        if info.soname and info.elf_type == "ET_DYN" and not member.split("/", 1)[0].endswith(".dist-info"):
            by_soname[info.soname].append(member)
    for soname, members in sorted(by_soname.items()):
        copies = sorted(m for m in members if m != system_filter)
        if len(copies) > 1:
            sizes = {len(wheel.members[m]) for m in copies}
            each = f"{next(iter(sizes)):,} B each" if len(sizes) == 1 else "of different sizes"
            names = ", ".join(copies[:-1]) + f" and {copies[-1]}"
            where = posixpath.dirname(min(copies, key=lambda m: posixpath.basename(m) != soname))
            name = link_name(soname)
            every = "both have" if len(copies) == 2 else "all have"
            yield (
                f"{names} {every} the SONAME {soname} ({each}): a wheel cannot hold symlinks, so each is a "
                f"copy, and a process can map more than one; ship only {where}/{soname}, and let -l{name} find "
                f"it through a linker script (libwrap's staging writes lib{name}.a holding INPUT({soname}))"
            )
        elif copies and posixpath.basename(copies[0]) != soname and posixpath.basename(copies[0]).startswith("lib"):
            member = copies[0]
            yield (
                f"{member} has the SONAME {soname} but another file name: the loader finds a library by its "
                f"SONAME, so nothing finds this file; name it {posixpath.dirname(member)}/{soname}"
            )
    if system_filter:
        yield from _filter_problems(elf, provider.package or "", manifest, system_filter)


def _filter_problems(
    elf: Mapping[str, DynamicInfo], package: str, manifest: Mapping[str, Any], member: str
) -> Iterator[str]:
    """The system filter libwrap.json names: a DT_FILTER object under the library's SONAME on its upstream one."""
    info = elf.get(member)
    upstream = str(manifest.get("upstream_soname") or "")
    library = str(manifest.get("library") or "")
    if info is None:
        yield f"{package}/libwrap.json names the system filter {manifest['system_filter']}, which the wheel does not hold; {REBUILD}"
        return
    if library and info.soname != library:
        yield (
            f"{member}, the system filter, has the SONAME {info.soname or '(none)'}, not {library}: loading it "
            f"cannot stand in for the library; {REBUILD}"
        )
    if info.filters != (upstream,):
        said = ", ".join(info.filters) or "nothing (no DT_FILTER)"
        yield (
            f"{member}, the system filter, filters {said}, not {upstream or 'the upstream SONAME'}, the system "
            f"library {package.upper()}_PREFER_SYSTEM_LIBRARY must bind to; {REBUILD}"
        )


# --- licences


def _license_problems(wheel: Wheel) -> Iterator[str]:
    dist = wheel.dist_info
    headers = email.parser.Parser().parsestr(wheel.metadata, headersonly=True)
    named = [str(value).strip() for value in headers.get_all("License-File") or []]
    try:
        pep639 = Version(str(headers["Metadata-Version"] or "1.0").strip()) >= Version("2.4")
    except InvalidVersion:
        pep639 = False
    shipped = {m.removeprefix(f"{dist}/licenses/") for m in wheel.members if m.startswith(f"{dist}/licenses/")}
    # before PEP 639 (Metadata 2.4) setuptools put them at the top of .dist-info, named or not
    legacy = {m.removeprefix(f"{dist}/") for m in wheel.members if m.startswith(f"{dist}/") and m.count("/") == 1}
    if not pep639:
        shipped |= {name for name in legacy if _LICENSE_NAME.match(name)}
    if not named and not shipped:
        yield (
            f"{wheel.path.name} ships no licence file ({dist}/licenses/ is empty and METADATA names none): it "
            "redistributes the library without its licence; name the files in the build (license-files in "
            "[project], libwrap new --license-file)"
        )
        return
    for path in named:
        if path not in shipped and (pep639 or path not in legacy):
            yield (
                f"METADATA names the licence file {path} (License-File), which {dist}/licenses/ does not hold; "
                "rebuild the wheel with it"
            )
    if pep639:
        for path in sorted(shipped - set(named)):
            yield (
                f"{dist}/licenses/{path} is not named in METADATA (License-File), as Metadata 2.4 requires of "
                "every licence file; rebuild the wheel naming it"
            )


# --- libwrap.json against the ELF files


def _versioned(data: bytes) -> bool:
    """Whether the ELF file DATA defines symbol versions (elf.has_symbol_versions reads a path)."""
    with tempfile.TemporaryDirectory(prefix="libwrap-check-") as scratch:
        path = Path(scratch) / "library.so"
        path.write_bytes(data)
        return has_symbol_versions(path)


def _manifest_problems(
    wheel: Wheel, elf: Mapping[str, DynamicInfo], package: str, manifest: Mapping[str, Any]
) -> Iterator[str]:
    where = f"{package}/libwrap.json"
    lib = f"{package}/lib"
    sonames = [str(s) for s in manifest["sonames"]]
    system_filter = f"{package}/{manifest['system_filter']}" if manifest.get("system_filter") else ""
    for soname in sonames:
        member = f"{lib}/{soname}"
        info = elf.get(member)
        if member not in wheel.members:
            yield f"{where} lists the SONAME {soname}, which {lib}/ does not hold; {REBUILD}"
        elif info is None or info.soname != soname:
            said = "no SONAME" if info is None or not info.soname else f"the SONAME {info.soname}"
            yield f"{where} lists {soname}, but {member} has {said}: consumers would need a file nothing loads; {REBUILD}"
    for member, info in sorted(elf.items()):
        if posixpath.dirname(member) == lib and info.soname and info.soname not in sonames and member != system_filter:
            yield (
                f"{member} ({info.soname}) is not among the sonames of {where}, so libwrap repair does not know "
                f"the provider ships it and grafts a copy into every consumer that links to it; {REBUILD}"
            )
    library = manifest.get("library")
    if isinstance(library, str) and library not in sonames:
        yield f"{where} gives the library {library}, which is not among its sonames; {REBUILD}"
    elif isinstance(library, str) and isinstance(manifest.get("versioned_symbols"), bool):
        member = f"{lib}/{library}"
        if member in elf:
            versioned = _versioned(wheel.members[member])
            if versioned != manifest["versioned_symbols"]:
                said = "true" if manifest["versioned_symbols"] else "false"
                has = "defines symbol versions" if versioned else "defines no symbol versions (no .gnu.version_d)"
                yield (
                    f"{where} says versioned_symbols: {said}, but {member} {has}: import's guard against an "
                    f"unversioned foreign copy (which would abort consumers inside ld.so) goes by it; {REBUILD}"
                )
    for name in manifest.get("pkgconfig", []):
        if f"{lib}/pkgconfig/{name}.pc" not in wheel.members:
            yield f"{where} names the pkg-config module {name}, but {lib}/pkgconfig/{name}.pc is missing; {REBUILD}"
    cmake = manifest.get("cmake_package")
    if isinstance(cmake, str):
        configs = (f"{lib}/cmake/{cmake}/{cmake}Config.cmake", f"{lib}/cmake/{cmake}/{cmake.lower()}-config.cmake")
        if not any(config in wheel.members for config in configs):
            yield f"{where} names the CMake package {cmake}, but {configs[0]} is missing; {REBUILD}"
    declared = declared_distributions(wheel)
    for dependency in manifest.get("requires", []):
        if str(canonicalize_name(dependency)) not in declared:
            yield (
                f"{where} says the library is built on {dependency}, which METADATA does not declare "
                f"(Requires-Dist): installing it would not install {dependency}; {REBUILD}"
            )


# --- _init loads every library


def _loaded_by(elf: Mapping[str, DynamicInfo], start: str) -> dict[str, str]:
    """What the loader maps when START loads: SONAME -> member, each needed name looked up in the search
    path of the object that needs it ($ORIGIN-relative entries, inside the wheel), breadth first; a
    name already mapped is reused, as glibc does."""
    loaded: dict[str, str] = {}
    queue = [start]
    while queue:
        member = queue.pop(0)
        info = elf[member]
        for needed in info.needed:
            if needed in loaded:
                continue
            for directory in origin_dirs(member, info):
                candidate = posixpath.join(directory, needed) if directory else needed
                if candidate in elf:
                    loaded[needed] = candidate
                    queue.append(candidate)
                    break
    return loaded


def _init_problems(elf: Mapping[str, DynamicInfo], package: str, manifest: Mapping[str, Any]) -> Iterator[str]:
    inits = sorted(m for m in elf if posixpath.dirname(m) == package and posixpath.basename(m).startswith("_init."))
    if not inits:
        yield f"{package}/ has no _init extension module, so `import {package}` loads none of its libraries; {REBUILD}"
        return
    loaded = _loaded_by(elf, inits[0])
    missing = [str(s) for s in manifest["sonames"] if str(s) not in loaded and f"{package}/lib/{s}" in elf]
    if missing:
        names = ", ".join(missing)
        yield (
            f"{inits[0]} does not load {names}, directly or through what it loads, so `import {package}` leaves "
            f"{'it' if len(missing) == 1 else 'them'} unloaded and a consumer that needs {'it' if len(missing) == 1 else 'one'} "
            f"finds nothing; link _init to every library, with RUNPATH $ORIGIN/lib (libwrap's build does)"
        )
