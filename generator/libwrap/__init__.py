"""libwrap: turn a native shared library into a provider wheel that other wheels depend on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import LibwrapError, UsageError

if TYPE_CHECKING:
    from .render import generate_project
    from .spec import ProviderSpec

__all__ = ["LibwrapError", "ProviderSpec", "UsageError", "__version__", "generate_project"]


def __getattr__(name: str) -> Any:
    # Each on first use: rendering needs jinja2 and cookiecutter, the options packaging's parsers, and
    # `libwrap repair` or a provider build running libwrap.build needs neither.
    if name == "generate_project":
        from .render import generate_project

        return generate_project
    if name == "ProviderSpec":
        from .spec import ProviderSpec

        return ProviderSpec
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
