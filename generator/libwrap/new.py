"""``libwrap new NAME``: generate a provider project for a shared library."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from . import presets
from .errors import UsageError
from .render import check_target, generate_project
from .sources import source_names, version_from_source
from .spec import ProviderSpec, add_options, check_source, given_options, option_fields, validate_name

__all__ = ["HELP", "configure_parser", "execute"]

HELP = "generate a provider project (scikit-build-core + CMake) for a shared library"


def configure_parser(parser: argparse.ArgumentParser) -> None:
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


def _check_licenses(spec: ProviderSpec) -> None:
    """A local source must carry a licence file, or the user must say where it is (or that it ships
    another way): a binary is never redistributed without its licence."""
    if spec.no_license_files or spec.license_files:
        return  # named files are checked by the build, against the source and the install prefix
    from .stage import describe_license_names, source_licenses

    names = source_names(spec.source)
    if names is not None and not source_licenses(names):
        msg = (
            f"--source {spec.source} has no licence file at its top level ({describe_license_names()}); "
            "name it with --license-file GLOB, or pass --no-license-files if you ship it another way"
        )
        raise UsageError(msg)


def check_prebuilt(spec: ProviderSpec) -> None:
    """A prebuilt prefix must hold a shared library with a SONAME that exports the init symbol."""
    from .stage import StageError, find_libraries, pick_primary

    prefix = Path(spec.source)
    if not prefix.is_dir():
        return  # an archive is checked when the build unpacks it
    try:
        pick_primary(find_libraries(prefix), spec.init_symbol)
    except StageError as exc:
        raise UsageError(str(exc)) from None


def resolve_requires(requires: tuple[str, ...]) -> tuple[str, ...]:
    """Each --requires with its range: a bare name takes the one the installed provider declares."""
    from packaging.requirements import Requirement

    from .providers import installed_libwrap_provider

    resolved = []
    for item in requires:
        requirement = Requirement(item)
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


def execute(args: argparse.Namespace) -> int:
    validate_name(args.name)
    check_target(args.name, args.output_dir, force=args.force)
    values = _options(args)
    _fill_missing(values, interactive=not args.no_input and sys.stdin.isatty())
    spec = ProviderSpec(name=args.name, **values).validate()
    if spec.requires:
        spec = dataclasses.replace(spec, requires=resolve_requires(spec.requires))
    if spec.build == "prebuilt":
        check_prebuilt(spec)
    _check_licenses(spec)
    target = generate_project(spec, args.output_dir, force=args.force)
    print(f"Created {target} ({spec.build} build of {spec.source}, version {spec.version})")
    print(f"Next: pip wheel {target} -w dist   # then pip install dist/{spec.name}-*.whl")
    return 0
