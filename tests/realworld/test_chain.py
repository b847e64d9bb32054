"""Provider chains: libxslt is built on the libxml2 provider, which is built on the libzlib provider.
Each library's dependency is the other provider's copy (its SONAME kept as DT_NEEDED, never vendored),
declared, imported first, and named in the .pc and CMake files consumers read."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from libwrap.elf import read_dynamic_stream

from ..helpers import install_target, python_ok, python_with, wheel_names
from .builds import libxml2_wheel, libxslt_wheel, libzlib_wheel

pytestmark = [pytest.mark.slow, pytest.mark.realworld]


def member(wheel: Path, name: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name)


def needed(wheel: Path, name: str) -> tuple[str, ...]:
    import io

    info = read_dynamic_stream(io.BytesIO(member(wheel, name)))
    assert info is not None
    return info.needed


def test_libxml2_links_to_the_libzlib_provider(tmp_path_factory: pytest.TempPathFactory) -> None:
    wheel = libxml2_wheel(tmp_path_factory)
    names = wheel_names(wheel)
    assert "libz_pypi.so.1" in needed(wheel, "libxml2/lib/libxml2.so.2")  # the renamed SONAME, kept
    assert not any("libz" in name.rsplit("/", 1)[-1] for name in names if "/lib/" in name and ".so" in name)
    metadata = member(wheel, "libxml2-2.9.14.dist-info/METADATA").decode()
    assert "Requires-Dist: libzlib<2,>=1.3.1" in metadata
    pc = member(wheel, "libxml2/lib/pkgconfig/libxml-2.0.pc").decode()
    assert "Requires.private: zlib" in pc
    assert "site-packages" not in pc  # no path of the build environment
    assert "/tmp/" not in pc
    assert "Cflags: -I${includedir}\n" in pc  # include/libxml2 is the wheel's include/
    manifest = json.loads(member(wheel, "libxml2/libwrap.json"))
    assert manifest["requires"] == ["libzlib"]
    config = member(wheel, "libxml2/lib/cmake/LibXml2/LibXml2Config.cmake").decode()
    assert "find_dependency(ZLIB CONFIG" in config


def test_libxslt_ships_both_libraries_on_the_libxml2_provider(tmp_path_factory: pytest.TempPathFactory) -> None:
    wheel = libxslt_wheel(tmp_path_factory)
    names = wheel_names(wheel)
    libs = {"libxslt/lib/libxslt.so.1", "libxslt/lib/libexslt.so.0", "libxslt/lib/libxslt.a", "libxslt/lib/libexslt.a"}
    pcs = {"libxslt/lib/pkgconfig/libxslt.pc", "libxslt/lib/pkgconfig/libexslt.pc"}
    assert libs | pcs <= names
    assert not any("libxml2" in name for name in names if name.startswith("libxslt/lib/"))
    assert "libxml2.so.2" in needed(wheel, "libxslt/lib/libxslt.so.1")
    # _init links to each library the build installed: importing the provider loads them all
    assert {"libxslt.so.1", "libexslt.so.0"} <= set(needed(wheel, "libxslt/_init.abi3.so"))
    assert "Requires: libxml-2.0\n" in member(wheel, "libxslt/lib/pkgconfig/libxslt.pc").decode()
    assert "Requires: libxml-2.0, libxslt" in member(wheel, "libxslt/lib/pkgconfig/libexslt.pc").decode()
    assert "Requires-Dist: libxml2<3,>=2.9.14" in member(wheel, "libxslt-1.1.35.dist-info/METADATA").decode()
    assert sorted(json.loads(member(wheel, "libxslt/libwrap.json"))["sonames"]) == ["libexslt.so.0", "libxslt.so.1"]


def test_import_loads_the_chain_from_three_separate_sites(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each provider in its own directory, as pip --target or separate site-packages would put them:
    `import libxslt` imports libxml2 (which imports libzlib) first, and each library comes from its
    own provider."""
    sites = [
        install_target(wheel(tmp_path_factory), tmp_path_factory.mktemp(name))
        for name, wheel in (("zsite", libzlib_wheel), ("xmlsite", libxml2_wheel), ("xsltsite", libxslt_wheel))
    ]
    code = (
        "import sys, libxslt; "
        "print(sorted(m for m in ('libzlib', 'libxml2', 'libxslt') if m in sys.modules)); "
        "print(sorted({l.split()[-1] for l in open('/proc/self/maps') if '/lib/lib' in l and 'site' in l}))"
    )
    modules, maps = python_ok(sites, code).strip().splitlines()
    assert modules == "['libxml2', 'libxslt', 'libzlib']"
    expected = [
        str(sites[0] / "libzlib/lib/libz_pypi.so.1"),
        str(sites[1] / "libxml2/lib/libxml2.so.2"),
        str(sites[2] / "libxslt/lib/libexslt.so.0"),
        str(sites[2] / "libxslt/lib/libxslt.so.1"),
    ]
    assert maps == str(sorted(expected))


def test_a_missing_required_provider_names_itself_and_the_install(tmp_path_factory: pytest.TempPathFactory) -> None:
    """libxslt installed without libxml2 (regression: a bare ModuleNotFoundError for 'libxml2')."""
    site = install_target(libxslt_wheel(tmp_path_factory), tmp_path_factory.mktemp("xslt-alone"))
    proc = python_with([site], "import libxslt")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (
        "ImportError: libxslt needs libxml2<3,>=2.9.14, which is not installed; install it: pip install 'libxml2<3,>=2.9.14'"
    )
