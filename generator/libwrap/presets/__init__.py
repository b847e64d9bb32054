"""Presets: one TOML file per library, holding the values ``libwrap new`` would otherwise ask for."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["PRESET_KEYS", "available", "find_preset", "load_preset"]

# The keys a preset may set: ProviderSpec fields minus the name.
PRESET_KEYS = frozenset(
    {
        "version",
        "source",
        "sha256",
        "build",
        "soname",
        "init_symbol",
        "init_returns",
        "build_args",
        "cmake_package",
        "pkgconfig_name",
        "link_name",
        "include_subdir",
        "init_result_name",
        "build_args_if_missing",
        "abi_upper",
        "license_files",
        "license_expression",
        "description",
    }
)
LIST_KEYS = frozenset({"build_args", "license_files"})
TABLE_KEYS = frozenset({"build_args_if_missing"})  # path in the source tree -> arguments to add when it is absent


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
    unknown = sorted(set(data) - PRESET_KEYS)
    if unknown:
        msg = f"{origin} has unknown keys {', '.join(unknown)}; allowed: {', '.join(sorted(PRESET_KEYS))}"
        raise UsageError(msg)
    return {key: _convert(origin, key, value) for key, value in data.items()}


def _is_strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _convert(origin: str, key: str, value: object) -> object:
    """Check a value's type and give it the ProviderSpec form (tuples, pairs)."""
    if key in TABLE_KEYS:
        if isinstance(value, dict) and all(_is_strings(v) for v in value.values()):
            return tuple((path, arg) for path, args in value.items() for arg in args)
        kind = "a table of lists of strings"
    elif key in LIST_KEYS:
        if _is_strings(value):
            return tuple(value)  # type: ignore[arg-type]  # _is_strings checked it is a list
        kind = "a list of strings"
    else:
        if isinstance(value, str):
            return value
        kind = "a string"
    msg = f"{origin}: {key} must be {kind}; fix the file"
    raise UsageError(msg)
