"""Which libraries the manylinux/musllinux policies let a wheel take from the system (auditwheel's data)."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

__all__ = ["allowed_by_policy", "policy_name"]

# The dynamic loader itself is never a dependency a wheel could ship.
_LOADERS = re.compile(r"ld-linux.*\.so\.\d+|ld64\.so\.\d+|ld-musl-.*\.so\.1")


@functools.cache
def _policies(libc: str) -> tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]:
    data = json.loads(resources.files("auditwheel.policy").joinpath(f"{libc}-policy.json").read_text(encoding="utf-8"))
    return tuple((p["name"], tuple(p.get("aliases", ())), frozenset(p["lib_whitelist"])) for p in data)


def policy_name(tags: list[str]) -> str:
    """The manylinux/musllinux policy a wheel claims (e.g. manylinux_2_17), or '' for linux_*."""
    for tag in tags:
        platform = tag.rsplit("-", 1)[-1]
        for libc in ("manylinux", "musllinux"):
            for name, aliases, _ in _policies(libc):
                if any(platform.startswith(f"{n}_") for n in (name, *aliases) if n != "linux"):
                    return name
    return ""


def allowed_by_policy(soname: str, policy: str = "") -> bool:
    """Whether POLICY (default: any manylinux policy) lets a wheel use SONAME from the system."""
    if _LOADERS.fullmatch(soname):
        return True
    libc = "musllinux" if policy.startswith("musllinux") else "manylinux"
    return any(soname in libs for name, _, libs in _policies(libc) if not policy or name == policy)
