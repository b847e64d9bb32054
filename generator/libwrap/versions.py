"""Version rules, each once: which releases share an ABI, and a requirement as plain comparisons.

A consumer built against a provider may use any release from that one up to (not including) the
next ABI break. The requirement a consumer declares, the range its ``_distributor_init.py`` checks at
import, and the compatibility of the provider's CMake version file are all derived here.
"""

from __future__ import annotations

from typing import Literal

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = [
    "PINS",
    "Clause",
    "Pin",
    "abi_upper_bound",
    "admits",
    "clauses",
    "cmake_compatibility",
    "compatible_requirement",
    "pinned_requirement",
    "release",
    "satisfiable",
    "within",
]

#: One comparison the consumer's preload makes against the installed release, e.g. ("<", (0, 4)).
Clause = tuple[str, tuple[int, ...]]


def release(version: str) -> tuple[int, ...]:
    """The release numbers of VERSION without trailing zeros, so that 1.2 and 1.2.0 compare equal."""
    numbers = list(Version(version).release)
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def _major_minor(version: str) -> tuple[int, int]:
    numbers = Version(version).release
    return numbers[0], (numbers[1] if len(numbers) > 1 else 0)


def abi_upper_bound(version: str, abi_upper: str = "") -> str:
    """The first release that may break the ABI: ABI_UPPER if given; else the next minor release for
    0.x (0.3.28 -> 0.4) and the next major release from 1.0 on (2.13.1 -> 3)."""
    if abi_upper:
        return abi_upper
    major, minor = _major_minor(version)
    return f"0.{minor + 1}" if major == 0 else f"{major + 1}"


def compatible_requirement(distribution: str, version: str, abi_upper: str = "", *, exact: bool = False) -> str:
    """``dist>=version,<next ABI break``; ``dist==version`` when every release breaks the ABI (torch);
    just ``dist`` when VERSION is not a PEP 440 version."""
    try:
        public = Version(version).public
    except InvalidVersion:
        return distribution
    if exact:
        return f"{distribution}=={public}"
    return f"{distribution}>={public},<{abi_upper_bound(version, abi_upper)}"


#: How a library wheel's maintainers ask consumers to pin it (libwrap.providers.LIBRARY_WHEELS): exact
#: (==built), series (==X.Y.*, the same release series), minor (>=built,<X.Y+1: no older than built,
#: no newer minor than tested), major (>=built,<X+1: newer minors keep the ABI).
Pin = Literal["exact", "series", "minor", "major"]
PINS: tuple[Pin, ...] = ("exact", "series", "minor", "major")


def pinned_requirement(distribution: str, version: str, pin: Pin) -> str:
    """DISTRIBUTION built against VERSION, pinned by the rule PIN (see Pin); just the name when VERSION is
    not a PEP 440 version."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return distribution
    major, minor = _major_minor(version)
    if pin == "exact":
        return f"{distribution}=={parsed.public}"
    if pin == "series":
        return f"{distribution}=={major}.{minor}.*"
    if pin == "minor":
        return f"{distribution}>={parsed.public},<{major}.{minor + 1}"
    return f"{distribution}>={parsed.public},<{major + 1}"


def cmake_compatibility(version: str, abi_upper: str = "") -> str:
    """The ``write_basic_package_version_file`` COMPATIBILITY that matches the ABI range."""
    below = release(abi_upper_bound(version, abi_upper))
    major, minor = _major_minor(version)
    if below == (major + 1,):
        return "SameMajorVersion"
    if below == (major, minor + 1):
        return "SameMinorVersion"
    return "AnyNewerVersion"


def _bump(numbers: tuple[int, ...]) -> tuple[int, ...]:
    """The first release past every release that starts with NUMBERS: (0, 3) -> (0, 4)."""
    return (*numbers[:-1], numbers[-1] + 1)


def clauses(requirement: str) -> tuple[Clause, ...]:
    """REQUIREMENT's version specifiers as comparisons of release tuples, which a consumer's
    ``_distributor_init.py`` can evaluate without ``packaging``: ``~=0.3.28`` gives >= (0, 3, 28)
    and < (0, 4); ``==1.2.*`` gives >= (1, 2) and < (1, 3)."""
    found: list[Clause] = []
    for spec in Requirement(requirement).specifier:
        operator, text = spec.operator, spec.version
        if text.endswith(".*"):
            prefix = release(text[:-2])
            if operator == "==":
                found += [(">=", prefix), ("<", _bump(prefix))]
            continue  # != with a wildcard excludes a series; the installer already enforced it
        numbers = release(text)
        if operator == "~=":
            found += [(">=", numbers), ("<", _bump(Version(text).release[:-1]))]
        elif operator in ("==", "==="):
            found += [(">=", numbers), ("<=", numbers)]
        else:
            found.append((operator, numbers))
    return tuple(found)


def admits(requirement: str, version: str) -> bool:
    """Whether REQUIREMENT (``name>=1.0,<2``) is met by VERSION, pre-releases counted as pip counts them
    when asked for one explicitly."""
    return Requirement(requirement).specifier.contains(version, prereleases=True)


def _points(specifiers: SpecifierSet) -> set[Version]:
    """The versions where SPECIFIERS change their answer: each one's version, and the ends of wildcards
    and of ``~=`` ranges."""
    points: set[Version] = set()
    for spec in specifiers:
        text = spec.version
        if text.endswith(".*"):
            prefix = Version(text[:-2])
            points |= {prefix, Version(f"{prefix.epoch}!{'.'.join(map(str, _bump(prefix.release)))}")}
            continue
        version = Version(text)
        points.add(version)
        if spec.operator == "~=":
            points.add(Version(f"{version.epoch}!{'.'.join(map(str, _bump(version.release[:-1])))}"))
    return points


def _variants(version: Version) -> set[Version]:
    """The versions that share VERSION's release: its dev, pre, post and local neighbours."""
    base = f"{version.epoch}!{'.'.join(map(str, version.release))}"
    post = (version.post or 0) + 1
    return {Version(f"{base}{suffix}") for suffix in (".dev0", "a0", "rc0", "", ".post0", f".post{post}", "+local")}


