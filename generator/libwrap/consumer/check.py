"""What ``libwrap check`` finds wrong with a wheel: every library an extension needs must be allowed by
the policy its tags claim, inside the wheel, or provided by a declared dependency that the wheel loads
first; no search path may lead outside it. (``auditwheel show`` knows nothing of ``--exclude``.)"""

from __future__ import annotations

from ..policy import policy_name
from ..providers import Provider, ProviderIndex
from ..wheelfile import Wheel
from .analysis import (
    analyse,
    declared_distributions,
    provider_packages,
    search_path_problems,
    shimmed_name,
    top_level_extension,
    top_package,
)
from .imports import package_files, preload_unproven, provider_not_loaded, shim_problem

__all__ = ["preload_problem", "problems", "top_level_problem"]


def preload_problem(wheel: Wheel, package: str, provider: Provider) -> str | None:
    """Why PACKAGE's extensions may load before PROVIDER: nothing proves its __init__.py imports
    _distributor_init first on every path (see imports.preload_unproven), or that file does not load
    PROVIDER; None if neither."""
    init = f"{package}/__init__.py"
    if init not in wheel.members:
        return f"{package}/ has no __init__.py, so nothing loads it first; add one (libwrap repair needs it)"
    source = wheel.python_source(init)
    loader = f"{package}/_distributor_init.py"
    unproven = preload_unproven(source, package, package_files(wheel.members))
    if unproven is not None:
        return unproven
    text = wheel.python_source(loader) if loader in wheel.members else ""
    missing = provider_not_loaded(text, provider)
    if missing is not None:
        return f"{loader} does not load it first: {missing}; add the preload (libwrap repair writes it)"
    return None


def top_level_problem(wheel: Wheel, member: str, provider: Provider) -> str | None:
    """Why nothing loads PROVIDER before the top-level extension module MEMBER: it is not behind a
    shim module of its name (what libwrap repair writes), or the shim does not load it; None if fine."""
    module = top_level_extension(member)
    if module is None:
        return "it is a top-level library that nothing loads after its provider; move it into a package"
    if shimmed_name(member) != member:
        return (
            f"as a top-level extension module nothing imports {provider.distribution} before it; "
            f"libwrap repair moves it to {shimmed_name(member)} behind a module {module}.py that does"
        )
    if f"{module}.py" not in wheel.members:
        return f"{module}.py, the module that loads it, is missing; repair the wheel again"
    reason = shim_problem(wheel.python_source(f"{module}.py"), member, provider)
    return None if reason is None else f"{module}.py does not load it first: {reason}; repair the wheel again"


def problems(wheel: Wheel, index: ProviderIndex) -> list[str]:
    """Each way WHEEL may load a library it needs from somewhere else than it should, as one line; none: it passes."""
    policy = policy_name(wheel.tags)
    needs = analyse(wheel, index, policy)
    declared = declared_distributions(wheel)
    found = []
    why: dict[tuple[str, str], str | None] = {}  # one verdict per package and provider
    for soname in sorted(needs.unresolved):
        for member in needs.users[soname]:
            found.append(
                f"{member} needs {soname}: not in the wheel, not allowed by {policy or 'any manylinux policy'}, "
                "and no known provider ships it; graft it (libwrap repair) or install or name its provider (--provider)"
            )
    for soname, provider in sorted(needs.provided.items()):
        for member in needs.users[soname]:
            package = top_package(member)
            if provider.key not in declared:
                found.append(
                    f"{member} needs {soname} from {provider.distribution}, which the wheel does not declare; add Requires-Dist: {provider.requirement}"
                )
            elif package is None:
                reason = top_level_problem(wheel, member, provider)
                if reason is not None:
                    found.append(f"{member} needs {soname} from {provider.distribution}, but {reason}")
            else:
                if (package, provider.key) not in why:
                    why[package, provider.key] = preload_problem(wheel, package, provider)
                reason = why[package, provider.key]
                if reason is not None:
                    found.append(f"{member} needs {soname} from {provider.distribution}, but {reason}")
    for member, tag, entry, problem in search_path_problems(wheel, provider_packages(needs.provided.values())):
        found.append(f"{member} has the {tag} entry {entry!r}, which {problem}; libwrap repair drops it")
    return found
