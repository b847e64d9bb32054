"""The libraries a build installed: which files they are, which one is the main one, what they need
from the system, and how each copy is patched for the wheel (SONAME, DT_NEEDED, RUNPATH)."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..elf import DynamicInfo, ElfFormatError, defined_symbol_type, exported_functions, read_dynamic
from ..errors import StageError
from ..sources import resolve_inside
from ..tools import require_tool

__all__ = [
    "Library",
    "find_libraries",
    "link_name",
    "patch_library",
    "pick_primary",
    "probe_symbol",
    "runtime_dependencies",
]


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
        named = [lib for lib in libraries if link_name(lib.soname).lower() in wanted]
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

    from ..policy import allowed_by_policy

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


def link_name(filename: str) -> str:
    """What follows -l: libfoo.so.1 -> foo, libfoo.1.dylib -> foo, foo.dll -> foo."""
    stem = filename.removeprefix("lib")
    for marker in (".so", ".dylib", ".dll"):
        stem = stem.split(marker, 1)[0]
    return stem.rstrip("0123456789.") if filename.endswith(".dylib") else stem


def patch_library(lib: Library, dest: Path, staged: dict[str, str], renames: dict[str, str], primary: Library) -> None:
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
