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
from libwrap.providers import Provider, ProviderIndex, installed_libwrap_provider, provider_from_wheel

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
        "xprov", "0.3.28", frozenset({"libx.so.6"}), "xprov~=0.3.28", "xprov", f"wheel {wheel.name}", stated=True
    )


@pytest.mark.parametrize(
    "manifest",
    ["{not json", json.dumps({"name": "xprov", "sonames": ["libx.so.6"]}), json.dumps({"sonames": "libx.so.6"}), "[]"],
    ids=["not-json", "no-version", "sonames-not-a-list", "not-an-object"],
)
def test_broken_manifest_is_a_usage_error(tmp_path: Path, manifest: str) -> None:
    """Regression: a manifest without a key or not JSON at all ended in a KeyError or JSONDecodeError traceback."""
    wheel = make_wheel(tmp_path / "xprov-0.3.28-py3-none-any.whl", {"xprov/libwrap.json": manifest})
    with pytest.raises(
        UsageError,
        match=r"^the provider xprov \(wheel xprov-0\.3\.28-py3-none-any\.whl\) has a libwrap\.json that is not "
        r"(JSON|a libwrap manifest|.*not a list).*; rebuild the provider with libwrap$",
    ):
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
        {"torch/__init__.py": "", "torch/lib/libq.so.1": elf(soname="libq.so.1")},
    )
    provider = provider_from_wheel(wheel)
    assert (provider.requirement, provider.preload, provider.loader) == ("torch==2.13.0", "torch", None)


RAPIDS_LOADER = "from .load import load_library\n"
RAPIDS_LOAD = "import ctypes\n\ndef load_library():\n    return [ctypes.CDLL('libq.so.1')]\n"
LIBRARY_WHEELS = [
    # (distribution, version, its Python files, (requirement, preload, loader)): each maintainers' own rule
    ("libucx-cu12", "1.22.0", {"libucx/__init__.py": RAPIDS_LOADER, "libucx/load.py": RAPIDS_LOAD},
     ("libucx-cu12>=1.22.0,<1.23", "libucx", "load_library")),
    ("librmm-cu12", "26.10.2", {"librmm/__init__.py": RAPIDS_LOADER, "librmm/load.py": RAPIDS_LOAD},
     ("librmm-cu12==26.10.*", "librmm", "load_library")),
    ("rapids-logger", "0.3.1", {"rapids_logger/__init__.py": "def load_library():\n    pass\n"},
     ("rapids-logger==0.3.*", "rapids_logger", "load_library")),
    ("scipy-openblas32", "0.3.34.481.3", {"scipy_openblas32/__init__.py": "dll = None\n"},
     ("scipy-openblas32==0.3.34.481.3", "scipy_openblas32", None)),
    ("nvidia-cuda-runtime-cu12", "12.9.79", {}, ("nvidia-cuda-runtime-cu12>=12.9.79,<13", None, None)),
    # its own loader missing (an older release, a repack): the files are loaded by path, the range stays
    ("libucx-cu12", "1.22.0", {"libucx/__init__.py": ""}, ("libucx-cu12>=1.22.0,<1.23", None, None)),
    ("libucx-cu12", "1.22.0", {"libucx/__init__.py": RAPIDS_LOADER}, ("libucx-cu12>=1.22.0,<1.23", None, None)),
    ("somelib", "3.4.5", {"somelib/__init__.py": ""}, ("somelib>=3.4.5,<4", None, None)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "version", "files", "expected"), LIBRARY_WHEELS, ids=[f"{w[0]}-{len(w[2])}" for w in LIBRARY_WHEELS]
)
def test_library_wheels_get_their_maintainers_load_path_and_range(
    tmp_path: Path, name: str, version: str, files: dict[str, str], expected: tuple[str, str | None, str | None]
) -> None:
    """Regression: repair loaded libucx-cu12's libraries by path (its load_library(), and with it
    RAPIDS_LIBUCX_PREFER_SYSTEM_LIBRARY, never ran) and declared it >=1.22.0,<2, across the minor
    releases RAPIDS does not promise; scipy-openblas32 got >=X,<1 where its maintainers ask for ==."""
    package = name.replace("-", "_").removesuffix("_cu12")
    members: dict[str, bytes | str] = {f"{package}/lib/libq.so.1": elf(soname="libq.so.1"), **files}
    metadata = f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n".encode()
    path = tmp_path / f"{name.replace('-', '_')}-{version}-py3-none-manylinux_2_28_x86_64.whl"
    wheel = make_wheel(path, members, metadata=metadata)
    provider = provider_from_wheel(wheel)
    assert (provider.requirement, provider.preload, provider.loader) == expected


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


