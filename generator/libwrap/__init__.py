"""libwrap: turn a native shared library into a provider wheel that other wheels depend on."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .errors import LibwrapError, UsageError
from .spec import ProviderSpec

__all__ = ["LibwrapError", "ProviderSpec", "UsageError", "__version__", "generate_project"]


def __getattr__(name: str) -> Any:
    # Rendering needs jinja2 and cookiecutter; a provider build running libwrap.stage does not.
    if name == "generate_project":
        from .render import generate_project

        return generate_project
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
