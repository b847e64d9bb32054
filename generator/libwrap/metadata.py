"""scikit-build-core's dynamic metadata provider ``libwrap``: a consumer declares the providers its
extensions link to, and its sdist and wheels carry each with the range that provider states
(``get_requirement()``: this release or newer, below the next ABI break; for a library wheel libwrap did
not build, its maintainers' range), read from the provider installed in the build environment — the
``Requires-Dist`` ``libwrap repair`` would otherwise add to the wheel alone, where a resolver reading the
sdist's metadata would not see it.

    [project]
    dynamic = ["dependencies"]

    [[tool.dynamic-metadata]]
    provider = "libwrap"
    providers = ["openblas"]

The range depends on the provider installed when the wheel is built, so the sdist marks the field
``Dynamic`` (PEP 643): its value is the one computed when the sdist was made, and a wheel built from it
with another provider release may say another range — a resolver that trusts static sdist metadata (uv)
builds instead of guessing. A project that wants no plugin writes the range itself, in ``[project]
dependencies`` and ``build-system.requires`` alike (meson-python and setuptools allow only that).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import UsageError

__all__ = ["Provider"]

KEYS = frozenset({"provider", "providers", "provider-path"})


def _names(settings: Mapping[str, Any]) -> list[str]:
    unknown = sorted(set(settings) - KEYS)
    if unknown:
        msg = f"[[tool.dynamic-metadata]] provider 'libwrap' takes only 'providers'; remove {', '.join(unknown)}"
        raise UsageError(msg)
    names = settings.get("providers")
    if not isinstance(names, list) or not names or not all(isinstance(name, str) and name for name in names):
        msg = (
            "[[tool.dynamic-metadata]] provider 'libwrap' needs providers = [...], the names of the providers "
            'this package\'s extensions link to, e.g. providers = ["openblas"]'
        )
        raise UsageError(msg)
    return names


class Provider:
    """The hooks scikit-build-core calls (dynamic-metadata 0.3): its entry point names this class."""

    @staticmethod
    def dynamic_metadata(settings: Mapping[str, Any], project: Mapping[str, Any]) -> dict[str, list[str]]:
        """``{"dependencies": [...]}``: each provider's requirement, after the project's static ones: a libwrap
        provider's own range, another library wheel's by its maintainers' rule (libwrap.providers.LIBRARY_WHEELS:
        ``libucx-cu12>=1.22.0,<1.23``) — what ``libwrap repair`` then verifies instead of adding."""
        from .providers import installed_provider

        del project  # the static dependencies stay where they are; these extend them
        return {"dependencies": [installed_provider(name).requirement for name in _names(settings)]}

    @staticmethod
    def get_requires_for_dynamic_metadata(settings: Mapping[str, Any]) -> list[str]:
        """The providers must be in the build environment to be read (they are build requirements anyway)."""
        return _names(settings)

    @staticmethod
    def dynamic_wheel(settings: Mapping[str, Any]) -> dict[str, bool]:
        """The wheel's range follows the provider installed when it is built: Dynamic in the sdist."""
        _names(settings)
        return {"dependencies": True}
