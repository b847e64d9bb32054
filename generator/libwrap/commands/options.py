"""Options that more than one subcommand takes, declared once."""

from __future__ import annotations

import argparse

__all__ = ["add_provider_option"]


def add_provider_option(parser: argparse.ArgumentParser) -> None:
    """--provider, shared by repair and check: ``args.provider``, a list of names and paths."""
    parser.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="DIST|WHEEL",
        help="an installed distribution or a wheel file that provides libraries (repeatable; settles ambiguities)",
    )
