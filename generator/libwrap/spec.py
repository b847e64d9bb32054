"""What a provider project is made of: every option declared once, with its flag, help, kind and check.

The CLI of ``libwrap new`` (``add_options``), preset files (``presets.load_preset``), the template
context (``ProviderSpec.context``) and README's option table (``options_table``) are all derived from
the fields of ``ProviderSpec``. Adding an option is one field here plus its use in the template.
"""

from __future__ import annotations

import argparse
import dataclasses
import keyword
import os
import re
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from .archives import ARCHIVES
from .errors import UsageError
from .runtime import provider as _runtime_provider
from .versions import abi_upper_bound, admits, cmake_compatibility, compatible_requirement, satisfiable

__all__ = [
    "ARCHIVES",
    "BUILDS",
    "BUILD_REQUIRES",
    "INIT_RETURNS",
    "PUBLIC_API",
    "Option",
    "ProviderSpec",
    "add_options",
    "check_source",
    "is_url",
    "option_fields",
    "options_table",
    "validate_name",
]

BUILDS = ("cmake", "autotools", "meson", "make", "prebuilt")
#: What each build mode needs from PyPI at build time, beyond scikit-build-core and libwrap.
BUILD_REQUIRES = {"meson": ("meson>=1.1", "ninja>=1.11")}
INIT_RETURNS = ("void", "int", "str")
#: Any of these makes a source buildable with --build autotools (configure.ac through autoreconf).
AUTOTOOLS_FILES = ("configure", "configure.ac", "configure.in")

#: What a provider package exports besides its init result: the runtime's helpers (libwrap.runtime.provider),
#: without load() and main(), which its __init__.py and __main__.py call.
PUBLIC_API = tuple(name for name in _runtime_provider.__all__ if name not in ("load", "main"))

# Import names that would shadow something users need, beyond keywords and the stdlib.
RESERVED_NAMES = frozenset({"libwrap", "lib", "include", "test", "tests", "src", "build", "dist", "setup", "site"})

