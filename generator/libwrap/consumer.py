"""What a consumer wheel needs: each DT_NEEDED sorted into inside / policy / provided / missing."""

from __future__ import annotations

import argparse
import dataclasses
from collections import defaultdict

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import UsageError
from .policy import allowed_by_policy
from .providers import Provider, ProviderIndex
from .wheelfile import Wheel

__all__ = [
    "Needs",
    "add_provider_option",
    "analyse",
    "declared_distributions",
    "shimmed_name",
    "top_level_extension",
    "top_package",
]


@dataclasses.dataclass
class Needs:
    """DT_NEEDED names of a wheel's ELF files, by how they are satisfied."""

    users: dict[str, list[str]]  # soname -> members that need it
    inside: set[str]  # shipped in the wheel (grafted or own libraries)
    policy: set[str]  # the manylinux policy lets the system provide it
    provided: dict[str, Provider]  # another distribution ships it
    unresolved: set[str]  # nobody we know ships it: auditwheel must graft it from the system


SHIM_TAG = "libwrap"


def add_provider_option(parser: argparse.ArgumentParser) -> None:
    """--provider, shared by repair and check."""
    parser.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="DIST|WHEEL",
        help="an installed distribution or a wheel file that provides libraries (repeatable; settles ambiguities)",
    )


def top_package(member: str) -> str | None:
    """The top-level package of a wheel member; None for a top-level module."""
    parts = member.split("/")
    if len(parts) < 2 or parts[0].endswith((".dist-info", ".data")):
        return None
    return parts[0]


def top_level_extension(member: str) -> str | None:
    """The module a top-level extension file holds (``_cffi_backend`` for
    ``_cffi_backend.cpython-312-x86_64-linux-gnu.so``, as Python would import it, or for the name
    ``shimmed_name`` gave it); None for anything else."""
    if "/" in member or not member.endswith(".so"):
        return None
    stem = member.split(".", 1)[0]
    return stem if stem.isidentifier() else None


def shimmed_name(member: str) -> str:
    """Where repair moves a top-level extension module so that a Python shim of its name imports first:
    ``_cffi_backend.libwrap.cpython-312-x86_64-linux-gnu.so`` sits beside ``_cffi_backend.py`` and matches
    no extension suffix, so the import system finds the shim, which loads the providers, then this file."""
    stem, _, rest = member.partition(".")
    return member if rest.startswith(f"{SHIM_TAG}.") else f"{stem}.{SHIM_TAG}.{rest}"


def analyse(wheel: Wheel, index: ProviderIndex, policy: str = "") -> Needs:
    elf = wheel.elf_files()
    if not elf:
        msg = f"{wheel.path.name} has no ELF files (no compiled extension); a pure-Python wheel needs no repair"
        raise UsageError(msg)
    inside = {info.soname for info in elf.values() if info.soname} | {m.rsplit("/", 1)[-1] for m in elf}
    users: dict[str, list[str]] = defaultdict(list)
    for member, info in elf.items():
        for soname in info.needed:
            users[soname].append(member)
    needs = Needs(dict(users), set(), set(), {}, set())
    for soname in users:
        if soname in inside:
            needs.inside.add(soname)
            continue
        if allowed_by_policy(soname, policy):
            needs.policy.add(soname)
            continue
        candidates = {p.key: p for p in index.lookup(soname)}
        if len(candidates) > 1:
            names = " and ".join(sorted(f"{p.distribution} ({p.origin})" for p in candidates.values()))
            msg = f"{soname} is provided by both {names}; choose one with --provider DIST"
            raise UsageError(msg)
        if candidates:
            needs.provided[soname] = next(iter(candidates.values()))
        else:
            needs.unresolved.add(soname)
    return needs


def declared_distributions(wheel: Wheel) -> set[str]:
    """Canonical names of the distributions a wheel declares in Requires-Dist for a plain install on this
    platform: a requirement only for an extra or for another platform does not count."""
    names: set[str] = set()
    for line in wheel.requires_dist:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.add(str(canonicalize_name(requirement.name)))
    return names
