"""Who provides a SONAME (libwrap.providers), on synthetic wheels and installed distributions: no compiler,
a system zlib stands in for every library (its SONAME and DT_NEEDED renamed in place)."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from pathlib import Path

import pytest

from libwrap.errors import UsageError
from libwrap.providers import Provider, ProviderIndex, provider_from_wheel

from .synthetic import elf, make_wheel


class Installed(ProviderIndex):
    """A ProviderIndex whose installed distributions are given, not read from the environment."""

    def __init__(self, explicit: list[str] | None = None, installed: tuple[Provider, ...] = ()) -> None:
        super().__init__(explicit)
        self._given = list(installed)

    def installed(self) -> list[Provider]:
        return self._given


def test_manifest_wins_over_the_libraries(tmp_path: Path) -> None:
    manifest = {"name": "xprov", "version": "0.3.28", "requirement": "xprov~=0.3.28", "sonames": ["libx.so.6"]}
    wheel = make_wheel(
        tmp_path / "xprov-0.3.28-py3-none-manylinux_2_17_x86_64.whl",
        {"xprov/libwrap.json": json.dumps(manifest), "xprov/lib/libx.so.6": elf(soname="libx.so.6")},
    )
    assert provider_from_wheel(wheel) == Provider(
        "xprov", "0.3.28", frozenset({"libx.so.6"}), "xprov~=0.3.28", "xprov", f"wheel {wheel.name}"
    )


@pytest.mark.parametrize(
    "manifest",
    ["{not json", json.dumps({"name": "xprov", "sonames": ["libx.so.6"]}), json.dumps({"sonames": "libx.so.6"}), "[]"],
    ids=["not-json", "no-version", "sonames-not-a-list", "not-an-object"],
)
def test_broken_manifest_is_a_usage_error(tmp_path: Path, manifest: str) -> None:
    """Regression: a manifest without a key or not JSON at all ended in a KeyError or JSONDecodeError traceback."""
    wheel = make_wheel(tmp_path / "xprov-0.3.28-py3-none-any.whl", {"xprov/libwrap.json": manifest})
    with pytest.raises(UsageError, match=r"libwrap\.json is not a libwrap manifest .*; rebuild the provider"):
        provider_from_wheel(wheel)


def test_grafted_libraries_are_not_provided(tmp_path: Path) -> None:
    """Regression: grafted libraries were dropped by looking for '.libs/' in their SONAME, which never
    holds a path, so a wheel claimed to provide what auditwheel had copied into foo.libs/."""
    wheel = make_wheel(
        tmp_path / "foo-1.2.3-cp311-cp311-manylinux_2_17_x86_64.whl",
        {
            "foo/__init__.py": "",
            "foo/lib/libq.so.1": elf(soname="libq.so.1"),
            "foo.libs/libz-1a2b3c4d.so.1": elf(),  # SONAME libz.so.1
        },
    )
    provider = provider_from_wheel(wheel)
    assert provider.sonames == {"libq.so.1"}
    assert (provider.distribution, provider.version, provider.preload) == ("foo", "1.2.3", None)
    assert provider.requirement == "foo>=1.2.3,<2"


def test_version_zero_stays_below_0_1(tmp_path: Path) -> None:
    """Regression: providers.py had its own ABI rule and gave `<1` for version 0, where spec.py gave `<0.1`."""
    wheel = make_wheel(tmp_path / "zero-0-py3-none-linux_x86_64.whl", {"zero/libq.so.1": elf(soname="libq.so.1")})
    assert provider_from_wheel(wheel).requirement == "zero>=0,<0.1"


def test_torch_is_pinned_exactly_and_preloaded(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path / "torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        {"torch/lib/libq.so.1": elf(soname="libq.so.1")},
    )
    provider = provider_from_wheel(wheel)
    assert (provider.requirement, provider.preload) == ("torch==2.13.0", "torch")


def test_a_wheel_without_a_soname_provides_nothing(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path / "foo-1.0-py3-none-linux_x86_64.whl", {"foo.libs/libz-1a2b3c4d.so.1": elf(), "foo/__init__.py": ""}
    )
    with pytest.raises(UsageError, match=r"foo-1\.0-py3-none-linux_x86_64\.whl ships no shared library with a SONAME"):
        provider_from_wheel(wheel)


def test_explicit_wheel_wins_over_installed(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path / "vendorlib-1.2.3-py3-none-linux_x86_64.whl", {"vendorlib/libx.so.6": elf(soname="libx.so.6")}
    )
    other = Provider("other", "1.0", frozenset({"libx.so.6"}), "other>=1.0,<2", None, "installed other")
    index = Installed([str(wheel)], (other,))
    (found,) = index.lookup("libx.so.6")
    assert (found.distribution, found.origin) == ("vendorlib", f"wheel {wheel.name}")
    assert index.lookup("liby.so.7") == []
    assert Installed([], (other,)).lookup("libx.so.6") == [other]


def _install(site: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """NAME installed into SITE as pip would: the files plus a dist-info whose RECORD lists them."""
    dist_info = f"{name}-{version}.dist-info"
    files = {**files, f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()}
    rows = []
    for member, data in files.items():
        (site / member).parent.mkdir(parents=True, exist_ok=True)
        (site / member).write_bytes(data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append((member, f"sha256={digest}", str(len(data))))
    with (site / dist_info / "RECORD").open("w", newline="") as f:
        csv.writer(f).writerows([*rows, (f"{dist_info}/RECORD", "", "")])


def test_installed_distribution_named_as_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed distribution named with --provider: its libraries outside <pkg>.libs/ count, and its
    requirement follows the one ABI rule (version 0: below 0.1)."""
    site = tmp_path / "site"
    files = {"vendorlib/libx.so.6": elf(soname="libx.so.6"), "vendorlib.libs/libw.so.1": elf(soname="libw.so.1")}
    _install(site, "vendorlib", "0", files)
    monkeypatch.syspath_prepend(str(site))
    (provider,) = ProviderIndex(["vendorlib"]).explicit
    assert provider.sonames == {"libx.so.6"}
    assert (provider.requirement, provider.preload, provider.origin) == (
        "vendorlib>=0,<0.1",
        None,
        "installed vendorlib",
    )


def test_unknown_provider_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--provider no-such-dist-here is neither a wheel file nor an installed"):
        ProviderIndex(["no-such-dist-here"])
    with pytest.raises(UsageError, match=r"does not exist; pass the path of a \.whl file"):
        ProviderIndex([str(tmp_path / "missing-1.0-py3-none-any.whl")])
