"""The helpers every ``_distributor_init.py`` that libwrap writes carries: load a provider, check its version.

``libwrap repair`` and a provider's ``write_distributor_init()`` copy this file's text from the marker
line on, byte for byte, into a consumer's ``_distributor_init.py`` (``libwrap.consumer.preload``),
then add one call per provider below it: ``_import(module, distribution, requirement, clauses)`` for a
provider whose import loads its libraries, ``_call(module, loader, distribution, requirement, clauses)``
for one whose function does (RAPIDS' ``libucx.load_library()``, which honours its own
``RAPIDS_LIBUCX_PREFER_SYSTEM_LIBRARY``), ``_load_by_path(distribution, soname, requirement, clauses)``
for one with no code (the ``nvidia-*`` wheels); CLAUSES are the requirement as release comparisons
(``libwrap.versions.clauses``), so no ``packaging`` is needed at import.

The marker names the helpers' calling convention: a file that has it gets only the calls it lacks, so
what the helpers are changes only with a new marker (v3 added ``_call``: a file with v2 helpers gets the
v3 block appended, and its own calls keep running with the definitions above them). The code below the
marker runs in every consumer, in that consumer's module: Python 3.9 and later, the standard library
only, names with a leading underscore, no ``__future__`` import (it follows whatever the file already
holds; for the same reason this module has no ``__all__``), and annotations that Python 3.9 can
evaluate.
"""

# libwrap: load providers (helpers v3: requirement, version clauses, _call)
import operator as _operator
import os as _os

_COMPARE = {">=": _operator.ge, ">": _operator.gt, "<=": _operator.le, "<": _operator.lt, "!=": _operator.ne}


def _release(version: str) -> tuple[int, ...]:
    """Release numbers, without trailing zeros: '2.13.0+cpu' -> (2, 13), '0.4.0rc1' -> (0, 4)."""
    parts = []
    for part in version.split("+", maxsplit=1)[0].rsplit("!", maxsplit=1)[-1].split("."):
        digits = ""
        for char in part:
            if char not in "0123456789":
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if digits != part:
            break  # a pre-, post- or dev-release suffix ends the release numbers
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _consumer() -> str:
    """Who needs the provider: the package of pkg._distributor_init, or a top-level module's shim itself."""
    return __name__.rpartition(".")[0] or __name__


def _check(distribution: str, version: str, requirement: str, clauses: tuple[tuple[str, tuple[int, ...]], ...]) -> None:
    """ImportError, not a crash, when the installed provider is outside the range we were built for."""
    have = _release(version)
    for operator, release in clauses:
        compare = _COMPARE.get(operator)
        if compare is not None and not compare(have, release):
            msg = (
                f"{_consumer()} needs {requirement}, but {distribution} {version} is installed; "
                f"install a matching one with: pip install '{requirement}'"
            )
            raise ImportError(msg)


def _import(
    module: str, distribution: str, requirement: str, clauses: tuple[tuple[str, tuple[int, ...]], ...]
) -> object:
    """For providers whose import loads their libraries: import MODULE, check its version; returns it."""
    import importlib

    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.partition(".")[0]:
            raise  # the provider is there but failed: its own message says why
        msg = f"{_consumer()} needs {requirement} ({exc}); install it with: pip install '{requirement}'"
        raise ImportError(msg) from exc
    version = getattr(loaded, "__version__", None)
    if version is None:
        from importlib import metadata

        version = metadata.version(distribution)
    _check(distribution, str(version), requirement, clauses)
    # libwrap providers can name themselves should an extension here need a symbol they lack
    getattr(loaded, "explain_missing_symbols", lambda *_: None)(_consumer(), requirement)
    return loaded


def _call(
    module: str, loader: str, distribution: str, requirement: str, clauses: tuple[tuple[str, tuple[int, ...]], ...]
) -> None:
    """For providers whose own function loads their libraries (and chooses the wheel's or the system's
    copy): import MODULE, check its version, call MODULE.LOADER()."""
    load = getattr(_import(module, distribution, requirement, clauses), loader, None)
    if not callable(load):
        msg = f"{distribution} has no {module}.{loader}() to load its libraries; install a matching one: pip install '{requirement}'"
        raise ImportError(msg)  # noqa: TRY004  (an import that cannot complete, as the others)
    load()


def _load_by_path(
    distribution: str, soname: str, requirement: str, clauses: tuple[tuple[str, tuple[int, ...]], ...]
) -> None:
    """For providers that do not load their libraries themselves: find the file, load it RTLD_LOCAL."""
    import ctypes
    from importlib import metadata

    try:
        files = metadata.files(distribution) or []
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError as exc:
        msg = f"{_consumer()} needs {requirement} ({exc}); install it with: pip install '{requirement}'"
        raise ImportError(msg) from exc
    _check(distribution, version, requirement, clauses)
    for file in files:
        if file.name == soname:
            ctypes.CDLL(str(file.locate()), mode=_os.RTLD_LOCAL)
            return
    msg = f"{distribution} {version} has no {soname}; reinstall it: pip install '{requirement}'"
    raise ImportError(msg)
