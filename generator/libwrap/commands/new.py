"""``libwrap new NAME``: generate a provider project for a shared library (rendering: ``libwrap.render``;
the options: ``libwrap.spec``). Heavy imports (jinja2, cookiecutter) wait until the command runs."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..spec import ProviderSpec

__all__ = ["HELP", "configure_parser", "execute"]

HELP = "generate a provider project (scikit-build-core + CMake) for a shared library"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    from .. import presets
    from ..spec import add_options

    parser.add_argument("name", metavar="NAME", help="import and distribution name of the provider")
    parser.add_argument(
        "-o", "--output-dir", type=Path, default=Path(), metavar="DIR", help="where NAME/ is created (default: .)"
    )
    parser.add_argument(
        "--preset",
        help=f"library preset: {', '.join(presets.available()) or 'none'}, or a .toml file (default: NAME if it names one)",
    )
    add_options(parser)
    parser.add_argument("--no-input", action="store_true", help="never prompt; missing values are an error")
    parser.add_argument("--force", action="store_true", help="overwrite a non-empty NAME/ directory")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """Preset values, overridden by those given on the command line. A preset's hash and version
    describe its own source only: another --source drops them."""
    from .. import presets
    from ..spec import given_options

    preset = args.preset or presets.find_preset(args.name)
    values: dict[str, Any] = presets.load_preset(preset) if preset else {}
    given = given_options(args)
    if "source" in given and given["source"] != values.get("source"):
        for key in ("sha256", "version"):
            values.pop(key, None)
    return {**values, **given}


def _ask(text: str, flag: str, *, interactive: bool) -> str:
    if not interactive:
        msg = f"{flag} is required ({text}); pass {flag} or drop --no-input on a terminal"
        raise UsageError(msg)
    from cookiecutter.prompt import read_user_variable

    answer = str(read_user_variable(text, "")).strip()
    if not answer:
        msg = f"{flag} is required ({text}); pass {flag}"
        raise UsageError(msg)
    return answer


def _fill_missing(values: dict[str, Any], *, interactive: bool) -> None:
    """Ask for what neither the CLI nor a preset gave; read the version from the source if it can."""
    from ..sources import version_from_source
    from ..spec import check_source, option_fields

    for field, opt in option_fields():
        if opt.ask and not values.get(field.name):
            values[field.name] = _ask(opt.ask, opt.flag, interactive=interactive)
    if values.get("version"):
        return
    check_source(str(values["source"]), str(values.get("build", "cmake")))  # before reading a version from it
    found = version_from_source(str(values["source"]))
    if found is not None:
        values["version"], where = found
        print(f"libwrap new: version {values['version']} (read from {where}); pass --version to override")
        return
    text = f"the library's version: none could be read from {values['source']}"
    values["version"] = _ask(text, "--version", interactive=interactive)


def _check_licenses(spec: ProviderSpec, names: list[str] | None) -> None:
    """A local source must carry a licence file, or the user must say where it is (or that it ships
    another way): a binary is never redistributed without its licence."""
    if spec.no_license_files or spec.license_files:
        return  # named files are checked by the build, against the source and the install prefix
    from ..build.licenses import describe_license_names, source_licenses

    if names is not None and not source_licenses(names):
        msg = (
            f"--source {spec.source} has no licence file at its top level ({describe_license_names()}); "
            "name it with --license-file GLOB, or pass --no-license-files if you ship it another way"
        )
        raise UsageError(msg)


def check_prebuilt(spec: ProviderSpec) -> None:
    """A prebuilt prefix must hold a shared library with a SONAME that exports the init symbol, and
    every file staging would copy from it must be inside it (no link to the build machine's files)."""
    from ..build.libraries import find_libraries, pick_primary
    from ..build.staging import check_prefix
    from ..errors import StageError

    prefix = Path(spec.source)
    if not prefix.is_dir():
        return  # an archive's members were checked by source_names; its libraries when the build unpacks it
    try:
        pick_primary(find_libraries(prefix), spec.init_symbol)
        check_prefix(prefix, spec.include_subdir, spec.license_files, no_license_files=spec.no_license_files)
    except StageError as exc:
        raise UsageError(str(exc)) from None


def _installed_non_provider(name: str) -> str:
    """'pip 24.0' when NAME is an installed distribution that is not a libwrap provider, else ""."""
    from importlib import metadata

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return ""
    if any(f.name == "libwrap.json" and len(f.parts) == 2 for f in dist.files or []):
        return ""
    return f"{dist.metadata['Name']} {dist.version}"


def check_not_shadowing(name: str) -> None:
    """NAME must not be an installed distribution or importable module other than a libwrap provider:
    the provider would replace it (``libwrap new pip``), or importing it would import the other."""
    import importlib.util

    other = _installed_non_provider(name)
    if other:
        msg = (
            f"{name!r} is the name of {other}, installed here, which is not a libwrap provider: a provider of that "
            f"name would replace it; pick another name (e.g. 'lib{name}')"
        )
        raise UsageError(msg)
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        found = None
    # a namespace package has no origin: a directory named NAME, such as the project rendered before
    if found is not None and found.origin and not (Path(found.origin).parent / "libwrap.json").is_file():
        msg = (
            f"{name!r} is a module this Python already imports ({found.origin}): a provider of that name would "
            f"shadow it; pick another name (e.g. 'lib{name}')"
        )
        raise UsageError(msg)


def resolve_requires(requires: tuple[str, ...]) -> tuple[str, ...]:
    """Each --requires with its range: a bare name takes the one the installed provider declares. A
    name that is installed here but is no libwrap provider (pip, cmake) is refused, range or not."""
    from packaging.requirements import Requirement

    from ..providers import installed_libwrap_provider

    resolved = []
    for item in requires:
        requirement = Requirement(item)
        other = _installed_non_provider(requirement.name)
        if other:
            msg = (
                f"--requires {item}: {other} is installed here but is not a libwrap provider (it has no libwrap.json); "
                "name a provider built by libwrap new, whose library this one links to"
            )
            raise UsageError(msg)
        if str(requirement.specifier):
            resolved.append(str(requirement))
            continue
        try:
            resolved.append(installed_libwrap_provider(requirement.name).provider.requirement)
        except UsageError:
            msg = (
                f"--requires {item}: no provider {item} is installed here to take its version range from; "
                f"install it, or write the range: --requires '{item}>=X.Y,<Z'"
            )
            raise UsageError(msg) from None
    return tuple(resolved)


def build_command(target: Path) -> str:
    """The pip command that builds TARGET: a bare relative name needs ./ or pip looks it up on an index."""
    shown = str(target)
    if not target.is_absolute() and target.parts[:1] not in (("..",), (".",)):
        shown = f"./{shown}"
    return f"pip wheel {shlex.quote(shown)} -w dist"


def execute(args: argparse.Namespace) -> int:
    from ..render import check_target, generate_project
    from ..sources import source_names
    from ..spec import ProviderSpec, validate_name

    validate_name(args.name)
    check_target(args.name, args.output_dir, force=args.force)
    check_not_shadowing(args.name)
    values = _options(args)
    _fill_missing(values, interactive=not args.no_input and sys.stdin.isatty())
    spec = ProviderSpec(name=args.name, **values).validate()
    if spec.requires:
        spec = dataclasses.replace(spec, requires=resolve_requires(spec.requires))
    # an archive's members are checked as the build checks them; a directory is listed for its licences
    listed = Path(spec.source).is_file() or not (spec.no_license_files or spec.license_files)
    names = source_names(spec.source) if listed else None
    if spec.build == "prebuilt":
        check_prebuilt(spec)
    _check_licenses(spec, names)
    target = generate_project(spec, args.output_dir, force=args.force)
    print(f"Created {target} ({spec.build} build of {spec.source}, version {spec.version})")
    print(f"Next: {build_command(target)}   # then pip install dist/{spec.name}-*.whl")
    return 0
