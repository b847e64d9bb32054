"""``libwrap check WHEEL``: is every library an extension needs either allowed, inside, or provided
by a declared dependency that the wheel loads first? (the machinery: ``libwrap.consumer.check``)"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import add_provider_option

__all__ = ["HELP", "configure_parser", "execute"]

HELP = "check that every library a wheel's extensions need is allowed, inside the wheel, or provided and preloaded"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wheel", type=Path, metavar="WHEEL", help="the wheel to check")
    add_provider_option(parser)


def execute(args: argparse.Namespace) -> int:
    from ..consumer.check import problems
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
    return 0
