"""libwrap: turn a native shared library into a provider wheel that other wheels depend on."""

from __future__ import annotations

from ._version import __version__
from .errors import LibwrapError, UsageError
from .render import generate_project
from .spec import ProviderSpec

__all__ = ["LibwrapError", "ProviderSpec", "UsageError", "__version__", "generate_project"]
