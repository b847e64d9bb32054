"""What ``libwrap doctor`` runs inside every Python process of the command it inspects: at exit, write
what the process has mapped (``/proc/self/maps``) to a file, then get out of the way.

``libwrap doctor`` copies this file as ``sitecustomize.py`` into a temporary directory that it puts
first on ``PYTHONPATH``, and names the directory for the reports in ``LIBWRAP_DOCTOR_DIR``; child
processes inherit both, so every Python process of the command reports, children included. The
directory is taken off ``sys.path`` again, and the environment's own ``sitecustomize`` (which this
one hides: pyenv's and Debian's Pythons have one) runs as it would have.

Standard library only, Python 3.9+: it runs in whatever interpreter the command starts.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs an import that the inspected process need not pay
    from collections.abc import Sequence

__all__ = ["ENV", "chain", "dump", "install"]

#: Where the reports go: one ``<pid>.json`` per process.
ENV = "LIBWRAP_DOCTOR_DIR"


def dump(directory: str) -> None:
    """Write this process's mapped files, argv, executable and sys.path to DIRECTORY/<pid>.json.
    Fails silently: a report that cannot be written must not change how the command ends."""
    try:
        import json

        with open("/proc/self/maps", encoding="utf-8", errors="surrogateescape") as f:
            maps = f.read()
        try:
            exe = os.readlink("/proc/self/exe")
        except OSError:
            exe = sys.executable
        data = {
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "argv": list(getattr(sys, "orig_argv", sys.argv)),
            "exe": exe,
            "path": [str(entry) for entry in sys.path],
            "maps": maps,
        }
        path = os.path.join(directory, f"{os.getpid()}.json")
        # written aside, then renamed: the reader never sees half a report
        partial = f"{path}.partial"
        with open(partial, "w", encoding="ascii") as f:
            json.dump(data, f)
        os.replace(partial, path)
    except (OSError, ValueError, TypeError):  # see the docstring
        return


def install(directory: str) -> None:
    """Report at exit (atexit runs before any module is torn down: every library is still mapped), and
    say so now in DIRECTORY/<pid>.started (the executable), so libwrap doctor need not sample us."""
    import atexit

    atexit.register(dump, directory)
    try:
        with open(os.path.join(directory, f"{os.getpid()}.started"), "w", encoding="utf-8") as f:
            f.write(os.readlink("/proc/self/exe"))
    except OSError:  # then libwrap doctor samples this process as it would any other
        return


def _same(entry: str, here: str) -> bool:
    return os.path.normcase(os.path.abspath(entry or os.curdir)) == os.path.normcase(here)


def chain(here: str, path: Sequence[str]) -> None:
    """Run the ``sitecustomize`` on PATH that the one in HERE hides, as the module ``sitecustomize``."""
    import importlib.machinery
    import importlib.util

    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", [p for p in path if not _same(p, here)])
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


def _main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    directory = os.environ.get(ENV)
    if directory:
        install(directory)
    # the program must see the sys.path it would have had; children still inherit PYTHONPATH
    sys.path[:] = [p for p in sys.path if not _same(p, here)]
    chain(here, sys.path)


if __name__ == "sitecustomize":
    _main()
