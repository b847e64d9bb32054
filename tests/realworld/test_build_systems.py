"""Real libraries through each build mode as they come: zlib's hand-written configure, libyaml's git
snapshot (only configure.ac), pixman's Meson build; and zlib used by a consumer CMake finds it for."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from ..helpers import FIXTURES, failing_wheel_build, install_target, python_ok, run, wheel_names
from .builds import (
    FREETYPE,
    FREETYPE_ARGS,
    freetype_wheel,
    libjpeg_wheel,
    libyaml_wheel,
    libzlib_wheel,
    pixman_wheel,
    render,
    xml_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.realworld]


def test_zlib_builds_with_its_own_configure_script(tmp_path_factory: pytest.TempPathFactory) -> None:
    """zlib's configure is not GNU autoconf's and rejects --disable-static: libwrap passes it none."""
    wheel = libzlib_wheel(tmp_path_factory)
    names = wheel_names(wheel)
    assert {"libzlib/lib/libz_pypi.so.1", "libzlib/lib/libz.a", "libzlib/lib/pkgconfig/zlib.pc"} <= names
    assert {"libzlib/include/zlib.h", "libzlib-1.3.1.dist-info/licenses/LICENSE"} <= names
    site = install_target(wheel, tmp_path_factory.mktemp("libzlib-site"))
    # CPython's zlib module loads the system's libz.so.1 first; the renamed SONAME keeps them apart
    out = python_ok([site], "import zlib, libzlib; print(libzlib.zlib_version, libzlib._init.library_path)")
    version, path = out.split()
    assert version == "1.3.1"
    assert path == str(site / "libzlib" / "lib" / "libz_pypi.so.1")


def test_a_consumer_finds_zlib_through_cmakes_own_find_module(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """`find_package(ZLIB)` with CMake's FindZLIB, as real projects write it: ZLIB_ROOT comes from the
    provider's cmake.root entry point. Repaired, the consumer keeps DT_NEEDED on the provider's
    library and loads it through `import libzlib`."""
    env = xml_env(tmp_path_factory)  # holds the libzlib provider
    project = shutil.copytree(FIXTURES / "zconsumer", tmp_path / "zconsumer")
    raw = env.wheel(project, tmp_path / "raw")
    repaired = tmp_path / "repaired"
    run(sys.executable, "-m", "libwrap", "repair", "--provider", libzlib_wheel(tmp_path_factory), "-w", repaired, raw)
    (wheel,) = repaired.glob("*.whl")
    assert not any("libz" in name for name in wheel_names(wheel) if name.endswith(".so.1"))
    run(sys.executable, "-m", "libwrap", "check", "--provider", libzlib_wheel(tmp_path_factory), wheel)
    site = install_target(wheel, tmp_path / "site")
    provider = install_target(libzlib_wheel(tmp_path_factory), tmp_path / "provider")
    code = (
        "import zconsumer; size, data = zconsumer.roundtrip(b'libwrap ' * 1000); "
        "maps = {l.split()[-1] for l in open('/proc/self/maps') if l.split()[-1].rsplit('/', 1)[-1].startswith('libz')}; "
        "print(zconsumer.zlib_version(), size < 1000, data == b'libwrap ' * 1000, sorted(maps))"
    )
    out = python_ok([site, provider], code)
    assert out.strip() == f"1.3.1 True True ['{provider / 'libzlib' / 'lib' / 'libz_pypi.so.1'}']"


def test_libyaml_git_snapshot_runs_autoreconf(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Debian's libyaml 0.2.5 is a git snapshot: configure.ac, no configure. libwrap runs autoreconf -fi."""
    wheel = libyaml_wheel(tmp_path_factory)
    names = wheel_names(wheel)
    assert {"libyaml/lib/libyaml-0.so.2", "libyaml/lib/libyaml.a", "libyaml/lib/pkgconfig/yaml-0.1.pc"} <= names
    assert "libyaml-0.2.5.dist-info/licenses/License" in names
    site = install_target(wheel, tmp_path_factory.mktemp("libyaml-site"))
    assert python_ok([site], "import libyaml; print(libyaml.yaml_version)").strip() == "0.2.5"


def test_pixman_builds_with_meson(tmp_path_factory: pytest.TempPathFactory) -> None:
    """pixman 0.44 has only a Meson build; meson and ninja come from PyPI. Its tests and demos (GTK)
    are switched off as Debian's own build does; pixman_version() is a function without arguments."""
    wheel = pixman_wheel(tmp_path_factory)
    names = wheel_names(wheel)
    # the .pc keeps its upstream name beside the provider's
    assert {
        "pixman/lib/libpixman-1.so.0",
        "pixman/lib/pkgconfig/pixman-1.pc",
        "pixman/lib/pkgconfig/pixman.pc",
    } <= names
    assert any(name.startswith("pixman/include/") and name.endswith("pixman.h") for name in names)
    site = install_target(wheel, tmp_path_factory.mktemp("pixman-site"))
    assert python_ok([site], "import pixman; print(pixman.version_int)").strip() == "4400"


def test_a_project_with_its_own_gnuinstalldirs_installs_into_the_prefix(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """libjpeg-turbo 2.1.5 declares CMAKE_INSTALL_LIBDIR itself (CACHE PATH): an untyped
    -DCMAKE_INSTALL_LIBDIR=lib became <build dir>/lib, the libraries landed outside the prefix and
    staging stopped with "has no lib/ directory" (regression, issue 19). Typed, it stays lib."""
    wheel = libjpeg_wheel(tmp_path_factory)
    names = wheel_names(wheel)
    assert {"libjpeg/lib/libjpeg.so.62", "libjpeg/lib/libturbojpeg.so.0", "libjpeg/include/jpeglib.h"} <= names
    site = install_target(wheel, tmp_path_factory.mktemp("libjpeg-site"))
    code = "import libjpeg; print(sorted(libjpeg.get_sonames()), libjpeg._init.library_path)"
    assert python_ok([site], code).split()[-1] == str(site / "libjpeg" / "lib" / "libjpeg.so.62")


def test_a_pc_that_numbers_itself_otherwise_is_declared(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """FreeType 2.12.1's freetype2.pc says 24.3.18, its libtool version. The build knows the release from
    the source's name and names the declaration that fixes it, not a wrong --version 24.3.18
    (regression, issue 19); declared, the provider builds."""
    project = render(tmp_path / "refused", "freetype", *FREETYPE.args(), *FREETYPE_ARGS)
    output = failing_wheel_build(project, tmp_path / "dist")
    assert (
        "the library's freetype2.pc says version 24.3.18, but the source is release 2.12.1 (its name or build "
        "files say so): that .pc numbers its versions another way; declare it with "
        'pkgconfig-version = "24.3.18" in [tool.libwrap]'
    ) in output
    assert "libwrap new --version 24.3.18" not in output
    wheel = freetype_wheel(tmp_path_factory)
    names = wheel_names(wheel)
    assert {"freetype/lib/libfreetype.so.6", "freetype/lib/pkgconfig/freetype2.pc"} <= names
    assert "freetype/include/ft2build.h" in names
    site = install_target(wheel, tmp_path_factory.mktemp("freetype-site"))
    assert python_ok([site], "import freetype; print(freetype.__version__)").strip() == "2.12.1"
