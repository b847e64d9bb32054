"""``libwrap new NAME``: generate a provider project for a shared library."""

from __future__ import annotations

import argparse
import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from . import presets
from .errors import UsageError
from .render import check_target, generate_project, template_dir
from .spec import BUILDS, INIT_RETURNS, ProviderSpec, validate_name

__all__ = ["HELP", "configure_parser", "execute"]

HELP = "generate a provider project (scikit-build-core + CMake) for a shared library"

# Values a user must give when no preset does; asked for on a terminal, an error with --no-input.
REQUIRED = {
    "source": ("--source", "URL, source directory or tarball of the library"),
    "version": ("--version", "library version (PEP 440)"),
    "init_symbol": ("--init-symbol", "function _init calls at import (no arguments)"),
}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="import and distribution name of the provider")
    parser.add_argument(
        "-o", "--output-dir", type=Path, default=Path(), metavar="DIR", help="where NAME/ is created (default: .)"
    )
    parser.add_argument(
        "--preset",
        help=f"library preset: {', '.join(presets.available()) or 'none'}, or a .toml file (default: NAME if it names one)",
    )
    parser.add_argument(
        "--source", metavar="URL|PATH", help="URL, source directory, tarball, or install prefix for --build prebuilt"
    )
    parser.add_argument("--sha256", metavar="HEX", help="expected sha256 of the downloaded or local archive")
    parser.add_argument("--build", choices=BUILDS, help="how to build the library (default: cmake)")
    parser.add_argument("--soname", help="rename the library's SONAME in the wheel (default: keep upstream's)")
    parser.add_argument("--init-symbol", metavar="SYMBOL", help="exported function that _init calls at import")
    parser.add_argument(
        "--init-returns",
        choices=INIT_RETURNS,
        help="what the init symbol returns; exposed as NAME._init.init_result (default: void)",
    )
    parser.add_argument("--version", dest="lib_version", metavar="VERSION", help="library (and wheel) version")
    parser.add_argument(
        "--cmake-arg",
        "--configure-arg",
        dest="build_args",
        action="append",
        metavar="ARG",
        help="argument for the library's build, repeatable; write --cmake-arg=-DOPT=ON",
    )
    parser.add_argument("--cmake-package", help="CMake package name for find_package (default: NAME)")
    parser.add_argument("--pkgconfig-name", help="pkg-config module name (default: NAME)")
    parser.add_argument("--link-name", help="what consumers pass to -l (default: from the SONAME, libfoo.so.1 -> foo)")
    parser.add_argument("--include-subdir", metavar="DIR", help="ship include/DIR as the include directory")
    parser.add_argument(
        "--abi-upper",
        metavar="VERSION",
        help="first version that breaks the ABI (default: next major, or next minor for 0.x)",
    )
    parser.add_argument(
        "--license-file",
        dest="license_files",
        action="append",
        metavar="GLOB",
        help="licence file glob in the source tree, repeatable",
    )
    parser.add_argument(
        "--license", dest="license_expression", metavar="SPDX", help="SPDX licence expression of the library"
    )
    parser.add_argument("--no-input", action="store_true", help="never prompt; missing values are an error")
    parser.add_argument("--force", action="store_true", help="overwrite a non-empty NAME/ directory")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """Preset values, overridden by those given on the command line."""
    preset = args.preset or presets.find_preset(args.name)
    values: dict[str, Any] = presets.load_preset(preset) if preset else {}
    given = {
        "source": args.source,
        "sha256": args.sha256,
        "build": args.build,
        "soname": args.soname,
        "init_symbol": args.init_symbol,
        "init_returns": args.init_returns,
        "version": args.lib_version,
        "build_args": tuple(args.build_args) if args.build_args else None,
        "cmake_package": args.cmake_package,
        "pkgconfig_name": args.pkgconfig_name,
        "link_name": args.link_name,
        "include_subdir": args.include_subdir,
        "abi_upper": args.abi_upper,
        "license_files": tuple(args.license_files) if args.license_files else None,
        "license_expression": args.license_expression,
    }
    values.update({key: value for key, value in given.items() if value is not None})
    return values


def _ask_missing(values: dict[str, Any], *, interactive: bool) -> None:
    from cookiecutter.prompt import read_user_variable

    for key, (flag, text) in REQUIRED.items():
        if values.get(key):
            continue
        if not interactive:
            msg = f"{flag} is required without a preset ({text}); pass {flag} or drop --no-input on a terminal"
            raise UsageError(msg)
        values[key] = str(read_user_variable(text, "")).strip()
        if not values[key]:
            msg = f"{flag} is required ({text}); pass {flag}"
            raise UsageError(msg)


@functools.cache
def stage_module() -> ModuleType:
    """The template's staging script, so prebuilt prefixes are checked by the same rules as the build."""
    name = "libwrap._template_stage"
    path = template_dir() / "{{cookiecutter.name}}" / "cmake" / "libwrap_stage.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - the template ships with libwrap
        msg = f"cannot load {path}; reinstall libwrap"
        raise UsageError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def check_prebuilt(spec: ProviderSpec) -> None:
    """A prebuilt prefix must hold a shared library with a SONAME that exports the init symbol."""
    prefix = Path(spec.source)
    if not prefix.is_dir():
        return  # an archive is checked when the build unpacks it
    stage = stage_module()
    try:
        libraries = stage.find_libraries(prefix)
        stage.pick_primary(libraries, spec.init_symbol)
    except stage.StageError as exc:
        raise UsageError(str(exc)) from None


def execute(args: argparse.Namespace) -> int:
    validate_name(args.name)
    check_target(args.name, args.output_dir, force=args.force)
    values = _options(args)
    _ask_missing(values, interactive=not args.no_input and sys.stdin.isatty())
    spec = ProviderSpec(name=args.name, **values).validate()
    if spec.build == "prebuilt":
        check_prebuilt(spec)
    target = generate_project(spec, args.output_dir, force=args.force)
    print(f"Created {target} ({spec.build} build of {spec.source})")
    print(f"Next: pip wheel {target} -w dist   # then pip install dist/{spec.name}-*.whl")
    return 0
