"""``python -m openblas --cflags --libs ...``: print what build scripts need, on one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import openblas as provider


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m openblas", description=__doc__, allow_abbrev=False)
    queries = {
        "--cflags": ("compiler flags", provider.get_cflags),
        "--libs": ("linker flags (no RPATH: import openblas first)", provider.get_ldflags),
        "--includedir": ("header directory", provider.get_include_dir),
        "--libdir": ("library directory", provider.get_lib_dir),
        "--pkgconfigdir": ("directory of openblas.pc", provider.get_pkgconfig_dir),
        "--cmakedir": ("directory of OpenBLASConfig.cmake", provider.get_cmake_dir),
        "--requirement": ("Requires-Dist line for consumers", provider.get_requirement),
        "--sonames": ("SONAMEs this package provides", lambda: " ".join(provider.get_sonames())),
        "--version": ("library version", lambda: provider.__version__),
    }
    for flag, (text, _) in queries.items():
        parser.add_argument(flag, action="append_const", const=flag, dest="asked", help=f"print the {text}")
    args = parser.parse_args(argv)
    if not args.asked:
        parser.print_help()
        return 2
    try:
        print(" ".join(queries[flag][1]() for flag in args.asked))
    except FileNotFoundError as exc:  # a damaged install: the message names the reinstall
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