# the stem (what follows -l) starts like a name: lib-.so would give -l-, which the linker reads as an option
_SONAME = re.compile(r"lib[A-Za-z0-9_][A-Za-z0-9_.+-]*\.so(\.[0-9]+)*")
_PROGRAM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.+-]*")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_URL = re.compile(r"(https?|ftp|file)://\S+")
# Characters that no build argument, path or name needs, and that shells and CMake lists mangle.
_UNSAFE_TEXT = re.compile(r'["\\;$\x00-\x1f\x7f]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Kind = Literal["str", "list", "table", "flag"]
Home = Literal["tool", "project", "render"]
Check = Callable[[str, Any], None]


def _text(label: str, value: str) -> None:
    if _UNSAFE_TEXT.search(value):
        msg = f"{label} {value!r} contains a quote, backslash, semicolon, '$' or control character; remove them"
        raise UsageError(msg)


def _argument(label: str, value: str) -> None:
    """A build argument reaches the build as one argv item (no shell, no CMake list): any text but control characters."""
    if _CONTROL.search(value):
        msg = f"{label} {value!r} contains a control character; remove it"
        raise UsageError(msg)


def _version(label: str, value: str) -> None:
    try:
        version = Version(value)
    except InvalidVersion:
        msg = f"{label} {value!r} is not a PEP 440 version; pass a version like 1.2.3"
        raise UsageError(msg) from None
    if version.epoch:
        # CMake's version files, pkg-config and the consumers' preload compare release numbers only
        msg = (
            f"{label} {value!r} has an epoch ({version.epoch}!), which CMake and pkg-config cannot compare; "
            f"pass the version without it: {label} {str(version).split('!', 1)[1]}"
        )
        raise UsageError(msg)


def _license(label: str, value: str) -> None:
    from packaging.licenses import canonicalize_license_expression

    _text(label, value)
    try:
        canonicalize_license_expression(value)
    except ValueError:
        msg = (
            f"{label} {value!r} is not a valid SPDX licence expression; write one like 'MIT' or "
            "'BSD-3-Clause OR Apache-2.0' (identifiers from https://spdx.org/licenses/, LicenseRef-NAME for others)"
        )
        raise UsageError(msg) from None


def _pattern(regex: re.Pattern[str], what: str) -> Check:
    def check(label: str, value: str) -> None:
        if not regex.fullmatch(value):
            msg = f"{label} {value!r} is not {what}"
            raise UsageError(msg)

    return check


def _relative_path(label: str, value: str) -> None:
    if Path(value).is_absolute() or ".." in Path(value).parts or _UNSAFE_TEXT.search(value):
        msg = f"{label} {value!r} must be a plain relative path inside the tree; remove '..', a leading '/' and quotes"
        raise UsageError(msg)


def _provider_requirement(label: str, value: str) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(value)
    except InvalidRequirement:
        requirement = None
    if requirement is None or requirement.extras or requirement.marker or requirement.url:
        msg = f"{label} {value!r} is not a provider's name or name with a version range; write e.g. libxml2 or 'libxml2>=2.9,<3'"
        raise UsageError(msg)
    name = requirement.name
    # the provider is imported under this name before the library loads (import libxml2)
    if not (name.isidentifier() and name.isascii() and name == name.lower()) or keyword.iskeyword(name):
        msg = (
            f"{label} {value!r}: {name!r} is not a provider's name; libwrap providers import under their "
            "distribution name, in lowercase letters, digits and underscores (write e.g. 'libxml2>=2.9,<3')"
        )
        raise UsageError(msg)
    if name in _stdlib_modules():
        msg = f"{label} {value!r}: {name!r} is a standard-library module, not a provider; name the provider the library links to"
        raise UsageError(msg)
    if any(spec.operator == "===" for spec in requirement.specifier):
        msg = f"{label} {value!r} uses '===', which compares text, not versions; write a range such as '{name}>=2.9,<3'"
        raise UsageError(msg)
    if not satisfiable(str(requirement.specifier)):
        msg = (
            f"{label} {value!r}: no version satisfies {requirement.specifier}; "
            f"write a range that some release meets, such as '{name}>=2.9,<3'"
        )
        raise UsageError(msg)


def _each(check: Check) -> Check:
    def check_all(label: str, values: tuple[str, ...]) -> None:
        for value in values:
            check(label, value)

    return check_all


def _table(label: str, pairs: tuple[tuple[str, str], ...]) -> None:
    for path, arg in pairs:
        _relative_path(label, path)
        _text(label, arg)


def _machine_table(label: str, pairs: tuple[tuple[str, str], ...]) -> None:
    for machine, arg in pairs:
        _pattern(_C_IDENTIFIER, "a machine name as platform.machine() gives it, e.g. x86_64 or aarch64")(label, machine)
        _argument(label, arg)


@dataclasses.dataclass(frozen=True)
class Option:
    """How one ProviderSpec field is given: command-line flags, preset key (the field name), help."""

    flags: tuple[str, ...]
    help: str
    kind: Kind = "str"
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    check: Check | None = None
    #: Asked for on a terminal (or an error with --no-input) when neither the CLI nor a preset sets it.
    ask: str = ""
    #: Where a generated project keeps the value: its [tool.libwrap] table, read again at every build;
    #: a [project] field (PROJECT_FIELDS); or only the rendered files ("render").
    home: Home = "tool"

    @property
    def flag(self) -> str:
        return self.flags[0] if self.flags else ""


def option(default: Any, *flags: str, help: str, **how: Any) -> Any:
    """A ProviderSpec field with its Option; a field without flags is set by presets only."""
    return dataclasses.field(default=default, metadata={"option": Option(flags=flags, help=help, **how)})


def _name_check(what: str) -> Check:
    return _pattern(_NAME, f"a valid {what}; use letters, digits, '_', '.', '+' or '-'")


@dataclasses.dataclass(frozen=True)
class ProviderSpec:
    """Everything the template needs; ``validate()`` raises UsageError on the first bad value."""

    name: str
    source: str = option(
        "", "--source", metavar="URL|PATH", ask="URL, source directory or tarball of the library",
        help="URL (downloaded at build time), source directory or tarball; for --build prebuilt an install prefix or its tarball",
    )  # fmt: skip
    version: str = option(
        "", "--version", metavar="VERSION", check=_version, home="project",
        help="library and wheel version (PEP 440); default: read from the source's name or build files",
    )  # fmt: skip
    sha256: str = option(
        "", "--sha256", metavar="HEX",
        check=_pattern(_SHA256, "64 hexadecimal digits; copy the full sha256 of the tarball"),
        help="checked against the download or tarball; a mismatch stops the build and shows both hashes",
    )  # fmt: skip
    build: str = option(
        "cmake", "--build", choices=BUILDS,
        help="the library's own CMake build, ./configure && make && make install (autoreconf first when the "
        "source has only configure.ac), meson setup && meson install, a plain Makefile "
        "(make ARGS && make install PREFIX=...), or repackage a prefix as is",
    )  # fmt: skip
    init_symbol: str = option(
        "", "--init-symbol", metavar="SYMBOL",
        check=_pattern(_C_IDENTIFIER, "a C identifier; name a function the library exports"),
        help="exported function (no arguments) that _init calls at import; default: call nothing, "
        "only check that the copy loaded is the wheel's own (through any symbol the library exports)",
    )  # fmt: skip
    init_returns: str = option(
        "void", "--init-returns", choices=INIT_RETURNS,
        help="what the init symbol returns; exposed as NAME.<init_result_name>",
    )  # fmt: skip
    init_result_name: str = option(
        "init_result", "--init-result-name", metavar="IDENTIFIER", home="render",
        check=_pattern(_C_IDENTIFIER, "a Python identifier; use e.g. 'config'"),
        help="attribute of NAME holding the init symbol's result",
    )  # fmt: skip
    soname: str = option(
        "", "--soname",
        check=_pattern(
            _SONAME,
            "a shared-library name whose stem (the -l name) starts with a letter, digit or '_'; "
            "use the form lib<name>.so.<major>, e.g. libfoo.so.1",
        ),
        help="rename the library's SONAME in the wheel (patchelf); default: keep upstream's",
    )  # fmt: skip
    build_args: tuple[str, ...] = option(
        (), "--build-arg", "--cmake-arg", "--configure-arg", kind="list", metavar="ARG", check=_each(_argument),
        help="an argument for the library's build, repeatable; write --build-arg=-DOPT=ON",
    )  # fmt: skip
    no_default_build_args: bool = option(
        False, "--no-default-build-args", kind="flag",
        help="drop the arguments the build mode adds (cmake: -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON..., "
        "GNU configure: --enable-shared --disable-static, meson: --buildtype=release -Ddefault_library=shared); "
        "the build prints them",
    )  # fmt: skip
    build_args_if_missing: tuple[tuple[str, str], ...] = option(
        (), kind="table", check=_table,
        help="a table: path in the source tree -> build arguments added when that path is absent",
    )  # fmt: skip
    build_args_for_machine: tuple[tuple[str, str], ...] = option(
        (), kind="table", check=_machine_table,
        help="a table: machine (platform.machine(): x86_64, aarch64...) -> build arguments added on that machine, "
        "after build-args",
    )  # fmt: skip
    build_tools: tuple[str, ...] = option(
        (), "--build-tool", kind="list", metavar="PROGRAM",
        check=_each(_pattern(_PROGRAM, "a program name; name an executable such as gfortran")),
        help="a program the library's build needs (e.g. gfortran), repeatable; checked before anything is fetched or built",
    )  # fmt: skip
    requires: tuple[str, ...] = option(
        (), "--requires", kind="list", metavar="PROVIDER", check=_each(_provider_requirement), home="project",
        help="another provider the library links to (libxslt: --requires libxml2), repeatable: built against it, "
        "declared in Requires-Dist and build-system.requires, imported first; a bare name takes the range "
        "the installed provider declares, or write one: 'libxml2>=2.9,<3'",
    )  # fmt: skip
    cmake_package: str = option(
        "", "--cmake-package", check=_name_check("CMake package name"),
        help="CMake package name for find_package (default: NAME)",
    )  # fmt: skip
    pkgconfig_name: str = option(
        "", "--pkgconfig-name", check=_name_check("pkg-config name"),
        help="pkg-config module name, dots allowed (libxml-2.0) (default: NAME)",
    )  # fmt: skip
    link_name: str = option(
        "", "--link-name", check=_name_check("link name"),
        help="what consumers pass to -l (default: from the SONAME, libfoo.so.1 -> foo)",
    )  # fmt: skip
    include_subdir: str = option(
        "", "--include-subdir", metavar="DIR", check=_relative_path,
        help="ship include/DIR as the include directory",
    )  # fmt: skip
    abi_upper: str = option(
        "", "--abi-upper", metavar="VERSION", check=_version,
        help="first version that breaks the ABI (default: next major, or next minor for 0.x)",
    )  # fmt: skip
    license_files: tuple[str, ...] = option(
        (), "--license-file", kind="list", metavar="GLOB", check=_each(_text),
        help="licence file glob relative to the source (or prefix), repeatable; default: LICENSE*, COPYING*... any case",
    )  # fmt: skip
    no_license_files: bool = option(
        False, "--no-license-files", kind="flag",
        help="ship no licence file, for a wheel that carries them another way",
    )  # fmt: skip
    pkgconfig_version: str = option(
        "", "--pkgconfig-version", metavar="VERSION", check=_text,
        help="the version the library's own .pc states when it numbers its versions otherwise "
        "(FreeType 2.12.1's freetype2.pc says 24.3.18); default: the release",
    )  # fmt: skip
    license_expression: str = option(
        "", "--license", metavar="SPDX", check=_license, home="project", help="SPDX licence expression of the library",
    )  # fmt: skip
    description: str = option(
        "", "--description", check=_text, home="project", help="one-line summary for the wheel's metadata",
    )  # fmt: skip

    def validate(self) -> ProviderSpec:
        validate_name(self.name)
        for field, opt in option_fields():
            value = getattr(self, field.name)
            label = opt.flag or field.name
            if opt.choices and value not in opt.choices:
                msg = f"{label} {value!r} is unknown; use one of {', '.join(opt.choices)}"
                raise UsageError(msg)
            if opt.check is not None and value:
                opt.check(label, value)
        if not self.version:
            msg = "no library version; pass --version like 1.2.3"
            raise UsageError(msg)
        if not self.init_symbol and self.init_returns != "void":
            msg = f"--init-returns {self.init_returns} needs a function to call; pass --init-symbol too, or drop --init-returns"
            raise UsageError(msg)
        if keyword.iskeyword(self.init_result_name) or self.init_result_name.startswith("_"):
            msg = f"--init-result-name {self.init_result_name!r} is a keyword or private name; use e.g. 'config'"
            raise UsageError(msg)
        if self.init_result_name in PUBLIC_API:
            msg = f"--init-result-name {self.init_result_name!r} would replace {self.name}.{self.init_result_name}; use e.g. 'config'"
            raise UsageError(msg)
        if self.abi_upper and Version(self.abi_upper) <= Version(self.version):
            msg = (
                f"--abi-upper {self.abi_upper} is not above --version {self.version}, so no release could satisfy "
                "consumers; pass the first release that breaks the ABI, e.g. the next major version"
            )
            raise UsageError(msg)
        if not admits(self.requirement, self.version):
            msg = (
                f"consumers would declare {self.requirement}, which does not admit --version {self.version} itself "
                "(a '<' bound excludes its own pre-releases); pass a later --abi-upper than "
                f"{abi_upper_bound(self.version, self.abi_upper)}"
            )
            raise UsageError(msg)
        for item in self.requires:
            if canonicalize_name(required_name(item)) == canonicalize_name(self.name):
                msg = f"--requires {item} names the provider itself; name the providers its library links to"
                raise UsageError(msg)
        if self.no_license_files and self.license_files:
            msg = (
                f"--no-license-files ships no licence, but --license-file {self.license_files[0]} names one; "
                "drop one of the two"
            )
            raise UsageError(msg)
        check_source(self.source, self.build)
        if self.sha256 and not is_url(self.source) and _probe(self.source, Path.is_dir):
            msg = (
                f"--sha256 is checked against a download or a tarball, but --source {self.source} is a directory, "
                "which has no hash; drop --sha256, or pass the tarball the directory came from"
            )
            raise UsageError(msg)
        return self

    @property
    def requirement(self) -> str:
        """What consumers declare: ``name>=version,<next ABI break``."""
        return compatible_requirement(self.name, self.version, self.abi_upper)

    def context(self, libwrap_version: str) -> dict[str, Any]:
        """The template's context: every option as given (lists stay lists) plus what derives from them.
        The template writes each value through a serializer filter (``render.FILTERS``)."""
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        source = self.source if is_url(self.source) else str(Path(self.source).resolve())
        return {
            **values,
            "source": source,
            "sha256": self.sha256.lower(),
            "description": self.description
            or f"The {self.name} shared library, packaged once for every wheel that links to it",
            "cmake_package": self.cmake_package or self.name,
            "pkgconfig_name": self.pkgconfig_name or self.name,
            "requirement": self.requirement,
            "license_expression": canonical_license(self.license_expression),
            "version_info": tuple(Version(self.version).release),
            "public_api": sorted((*PUBLIC_API, *([self.init_result_name] if self.init_symbol else []))),
            # what __init__.py takes from libwrap's runtime module (version_info is computed there)
            "runtime_api": sorted(set(PUBLIC_API) - {"version_info"}),
            "tool_table": tool_table(dataclasses.replace(self, source=source, sha256=self.sha256.lower())),
            "cmake_compatibility": cmake_compatibility(self.version, self.abi_upper),
            "build_requires": list(BUILD_REQUIRES.get(self.build, ())),
            "requires": list(self.requires),
            "required_providers": [required_name(item) for item in self.requires],
            # the project runs libwrap.build and libwrap's CMake functions at build time
            "libwrap_requirement": compatible_requirement("libwrap", Version(libwrap_version).base_version),
            "libwrap_version": libwrap_version,
        }


def required_name(requirement: str) -> str:
    """The provider's import (and distribution) name in a --requires value."""
    from packaging.requirements import Requirement

    return Requirement(requirement).name


def canonical_license(expression: str) -> str:
    """EXPRESSION as SPDX writes it (``mit or apache-2.0`` -> ``MIT OR Apache-2.0``); "" stays ""."""
    from packaging.licenses import canonicalize_license_expression

    return str(canonicalize_license_expression(expression)) if expression else ""


def _probe(source: str, test: Callable[[Path], bool]) -> bool:
    """TEST(Path(SOURCE)), with a path the system cannot even look up (too long, a NUL byte) as a UsageError."""
    try:
        return test(Path(source))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        msg = f"--source {source!r} cannot be looked up ({reason}); pass an existing directory, a tarball or a URL"
        raise UsageError(msg) from None


def check_source(source: str, build: str) -> None:
    """A source that exists, can be read and fits BUILD: a URL, a directory or an archive."""
    if not source:
        msg = "no library source; pass --source with a URL, a source directory or a tarball"
        raise UsageError(msg)
    if is_url(source):
        if build == "prebuilt" and not source.endswith(ARCHIVES):
            msg = f"--source {source} must be an archive of an install prefix for --build prebuilt"
            raise UsageError(msg)
        return
    if "://" in source:
        msg = f"--source {source!r} is not a supported URL; use http(s)://, ftp:// or file://"
        raise UsageError(msg)
    if not source.isprintable():
        msg = f"--source {source!r} contains a control character; pass the path as it is spelled on disk"
        raise UsageError(msg)
    path = Path(source)
    if not _probe(source, Path.exists):
        msg = f"--source {source} does not exist; pass an existing directory, a tarball or a URL"
        raise UsageError(msg)
    is_dir = _probe(source, Path.is_dir)
    if not os.access(path, os.R_OK | (os.X_OK if is_dir else 0)):
        msg = (
            f"--source {source} cannot be read by this user; make it readable (chmod -R u+rX {source}) "
            "or run libwrap as its owner"
        )
        raise UsageError(msg)
    if not is_dir and not path.name.endswith(ARCHIVES):
        msg = f"--source {source} is neither a directory nor an archive ({', '.join(ARCHIVES)}); pass one of those"
        raise UsageError(msg)
    if not is_dir:
        return
    build_files = {
        "cmake": (
            ("CMakeLists.txt",),
            "has no CMakeLists.txt; use --build autotools or --build prebuilt for this source",
        ),
        "make": (
            ("GNUmakefile", "makefile", "Makefile"),
            "has no Makefile; pick the --build that matches the source's build files",
        ),
        "autotools": (
            AUTOTOOLS_FILES,
            "has no configure script nor configure.ac; pick the --build that matches its build files",
        ),
        "meson": (("meson.build",), "has no meson.build; pick the --build that matches the source's build files"),
    }
    if build in build_files:
        names, problem = build_files[build]
        if not any(_probe(str(path / name), Path.is_file) for name in names):
            msg = f"--source {source} {problem}"
            raise UsageError(msg)


#: The [project] field each option at home there is written to (version comes from [project] at build time).
PROJECT_FIELDS = {
    "version": "version",
    "description": "description",
    "license_expression": "license",
    "requires": "dependencies",
}


def option_key(field_name: str) -> str:
    """An option's key in [tool.libwrap] and in preset files: init_symbol -> init-symbol."""
    return field_name.replace("_", "-")


def _is_strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def convert(origin: str, key: str, opt: Option, value: object) -> object:
    """A TOML value checked against its option's kind, in ProviderSpec form (tuples, pairs)."""
    if opt.kind == "table":
        if isinstance(value, dict) and all(isinstance(k, str) and _is_strings(v) for k, v in value.items()):
            return tuple((path, arg) for path, args in value.items() for arg in args)
        kind = "a table of lists of strings"
    elif opt.kind == "list":
        if _is_strings(value):
            return tuple(value)  # type: ignore[arg-type]  # _is_strings checked it is a list
        kind = "a list of strings"
    elif opt.kind == "flag":
        if isinstance(value, bool):
            return value
        kind = "true or false"
    else:
        if isinstance(value, str):
            return value
        kind = "a string"
    msg = f"{origin}: {key} must be {kind}; fix the file"
    raise UsageError(msg)


def read_options(
    data: Mapping[str, object], origin: str, homes: Collection[Home] = ("tool", "project", "render")
) -> dict[str, Any]:
    """DATA (a preset file, a [tool.libwrap] table) as ProviderSpec field values; unknown keys are an error."""
    keys = {option_key(field.name): (field, opt) for field, opt in option_fields() if opt.home in homes}
    unknown = sorted(set(data) - set(keys))
    if unknown:
        msg = f"{origin} has unknown keys {', '.join(unknown)}; allowed: {', '.join(sorted(keys))}"
        raise UsageError(msg)
    return {keys[key][0].name: convert(origin, key, keys[key][1], value) for key, value in data.items()}


def tool_table(spec: ProviderSpec) -> dict[str, Any]:
    """The [tool.libwrap] table of a generated project: every build option that is set, as TOML values."""
    table: dict[str, Any] = {}
    for field, opt in option_fields():
        value = getattr(spec, field.name)
        if opt.home != "tool" or (value == field.default and field.name not in ("source", "build")):
            continue
        if opt.kind == "table":
            grouped: dict[str, list[str]] = {}
            for path, arg in value:
                grouped.setdefault(path, []).append(arg)
            value = grouped
        table[option_key(field.name)] = list(value) if isinstance(value, tuple) else value
    return table


def option_fields() -> Iterator[tuple[dataclasses.Field[Any], Option]]:
    """The ProviderSpec fields that are options, in declaration order."""
    for field in dataclasses.fields(ProviderSpec):
        opt = field.metadata.get("option")
        if opt is not None:
            yield field, opt


def add_options(parser: argparse.ArgumentParser) -> None:
    """One argument per option with flags; unset arguments stay None so presets can fill them."""
    for field, opt in option_fields():
        if not opt.flags:
            continue
        how: dict[str, Any] = {"dest": field.name, "help": opt.help, "default": None}
        if opt.kind == "flag":
            how["action"] = "store_const"
            how["const"] = True
        else:
            how["metavar"] = opt.metavar
            if opt.kind == "list":
                how["action"] = "append"
            if opt.choices:
                how["choices"] = opt.choices
        parser.add_argument(*opt.flags, **how)


def given_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options set on the command line, in ProviderSpec form (lists as tuples)."""
    given: dict[str, Any] = {}
    for field, _ in option_fields():
        value = getattr(args, field.name, None)
        if value is not None:
            given[field.name] = tuple(value) if isinstance(value, list) else value
    return given


#: What exists only at build time, beside the options: the CMake variable and what it does.
BUILD_VARIABLES = (
    ("LIBWRAP_EXTRA_BUILD_ARGS", "more arguments for the library's build, after build-args (a CMake list)"),
    ("LIBWRAP_DEFAULT_BUILD_ARGS", "replaces the arguments the build mode adds, even when empty"),
    (
        "LIBWRAP_RUNTIME_LICENSES",
        "SONAME=FILE items: the licence of a runtime library shipped beside the library that no dpkg or rpm package owns",
    ),
)


def options_table() -> str:
    """The table of options in the documentation, from the declarations: each option's libwrap new flag,
    where a generated project keeps it, and the CMake variable that overrides it at build time."""
    rows = ["| `libwrap new` | in the project | at build time | meaning |", "|---|---|---|---|"]
    for field, opt in option_fields():
        flags = ", ".join(f"`{f}`" for f in opt.flags) or "(preset only)"
        value = (
            "|".join(opt.choices) if opt.choices else opt.metavar or ("" if opt.kind == "flag" else field.name.upper())
        )
        if opt.flags and value:
            flags = f"`{opt.flag} {value}`" + "".join(f", `{f}`" for f in opt.flags[1:])
        if opt.home == "tool":
            home, override = f"`[tool.libwrap] {option_key(field.name)}`", f"`LIBWRAP_{field.name.upper()}`"
        elif opt.home == "project":
            home, override = f"`[project] {PROJECT_FIELDS[field.name]}`", ""
        else:
            home, override = "`__init__.py`", ""
        cells = (flags, home, override, opt.help)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    for name, meaning in BUILD_VARIABLES:
        rows.append(f"| | | `{name}` | {meaning} |")
    return "\n".join(rows) + "\n"


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
