"""What a provider build builds: the project's ``[tool.libwrap]`` table and ``[project]`` fields, read
through the same declarations that validate ``libwrap new`` (``libwrap.spec``), with the overrides
given at build time (``-Ccmake.define.LIBWRAP_SOURCE=...``) applied. ``read_plan`` checks everything
and writes nothing.

Every build option ``x_y`` of ``[tool.libwrap]`` (key ``x-y``) can be overridden by the CMake variable
``LIBWRAP_X_Y``; lists are CMake lists (``a;b``, ``\\;`` for a semicolon inside an item), switches CMake
booleans. Three more variables exist only at build time: ``LIBWRAP_EXTRA_BUILD_ARGS`` (arguments after
``build-args``), ``LIBWRAP_DEFAULT_BUILD_ARGS`` (replaces the build mode's own, even when empty) and
``LIBWRAP_RUNTIME_LICENSES`` (``SONAME=FILE`` items: the licence of a runtime library no system package
owns).
"""

from __future__ import annotations

import dataclasses
import platform
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import UsageError
from ..spec import PROJECT_FIELDS, ProviderSpec, is_url, option_fields, option_key, read_options
from .staging import StageOptions

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["BUILD_ONLY", "Plan", "override_name", "read_plan", "split_list"]

#: Variables that exist only at build time (they are no option of libwrap new).
BUILD_ONLY = ("LIBWRAP_EXTRA_BUILD_ARGS", "LIBWRAP_DEFAULT_BUILD_ARGS", "LIBWRAP_RUNTIME_LICENSES")
_TRUE = frozenset({"1", "on", "yes", "true", "y"})
_FALSE = frozenset({"", "0", "off", "no", "false", "n", "ignore", "notfound"})
_FLAG = re.compile(r"--([a-z0-9][a-z0-9-]*)")


def override_name(field_name: str) -> str:
    """The CMake variable that overrides an option at build time: soname -> LIBWRAP_SONAME."""
    return "LIBWRAP_" + field_name.upper()


def split_list(value: str) -> tuple[str, ...]:
    """A CMake list's items (``\\;`` keeps a semicolon in an item); CMake's empty items are dropped."""
    items = [item.replace("\0", ";") for item in value.replace("\\;", "\0").split(";")]
    return tuple(item for item in items if item)


@dataclasses.dataclass(frozen=True)
class Plan:
    """One provider build: the project's options, validated, and what was given at build time."""

    spec: ProviderSpec
    project_dir: Path
    extra_args: tuple[str, ...] = ()
    #: None: the build mode's defaults; a tuple (even empty) replaces them.
    defaults: tuple[str, ...] | None = None
    runtime_licenses: tuple[str, ...] = ()

    @property
    def build_args(self) -> tuple[str, ...]:
        """build-args, those for this machine, then the extra ones given at build time: later ones win."""
        machine = platform.machine()
        for_machine = tuple(arg for name, arg in self.spec.build_args_for_machine if name == machine)
        return (*self.spec.build_args, *for_machine, *self.extra_args)

    @property
    def requires(self) -> tuple[str, ...]:
        """The providers the library links to, by name."""
        return tuple(Requirement(item).name for item in self.spec.requires)

    def stage_options(self, prefix: Path, source_dir: Path | None, out: Path) -> StageOptions:
        spec = self.spec
        return StageOptions(
            prefix=prefix,
            out=out,
            package=spec.name,
            version=spec.version,
            requirement=spec.requirement,
            pkgconfig_name=spec.pkgconfig_name or spec.name,
            init_symbol=spec.init_symbol,
            soname=spec.soname,
            link_name=spec.link_name,
            include_subdir=spec.include_subdir,
            cmake_package=spec.cmake_package or spec.name,
            requires=self.requires,
            dependencies=spec.requires,
            source_dir=source_dir,
            source=spec.source,
            license=spec.license_files,
            runtime_license=self.runtime_licenses,
            no_license_files=spec.no_license_files,
            pkgconfig_version=spec.pkgconfig_version,
        )


def _table_words(message: str) -> str:
    """A libwrap new message in the words of the table the build read: --abi-upper -> abi-upper."""
    keys = {opt.flag.removeprefix("--"): field.name for field, opt in option_fields() if opt.flag}

    def word(match: re.Match[str]) -> str:
        field = keys.get(match[1])
        if field is None:
            return match[0]
        return f"[project] {PROJECT_FIELDS[field]}" if field in PROJECT_FIELDS else option_key(field)

    return _FLAG.sub(word, message)


def _load(project_dir: Path) -> dict[str, Any]:
    path = project_dir / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"cannot read {path} ({exc.strerror or exc}); build from the provider project's directory"
        raise UsageError(msg) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path} is not valid TOML ({exc}); fix the file"
        raise UsageError(msg) from None


