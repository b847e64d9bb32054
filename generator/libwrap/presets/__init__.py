"""Presets: one TOML file per library, holding the values ``libwrap new`` would otherwise ask for.
A preset's keys are those of a generated project's ``[tool.libwrap]`` table plus the values it keeps in
``[project]`` (version, description, licence, requires): ``spec.option_key`` of each option field."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..spec import Option, option_fields, option_key, read_options

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["available", "find_preset", "load_preset", "preset_keys"]


def preset_keys() -> dict[str, Option]:
    """The keys a preset may set (those of [tool.libwrap], and the [project] values), with their options."""
    return {option_key(field.name): opt for field, opt in option_fields()}


def available() -> list[str]:
    """Names of the presets shipped with libwrap."""
    return sorted(p.name[: -len(".toml")] for p in resources.files(__name__).iterdir() if p.name.endswith(".toml"))


def find_preset(name: str) -> str | None:
    """The shipped preset called NAME, if there is one (``libwrap new openblas`` selects it)."""
    return name if name in available() else None


def load_preset(preset: str) -> dict[str, Any]:
    """Read a shipped preset by name, or a preset file by path; unknown keys are an error."""
    if preset in available():
        text = resources.files(__name__).joinpath(f"{preset}.toml").read_text(encoding="utf-8")
        origin = f"preset {preset!r}"
    elif preset.endswith(".toml"):
        path = Path(preset)
        if not path.is_file():
            msg = f"preset file {preset} does not exist; pass a .toml file or one of: {', '.join(available())}"
            raise UsageError(msg)
        text = path.read_text(encoding="utf-8")
        origin = f"preset file {preset}"
    else:
        msg = f"unknown preset {preset!r}; use one of: {', '.join(available()) or '(none)'}, or a path to a .toml file"
        raise UsageError(msg)
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{origin} is not valid TOML ({exc}); fix the file"
        raise UsageError(msg) from None
    return read_options(data, origin)
