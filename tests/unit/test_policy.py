"""The manylinux/musllinux policies (libwrap.policy), read through auditwheel's WheelPolicies API.

Regression: policy.py read auditwheel's ``*-policy.json`` data files, whose shape changes between
releases; the API also fills in what the files leave out (musl's libc SONAME per architecture)."""

from __future__ import annotations

import functools
import logging
import sys

import pytest

from libwrap import policy
from libwrap.errors import UsageError
from libwrap.policy import allowed_by_policy, policy_name


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"], "manylinux_2_17_x86_64"),
        (["py3-none-manylinux2014_x86_64"], "manylinux_2_17_x86_64"),
        (["py3-none-manylinux2014_aarch64"], "manylinux_2_17_aarch64"),
        (["cp312-cp312-manylinux_2_28_x86_64"], "manylinux_2_28_x86_64"),
        (["py3-none-manylinux1_x86_64"], "manylinux_2_5_x86_64"),
        # WHEEL lists each tag of a compressed set on its own line: the same policy
        (["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"], "manylinux_2_17_x86_64"),
        # several policies: the oldest, whose whitelist is the smallest, must hold
        (["py3-none-manylinux_2_28_x86_64", "py3-none-manylinux_2_17_x86_64"], "manylinux_2_17_x86_64"),
        (["cp311-cp311-musllinux_1_2_x86_64"], "musllinux_1_2_x86_64"),
        # not the running machine's musl: auditwheel picks that one when the policy is not named
        (["cp311-cp311-musllinux_1_1_aarch64"], "musllinux_1_1_aarch64"),
        (["cp311-cp311-linux_x86_64"], ""),
        (["py3-none-any"], ""),
        (["cp311-cp311-manylinux_2_99_x86_64"], ""),  # newer than auditwheel knows
        (["cp311-cp311-musllinux_1_9_x86_64"], ""),
        (["cp311-cp311-manylinux_2_17_sparc"], ""),
        (["not-a-tag"], ""),
    ],
)
def test_policy_claimed_by_tags(tags: list[str], expected: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert policy_name(tags) == expected
    assert caplog.records == []  # no "can't determine musl libc version" from auditwheel


@pytest.mark.parametrize("policy", ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_17", ""])
@pytest.mark.parametrize("soname", ["libc.so.6", "libm.so.6", "libstdc++.so.6", "libz.so.1"])
def test_system_libraries_are_allowed(policy: str, soname: str) -> None:
    assert allowed_by_policy(soname, policy)


@pytest.mark.parametrize("policy", ["manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "musllinux_1_2_x86_64", ""])
@pytest.mark.parametrize("soname", ["libopenblas.so.0", "libgfortran.so.5", "libquadmath.so.0", "libgomp.so.1"])
def test_other_libraries_are_not(policy: str, soname: str) -> None:
    assert not allowed_by_policy(soname, policy)


def test_each_policy_has_its_own_whitelist() -> None:
    """libmvec joined the whitelist with manylinux_2_24; libexpat with manylinux_2_12."""
    assert not allowed_by_policy("libmvec.so.1", "manylinux_2_17_x86_64")
    assert allowed_by_policy("libmvec.so.1", "manylinux_2_28_x86_64")
    assert not allowed_by_policy("libexpat.so.1", "manylinux1_x86_64")
    assert allowed_by_policy("libexpat.so.1", "manylinux2010_x86_64")


def test_musl_libc_is_allowed_under_musllinux() -> None:
    """Regression: the JSON lists musl's libc as 'libc.so', which no wheel needs; auditwheel maps it to
    the SONAME of each architecture, so musllinux wheels were told to ship libc."""
    assert allowed_by_policy("libc.musl-x86_64.so.1", "musllinux_1_2_x86_64")
    assert allowed_by_policy("libc.musl-aarch64.so.1", "musllinux_1_1_aarch64")
    assert not allowed_by_policy("libc.musl-x86_64.so.1", "musllinux_1_1_aarch64")
    assert not allowed_by_policy("libc.so.6", "musllinux_1_2_x86_64")


@pytest.mark.parametrize(
    "loader", ["ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld64.so.2", "ld-musl-x86_64.so.1"]
)
@pytest.mark.parametrize("policy", ["", "manylinux_2_17_x86_64", "musllinux_1_2_x86_64", "manylinux_2_99_x86_64"])
def test_the_dynamic_loader_is_always_allowed(loader: str, policy: str) -> None:
    assert allowed_by_policy(loader, policy)


@pytest.mark.parametrize("policy", ["manylinux_2_99_x86_64", "musllinux_1_9_x86_64", "linux_x86_64", "windows"])
def test_unknown_policies_allow_nothing(policy: str) -> None:
    assert not allowed_by_policy("libc.so.6", policy)


def test_without_auditwheel_the_error_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """auditwheel is installed with libwrap on Linux only; elsewhere check must not end in a traceback."""
    monkeypatch.setitem(sys.modules, "auditwheel", None)  # what find_spec reports for a missing package
    monkeypatch.setattr(policy, "_wheel_policies", functools.cache(policy._wheel_policies.__wrapped__))
    with pytest.raises(UsageError, match=r"^auditwheel is not installed, .*; pip install auditwheel \(on Linux\)$"):
        policy_name(["py3-none-manylinux_2_17_x86_64"])