def _dependencies(project: Mapping[str, Any], origin: str) -> tuple[str, ...]:
    """The [project] dependencies that apply here: the providers the library links to."""
    raw = project.get("dependencies", [])
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        msg = f"{origin}: [project] dependencies must be a list of requirement strings; fix the file"
        raise UsageError(msg)
    found = []
    for item in raw:
        try:
            requirement = Requirement(item)
        except InvalidRequirement as exc:
            msg = f"{origin}: the dependency {item!r} does not parse ({exc}); fix the file"
            raise UsageError(msg) from None
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        requirement.marker = None
        found.append(str(requirement))
    return tuple(found)


def _override(field: dataclasses.Field[Any], kind: str, name: str, value: str) -> object:
    if kind == "list":
        return split_list(value)
    if kind == "flag":
        if value.strip().lower() in _TRUE:
            return True
        if value.strip().lower() in _FALSE:
            return False
        msg = f"{name}={value!r} is not a CMake boolean; set it to ON or OFF"
        raise UsageError(msg)
    if kind == "table":
        msg = f"{name} cannot be set at build time ({option_key(field.name)} is a table); edit [tool.libwrap] instead"
        raise UsageError(msg)
    return value


def read_plan(project_dir: Path, version: str, defines: Mapping[str, str]) -> Plan:
    """The build the project at PROJECT_DIR describes, at VERSION (scikit-build-core's), with DEFINES
    (the LIBWRAP_* CMake variables) applied; a UsageError names what is wrong and the fix."""
    origin = f"{project_dir / 'pyproject.toml'}"
    data = _load(project_dir)
    project = data.get("project", {})
    table = data.get("tool", {}).get("libwrap")
    if not isinstance(table, dict):
        msg = (
            f"{origin} has no [tool.libwrap] table, which says what to build; regenerate the project with "
            "libwrap new, or add the table (see libwrap's documentation of its keys)"
        )
        raise UsageError(msg)
    values = read_options(table, f"{origin} [tool.libwrap]", homes={"tool"})
    known = {override_name(field.name): (field, opt.kind) for field, opt in option_fields() if opt.home == "tool"}
    unknown = sorted(name for name in defines if name not in known and name not in BUILD_ONLY)
    if unknown:
        msg = (
            f"unknown build variable {unknown[0]}; libwrap knows {', '.join(sorted([*known, *BUILD_ONLY]))} "
            "(-Ccmake.define.NAME=VALUE)"
        )
        raise UsageError(msg)
    table_source = str(values.get("source", ""))
    for name, value in defines.items():
        if name in known:
            field, kind = known[name]
            values[field.name] = _override(field, kind, name, value)
    source = str(values.get("source", ""))
    if source != table_source and "LIBWRAP_SHA256" not in defines and values.get("sha256"):
        print(
            "libwrap: the source was overridden (LIBWRAP_SOURCE) and its sha256 is not known, so none is checked; "
            "set LIBWRAP_SHA256 to check it",
            file=sys.stderr,
        )
        values["sha256"] = ""
    if source and not is_url(source) and not Path(source).is_absolute():
        values["source"] = str(project_dir / source)  # relative to the project, as pip wheel . would read it
    name = project.get("name")
    if not isinstance(name, str):
        msg = f"{origin} has no [project] name; add it (the provider's import name)"
        raise UsageError(msg)
    try:
        spec = ProviderSpec(name=name, version=version, requires=_dependencies(project, origin), **values).validate()
    except UsageError as exc:
        msg = f"{origin} [tool.libwrap]: {_table_words(str(exc))}"
        raise UsageError(msg) from None
    entry = data.get("project", {}).get("entry-points", {}).get("cmake.root", {})
    cmake_package = spec.cmake_package or spec.name
    if isinstance(entry, dict) and entry and cmake_package not in entry:
        msg = (
            f"{origin}: [tool.libwrap] says cmake-package {cmake_package}, but the cmake.root entry point names "
            f"{', '.join(sorted(entry))}; make them agree (the entry point's name sets <name>_ROOT for consumers)"
        )
        raise UsageError(msg)
    defaults = split_list(defines["LIBWRAP_DEFAULT_BUILD_ARGS"]) if "LIBWRAP_DEFAULT_BUILD_ARGS" in defines else None
    if defaults is None and spec.no_default_build_args:
        defaults = ()
    return Plan(
        spec=spec,
        project_dir=project_dir,
        extra_args=split_list(defines.get("LIBWRAP_EXTRA_BUILD_ARGS", "")),
        defaults=defaults,
        runtime_licenses=split_list(defines.get("LIBWRAP_RUNTIME_LICENSES", "")),
    )
