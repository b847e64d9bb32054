"""Render the provider template: one ``generate_project()`` for the CLI, the docs and the tests.

Every value reaches TOML, CMake, Python or C source through a serializer filter (``FILTERS``), never
pasted raw: ``libxml-2.0`` must stay one TOML key, not the dotted key ``libxml-2`` → ``0``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

from ._version import __version__ as libwrap_version
from .errors import UsageError
from .pyliteral import python_literal
from .spec import ProviderSpec

__all__ = ["FILTERS", "Serializers", "check_target", "generate_project", "template_dir"]


def toml_value(value: Any) -> str:
    """A TOML string, array of strings, boolean or inline table of those (TOML basic strings share JSON's
    escapes); an array too long for one line gets a line per item."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_string(key)} = {toml_value(item)}" for key, item in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        items = [toml_value(item) for item in value]
        line = f"[{', '.join(items)}]"
        return line if len(line) <= 100 else "[\n" + "".join(f"  {item},\n" for item in items) + "]"
    return _toml_string(str(value))


def _toml_string(text: str) -> str:
    # not ASCII-escaped: JSON would write astral characters as surrogate pairs, which TOML refuses
    return json.dumps(text, ensure_ascii=False)


def cmake_argument(value: Any) -> str:
    """One quoted CMake argument per item: no ``${}`` or quote inside changes its meaning."""
    if isinstance(value, (list, tuple)):
        return " ".join(cmake_argument(item) for item in value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def cmake_list(value: Any) -> str:
    """A quoted CMake list (``"a;b"``), each item escaped so that it stays one item."""
    items = [cmake_argument(item)[1:-1].replace(";", "\\;") for item in value]
    return f'"{";".join(items)}"'


def c_string(value: Any) -> str:
    """A C string literal (values are ASCII: names and versions are validated before rendering)."""
    return json.dumps(str(value), ensure_ascii=True)


FILTERS: dict[str, Callable[[Any], str]] = {
    "toml": toml_value,
    "cmake": cmake_argument,
    "cmake_list": cmake_list,
    "py": python_literal,
    "c_string": c_string,
}


class Serializers(Extension):
    """The Jinja extension the template names in ``_extensions``: the filters above."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(FILTERS)


def template_dir() -> Path:
    """The cookiecutter template: inside the installed package, or at the top of a checkout."""
    packaged = Path(__file__).parent / "template"
    if (packaged / "cookiecutter.json").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "template"
    if (checkout / "cookiecutter.json").is_file():
        return checkout
    msg = "libwrap's provider template is missing; reinstall libwrap"
    raise UsageError(msg)


def _writable_base(output_dir: Path) -> None:
    """OUTPUT_DIR, or the directory it would be created in, must be a directory this user can write."""
    base = output_dir
    while not base.exists() and not base.is_symlink() and base.parent != base:
        base = base.parent
    if not base.is_dir():
        what = "is a file" if base == output_dir else f"is under {base}, which is a file"
        msg = f"output {output_dir} {what}; pass -o with a directory"
        raise UsageError(msg)
    if not os.access(base, os.W_OK | os.X_OK):
        msg = f"output {output_dir}: cannot write into {base} (permission denied); pass -o with a directory you can write to"
        raise UsageError(msg)


def check_target(name: str, output_dir: Path, *, force: bool) -> Path:
    """Where the project will go; refuses a non-empty directory unless ``force``."""
    target = output_dir / name
    try:
        _writable_base(output_dir)
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            msg = f"{target} exists and is not a directory; remove it or pass another -o"
            raise UsageError(msg)
        if target.is_dir() and any(target.iterdir()) and not force:
            msg = f"directory {target} is not empty; pass --force to overwrite it"
            raise UsageError(msg)
    except OSError as exc:
        msg = f"output {output_dir} cannot be used ({exc.strerror or exc}); pass -o with a directory you can write to"
        raise UsageError(msg) from None
    return target


def _created_dirs(output_dir: Path) -> list[Path]:
    """The directories that mkdir(parents=True) would create for OUTPUT_DIR, outermost first."""
    missing = []
    while not output_dir.exists() and output_dir.parent != output_dir:
        missing.append(output_dir)
        output_dir = output_dir.parent
    return missing[::-1]


def generate_project(spec: ProviderSpec, output_dir: Path, *, force: bool = False) -> Path:
    """Validate SPEC, render the template into OUTPUT_DIR/NAME and return that path.

    Nothing is written unless every check passes; the project is rendered next to its
    destination first, so a failure never leaves half a project behind.
    """
    from cookiecutter.generate import generate_files

    spec.validate()
    target = check_target(spec.name, output_dir, force=force)
    template = template_dir()
    # cookiecutter.json holds only cookiecutter's own settings; the values come from the spec.
    settings = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    context = {"cookiecutter": {**settings, **spec.context(libwrap_version), "_template": str(template)}}
    created = _created_dirs(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=output_dir, prefix=f".{spec.name}-") as staging:
            rendered = Path(generate_files(repo_dir=str(template), context=context, output_dir=staging))
            if target.is_dir():
                shutil.rmtree(target)
            rendered.rename(target)
    except OSError as exc:
        if created:  # what this call created, and nothing else
            shutil.rmtree(created[0], ignore_errors=True)
        msg = f"cannot write the project into {output_dir} ({exc.strerror or exc}); pass -o with a directory you can write to"
        raise UsageError(msg) from None
    return target
