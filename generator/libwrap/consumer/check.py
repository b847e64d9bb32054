"""What ``libwrap check`` finds wrong with a wheel: every library an extension needs must be allowed by
the policy its tags claim, inside the wheel, or provided by a declared dependency that the wheel loads
first; no search path may lead outside it. (``auditwheel show`` knows nothing of ``--exclude``.) A
provider wheel is held to more (``provider_check``): what other projects' builds and the loader read
of it must hold wherever it is installed."""

from __future__ import annotations

from ..policy import policy_name
from ..providers import Provider, ProviderIndex
from ..wheelfile import Wheel
from .analysis import (
    analyse,
    declare_fix,
    declared_requirements,
    loaded_by,
    provider_packages,
    requirement_problem,
    search_path_problems,
    shimmed_name,
    top_level_extension,
    top_package,
)
from .imports import package_files, preload_unproven, provider_not_loaded, shim_problem
from .provider_check import ProviderWheel, provider_problems, recognise

__all__ = ["preload_problem", "problems", "provider_wheel", "top_level_problem"]


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


def provider_wheel(wheel: Wheel) -> ProviderWheel | None:
    """WHEEL as a provider (a libwrap.json, or libraries under their own SONAME); None for a consumer."""
    return recognise(wheel, wheel.elf_files())


def problems(wheel: Wheel, index: ProviderIndex) -> list[str]:
    """Each way WHEEL may load a library it needs from somewhere else than it should, as one line, and,
    for a provider wheel, each way it fails the builds and loaders of those that link to it; none: it passes."""
    policy = policy_name(wheel.tags)
    elf = wheel.elf_files()
    needs = analyse(wheel, index, policy, elf)
    as_provider = recognise(wheel, elf)
    # a libwrap provider's load() imports the providers its manifest says it is built on before _init
    loaded_first = as_provider.requires() if as_provider is not None else frozenset()
    declared = declared_requirements(wheel)
    # what each package (or top-level module) must load first: by-path providers narrowed to what it needs
    loads, shim_loads = loaded_by(needs)
    found = []
    why: dict[tuple[str, str], str | None] = {}  # one verdict per package and provider
    ranged: set[str] = set()  # providers whose declared range was judged
    # a provider is not repaired: what it needs comes from the providers it is built on, named or installed
    fix = "graft it (libwrap repair) or install or name its provider (--provider)"
    if as_provider is not None and as_provider.manifest:
        under = ", ".join(str(name) for name in as_provider.manifest.get("requires", []))
        fix = f"install or name the providers it is built on (--provider WHEEL{f': {under}' if under else ''})"
    for soname in sorted(needs.unresolved):
        for member in needs.users[soname]:
            found.append(
                f"{member} needs {soname}: not in the wheel, not allowed by {policy or 'any manylinux policy'}, "
                f"and no known provider ships it; {fix}"
            )
    for soname, provider in sorted(needs.provided.items()):
        for member in needs.users[soname]:
            package = top_package(member)
            if provider.key not in declared:
                found.append(
                    f"{member} needs {soname} from {provider.distribution}, which the wheel does not declare; add Requires-Dist: {provider.requirement}"
                )
                continue
            if provider.key not in ranged:
                ranged.add(provider.key)
                for line in declared[provider.key]:
                    wrong = requirement_problem(line, provider)
                    if wrong is not None:
                        found.append(
                            f"{member} needs {soname} from {provider.distribution}, but the wheel declares "
                            f"Requires-Dist: {line}, {wrong}; {declare_fix(provider)}"
                        )
            owner = shim_loads.get(member, []) if package is None else loads.get(package or "", [])
            loaded = next((p for p in owner if p.key == provider.key), provider)
            if package is None:
                reason = top_level_problem(wheel, member, loaded)
                if reason is not None:
                    found.append(f"{member} needs {soname} from {provider.distribution}, but {reason}")
            elif as_provider is not None and package == as_provider.package and provider.key in loaded_first:
                continue
            else:
                if (package, provider.key) not in why:
                    why[package, provider.key] = preload_problem(wheel, package, loaded)
                reason = why[package, provider.key]
                if reason is not None:
                    found.append(f"{member} needs {soname} from {provider.distribution}, but {reason}")
    # a consumer's search paths are repair's to drop; a provider's, its build's
    fix = (
        "libwrap repair drops it"
        if as_provider is None
        else "build the library without it (libwrap's staging removes them)"
    )
    for member, tag, entry, problem in search_path_problems(wheel, provider_packages(needs.provided.values()), elf):
        found.append(f"{member} has the {tag} entry {entry!r}, which {problem}; {fix}")
    if as_provider is not None:
        found += provider_problems(wheel, elf, as_provider)
    return found
