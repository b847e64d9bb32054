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
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion

from ._version import __version__
from .elf import DynamicInfo, ElfFormatError, defined_symbol_type, has_symbol_versions, read_dynamic
from .errors import LibwrapError
from .sources import tree_names
from .tools import require_build_tool, require_tool
from .versions import release

__all__ = [
    "LICENSE_NAMES",
    "Library",
    "StageError",
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
        real = path.resolve()
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
    lib_dirs = [d for d in (prefix / "lib", prefix / "lib64") if d.is_dir()]
    if not lib_dirs:
        msg = f"{prefix} has no lib/ directory; point --source at an install prefix (with lib/ and include/)"
        raise StageError(msg)
    by_real: dict[Path, Library] = {}
    unnamed: list[Path] = []
    for lib_dir in lib_dirs:
        for path in sorted(lib_dir.iterdir()):
            if not fnmatch.fnmatch(path.name, "lib*.so*") or not path.is_file():
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


def pick_primary(libraries: list[Library], init_symbol: str) -> Library:
    """The library that ``_init`` links to: the one defining the init symbol as a function."""
    if sys.platform in ("darwin", "win32"):
        return libraries[0]  # the link step of _init checks the symbol there
    host = _host_machine()
    for lib in libraries:
        if host and lib.info and lib.info.machine != host:
            msg = f"{lib.path} is built for {lib.info.machine}, but this Python runs on {host}; build it for {host}"
            raise StageError(msg)
    for lib in libraries:
        kind = defined_symbol_type(lib.path, init_symbol)
        if kind in {"STT_FUNC", "STT_GNU_IFUNC"}:
            return lib
        if kind is not None:
            msg = (
                f"the init symbol {init_symbol!r} in {lib.path.name} is {kind}, not a function, and _init would "
                "call it; pick an exported function that takes no arguments with --init-symbol"
            )
            raise StageError(msg)
    names = ", ".join(lib.path.name for lib in libraries)
    msg = (
        f"no library exports the init symbol {init_symbol!r} (searched {names}); "
        "pick a function from `nm -D --defined-only` with --init-symbol"
    )
    raise StageError(msg)


def runtime_dependencies(libraries: list[Library]) -> list[Library]:
    """What LIBRARIES need from the system that no manylinux policy allows (libgfortran, libquadmath...).

    They ship beside the library under their own SONAME, as ``auditwheel repair`` would graft them but
    without its hashed rename: the provider then provides them too, so a consumer needing the same
    runtime (SciPy's Fortran code) reuses this copy instead of grafting another."""
    if not sys.platform.startswith("linux"):
        return []
    from auditwheel.lddtree import ldd  # type: ignore[import-untyped]

    from .policy import allowed_by_policy

    staged = {lib.soname for lib in libraries}
    found: dict[str, Library] = {}
    for lib in libraries:
        for soname, dep in ldd(lib.path).libraries.items():
            if soname in staged or soname in found or allowed_by_policy(soname):
                continue
            if dep.realpath is None:
                print(f"libwrap: warning: {soname}, needed by {lib.path.name}, was not found", file=sys.stderr)
                continue
            found[soname] = Library(path=Path(dep.realpath), soname=soname, info=read_dynamic(Path(dep.realpath)))
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


def _copy_licenses(roots: list[Path], patterns: list[str], out: Path) -> list[str]:
    """Copy licence files under OUT keeping their paths relative to their root; returns those paths.
    A file identical to one already copied is skipped (an install often repeats the source's)."""
    copied: dict[str, bytes] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for name in source_licenses(tree_names(root), patterns):
            data = (root / name).read_bytes()
            if data in copied.values():
                continue
            dest = name if name not in copied else f"{root.name}/{name}"
            copied[dest] = data
            (out / dest).parent.mkdir(parents=True, exist_ok=True)
            (out / dest).write_bytes(data)
    return sorted(copied)


def _own_pc(prefix: Path, pkgconfig_name: str) -> Path | None:
    """The library's own .pc file: NAME.pc, else the only one the install has."""
    files = [p for d in ("lib/pkgconfig", "lib64/pkgconfig", "share/pkgconfig") for p in (prefix / d).glob("*.pc")]
    chosen = [p for p in files if p.stem == pkgconfig_name] or (files if len(files) == 1 else [])
    return chosen[0] if chosen else None


def _pc_version(prefix: Path, pkgconfig_name: str) -> tuple[str, str] | None:
    """The Version: of the library's own .pc file, with its file name."""
    path = _own_pc(prefix, pkgconfig_name)
    if path is None:
        return None
    match = re.search(r"^Version:\s*(\S+)", path.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
    return (match.group(1), path.name) if match else None


# Variables the provider's .pc defines itself (relative to ${pcfiledir}), never copied from the build's.
_OWN_PC_VARIABLES = frozenset({"prefix", "exec_prefix", "libdir", "includedir", "sharedlibdir", "pcfiledir"})
_PC_VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$")


def pc_variables(prefix: Path, pkgconfig_name: str) -> list[tuple[str, str]]:
    """The library's own .pc variables that build scripts read (OpenBLAS's ``openblas_config``, which
    NumPy's show_config reports), minus the paths: those would point into the build machine."""
    path = _own_pc(prefix, pkgconfig_name)
    if path is None:
        return []
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _PC_VARIABLE.match(line.strip())
        if match and match[1] not in _OWN_PC_VARIABLES and str(prefix) not in match[2]:
            found.append((match[1], match[2].strip()))
    return found


def check_version(prefix: Path, version: str, pkgconfig_name: str) -> None:
    """Stop when the library built says it is another release than the wheel claims."""
    found = _pc_version(prefix, pkgconfig_name)
    if found is None:
        return
    text, pc = found
    try:
        same = release(text) == release(version)
    except InvalidVersion:
        return  # not a PEP 440 version: nothing to compare it with
    if not same:
        msg = (
            f"the library's {pc} says version {text}, but the provider claims {version}; "
            f"regenerate the project with libwrap new --version {text}, or build the release it was made for"
        )
        raise StageError(msg)


def _link_name(filename: str) -> str:
    """What follows -l: libfoo.so.1 -> foo, libfoo.1.dylib -> foo, foo.dll -> foo."""
    stem = filename.removeprefix("lib")
    for marker in (".so", ".dylib", ".dll"):
        stem = stem.split(marker, 1)[0]
    return stem.rstrip("0123456789.") if filename.endswith(".dylib") else stem


def _pkgconfig_text(
    package: str, name: str, version: str, library: str, link_name: str, variables: Sequence[tuple[str, str]] = ()
) -> str:
    kept = "".join(f"{key}={value}\n" for key, value in variables)
    return (
        f"# Relocatable: every path is relative to this file, wherever the {package} wheel is installed.\n"
        "prefix=${pcfiledir}/../..\n"
        "libdir=${prefix}/lib\n"
        "includedir=${prefix}/include\n" + (f"# from the library's own .pc file\n{kept}" if kept else "") + "\n"
        f"Name: {name}\n"
        f"Description: {library} from the {package} Python package (import {package} before loading code linked to it)\n"
        f"URL: https://pypi.org/project/{package}/\n"
        f"Version: {version}\n"
        f"Libs: -L${{libdir}} -l{link_name}\n"
        "Cflags: -I${includedir}\n"
    )


@dataclass(frozen=True)
class Options:
    """What ``libwrap_stage_library`` passes on; the command line of ``python -m libwrap.stage stage``
    is derived from these fields (``--include-subdir`` for ``include_subdir``)."""

    prefix: Path = field(metadata={"help": "install prefix of the library"})
    out: Path = field(metadata={"help": "staging directory to (re)create"})
    package: str = field(metadata={"help": "the provider's import and distribution name"})
    version: str = field(metadata={"help": "the provider's version"})
    requirement: str = field(metadata={"help": "what consumers declare"})
    init_symbol: str = field(metadata={"help": "function _init calls at import"})
    pkgconfig_name: str = field(metadata={"help": "name of the .pc file"})
    soname: str = field(default="", metadata={"help": "rename the library's SONAME to this"})
    link_name: str = field(default="", metadata={"help": "what follows -l (default: from the SONAME)"})
    include_subdir: str = field(default="", metadata={"help": "take headers from include/<this>"})
    source_dir: Path | None = field(default=None, metadata={"help": "source tree to take licence files from"})
    license: tuple[str, ...] = field(default=(), metadata={"help": "licence file glob, repeatable"})
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
    libraries = find_libraries(o.prefix)
    primary = pick_primary(libraries, o.init_symbol)
    check_version(o.prefix, o.version, o.pkgconfig_name)
    bundled = runtime_dependencies(libraries)
    for lib in bundled:
        print(
            f"libwrap: shipping {lib.soname} ({lib.path}) beside the library: no manylinux policy allows it",
            file=sys.stderr,
        )
    libraries = [*libraries, *bundled]
    renames = {primary.soname: o.soname} if o.soname and o.soname != primary.soname else {}
    staged = {lib.soname: lib.soname for lib in libraries} | renames

    roots = list(dict.fromkeys(r for r in (o.source_dir, o.prefix) if r is not None))
    found = (
        []
        if o.no_license_files
        else [n for r in roots if r.is_dir() for n in source_licenses(tree_names(r), o.license)]
    )
    if not found and not o.no_license_files:
        where = " and ".join(str(r) for r in roots)
        msg = (
            f"no licence file found in {where} (looked for {', '.join(o.license) or describe_license_names()}); "
            "the wheel would redistribute the library without its licence: name the files with --license-file GLOB "
            "(LICENSE_FILES in libwrap_stage_library), or pass --no-license-files (NO_LICENSE_FILES) if you ship them "
            "another way"
        )
        raise StageError(msg)
    if o.out.exists():
        shutil.rmtree(o.out)
    licenses = [] if o.no_license_files else _copy_licenses(roots, list(o.license), o.out / "licenses")
    (o.out / "licenses").mkdir(parents=True, exist_ok=True)

    lib_out = o.out / "lib"
    lib_out.mkdir(parents=True)
    for lib in libraries:
        dest = lib_out / staged[lib.soname]
        shutil.copyfile(lib.path, dest)  # a regular file: wheels cannot hold symlinks
        dest.chmod(0o755)
        _patch(lib, dest, staged, renames, primary)

    include = o.prefix / "include"
    if o.include_subdir and (include / o.include_subdir).is_dir():
        include = include / o.include_subdir  # e.g. include/openblas: consumers write #include <cblas.h>
    if include.is_dir():
        shutil.copytree(include, o.out / "include", symlinks=False)
    else:
        (o.out / "include").mkdir()

    primary_name = staged[primary.soname]
    link_name = o.link_name or _link_name(primary_name)
    link_files: list[str] = []
    import_library = ""
    if sys.platform == "win32":
        # MSVC links against foo.lib, the import library of foo.dll
        implib = o.prefix / "lib" / f"{Path(primary_name).stem}.lib"
        if implib.is_file():
            import_library = str(lib_out / implib.name)
            shutil.copyfile(implib, import_library)
            link_files.append(import_library)
    elif sys.platform != "darwin" and primary_name != f"lib{link_name}.so":
        # Wheels cannot hold the lib<name>.so symlink; for -l<name> the linker also tries lib<name>.a and
        # reads a non-archive there as a linker script. Named .a, not .so, so that tools which open
        # every *.so in a wheel as ELF (abi3audit) do not trip on it.
        script = o.out / "link" / f"lib{link_name}.a"
        script.parent.mkdir()
        script.write_text(f"INPUT({primary_name})\n", encoding="utf-8")
        link_files.append(str(script))

    sonames = sorted(staged.values())
    metadata = o.out / "metadata"
    metadata.mkdir()
    (metadata / f"{o.pkgconfig_name}.pc").write_text(
        _pkgconfig_text(
            o.package, o.pkgconfig_name, o.version, primary_name, link_name, pc_variables(o.prefix, o.pkgconfig_name)
        ),
        encoding="utf-8",
    )
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m libwrap.stage", description=__doc__.splitlines()[0], allow_abbrev=False
    )
    steps = parser.add_subparsers(dest="step", required=True)
    check = steps.add_parser("preflight", help="check the tools the build and staging need, before the long build")
    check.add_argument("--tool", action="append", default=[], help="a program the library's build needs, repeatable")
    _add_arguments(steps.add_parser("stage", help="stage an installed library into a directory", allow_abbrev=False))
    args = parser.parse_args(argv)
    try:
        if args.step == "preflight":
            preflight(args.tool)
            return 0
        values = {item.name: getattr(args, item.name) for item in fields(Options)}
        stage(Options(**{**values, "license": tuple(p for p in values["license"] if p)}))
    except LibwrapError as exc:
        print(f"libwrap: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
