"""The ``libwrap`` command line: a parser, one module per subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import doctor, new
from ._version import __version__
from .commands import check, repair
from .errors import LibwrapError

__all__ = ["main"]

SUBCOMMANDS = {"new": new, "repair": repair, "check": check, "doctor": doctor}


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line naming the fix, like every other libwrap error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="libwrap",
        description="Turn a native shared library into a provider wheel that other wheels depend on.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"libwrap {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        module.configure_parser(
            commands.add_parser(name, help=module.HELP, description=module.HELP, allow_abbrev=False)
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = SUBCOMMANDS[args.command].execute(args)
    except LibwrapError as exc:
        print(f"libwrap {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return status