def _between(low: Version, high: Version) -> Version | None:
    """A final release above LOW and its post-releases and below HIGH and its pre-releases, when their
    releases differ: LOW's release with a 1 appended past HIGH's length (2.0 < 2.0.0.0.1 < 2.0.1)."""
    if low.epoch != high.epoch:
        return Version(f"{low.epoch}!{low.release[0] + 1}")
    width = max(len(low.release), len(high.release)) + 1
    padded = low.release + (0,) * (width - len(low.release))
    candidate = Version(f"{low.epoch}!{'.'.join(map(str, (*padded, 1)))}")
    return candidate if low < candidate < high else None


def _candidates(spec_sets: list[SpecifierSet]) -> set[Version]:
    """Versions that stand for every answer SPEC_SETS can give: their change points, those points'
    dev/pre/post neighbours, one release inside every gap between them, and one below and above all."""
    points = sorted(set().union(*(_points(s) for s in spec_sets)))
    if not points:
        return {Version("0")}
    candidates = {Version("0"), Version(f"{points[-1].epoch}!{points[-1].release[0] + 1}")}
    for point in points:
        candidates |= {point, *_variants(point)}
    for low, high in zip(points, points[1:]):
        inside = _between(low, high)
        if inside is not None:
            candidates.add(inside)
    return candidates


def within(narrow: str, wide: str) -> bool:
    """Whether every release NARROW's specifiers admit, WIDE's admit too: a requirement declared as
    NARROW lets an installer choose nothing outside WIDE. ``openblas`` and ``openblas>=0.3`` are not within
    ``openblas>=0.3.31,<0.4``; ``openblas>=0.3.31,<0.3.40`` is, and ``==1.22.*`` is within
    ``>=1.22.0,<1.23``. Pre-releases are left out, as installers leave them out unless asked: only
    ``1.22.0.dev0`` tells those last two apart."""
    inner, outer = SpecifierSet(narrow), SpecifierSet(wide)
    return not any(
        inner.contains(v, prereleases=False) and not outer.contains(v, prereleases=False)
        for v in _candidates([inner, outer])
    )


def satisfiable(specifiers: str) -> bool:
    """Whether any version meets SPECIFIERS (``>=3,<2`` and ``==1.0,!=1.0`` meet none).

    Each specifier changes its answer only at its own version (and at a wildcard's or ``~=``'s end),
    so testing those points, their dev/pre/post neighbours and one release inside every gap between
    them (and below and above all) decides it, with packaging's own comparison rules."""
    spec_set = SpecifierSet(specifiers)
    if not _points(spec_set):
        return True
    return any(spec_set.contains(candidate, prereleases=True) for candidate in _candidates([spec_set]))
