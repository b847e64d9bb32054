"""The version rules, each in one place (libwrap.versions)."""

from __future__ import annotations

import pytest

from libwrap.versions import abi_upper_bound, admits, clauses, cmake_compatibility, compatible_requirement, satisfiable


@pytest.mark.parametrize(
    ("version", "upper", "expected"),
    [
        ("1.2.3", "", "x>=1.2.3,<2"),
        ("0.3.29", "", "x>=0.3.29,<0.4"),
        ("2.0", "", "x>=2.0,<3"),
        ("0.3.29", "1", "x>=0.3.29,<1"),
        ("1.2.3.post1", "", "x>=1.2.3.post1,<2"),
        # Regression: spec.py gave <0.1 and providers.py <1 for the same version.
        ("0", "", "x>=0,<0.1"),
    ],
)
def test_requirement_stays_within_the_abi(version: str, upper: str, expected: str) -> None:
    assert compatible_requirement("x", version, upper) == expected


def test_exact_pin_and_unknown_versions() -> None:
    assert compatible_requirement("torch", "2.13.0+cpu", exact=True) == "torch==2.13.0"
    assert compatible_requirement("weird", "not-a-version") == "weird"


@pytest.mark.parametrize(
    ("version", "upper", "expected", "bound"),
    [
        ("1.2.3", "", "SameMajorVersion", "2"),
        ("0.3.29", "", "SameMinorVersion", "0.4"),
        ("1.2.3", "1.5", "AnyNewerVersion", "1.5"),
    ],
)
def test_cmake_compatibility_follows_the_abi_rule(version: str, upper: str, expected: str, bound: str) -> None:
    assert cmake_compatibility(version, upper) == expected
    assert abi_upper_bound(version, upper) == bound


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        # Regression: ~= lost its upper bound in the consumer's version check.
        ("openblas~=0.3.28", ((">=", (0, 3, 28)), ("<", (0, 4)))),
        ("x~=2.2", ((">=", (2, 2)), ("<", (3,)))),
        ("x>=1.2.3,<2", ((">=", (1, 2, 3)), ("<", (2,)))),
        ("torch==2.13.0", ((">=", (2, 13)), ("<=", (2, 13)))),
        ("x==1.2.*", ((">=", (1, 2)), ("<", (1, 3)))),
        ("x!=1.5,>1.0.0", (("!=", (1, 5)), (">", (1,)))),
    ],
)
def test_clauses(requirement: str, expected: tuple[tuple[str, tuple[int, ...]], ...]) -> None:
    assert sorted(clauses(requirement)) == sorted(expected)


@pytest.mark.parametrize(
    ("specifiers", "expected"),
    [
        (">=2.9,<3", True),
        (">=3,<2", False),  # the case
        (">2,<2", False),
        (">=2,<=2", True),
        ("==1.0,!=1.0", False),
        ("<0", False),  # nothing is below 0 but its own pre-releases, which < excludes
        ("==1.*,!=1.*", False),
        ("==1.*,==2.*", False),
        ("~=1.4.5,!=1.4.*", False),
        ("~=1.5,<1.5", False),
        (">=2,<=1.9", False),
        (">1.0,<1.0.1", True),  # 1.0.0.1 lies between
        (">1.0,<1.0.post1", False),  # only 1.0.post0, which > 1.0 excludes
        (">=1.0,<1.0.post1", True),
        ("==2.0rc1", True),
        (">=2.0rc1,<2.0", False),  # <2.0 excludes 2.0's own pre-releases
        (">=1!2", True),
        (">=1!1,<2", False),  # 2 is 0!2, below every 1! version
        ("!=1.0", True),
        ("", True),
    ],
)
def test_satisfiable(specifiers: str, expected: bool) -> None:
    assert satisfiable(specifiers) is expected


def test_a_requirement_admits_its_own_version() -> None:
    assert admits("x>=1.2.3,<2", "1.2.3")
    assert not admits("x>=1!2.0,<3", "1!2.0")  # what --version 1!2.0 produced before epochs were refused
    assert not admits("x>=1.0a1,<1.0", "1.0a1")
