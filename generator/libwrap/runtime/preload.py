"""Write the ``_distributor_init.py`` of a package whose extensions link to a provider's libraries.

One writer for both sides: ``libwrap repair`` calls ``merge_distributor_init`` with the helpers of
``libwrap/runtime/distributor_init.py`` (``libwrap.consumer.preload``), and every provider wheel holds
a copy of this module as ``<provider>/_preload.py``, written by the provider's build with ``HELPERS``
and ``CALLS`` filled in, whose ``merge(existing)`` the provider's ``write_distributor_init()`` calls.
Both give the same text. It runs in the provider: Python 3.9 and later, the standard library only.
Its code fits in 88 columns, so that the copy also passes ``ruff format`` with its defaults.
"""

from __future__ import annotations

__all__ = ["merge"]

#: The line the helpers start with; it names their calling convention (see distributor_init.py).
MARKER = "# libwrap: load providers (helpers v3: requirement, version clauses, _call)"
#: The docstring of a ``_distributor_init.py`` written from nothing.
HEADER = '''"""Load the shared libraries this package's extensions link to, from the packages that provide them.

Written by libwrap (`libwrap repair` or a provider's write_distributor_init()): imported first by
__init__.py, before any extension module.
"""
'''


def merge_distributor_init(existing: str, calls: list[str], helpers: str) -> str:
    """EXISTING ``_distributor_init.py`` text (may be empty) with HELPERS (the helpers' text,
    from MARKER on), once, and each of CALLS it lacks as a line; unchanged when it has them
    all. Merging again changes nothing. A file with older helpers (another marker) keeps
    them for its own calls and gets these appended: Python runs each call with the
    definitions above it."""
    present = {line.rstrip() for line in existing.splitlines()}
    missing = [call for call in dict.fromkeys(calls) if call.rstrip() not in present]
    if not missing:
        return existing
    if MARKER in present:
        text = existing.rstrip("\n") + "\n"
    else:
        text = (existing or HEADER).rstrip("\n") + "\n\n" + helpers + "\n\n"
    return text + "".join(f"{call}\n" for call in missing)


def merge(existing: str) -> str:
    """EXISTING (a ``_distributor_init.py`` text, may be empty) plus what loads this provider."""
    return merge_distributor_init(existing, CALLS, HELPERS)


#: The helpers' text and this provider's calls, filled in by the build in the copy each wheel holds.
HELPERS = ""
CALLS: list[str] = []
