"""What a provider project is made of, and the checks every value passes before anything is written."""

from __future__ import annotations

import dataclasses
import keyword
import re
import sys
from pathlib import Path
from typing import Literal

from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from .errors import UsageError

__all__ = [
    "BUILDS",
    "INIT_RETURNS",
    "ProviderSpec",
    "default_requirement",
    "is_url",
    "validate_name",
]

BUILDS = ("cmake", "autotools", "prebuilt")
INIT_RETURNS = ("void", "int", "str")
Build = Literal["cmake", "autotools", "prebuilt"]

# Import names that would shadow something users need, beyond keywords and the stdlib.
RESERVED_NAMES = frozenset({"libwrap", "lib", "include", "test", "tests", "src", "build", "dist", "setup", "site"})

_SONAME = re.compile(r"lib[A-Za-z0-9_+-][A-Za-z0-9_.+-]*\.so(\.[0-9]+)*")
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CMAKE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.+-]*")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_URL = re.compile(r"(https?|ftp|file)://\S+")
_ARCHIVES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tar", ".zip")
# Characters that cannot pass through the generated CMake strings and TOML unharmed.
_UNSAFE_TEXT = re.compile(r'["\\;$\x00-\x1f]')


def _stdlib_modules() -> frozenset[str]:
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    return frozenset(sys.builtin_module_names) | {"os", "sys", "json", "io", "re", "math", "time", "types", "ctypes"}


def validate_name(name: str) -> str:
    """NAME is both the import name and the distribution name."""
    if not name:
        msg = "the project name is empty; pass a name such as 'openblas'"
        raise UsageError(msg)
    if not name.isidentifier() or not name.isascii():
        msg = (
            f"{name!r} is not a valid Python import name; use lowercase letters, digits and underscores (e.g. 'mylib')"
        )
        raise UsageError(msg)
    try:
        canonicalize_name(name, validate=True)
    except InvalidName:
        msg = f"{name!r} is not a valid distribution name; use letters, digits and underscores, not starting or ending with '_'"
        raise UsageError(msg) from None
    if name != name.lower():
        msg = f"{name!r} has upper-case letters; use {name.lower()!r} (import and distribution names are lowercase)"
        raise UsageError(msg)
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        msg = f"{name!r} is a Python keyword and cannot be imported; pick another name (e.g. '{name}lib')"
        raise UsageError(msg)
    if name in _stdlib_modules():
        msg = f"{name!r} is a standard-library module and would shadow it; pick another name (e.g. 'py{name}')"
        raise UsageError(msg)
    if name in RESERVED_NAMES:
        msg = f"{name!r} is reserved (it would clash with a common directory or module); pick another name"
        raise UsageError(msg)
    return name


def is_url(source: str) -> bool:
    return _URL.fullmatch(source) is not None


def abi_upper_bound(version: str, abi_upper: str = "") -> str:
    """The first release that may break the ABI: 0.x breaks on minor releases, later ones on major."""
    if abi_upper:
        return abi_upper
    major, minor = (*Version(version).release, 0)[:2]
    return f"0.{minor + 1}" if major == 0 else f"{major + 1}"


def default_requirement(name: str, version: str, abi_upper: str = "") -> str:
    """``name>=version,<next ABI break``."""
    return f"{name}>={Version(version).public},<{abi_upper_bound(version, abi_upper)}"


def _release_tuple(version: str) -> str:
    """Python source for a version's release numbers, e.g. '(0, 3, 29)'."""
    return repr(tuple(Version(version).release))


