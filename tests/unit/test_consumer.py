"""What a consumer wheel needs (libwrap.consumer.analysis): each DT_NEEDED sorted into inside / policy /
provided / unresolved, on synthetic wheels whose extensions are a system zlib with its DT_NEEDED renamed."""

from __future__ import annotations

from pathlib import Path

import pytest

from libwrap.consumer.analysis import analyse, declared_distributions, top_package
from libwrap.errors import UsageError
from libwrap.providers import Provider
from libwrap.wheelfile import read_wheel

from .synthetic import elf, make_wheel
from .test_providers import Installed

VENDOR = Provider("vendorlib", "1.2.3", frozenset({"libx.so.6"}), "vendorlib>=1.2.3,<2", None, "installed vendorlib")
OTHER = Provider("otherlib", "2.0", frozenset({"libx.so.6"}), "otherlib>=2.0,<3", None, "installed otherlib")


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("demo/_core.cpython-311-x86_64-linux-gnu.so", "demo"),
        ("demo/sub/deep/_ext.so", "demo"),
        ("_toplevel.cpython-311-x86_64-linux-gnu.so", None),
        ("demo-1.0.dist-info/METADATA", None),
        ("demo-1.0.data/scripts/tool", None),
    ],
)
def test_top_package(member: str, expected: str | None) -> None:
    assert top_package(member) == expected


def test_declared_distributions_skip_extras_and_junk(tmp_path: Path) -> None:
    """Requirements only an extra brings in do not count: a plain install would not have them."""
    wheel = read_wheel(
        make_wheel(
            tmp_path / "demo-1.0-py3-none-any.whl",
            {"demo/__init__.py": ""},
            requires=(
                "Vendor_Lib>=1.2.3,<2",
                "six; python_version >= '3'",
                "numpy; extra == 'test'",
                "pytest; python_version >= '3' and extra == 'dev'",
                "pywin32; sys_platform == 'win32'",  # regression: counted as declared on Linux
                "cffi; extra == 'x' or python_version >= '3'",  # regression: dropped though always installed
                "not a requirement !!",
            ),
        )
    )
    assert declared_distributions(wheel) == {"vendor-lib", "six", "cffi"}


def consumer(tmp_path: Path) -> Path:
    """demo 1.0: one extension per way a DT_NEEDED can be satisfied, plus an own library in the wheel."""
    return make_wheel(
        tmp_path / "demo-1.0-cp311-cp311-linux_x86_64.whl",
        {
            "demo/__init__.py": "",
            "demo/lib/libq.so.1": elf(soname="libq.so.1"),
            "demo/_inside.so": elf(needed="libq.so.1"),  # the wheel's own library
            "demo/_policy.so": elf(needed="libm.so.6"),  # manylinux allows it
            "demo/_provided.so": elf(needed="libx.so.6"),  # vendorlib ships it
            "demo/sub/_provided.so": elf(needed="libx.so.6"),
            "demo/_unresolved.so": elf(needed="liby.so.7"),  # nobody ships it
        },
    )


def test_needs_are_sorted(tmp_path: Path) -> None:
    needs = analyse(read_wheel(consumer(tmp_path)), Installed(installed=(VENDOR,)))
    assert needs.inside == {"libq.so.1"}
    # the stand-in library itself needs libc.so.6, which the policy allows like libm.so.6
    assert needs.policy == {"libm.so.6", "libc.so.6"}
    assert needs.provided == {"libx.so.6": VENDOR}
    assert needs.unresolved == {"liby.so.7"}
    assert needs.users["libx.so.6"] == ["demo/_provided.so", "demo/sub/_provided.so"]
    assert needs.users["liby.so.7"] == ["demo/_unresolved.so"]


def test_a_policy_name_narrows_what_is_allowed(tmp_path: Path) -> None:
    """libm.so.6 is allowed by every manylinux policy, but not by musllinux."""
    needs = analyse(read_wheel(consumer(tmp_path)), Installed(installed=(VENDOR,)), "musllinux_1_2_x86_64")
    assert {"libm.so.6", "libc.so.6"} <= needs.unresolved
    assert needs.policy == set()


def test_conflicting_providers_name_both(tmp_path: Path) -> None:
    wheel = read_wheel(consumer(tmp_path))
    with pytest.raises(
        UsageError,
        match=(
            r"^libx\.so\.6 is provided by both otherlib \(installed otherlib\) and vendorlib \(installed vendorlib\); "
            r"choose one with --provider DIST$"
        ),
    ):
        analyse(wheel, Installed(installed=(VENDOR, OTHER)))


def test_an_explicit_provider_settles_the_conflict(tmp_path: Path) -> None:
    provider = make_wheel(
        tmp_path / "otherlib-2.0-py3-none-linux_x86_64.whl", {"otherlib/libx.so.6": elf(soname="libx.so.6")}
    )
    needs = analyse(read_wheel(consumer(tmp_path)), Installed([str(provider)], (VENDOR, OTHER)))
    assert (needs.provided["libx.so.6"].distribution, needs.provided["libx.so.6"].origin) == (
        "otherlib",
        f"wheel {provider.name}",
    )


def test_a_pure_python_wheel_needs_no_repair(tmp_path: Path) -> None:
    wheel = read_wheel(make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", {"demo/__init__.py": ""}))
    with pytest.raises(UsageError, match=r"has no ELF files .*; a pure-Python wheel needs no repair"):
        analyse(wheel, Installed())