GOOD = {
    "name": "xprov",
    "version": "0.3.28",
    "requirement": "xprov>=0.3.28,<0.4",
    "preload": "xprov",
    "sonames": ["libx.so.6"],
    "requires": ["libzlib"],
    "pkgconfig": ["xprov", "xprov-extra"],
    "cmake_package": "XProv",
}
LIES = [
    ("marker", {"requirement": "xprov>=0.3.28; sys_platform == 'win32'"}, "which carries an environment marker"),
    ("other-distribution", {"requirement": "numpy>=1"}, "which names numpy, not xprov"),
    ("does-not-parse", {"requirement": "xprov >=> 1"}, "which does not parse"),
    ("url", {"requirement": "xprov @ https://example.invalid/x.whl"}, "which carries a URL"),
    ("extras", {"requirement": "xprov[all]>=0.3"}, "which carries extras"),
    ("own-version-outside", {"requirement": "xprov>=1,<2"}, "which its own version 0.3.28 does not satisfy"),
    ("not-a-string", {"requirement": 3}, "gives requirement as 3, not a non-empty string"),
    ("other-name", {"name": "numpy"}, "names the distribution 'numpy', not xprov"),
    ("version-not-pep440", {"version": "latest"}, "which is not a PEP 440 version"),
    ("version-not-the-wheels", {"version": "0.3.29"}, "gives the version 0.3.29, but the distribution is 0.3.28"),
    ("soname-path", {"sonames": ["/usr/lib/libc.so.6"]}, "lists the SONAME '/usr/lib/libc.so.6', which is not a plain"),
    ("soname-nul", {"sonames": ["libx.so.6\u0000"]}, "which is not a plain file name"),
    ("no-soname", {"sonames": []}, "lists no SONAME"),
    ("preload-outside", {"preload": "subprocess"}, "the preload module subprocess, which is outside its package xprov"),
    ("preload-not-a-module", {"preload": "xprov; import os"}, "not a dotted module name"),
    ("requires-not-names", {"requires": ["a b"]}, "lists 'a b' in requires, which is not a distribution name"),
    ("requires-not-a-list", {"requires": {"libzlib": 1}}, "gives requires as {'libzlib': 1}, not a list"),
    (
        "cmake-injection",
        {"cmake_package": "X]==]"},
        "gives the module name 'X]==]', which pkg-config or CMake cannot take",
    ),
]


@pytest.mark.parametrize(("change", "words"), [lie[1:] for lie in LIES], ids=[lie[0] for lie in LIES])
def test_a_lying_manifest_names_the_provider(tmp_path: Path, change: dict[str, object], words: str) -> None:
    """Regression: repair wrote a manifest's requirement into Requires-Dist as given (a marker, another
    distribution's name), and one that did not parse ended in an InvalidRequirement traceback."""
    manifest = json.dumps({**GOOD, **change})
    wheel = make_wheel(tmp_path / "xprov-0.3.28-py3-none-any.whl", {"xprov/libwrap.json": manifest})
    with pytest.raises(UsageError) as caught:
        provider_from_wheel(wheel)
    message = str(caught.value)
    assert message.startswith(f"the provider xprov (wheel {wheel.name}) has a libwrap.json that ")
    assert words in message
    assert message.endswith("; rebuild the provider with libwrap")


def test_a_deeply_nested_manifest_is_one_line(tmp_path: Path) -> None:
    """Regression: json.loads raised RecursionError on deep nesting, a traceback."""
    manifest = '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    wheel = make_wheel(tmp_path / "xprov-0.3.28-py3-none-any.whl", {"xprov/libwrap.json": manifest})
    with pytest.raises(UsageError, match=r"has a libwrap\.json that is not JSON"):
        provider_from_wheel(wheel)


def test_a_good_manifest_gives_the_provider_it_says(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "xprov-0.3.28-py3-none-any.whl", {"xprov/libwrap.json": json.dumps(GOOD)})
    provider = provider_from_wheel(wheel)
    assert (provider.distribution, provider.requirement, provider.preload) == ("xprov", "xprov>=0.3.28,<0.4", "xprov")
    without = {k: v for k, v in GOOD.items() if k != "preload"}
    wheel = make_wheel(tmp_path / "xprov-0.3.28-py3-none-any.whl", {"xprov/libwrap.json": json.dumps(without)})
    assert provider_from_wheel(wheel).preload == "xprov"  # the package that holds the manifest


def test_an_installed_manifest_is_checked_against_its_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """installed_libwrap_provider (what a provider build on another provider reads) checks the manifest as
    repair does, and names where the distribution is installed and how to reinstall it."""
    site = tmp_path / "site"
    good = {**GOOD, "name": "goodprov", "requirement": "goodprov>=0.3.28,<0.4", "preload": "goodprov"}
    _install(site, "goodprov", "0.3.28", {"goodprov/libwrap.json": json.dumps(good).encode()})
    lying = {**good, "name": "liarprov", "requirement": "numpy>=1", "preload": "liarprov"}
    _install(site, "liarprov", "0.3.28", {"liarprov/libwrap.json": json.dumps(lying).encode()})
    _install(site, "badbytes", "1.0", {"badbytes/libwrap.json": b"\xff\xfe"})
    monkeypatch.syspath_prepend(str(site))
    found = installed_libwrap_provider("goodprov")
    assert (found.pkgconfig, found.cmake_package, found.requires) == (("xprov", "xprov-extra"), "XProv", ("libzlib",))
    assert found.root == site / "goodprov"
    with pytest.raises(UsageError) as caught:
        installed_libwrap_provider("liarprov")
    assert str(caught.value) == (
        f"the provider liarprov (installed in {site.resolve()}) has a libwrap.json that gives the requirement "
        "'numpy>=1', which names numpy, not liarprov; reinstall it (pip install --force-reinstall liarprov) "
        "or rebuild it with libwrap"
    )
    with pytest.raises(
        UsageError, match=r"^the provider badbytes \(installed in .*\) has a libwrap.json that is not JSON"
    ):
        installed_libwrap_provider("badbytes")
