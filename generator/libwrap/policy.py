"""Which libraries the manylinux/musllinux policies let a wheel take from the system, read through
auditwheel's policy API (``WheelPolicies``; its JSON data files change shape between releases).

A policy is named as auditwheel names it, with its architecture: ``manylinux_2_17_x86_64``.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from typing import TYPE_CHECKING

from packaging.tags import parse_tag

from .errors import UsageError

if TYPE_CHECKING:
    # auditwheel ships no type information (no py.typed)
    from auditwheel.policy import Policy, WheelPolicies  # type: ignore[import-untyped]

__all__ = ["allowed_by_policy", "policy_name"]

# The dynamic loader itself is never a dependency a wheel could ship.
_LOADERS = re.compile(r"ld-linux.*\.so\.\d+|ld64\.so\.\d+|ld-musl-.*\.so\.1")
# A policy or one of its aliases, the architecture optional: manylinux_2_17_x86_64, manylinux2014, musllinux_1_2.
_POLICY = re.compile(r"(?P<base>manylinux(?:_\d+_\d+|1|2010|2014)|musllinux_\d+_\d+)(?:_(?P<arch>\w+))?")


def _require_auditwheel() -> None:
    """auditwheel is a dependency on Linux only: elsewhere, say so instead of a traceback."""
    if importlib.util.find_spec("auditwheel") is None:
        msg = "auditwheel is not installed, and the manylinux policies come from it; pip install auditwheel (on Linux)"
        raise UsageError(msg)


@functools.cache
def _machine() -> str:
    """The running machine's architecture as auditwheel names it; '' if auditwheel knows no such machine."""
    _require_auditwheel()
    from auditwheel.architecture import Architecture  # type: ignore[import-untyped]

    try:
        return str(Architecture.detect().value)
    except ValueError:
        return ""


@functools.cache
def _wheel_policies(musl_policy: str, arch: str) -> WheelPolicies | None:
    """auditwheel's glibc policies for ARCH, or (MUSL_POLICY given) that one musllinux policy; None if it has none."""
    _require_auditwheel()
    from auditwheel.architecture import Architecture
    from auditwheel.libc import Libc  # type: ignore[import-untyped]
    from auditwheel.policy import WheelPolicies

    try:
        # a musl policy is always named: else auditwheel picks the running machine's musl, or warns
        if musl_policy:
            return WheelPolicies(libc=Libc.MUSL, arch=Architecture(arch), musl_policy=musl_policy)
        return WheelPolicies(libc=Libc.GLIBC, arch=Architecture(arch))
    # ValueError: an architecture auditwheel does not know; AssertionError: nor that musllinux version
    except (ValueError, AssertionError):
        return None


def _lookup(name: str) -> Policy | None:
    """The policy NAME (or an alias) stands for; without an architecture suffix, the running machine's."""
    match = _POLICY.fullmatch(name)
    if match is None:
        return None
    base, arch = match["base"], match["arch"] or _machine()
    policies = _wheel_policies(base if base.startswith("musllinux") else "", arch)
    if policies is None:
        return None
    try:
        return policies.get_policy_by_name(f"{base}_{arch}")
    except LookupError:
        return None


def policy_name(tags: list[str]) -> str:
    """The policy a wheel's tags claim (manylinux_2_17_x86_64), or '' for linux_* and policies auditwheel
    does not know. Of several, the oldest: the wheel must keep every claim, and older ones allow fewer libraries."""
    claimed: list[Policy] = []
    for tag in tags:
        try:
            platforms = [t.platform for t in parse_tag(tag)]
        except ValueError:  # not a python-abi-platform triple
            continue
        claimed += [p for p in map(_lookup, platforms) if p is not None]
    # auditwheel ranks older policies higher
    return str(max(claimed, key=lambda p: p.priority).name) if claimed else ""


def allowed_by_policy(soname: str, policy: str = "") -> bool:
    """Whether POLICY (default: any manylinux policy of this machine) lets a wheel use SONAME from the system."""
    if _LOADERS.fullmatch(soname):
        return True
    if not policy:
        policies = _wheel_policies("", _machine())
        return policies is not None and any(soname in p.whitelist for p in policies)
    found = _lookup(policy)
    return found is not None and soname in found.whitelist
