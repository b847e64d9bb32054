"""What a consumer wheel needs: each DT_NEEDED sorted into inside / policy / provided / unresolved, what
it declares, where its package and top-level modules are, and which of its search paths leave it."""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..elf import DynamicInfo
from ..errors import UsageError
from ..policy import allowed_by_policy
from ..providers import Provider, ProviderIndex
from ..versions import admits, within
from ..wheelfile import Wheel

__all__ = [
    "SHIM_TAG",
    "Needs",
    "analyse",
    "declare_fix",
    "declared_distributions",
    "declared_requirements",
    "loaded_by",
    "origin_dirs",
    "provider_packages",
    "requirement_problem",
    "search_path_problem",
    "search_path_problems",
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


def analyse(
    wheel: Wheel, index: ProviderIndex, policy: str = "", elf: Mapping[str, DynamicInfo] | None = None
) -> Needs:
    """What WHEEL's ELF files (ELF, when the caller has read them already) need, and who provides it."""
    elf = wheel.elf_files() if elf is None else elf
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


def loaded_by(needs: Needs) -> tuple[dict[str, list[Provider]], dict[str, list[Provider]]]:
    """The providers each package must load first, and each top-level extension module (by member):
    in the order their SONAMEs are first needed. A provider loaded by path is narrowed to the SONAMEs
    that package needs: the wheels with no code of their own (nvidia-*) ship more libraries than any one
    consumer links to, and loading each of them, as they sort, can fail (a plug-in that needs the GPU
    driver, a library loaded before the one it needs)."""
    needed: dict[tuple[bool, str, str], set[str]] = defaultdict(set)
    order: dict[tuple[bool, str], dict[str, Provider]] = defaultdict(dict)
    for soname, provider in sorted(needs.provided.items()):
        for member in needs.users[soname]:
            package = top_package(member)
            target = (package is None, member if package is None else package)
            order[target].setdefault(provider.key, provider)
            needed[target[0], target[1], provider.key].add(soname)
    packages: dict[str, list[Provider]] = {}
    shims: dict[str, list[Provider]] = {}
    for (top_level, name), providers in order.items():
        chosen = [
            p if p.preload else dataclasses.replace(p, sonames=frozenset(needed[top_level, name, p.key]))
            for p in providers.values()
        ]
        (shims if top_level else packages)[name] = chosen
    return packages, shims


def declared_requirements(wheel: Wheel) -> dict[str, list[str]]:
    """The Requires-Dist lines a wheel declares for a plain install on this platform, by canonical name:
    a requirement only for an extra or for another platform does not count."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in wheel.requires_dist:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found[str(canonicalize_name(requirement.name))].append(line.strip())
    return dict(found)


def declared_distributions(wheel: Wheel) -> set[str]:
    """Canonical names of the distributions a wheel declares in Requires-Dist for a plain install on this
    platform (see declared_requirements)."""
    return set(declared_requirements(wheel))


def requirement_problem(declared: str, provider: Provider) -> str | None:
    """Why the Requires-Dist line DECLARED is not a range the consumer of PROVIDER may declare: it refuses
    the release the consumer was built against, or admits releases outside the provider's range (no
    bound, or one across the next ABI break); None when it lies within. A URL is for its author to judge."""
    requirement = Requirement(declared)
    try:
        Version(provider.version)
    except InvalidVersion:
        return None  # a provider that numbers its releases outside PEP 440: nothing to compare
    if requirement.url:
        return None
    if not admits(declared, provider.version):
        return f"which {provider.distribution} {provider.version}, the provider it was built against, does not satisfy"
    if not requirement.specifier and Requirement(provider.requirement).specifier:
        return f"which sets no bound, where {provider.requirement} is {provider.range_source()}"
    if not within(str(requirement.specifier), str(Requirement(provider.requirement).specifier)):
        return f"which admits releases outside {provider.requirement}, {provider.range_source()}"
    return None


def declare_fix(provider: Provider) -> str:
    """How a consumer declares PROVIDER so that its sdist says what its wheels require."""
    return (
        f"declare {provider.requirement} where the project lists its dependencies ([project] dependencies, "
        "and the same range in build-system.requires), then build it again"
    )


def provider_packages(providers: Iterable[Provider]) -> set[str]:
    """The top-level directories PROVIDERS install into (their preload package, or their name as one)."""
    dirs: set[str] = set()
    for provider in providers:
        if provider.preload:
            dirs.add(provider.preload.partition(".")[0])
        dirs.add(str(canonicalize_name(provider.distribution)).replace("-", "_"))
    return dirs


_ORIGIN = re.compile(r"\$(ORIGIN|\{ORIGIN\})(?=/|$)")
_INSTALLED = re.compile(r"^[^/]+\.data/(purelib|platlib)/")


def origin_dirs(member: str, info: DynamicInfo) -> list[str]:
    """The directories inside the wheel where the loader looks for what the ELF file MEMBER needs: its
    $ORIGIN-relative RUNPATH entries (RPATH's when it has no RUNPATH, which overrides it), as member
    paths ("" for the wheel's root); entries that leave the wheel or depend on the system are left out."""
    found = []
    for entry in info.runpath or info.rpath:
        match = _ORIGIN.match(entry)
        if match is None:
            continue
        joined = posixpath.normpath(
            posixpath.join(posixpath.dirname(_INSTALLED.sub("", member)), "." + entry[match.end() :])
        )
        if joined != ".." and not joined.startswith("../"):
            found.append("" if joined == "." else joined)
    return found


def search_path_problem(member: str, entry: str, wheel_dirs: set[str], providers: set[str]) -> str | None:
    """Why the RUNPATH/RPATH ENTRY of the wheel's ELF file MEMBER may find a library anywhere but in
    the wheel as installed (WHEEL_DIRS: its top-level directories; PROVIDERS: other distributions'
    package directories, which may live in another site-packages); None when it points into the wheel."""
    if not entry:
        return "is empty: the loader reads it as the current directory"
    if entry.startswith("/"):
        return "is an absolute path, the build machine's, not where the wheel is installed"
    match = _ORIGIN.match(entry)
    if match is None:
        return "is not relative to $ORIGIN, so it depends on the current directory or the system"
    path = _INSTALLED.sub("", member)
    # a script or header in <name>.data/ is installed elsewhere: only what lands in site-packages resolves
    if path != member or not member.split("/", 1)[0].endswith(".data"):
        parts = posixpath.dirname(path).split("/") if "/" in path else []
        for part in entry[match.end() :].split("/"):
            if part == "..":
                if not parts:
                    return "leaves the directory the wheel is installed into"
                parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        if not parts:
            return "points at the directory every distribution is installed into, not into the wheel"
        if parts[0] in providers:
            return f"points into {parts[0]}/, another distribution's package, which may be installed elsewhere"
        if parts[0] not in wheel_dirs:
            return f"points to {'/'.join(parts)}, outside the wheel"
    return None


def search_path_problems(
    wheel: Wheel, providers: set[str], elf: Mapping[str, DynamicInfo] | None = None
) -> list[tuple[str, str, str, str]]:
    """(member, RUNPATH or RPATH, entry, why) for each search path entry of the wheel's ELF files (ELF,
    when the caller has read them already) that may find a library outside the wheel as installed (see
    search_path_problem)."""
    dirs = {_INSTALLED.sub("", m).split("/", 1)[0] for m in wheel.members if "/" in _INSTALLED.sub("", m)}
    dirs = {d for d in dirs if not d.endswith((".dist-info", ".data"))}
    found = []
    for member, info in (wheel.elf_files() if elf is None else elf).items():
        for tag, entries in (("RUNPATH", info.runpath), ("RPATH", info.rpath)):
            for entry in entries:
                why = search_path_problem(member, entry, dirs, providers)
                if why is not None:
                    found.append((member, tag, entry, why))
    return found
