"""Stage a built library for a provider wheel: one file per SONAME, clean RUNPATHs, headers, licences,
and the files consumers read (``.pc``, ``libwrap.json``, the ``_distributor_init.py`` writer).

A provider project runs this at configure time through ``libwrap.cmake`` (its CMake functions call
``python -m libwrap.stage``), which is why providers list libwrap in ``build-system.requires``: the
ELF reader, the licence rules, the ABI range and the ``_distributor_init.py`` writer then exist once,
here, instead of as a copy inside every generated project. ``libwrap new`` uses the same functions
to check a prebuilt prefix or a local source before it writes anything.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion

from . import pcfiles
from ._version import __version__
from .elf import (
    DynamicInfo,
    ElfFormatError,
    defined_symbol_type,
    exported_functions,
    has_symbol_versions,
    read_dynamic,
)
from .errors import LibwrapError
from .pcfiles import PcFile
from .providers import installed_libwrap_provider
from .sources import resolve_inside, tree_files, tree_names
from .tools import find_tool, require_build_tool, require_tool
from .versions import release

__all__ = [
    "LICENSE_NAMES",
    "Library",
    "StageError",
    "check_prefix",
    "find_libraries",
    "main",
    "pick_primary",
    "source_licenses",
    "stage",
]

#: Licence files at the top of a source tree, matched case-insensitively (libyaml ships `License`).
LICENSE_NAMES = ("license*", "licence*", "copying*", "copyright*", "notice*")
#: Licence files an install prefix may hold, relative to it (fnmatch: ``*`` crosses directories).
PREFIX_LICENSES = ("share/licenses/*", "share/doc/*/copyright")


class StageError(LibwrapError):
    """A problem with the library that the user must fix; printed as one line."""


@dataclass
class Library:
    """One shared library file and what the loader knows it by."""

    path: Path
    soname: str
    info: DynamicInfo | None = None

    @property
    def needed(self) -> tuple[str, ...]:
        return self.info.needed if self.info else ()

    @property
    def search_path(self) -> tuple[str, ...]:
        return tuple(p for p in (*self.info.rpath, *self.info.runpath) if p) if self.info else ()


def _shared_object(path: Path) -> DynamicInfo | None:
    """The dynamic section of an ELF shared object; None for anything else (a linker script...)."""
    try:
        info = read_dynamic(path, strict=True)
    except ElfFormatError as exc:
        msg = f"{path} is not a valid ELF file ({exc}); rebuild or re-download the library"
        raise StageError(msg) from None
    return info if info is not None and info.elf_type == "ET_DYN" else None


def _find_dylibs_and_dlls(prefix: Path) -> list[Library]:
    """macOS and Windows: a library is known by its install name (dylib) or file name (DLL)."""
    if sys.platform == "win32":
        dlls = sorted((prefix / "bin").glob("*.dll")) or sorted((prefix / "lib").glob("*.dll"))
        return [Library(path=p, soname=p.name) for p in dlls]
    found: dict[Path, Library] = {}
    for path in sorted((prefix / "lib").glob("lib*.dylib")):
        real = resolve_inside(prefix, path)  # a library linked in from the build machine must not ship
        found.setdefault(real, Library(path=real, soname=real.name))
    return list(found.values())


def find_libraries(prefix: Path) -> list[Library]:
    """Every shared library under PREFIX/lib{,64}, one entry per real file (symlinks folded)."""
    if sys.platform in ("darwin", "win32"):
        libraries = _find_dylibs_and_dlls(prefix)
        if not libraries:
            msg = f"no shared library in {prefix}; build the library as shared (BUILD_SHARED_LIBS=ON)"
            raise StageError(msg)
        return libraries
    lib_dirs = [resolve_inside(prefix, d) for d in (prefix / "lib", prefix / "lib64") if d.is_dir() or d.is_symlink()]
    lib_dirs = [d for d in dict.fromkeys(lib_dirs) if d.is_dir()]  # lib64 -> lib is one directory
    if not lib_dirs:
        msg = f"{prefix} has no lib/ directory; point --source at an install prefix (with lib/ and include/)"
        raise StageError(msg)
    by_real: dict[Path, Library] = {}
    unnamed: list[Path] = []
    for lib_dir in lib_dirs:
        for path in sorted(lib_dir.iterdir()):
            if not fnmatch.fnmatch(path.name, "lib*.so*"):
                continue
            if path.is_symlink():
                resolve_inside(prefix, path)  # a library linked in from the build machine must not ship
            if not path.is_file():
                continue
            info = _shared_object(path)
            if info is None and ".so." in path.name:
                msg = f"{path} is not an ELF shared library; rebuild it or remove it from the prefix"
                raise StageError(msg)
            if info is None:
                continue  # lib<name>.so may be a linker script (like libc.so); it is not shipped
            if not info.soname:
                unnamed.append(path)
                continue
            real = path.resolve()
            by_real.setdefault(real, Library(path=real, soname=info.soname, info=info))
    if not by_real and unnamed:
        msg = (
            f"{unnamed[0]} has no SONAME, so consumers could not find it by name; "
            "relink it with -Wl,-soname,<name> (CMake: set the SOVERSION property)"
        )
        raise StageError(msg)
    if not by_real:
        names = ", ".join(str(d) for d in lib_dirs)
        msg = f"no ELF shared library (lib*.so*) in {names}; build the library as shared (BUILD_SHARED_LIBS=ON)"
        raise StageError(msg)
    sonames: dict[str, Library] = {}
    for lib in by_real.values():
        other = sonames.setdefault(lib.soname, lib)
        if other is not lib:
            msg = f"{other.path} and {lib.path} both have SONAME {lib.soname}; remove one from the prefix"
            raise StageError(msg)
    return sorted(by_real.values(), key=lambda lib: lib.soname)


def _host_machine() -> str | None:
    """The ELF machine of this interpreter; libraries built for another one cannot load."""
    try:
        info = read_dynamic(Path(sys.executable).resolve())
    except OSError:
        return None
    return info.machine if info else None


def pick_primary(libraries: list[Library], init_symbol: str, names: Sequence[str] = ()) -> Library:
    """The library that ``_init`` links to first: the one defining the init symbol as a function or,
    with no init symbol, the one whose ``-l`` name is one of NAMES (``libxslt`` -> ``xslt``), or the only one."""
    if sys.platform in ("darwin", "win32"):
        return libraries[0]  # the link step of _init checks the symbol there
    host = _host_machine()
    for lib in libraries:
        if host and lib.info and lib.info.machine != host:
            msg = f"{lib.path} is built for {lib.info.machine}, but this Python runs on {host}; build it for {host}"
            raise StageError(msg)
    if not init_symbol:
        wanted = {n.lower() for name in names if name for n in (name, name.removeprefix("lib"))}
        named = [lib for lib in libraries if _link_name(lib.soname).lower() in wanted]
        if len(named) == 1 or len(libraries) == 1:
            return named[0] if len(named) == 1 else libraries[0]
        sonames = ", ".join(lib.soname for lib in libraries)
        msg = (
            f"the install holds several libraries ({sonames}) and none is named like the provider; "
            "name the main one with --link-name (its -l name) or --init-symbol (a function it exports)"
        )
        raise StageError(msg)
    for lib in libraries:
        kind = defined_symbol_type(lib.path, init_symbol)
        if kind in {"STT_FUNC", "STT_GNU_IFUNC"}:
            return lib
        if kind is not None:
            msg = (
                f"the init symbol {init_symbol!r} in {lib.path.name} is {kind}, not a function, and _init would "
                "call it; pick an exported function that takes no arguments with --init-symbol, or pass none"
            )
            raise StageError(msg)
    names_ = ", ".join(lib.path.name for lib in libraries)
    msg = (
        f"no library exports the init symbol {init_symbol!r} (searched {names_}); "
        "pick a function from `nm -D --defined-only` with --init-symbol, or pass none"
    )
    raise StageError(msg)


def probe_symbol(library: Library, init_symbol: str) -> str:
    """The symbol ``_init`` looks up to find the file the loader bound: the init symbol, else the
    first function the library exports."""
    if init_symbol:
        return init_symbol
    if sys.platform in ("darwin", "win32"):
        msg = "on macOS and Windows _init needs a function to link to; pass --init-symbol"
        raise StageError(msg)
    functions = exported_functions(library.path)
    if not functions:
        msg = (
            f"{library.path.name} exports no function, so no consumer could call it; build it with its symbols visible"
        )
        raise StageError(msg)
    return functions[0]


def runtime_dependencies(libraries: list[Library], provided: frozenset[str] = frozenset()) -> list[Library]:
    """What LIBRARIES need from the system that no manylinux policy allows (libgfortran, libquadmath...).

    They ship beside the library under their own SONAME, as ``auditwheel repair`` would graft them but
    without its hashed rename: the provider then provides them too, so a consumer needing the same
    runtime (SciPy's Fortran code) reuses this copy instead of grafting another. SONAMEs in PROVIDED
    come from other providers (``--requires``) and are never copied."""
    if not sys.platform.startswith("linux"):
        return []
    from auditwheel.lddtree import ldd  # type: ignore[import-untyped]

    from .policy import allowed_by_policy

    staged = {lib.soname for lib in libraries}
    found: dict[str, Library] = {}
    for lib in libraries:
        resolved = ldd(lib.path).libraries
        # Walked by hand, not taken from ldd's flat list: what a provided or allowed library needs
        # (a system libxml2's ICU) is that library's business, never this wheel's.
        pending = list(lib.needed)
        while pending:
            soname = pending.pop(0)
            if soname in staged or soname in found or soname in provided or allowed_by_policy(soname):
                continue
            dep = resolved.get(soname)
            if dep is None or dep.realpath is None:
                print(f"libwrap: warning: {soname}, needed by {lib.path.name}, was not found", file=sys.stderr)
                continue
            found[soname] = Library(path=Path(dep.realpath), soname=soname, info=read_dynamic(Path(dep.realpath)))
            pending.extend(dep.needed)
    return sorted(found.values(), key=lambda lib: lib.soname)


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


def _write_licenses(found: dict[str, Path], out: Path) -> list[str]:
    """Copy the licence files FOUND (by find_licenses) under OUT; returns their paths there."""
    for dest, path in found.items():
        (out / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out / dest)
    return sorted(found)


def _headers(prefix: Path, include_subdir: str) -> list[tuple[str, Path]]:
    """The files of PREFIX's include/ (or include/SUBDIR) to ship, with where each is read from; a link
    that leads outside the prefix, loops or points nowhere stops staging, naming it."""
    include = prefix / "include"
    if include_subdir and (include / include_subdir).is_dir():
        include = include / include_subdir  # e.g. include/openblas: consumers write #include <cblas.h>
    if not include.is_dir() and not include.is_symlink():
        return []
    return tree_files(prefix, include, strict=True)


def check_prefix(
    prefix: Path, include_subdir: str = "", licenses: Sequence[str] = (), *, no_license_files: bool = False
) -> None:
    """What ``libwrap new --build prebuilt`` checks of a prefix directory before it writes anything:
    every header, .pc and licence file staging would copy from it resolves inside it."""
    _headers(prefix, include_subdir)
    pcfiles.installed(prefix)
    if not no_license_files:
        find_licenses([prefix], licenses)


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


def primary_pc(pcs: Sequence[PcFile], pkgconfig_name: str) -> PcFile | None:
    """The library's own .pc file: NAME.pc, else the only one the install has."""
    chosen = [pc for pc in pcs if pc.name == pkgconfig_name] or (list(pcs) if len(pcs) == 1 else [])
    return chosen[0] if chosen else None


def check_version(pcs: Sequence[PcFile], version: str, pkgconfig_name: str) -> None:
    """Stop when the library built says it is another release than the wheel claims."""
    pc = primary_pc(pcs, pkgconfig_name)
    text = pc.version if pc else ""
    if not pc or not text:
        return
    try:
        same = release(text) == release(version)
    except InvalidVersion:
        return  # not a PEP 440 version: nothing to compare it with
    if not same:
        msg = (
            f"the library's {pc.name}.pc says version {text}, but the provider claims {version}; "
            f"regenerate the project with libwrap new --version {text}, or build the release it was made for"
        )
        raise StageError(msg)


def _link_name(filename: str) -> str:
    """What follows -l: libfoo.so.1 -> foo, libfoo.1.dylib -> foo, foo.dll -> foo."""
    stem = filename.removeprefix("lib")
    for marker in (".so", ".dylib", ".dll"):
        stem = stem.split(marker, 1)[0]
    return stem.rstrip("0123456789.") if filename.endswith(".dylib") else stem


@dataclass(frozen=True)
class Options:
    """What ``libwrap_stage_library`` passes on; the command line of ``python -m libwrap.stage stage``
    is derived from these fields (``--include-subdir`` for ``include_subdir``)."""

    prefix: Path = field(metadata={"help": "install prefix of the library"})
    out: Path = field(metadata={"help": "staging directory to (re)create"})
    package: str = field(metadata={"help": "the provider's import and distribution name"})
    version: str = field(metadata={"help": "the provider's version"})
    requirement: str = field(metadata={"help": "what consumers declare"})
    pkgconfig_name: str = field(metadata={"help": "name of the .pc file"})
    init_symbol: str = field(default="", metadata={"help": "function _init calls at import (default: none)"})
    soname: str = field(default="", metadata={"help": "rename the library's SONAME to this"})
    link_name: str = field(default="", metadata={"help": "what follows -l (default: from the SONAME)"})
    include_subdir: str = field(default="", metadata={"help": "take headers from include/<this>"})
    cmake_package: str = field(default="", metadata={"help": "the provider's CMake package (default: package)"})
    requires: tuple[str, ...] = field(
        default=(), metadata={"help": "a provider the library links to (installed here), repeatable"}
    )
    source_dir: Path | None = field(default=None, metadata={"help": "source tree to take licence files from"})
    license: tuple[str, ...] = field(default=(), metadata={"help": "licence file glob, repeatable"})
    runtime_license: tuple[str, ...] = field(
        default=(), metadata={"help": "SONAME=FILE, the licence of a runtime library shipped beside it, repeatable"}
    )
    no_license_files: bool = field(default=False, metadata={"help": "ship no licence file"})


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    for item in fields(Options):
        flag, default = "--" + item.name.replace("_", "-"), item.default
        how: dict[str, Any] = {"help": item.metadata["help"], "dest": item.name}
        if isinstance(default, bool):
            how.update(action="store_true")
        elif isinstance(default, tuple):
            how.update(action="append", default=[])
        else:
            kind = Path if "Path" in str(item.type) else str
            how.update(type=kind, required=default is MISSING, default=None if default is MISSING else default)
        parser.add_argument(flag, **how)


def _patch(lib: Library, dest: Path, staged: dict[str, str], renames: dict[str, str], primary: Library) -> None:
    """Give the copy its new SONAME and DT_NEEDED names, and drop build-time search paths."""
    if sys.platform == "darwin":
        # consumers and _init find it through their @loader_path-relative LC_RPATH
        subprocess.run(["install_name_tool", "-id", f"@rpath/{dest.name}", str(dest)], check=True)
        return
    if sys.platform == "win32":
        return
    patch: list[str] = []
    if lib is primary and renames:
        patch += ["--set-soname", renames[lib.soname]]
    for old, new in renames.items():
        if old in lib.needed:
            patch += ["--replace-needed", old, new]
    if any(n in staged and n != lib.soname for n in lib.needed):
        patch += ["--set-rpath", "$ORIGIN"]  # its dependencies ship beside it
    elif lib.search_path:
        patch += ["--remove-rpath"]  # build-time RUNPATHs (libtool's -rpath, CMake's) point outside the wheel
    if patch:
        patchelf = require_tool("patchelf", "rewrite the library's SONAME and RUNPATH")
        subprocess.run([patchelf, *patch, str(dest)], check=True)


def stage(options: Options) -> dict[str, str]:
    """Copy the library into OUT ready for install(); returns what stage.cmake records."""
    from .preload import writer_module
    from .providers import Provider

    o = options
    requires = [installed_libwrap_provider(name) for name in o.requires]
    provided = frozenset(soname for dep in requires for soname in dep.provider.sonames)
    libraries = find_libraries(o.prefix)
    vendored = [lib.soname for lib in libraries if lib.soname in provided]
    if vendored:
        msg = (
            f"the install holds {', '.join(vendored)}, which the required providers ship; "
            "build against them instead (their .pc files are on PKG_CONFIG_PATH during the build)"
        )
        raise StageError(msg)
    primary = pick_primary(libraries, o.init_symbol, (o.link_name, o.package, o.pkgconfig_name))
    probe = probe_symbol(primary, o.init_symbol)
    own = [lib.soname for lib in libraries]
    pcs = pcfiles.installed(o.prefix)
    check_version(pcs, o.version, o.pkgconfig_name)
    bundled = runtime_dependencies(libraries, provided)
    for lib in bundled:
        print(
            f"libwrap: shipping {lib.soname} ({lib.path}) beside the library: no manylinux policy allows it",
            file=sys.stderr,
        )
    libraries = [*libraries, *bundled]
    renames = {primary.soname: o.soname} if o.soname and o.soname != primary.soname else {}
    staged = {lib.soname: lib.soname for lib in libraries} | renames

    roots = list(dict.fromkeys(r for r in (o.source_dir, o.prefix) if r is not None))
    # everything copied from the prefix and the source is checked before the first write
    found = {} if o.no_license_files else find_licenses(roots, o.license)
    headers = _headers(o.prefix, o.include_subdir)
    if not found and not o.no_license_files:
        where = " and ".join(str(r) for r in roots)
        msg = (
            f"no licence file found in {where} (looked for {', '.join(o.license) or describe_license_names()}); "
            "the wheel would redistribute the library without its licence: name the files with --license-file GLOB "
            "(LICENSE_FILES in libwrap_stage_library), or pass --no-license-files (NO_LICENSE_FILES) if you ship them "
            "another way"
        )
        raise StageError(msg)
    bundled_licenses = {} if o.no_license_files else runtime_licenses(bundled, o.runtime_license)
    if o.out.exists():
        shutil.rmtree(o.out)
    licenses = _write_licenses(found, o.out / "licenses")
    # the runtime libraries' own licences, each under its SONAME (GCC's runtime exception covers libgfortran)
    for soname, files in bundled_licenses.items():
        for file in files:
            dest = o.out / "licenses" / soname / file.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, dest)
            licenses.append(f"{soname}/{file.name}")
    (o.out / "licenses").mkdir(parents=True, exist_ok=True)

    lib_out = o.out / "lib"
    lib_out.mkdir(parents=True)
    for lib in libraries:
        dest = lib_out / staged[lib.soname]
        shutil.copyfile(lib.path, dest)  # a regular file: wheels cannot hold symlinks
        dest.chmod(0o755)
        _patch(lib, dest, staged, renames, primary)

    (o.out / "include").mkdir()
    for name, path in headers:  # each a regular file: wheels cannot hold symlinks
        (o.out / "include" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, o.out / "include" / name)

    primary_name = staged[primary.soname]
    link_name = o.link_name or _link_name(primary_name)
    link_files: list[str] = []
    scripts: dict[str, str] = {}  # -l name -> the library its linker script names
    import_library = ""
    if sys.platform == "win32":
        # MSVC links against foo.lib, the import library of foo.dll
        implib = o.prefix / "lib" / f"{Path(primary_name).stem}.lib"
        if implib.is_file():
            import_library = str(lib_out / implib.name)
            shutil.copyfile(implib, import_library)
            link_files.append(import_library)
    elif sys.platform != "darwin":
        # Wheels cannot hold the lib<name>.so symlink; for -l<name> the linker also tries lib<name>.a and
        # reads a non-archive there as a linker script. Named .a, not .so, so that tools which open
        # every *.so in a wheel as ELF (abi3audit) do not trip on it. One per library the build installed,
        # under its upstream -l name too, which the library's own .pc files use.
        for soname in own:
            names = [link_name, _link_name(soname)] if soname == primary.soname else [_link_name(soname)]
            for name in names:
                if f"lib{name}.so" != staged[soname]:
                    scripts.setdefault(name, staged[soname])
        (o.out / "link").mkdir()
        for name, target in scripts.items():
            script = o.out / "link" / f"lib{name}.a"
            script.write_text(f"INPUT({target})\n", encoding="utf-8")
            link_files.append(str(script))

    sonames = sorted(staged.values())
    metadata = o.out / "metadata"
    metadata.mkdir()
    # Every .pc the library installed, relocatable; the main one under the provider's pkg-config name.
    pc_out = o.out / "pkgconfig"
    pc_out.mkdir()
    main_pc = primary_pc(pcs, o.pkgconfig_name)
    dep_modules = [dep.pkgconfig[0] for dep in requires]
    shipped = set(scripts) | {_link_name(n) for n in staged.values()}
    for pc in pcs:
        extra, link = (dep_modules, link_name) if pc is main_pc else ([], "")
        roots = [dep.root for dep in requires]
        text = pcfiles.relocate(pc, o.package, o.prefix, o.include_subdir, extra, roots, link, shipped)
        # the main one also under the provider's name, and every one under its upstream name (pixman-1)
        for name in {pc.name, o.pkgconfig_name} if pc is main_pc else {pc.name}:
            (pc_out / f"{name}.pc").write_text(text, encoding="utf-8")
    if main_pc is None:
        (pc_out / f"{o.pkgconfig_name}.pc").write_text(
            pcfiles.generated(o.package, o.pkgconfig_name, o.version, primary_name, link_name, dep_modules),
            encoding="utf-8",
        )
    pkgconfig = sorted(p.stem for p in pc_out.glob("*.pc"))
    pkgconfig.remove(o.pkgconfig_name)
    manifest = {
        "schema": 1,
        "name": o.package,
        "version": o.version,
        "requirement": o.requirement,
        "preload": o.package,
        "library": primary_name,
        "sonames": sonames,
        "versioned_symbols": sys.platform not in ("darwin", "win32") and has_symbol_versions(lib_out / primary_name),
        "link_name": link_name,
        # for providers built on this one (libwrap new --requires): the main module first
        "pkgconfig": [o.pkgconfig_name, *pkgconfig],
        "cmake_package": o.cmake_package or o.package,
        "requires": [dep.provider.distribution for dep in requires],
    }
    (metadata / "libwrap.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    provider = Provider(o.package, o.version, frozenset(sonames), o.requirement, o.package, "libwrap build")
    (metadata / "_preload.py").write_text(writer_module(provider, __version__), encoding="utf-8")

    info = {
        "LIBRARY_FILES": ";".join(str(lib_out / name) for name in sonames),
        "PRIMARY_FILE": str(lib_out / primary_name),
        "PRIMARY_SONAME": primary_name,
        "LINK_FILES": ";".join(link_files),
        "IMPORT_LIBRARY": import_library,
        # _init links to every library the build installed, so that importing the provider loads each
        "OTHER_FILES": ";".join(str(lib_out / staged[soname]) for soname in own if soname != primary.soname),
        "PROBE_SYMBOL": probe,
        # find_dependency() in the CMake config, one per required provider
        "REQUIRED_CMAKE_PACKAGES": ";".join(dep.cmake_package for dep in requires),
    }
    lines = [f"set({key} [==[{value}]==])" for key, value in info.items()]
    (o.out / "stage.cmake").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"libwrap: staged {', '.join(sonames)} from {o.prefix} ({len(licenses)} licence files)", file=sys.stderr)
    return info


