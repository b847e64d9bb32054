"""``libwrap doctor``: list the native libraries a process maps (or an environment holds), who ships
each, and the libraries it holds more than one copy of (the machinery: ``libwrap.doctor``)."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..doctor import Report

__all__ = ["HELP", "build", "configure_parser", "execute"]

HELP = "list the native libraries a process maps, who ships each, and the libraries it holds more than one copy of"

_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-i",
        "--import",
        dest="modules",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE (repeatable) in a fresh interpreter and report what it maps "
        "(default, with no command: the interpreter with nothing imported)",
    )
    parser.add_argument(
        "--installed",
        action="store_true",
        help="import nothing: read the site directories and report every library installed more than once",
    )
    parser.add_argument(
        "--path",
        dest="paths",
        action="append",
        default=[],
        metavar="DIR",
        help="with --installed: a site directory to read (repeatable; default: the interpreter's sys.path)",
    )
    parser.add_argument(
        "--python",
        metavar="PYTHON",
        help="the interpreter for -i and --installed (default: the one running libwrap)",
    )
    parser.add_argument(
        "--pid",
        dest="pids",
        type=int,
        action="append",
        default=[],
        metavar="PID",
        help="report what the running process PID maps now (repeatable)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="write one JSON document to stdout (a command's own standard output then goes to stderr)",
    )
    parser.add_argument(
        "argv",  # not "command": the top-level parser keeps the subcommand's name there
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARG...]",
        help="run COMMAND and report what each of its processes maps (Python processes report at exit, "
        "children included; other programs are sampled while they run)",
    )


def _interpreter(given: str | None) -> str:
    if given is None:
        return sys.executable
    found = shutil.which(given)
    if found is None:
        msg = f"--python {given}: no such interpreter; give the path of a Python executable"
        raise UsageError(msg)
    return found


def _checked(args: argparse.Namespace) -> tuple[str, list[str]]:
    """The mode the arguments ask for, and the command (after --), or a UsageError naming the clash."""
    command = list(args.argv)
    dashes = bool(command) and command[0] == "--"
    if dashes:
        command = command[1:]
    if dashes and not command:
        msg = "no command after --; write libwrap doctor -- COMMAND [ARG...]"
        raise UsageError(msg)
    if command and command[0].startswith("-") and not dashes:
        msg = f"unknown option {command[0]}; put the command to inspect after --"
        raise UsageError(msg)
    chosen = [
        name
        for name, given in (
            ("a command", bool(command)),
            ("-i", bool(args.modules)),
            ("--installed", args.installed),
            ("--pid", bool(args.pids)),
        )
        if given
    ]
    if len(chosen) > 1:
        msg = f"{' and '.join(chosen)} are different modes; give one of them"
        raise UsageError(msg)
    if args.paths and not args.installed:
        msg = "--path is for --installed; add --installed, or drop --path"
        raise UsageError(msg)
    if args.python is not None and (command or args.pids):
        msg = "--python is for -i and --installed; a command names its own interpreter"
        raise UsageError(msg)
    for module in args.modules:
        if not _MODULE.fullmatch(module):
            msg = f"-i {module!r} is not a module name; give a dotted name such as scipy.linalg"
            raise UsageError(msg)
    for pid in args.pids:
        if pid <= 0:
            msg = f"--pid {pid} is not a process id; give a positive number"
            raise UsageError(msg)
    for path in args.paths:
        if not Path(path).is_dir():
            msg = f"--path {path}: no such directory; give a site directory (a site-packages or a --target)"
            raise UsageError(msg)
    return (chosen[0] if chosen else "-i"), command


def _import_report(args: argparse.Namespace) -> Report:
    """The report of -i (and of no mode at all): MODULES imported in a fresh interpreter."""
    from ..doctor.owners import Owners
    from ..doctor.reports import mapped_report
    from ..doctor.run import import_command, run_command

    python = _interpreter(args.python)
    run = run_command(import_command(python, args.modules), stdout_to_stderr=args.json)
    if run.import_error is not None:
        name, _, error = run.import_error.partition("\n")
        first = (error.strip().splitlines() or ["it raised"])[0][:300]
        msg = f"import {name} failed in {python}: {first}; install it there, or check the module's name"
        raise UsageError(msg)
    what = f"import {', '.join(args.modules)}" if args.modules else "nothing imported"
    title = f"libwrap doctor: {python}, {what}"
    if run.status != 0:
        msg = f"{python} exited {run.status} before it could report; check that it runs: {python} -c pass"
        raise UsageError(msg)
    return mapped_report("import", title, run.processes, Owners(run.sys_path), modules=list(args.modules))


def build(args: argparse.Namespace) -> Report:
    """The report the parsed arguments ask for."""
    from ..doctor.owners import Owners
    from ..doctor.processes import require_linux
    from ..doctor.reports import installed, mapped_report, report, shown_command
    from ..doctor.run import python_sys_path, run_command

    require_linux()
    mode, command = _checked(args)
    if mode == "--installed":
        if args.paths:
            sites = list(args.paths)
        else:
            sites = sys.path if args.python is None else python_sys_path(_interpreter(args.python))
        return installed([s for s in sites if s and Path(s).is_dir()])
    if mode == "--pid":
        return report(args.pids)
    if mode == "a command":
        run = run_command(command, stdout_to_stderr=args.json)
        title = f"libwrap doctor -- {shown_command(command)}"
        return mapped_report(
            "command", title, run.processes, Owners(run.sys_path), command=command, exit_status=run.status
        )
    return _import_report(args)


def execute(args: argparse.Namespace) -> int:
    found = build(args)
    try:
        sys.stdout.write(json.dumps(found.to_json(), indent=2) + "\n" if args.json else found.text())
        sys.stdout.flush()
    except BrokenPipeError:
        # a reader that stopped early (| head): the rest goes nowhere, not into a traceback at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1 if found.conflicts else 0