@dataclasses.dataclass(frozen=True)
class ProviderSpec:
    """Everything the template needs; ``validate()`` raises UsageError on the first bad value."""

    name: str
    version: str
    source: str
    init_symbol: str
    build: Build = "cmake"
    sha256: str = ""
    soname: str = ""
    init_returns: str = "void"
    build_args: tuple[str, ...] = ()
    cmake_package: str = ""
    pkgconfig_name: str = ""
    link_name: str = ""
    include_subdir: str = ""
    init_result_name: str = "init_result"
    build_args_if_missing: tuple[tuple[str, str], ...] = ()
    abi_upper: str = ""
    license_files: tuple[str, ...] = ()
    license_expression: str = ""
    description: str = ""

    def validate(self) -> ProviderSpec:
        validate_name(self.name)
        try:
            Version(self.version)
        except InvalidVersion:
            msg = f"version {self.version!r} is not a PEP 440 version; pass --version like 1.2.3"
            raise UsageError(msg) from None
        if self.abi_upper:
            try:
                Version(self.abi_upper)
            except InvalidVersion:
                msg = (
                    f"abi_upper {self.abi_upper!r} is not a version; use the first release that breaks the ABI, e.g. 2"
                )
                raise UsageError(msg) from None
        if self.build not in BUILDS:
            msg = f"unknown build {self.build!r}; use one of {', '.join(BUILDS)}"
            raise UsageError(msg)
        self._validate_source()
        if self.sha256 and not _SHA256.fullmatch(self.sha256):
            msg = f"--sha256 {self.sha256!r} is not 64 hexadecimal digits; copy the full sha256 of the tarball"
            raise UsageError(msg)
        if self.soname and not _SONAME.fullmatch(self.soname):
            msg = f"--soname {self.soname!r} is not a shared-library name; use the form lib<name>.so.<major>, e.g. libfoo.so.1"
            raise UsageError(msg)
        if not _C_IDENTIFIER.fullmatch(self.init_symbol):
            msg = f"--init-symbol {self.init_symbol!r} is not a C identifier; name a function the library exports"
            raise UsageError(msg)
        if self.init_returns not in INIT_RETURNS:
            msg = f"--init-returns {self.init_returns!r} is unknown; use one of {', '.join(INIT_RETURNS)}"
            raise UsageError(msg)
        for arg in self.build_args:
            if _UNSAFE_TEXT.search(arg):
                msg = f"build argument {arg!r} contains a quote, backslash, semicolon, '$' or control character; pass it without them"
                raise UsageError(msg)
        if not _C_IDENTIFIER.fullmatch(self.init_result_name) or keyword.iskeyword(self.init_result_name):
            msg = f"init_result_name {self.init_result_name!r} is not a Python identifier; use e.g. 'config'"
            raise UsageError(msg)
        for label, path in (
            ("include_subdir", self.include_subdir),
            *(("build_args_if_missing", p) for p, _ in self.build_args_if_missing),
        ):
            if path and (
                Path(path).is_absolute() or ".." in Path(path).parts or _UNSAFE_TEXT.search(path) or "|" in path
            ):
                msg = f"{label} {path!r} must be a plain relative path inside the tree; remove '..', '/' at the start and quotes"
                raise UsageError(msg)
        for _, arg in self.build_args_if_missing:
            if _UNSAFE_TEXT.search(arg):
                msg = f"build argument {arg!r} contains a quote, backslash, semicolon, '$' or control character; pass it without them"
                raise UsageError(msg)
        named = (
            ("cmake package", self.cmake_package),
            ("pkg-config name", self.pkgconfig_name),
            ("link name", self.link_name),
        )
        for label, value in named:
            if value and not _CMAKE_NAME.fullmatch(value):
                msg = f"{label} {value!r} is not a valid name; use letters, digits, '_', '.', '+' or '-'"
                raise UsageError(msg)
        for label, value in (
            ("description", self.description),
            ("license", self.license_expression),
            *(("license file", p) for p in self.license_files),
        ):
            if _UNSAFE_TEXT.search(value):
                msg = f"{label} {value!r} contains a quote, backslash, semicolon, '$' or control character; remove them"
                raise UsageError(msg)
        return self

    def _validate_source(self) -> None:
        if not self.source:
            msg = "no library source; pass --source with a URL, a source directory or a tarball"
            raise UsageError(msg)
        if is_url(self.source):
            if self.build == "prebuilt" and not self.source.endswith(_ARCHIVES):
                msg = f"--source {self.source} must be an archive of an install prefix for --build prebuilt"
                raise UsageError(msg)
            return
        if "://" in self.source:
            msg = f"--source {self.source!r} is not a supported URL; use http(s)://, ftp:// or file://"
            raise UsageError(msg)
        path = Path(self.source)
        if not path.exists():
            msg = f"--source {self.source} does not exist; pass an existing directory, a tarball or a URL"
            raise UsageError(msg)
        if path.is_file() and not path.name.endswith(_ARCHIVES):
            msg = f"--source {self.source} is neither a directory nor an archive ({', '.join(_ARCHIVES)}); pass one of those"
            raise UsageError(msg)
        if path.is_dir() and self.build == "cmake" and not (path / "CMakeLists.txt").is_file():
            msg = f"--source {self.source} has no CMakeLists.txt; use --build autotools or --build prebuilt for this source"
            raise UsageError(msg)
        if path.is_dir() and self.build == "autotools" and not (path / "configure").is_file():
            msg = (
                f"--source {self.source} has no configure script; run ./autogen.sh there first, or pick another --build"
            )
            raise UsageError(msg)

    def context(self, libwrap_version: str) -> dict[str, str]:
        """The cookiecutter context: every value a string, ready for the template."""
        source = self.source if is_url(self.source) else str(Path(self.source).resolve())
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description
            or f"The {self.name} shared library, packaged once for every wheel that links to it",
            "build": self.build,
            "source": source,
            "sha256": self.sha256.lower(),
            "soname": self.soname,
            "init_symbol": self.init_symbol,
            "init_returns": self.init_returns,
            "build_args": ";".join(self.build_args),
            "cmake_package": self.cmake_package or self.name,
            "pkgconfig_name": self.pkgconfig_name or self.name,
            "link_name": self.link_name,
            "include_subdir": self.include_subdir,
            "init_result_name": self.init_result_name,
            "build_args_if_missing": ";".join(f"{path}|{arg}" for path, arg in self.build_args_if_missing),
            "requirement": default_requirement(self.name, self.version, self.abi_upper),
            "version_info": _release_tuple(self.version),
            "abi_below": _release_tuple(abi_upper_bound(self.version, self.abi_upper)),
            "license_files": ";".join(self.license_files),
            "license_expression": self.license_expression,
            "libwrap_version": libwrap_version,
        }
