"""``libwrap check WHEEL``: is every library an extension needs either allowed, inside, or provided
by a declared dependency that the wheel loads first? (``auditwheel show`` knows nothing of --exclude.)"""

from __future__ import annotations

import argparse
from pathlib import Path

from .consumer import add_provider_option, analyse, declared_distributions, top_package
from .policy import policy_name
from .preload import loads_provider
from .providers import Provider, ProviderIndex
from .wheelfile import Wheel, read_wheel

__all__ = ["HELP", "configure_parser", "execute"]

HELP = "check that every library a wheel's extensions need is allowed, inside the wheel, or provided and preloaded"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wheel", type=Path, metavar="WHEEL", help="the wheel to check")
    add_provider_option(parser)


def preloads(wheel: Wheel, package: str, provider: Provider) -> bool:
    """Whether PACKAGE imports its _distributor_init first and that loads PROVIDER."""
    init = wheel.members.get(f"{package}/__init__.py", b"").decode("utf-8", "replace")
    loader = wheel.members.get(f"{package}/_distributor_init.py", b"").decode("utf-8", "replace")
    return "_distributor_init" in init and loads_provider(loader, provider)


def problems(wheel: Wheel, index: ProviderIndex) -> list[str]:
    policy = policy_name(wheel.tags)
    needs = analyse(wheel, index, policy)
    declared = declared_distributions(wheel)
    found = []
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
            elif package is None or not preloads(wheel, package, provider):
                where = f"{package}/__init__.py" if package else member
                found.append(
                    f"{member} needs {soname} from {provider.distribution}, but {where} does not load it first; add the preload (libwrap repair writes _distributor_init.py)"
                )
    return found


def execute(args: argparse.Namespace) -> int:
    wheel = read_wheel(args.wheel)
    found = problems(wheel, ProviderIndex(args.provider))
    for problem in found:
        print(f"libwrap check: {problem}")
    if found:
        print(f"libwrap check: {args.wheel.name}: {len(found)} problem(s)")
        return 1
    print(f"libwrap check: {args.wheel.name}: every needed library is allowed, inside, or provided and preloaded")
    return 0