def preflight(build_tools: Sequence[str] = ()) -> None:
    """Checks that run before the library is fetched and built, so a missing tool costs seconds."""
    for name in build_tools:
        require_build_tool(name)
    if sys.platform.startswith("linux"):
        require_tool("patchelf", "rewrite the library's SONAME and RUNPATH")
    try:
        import elftools  # noqa: F401  (pyelftools reads every library staged)
    except ImportError:
        msg = f"pyelftools is missing from {sys.executable}; install it: {sys.executable} -m pip install pyelftools"
        raise StageError(msg) from None


def build_env(providers: Sequence[str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for building a library against PROVIDERS (installed here): their .pc files for
    pkg-config (meson, autoconf's PKG_CHECK_MODULES), headers and libraries for plain compiler and
    linker runs, prefixes for CMake's find_package. Values the user set are kept, after ours."""
    environ = dict(os.environ if environ is None else environ)
    # with the providers those are built on: the linker resolves libxml2's own DT_NEEDED libz too
    found: dict[str, Path] = {}
    pending = list(providers)
    while pending:
        name = pending.pop(0)
        if name not in found:
            dep = installed_libwrap_provider(name)
            found[name] = dep.root
            pending.extend(dep.requires)
    roots = list(found.values())

    def joined(key: str, values: list[str], sep: str) -> str:
        return sep.join([*values, *([environ[key]] if environ.get(key) else [])])

    env = {
        "PKG_CONFIG_PATH": joined("PKG_CONFIG_PATH", [str(r / "lib" / "pkgconfig") for r in roots], os.pathsep),
        "CPPFLAGS": joined("CPPFLAGS", [f"-I{r / 'include'}" for r in roots], " "),
        # -rpath-link: executables the build links (xsltproc) resolve the provider's DT_NEEDED there
        "LDFLAGS": joined(
            "LDFLAGS", [f for r in roots for f in (f"-L{r / 'lib'}", f"-Wl,-rpath-link,{r / 'lib'}")], " "
        ),
        "CMAKE_PREFIX_PATH": joined("CMAKE_PREFIX_PATH", [str(r) for r in roots], os.pathsep),
    }
    pkg_config = environ.get("PKG_CONFIG") or find_tool("pkg-config") or find_tool("pkgconf")
    if pkg_config:
        env["PKG_CONFIG"] = pkg_config
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m libwrap.stage", description=__doc__.splitlines()[0], allow_abbrev=False
    )
    steps = parser.add_subparsers(dest="step", required=True)
    check = steps.add_parser("preflight", help="check the tools the build and staging need, before the long build")
    check.add_argument("--tool", action="append", default=[], help="a program the library's build needs, repeatable")
    env = steps.add_parser("build-env", help="write the environment for building against other providers")
    env.add_argument("--provider", action="append", default=[], help="an installed provider, repeatable")
    env.add_argument("--out", type=Path, required=True, help="CMake file setting LIBWRAP_REQUIRED_ENV")
    _add_arguments(steps.add_parser("stage", help="stage an installed library into a directory", allow_abbrev=False))
    unpack = steps.add_parser("extract", help="extract a source or prefix archive, refusing members that leave DEST")
    unpack.add_argument("--archive", type=Path, required=True, help="the .tar.* or .zip file")
    unpack.add_argument("--dest", type=Path, required=True, help="the directory to create and extract into")
    args = parser.parse_args(argv)
    try:
        if args.step == "extract":
            from .archives import extract

            done = extract(args.archive, args.dest)
            cleared = f"; cleared the set-id or sticky bits of {done.cleared}" if done.cleared else ""
            print(
                f"libwrap: extracted {done.members} members of {args.archive.name} into {args.dest}{cleared}",
                file=sys.stderr,
            )
            return 0
        if args.step == "preflight":
            preflight(args.tool)
            return 0
        if args.step == "build-env":
            items = " ".join(f"[==[{key}={value}]==]" for key, value in build_env(args.provider).items())
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(f"set(LIBWRAP_REQUIRED_ENV {items})\n", encoding="utf-8")
            return 0
        values = {item.name: getattr(args, item.name) for item in fields(Options)}
        # repeatable options become tuples; CMake passes an empty item for an unset cache variable
        lists = {name: tuple(v for v in value if v) for name, value in values.items() if isinstance(value, list)}
        stage(Options(**{**values, **lists}))
    except LibwrapError as exc:
        print(f"libwrap: {exc}", file=sys.stderr)
        return exc.exit_code  # 2 for bad input (a hostile archive or prefix), 1 for a failed step
    return 0


if __name__ == "__main__":
    sys.exit(main())
