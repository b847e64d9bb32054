"""``libwrap check WHEEL``: is every library an extension needs either allowed, inside, or provided
by a declared dependency that the wheel loads first? And for a provider wheel, does what others' builds
and loaders read of it hold wherever it is installed? (the machinery: ``libwrap.consumer.check``)"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import add_provider_option

__all__ = ["HELP", "configure_parser", "execute"]

HELP = (
    "check that every library a wheel's extensions need is allowed, inside the wheel, or provided and preloaded; "
    "and that a provider wheel is relocatable, one file per SONAME, licensed and as its libwrap.json says"
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wheel", type=Path, metavar="WHEEL", help="the wheel to check")
    add_provider_option(parser)


def execute(args: argparse.Namespace) -> int:
    from ..consumer.check import problems, provider_wheel
    from ..providers import ProviderIndex
    from ..wheelfile import read_wheel

    wheel = read_wheel(args.wheel)
    found = problems(wheel, ProviderIndex(args.provider))
    for problem in found:
        print(f"libwrap check: {problem}")
    if found:
        # the list goes to stdout; one line on stderr says the check failed, and why first
        more = f" (and {len(found) - 1} more, listed above)" if len(found) > 1 else ""
        print(f"libwrap check: error: {args.wheel.name} fails: {found[0]}{more}", file=sys.stderr)
        return 1
    print(f"libwrap check: {args.wheel.name}: every needed library is allowed, inside, or provided and preloaded")
    as_provider = provider_wheel(wheel)
    if as_provider is not None:
        said = "; its libwrap.json agrees with its libraries, and _init loads each" if as_provider.package else ""
        print(
            f"libwrap check: {args.wheel.name}, a provider: its build files are relocatable, each library is one "
            f"file under its SONAME, its licences are there and named{said}"
        )
    return 0
