"""The ``libwrap`` command line: a parser, one module per subcommand."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from ._version import __version__
from .errors import LibwrapError

__all__ = ["main"]

#: Each subcommand's module: HELP, configure_parser(parser), execute(args). Only the one that runs is
#: configured, so `libwrap repair` pays for none of `new`'s imports (jinja2, the option declarations).
SUBCOMMANDS = {
    "new": "libwrap.commands.new",
    "repair": "libwrap.commands.repair",
    "check": "libwrap.commands.check",
    "doctor": "libwrap.commands.doctor",
}


def _module(name: str) -> ModuleType:
    return importlib.import_module(SUBCOMMANDS[name])


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line naming the fix, like every other libwrap error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser, with the options of the subcommand ARGV names (all of them when it names none)."""
    parser = Parser(
        prog="libwrap",
        description="Turn a native shared library into a provider wheel that other wheels depend on.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"libwrap {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = next((arg for arg in argv if arg in SUBCOMMANDS), None)
    for name in SUBCOMMANDS:
        if chosen is None or name == chosen:
            module = _module(name)
            sub = commands.add_parser(name, help=module.HELP, description=module.HELP, allow_abbrev=False)
            module.configure_parser(sub)
        else:
            commands.add_parser(name, add_help=False)  # a placeholder: its options are not needed here
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(given).parse_args(given)
    try:
        status: int = _module(args.command).execute(args)
    except LibwrapError as exc:
        print(f"libwrap {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return status
