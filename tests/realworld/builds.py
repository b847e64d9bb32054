"""Real libraries and their real consumers, each built once per test run and shared by every
pytest-xdist worker (``helpers.shared_build``).

Providers are rendered from libwrap's presets with the local copies in ../shared/sources (a user
would pass ``--source`` the same way); consumers are built from their PyPI sdists. The chain
libzlib <- libxml2 <- libxslt <- lxml and libffi <- cffi each build in an environment of their
own, as a user's build environment would hold the providers: no build isolation, the providers
installed there, and pkg-config finding their .pc files through the ``pkg_config`` entry points
(pkgconf from PyPI), so no path is written by hand.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from libwrap.cli import main as libwrap_main

from ..helpers import ROOT, pip_wheel, run, shared_build

SOURCES = ROOT.parent / "shared" / "sources"


@dataclass(frozen=True)
class Source:
    """A library source in ../shared/sources, with its hash and version."""

    file: str
    sha256: str
    version: str

    @property
    def path(self) -> Path:
        path = SOURCES / self.file
        if not path.exists():
            pytest.skip(f"no source at {path} (../shared/sources)")
        return path

    def args(self) -> list[str]:
        return ["--source", str(self.path), "--sha256", self.sha256, "--version", self.version]


ZLIB = Source(
    "zlib_1.3.dfsg+really1.3.1.orig.tar.gz", "60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb", "1.3.1"
)
LIBXML2 = Source(
    "libxml2_2.9.14+dfsg.orig.tar.xz", "4fe913dec8b1ab89d13b489b419a8203176ea39e931eaa0d25b17eafb9c279e9", "2.9.14"
)
LIBXSLT = Source(
    "libxslt_1.1.35.orig.tar.xz", "8247f33e9a872c6ac859aa45018bc4c4d00b97e2feac9eebc10c93ce1f34dd79", "1.1.35"
)
LIBFFI = Source("libffi_3.4.4.orig.tar.gz", "d66c56ad259a82cf2a9dfc408b32bf5da52371500b84745f7fb8b645712df676", "3.4.4")
LIBYAML = Source(
    "libyaml_0.2.5.orig.tar.gz", "fa240dbf262be053f3898006d502d514936c818e422afdcf33921c63bed9bf2e", "0.2.5"
)
PIXMAN = Source(
    "pixman_0.44.0.orig.tar.gz", "89a4c1e1e45e0b23dffe708202cb2eaffde0fe3727d7692b2e1739fec78a7dac", "0.44.0"
)


@dataclass(frozen=True)
class Download:
    """A library source from Debian's archive (a package registry), downloaded by the build itself."""

    url: str
    sha256: str
    version: str

    def args(self) -> list[str]:
        return ["--source", self.url, "--sha256", self.sha256, "--version", self.version]


# libjpeg-turbo ships its own GNUInstallDirs (CMAKE_INSTALL_LIBDIR as CACHE PATH); FreeType's
# freetype2.pc carries its libtool version (24.3.18), not the release.
LIBJPEG = Download(
    "http://deb.debian.org/debian/pool/main/libj/libjpeg-turbo/libjpeg-turbo_2.1.5.orig.tar.gz",
    "254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c",
    "2.1.5",
)
FREETYPE = Download(
    "http://deb.debian.org/debian/pool/main/f/freetype/freetype_2.12.1%2bdfsg.orig.tar.xz",
    "7dedb6b9adf331559daea614a83b8de42a753e685ec8e1c4bdb4529eb880b0d1",
    "2.12.1",
)

#: The consumers' releases: the newest the registry serves in the series the issue names.
LXML = "lxml==6.1.3"
CFFI = "cffi==2.1.1"


def render(directory: Path, name: str, *args: str) -> Path:
    """``libwrap new NAME ARGS`` into DIRECTORY; returns the project."""
    assert libwrap_main(["new", name, "--no-input", "-o", str(directory), *args]) == 0
    return directory / name


def provider_wheel(factory: pytest.TempPathFactory, name: str, source: Source | Download, *args: str) -> Path:
    """A provider with no other provider under it, built with the test environment's tools."""

    def build(directory: Path) -> Path:
        return pip_wheel(render(directory, name, *source.args(), *args), directory / "dist")

    return shared_build(factory, name, build)


@dataclass(frozen=True)
class BuildEnv:
    """A virtual environment to build in, as a user's: providers get installed into it."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def environ(self) -> dict[str, str]:
        """As after ``source bin/activate``; pkg-config is pkgconf from PyPI, which reads the
        providers' ``pkg_config`` entry points."""
        env = {k: v for k, v in os.environ.items() if k not in ("PKG_CONFIG_PATH", "PYTHONPATH")}
        return {
            **env,
            "PATH": f"{self.root / 'bin'}{os.pathsep}{env['PATH']}",
            "VIRTUAL_ENV": str(self.root),
            "PKG_CONFIG": str(self.root / "bin" / "pkgconf-pypi"),
        }

    def install(self, *requirements: str | Path) -> None:
        run(self.python, "-m", "pip", "install", "-q", "--no-deps", *requirements, env=self.environ)

    def wheel(self, project: str | Path, out: Path, *options: str) -> Path:
        """``pip wheel`` without build isolation: the build sees this environment's providers."""
        run(self.python, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "--no-cache-dir",
            "-w", out, *options, project, env=self.environ)  # fmt: skip
        return next(p for p in sorted(out.glob("*.whl")))


def build_env(factory: pytest.TempPathFactory, key: str) -> BuildEnv:
    """A fresh environment with libwrap and the build tools providers and setuptools projects need."""

    def build(directory: Path) -> Path:
        run(sys.executable, "-m", "venv", directory)
        env = BuildEnv(directory)
        tools = (
            "scikit-build-core>=0.11", "meson-python>=0.16", "cmake>=3.26", "ninja", "setuptools>=77", "wheel",
            "pkgconf>=2.4", "pytest", "pycparser",
        )  # fmt: skip
        run(env.python, "-m", "pip", "install", "-q", ROOT, *tools, env=env.environ)
        return directory

    return BuildEnv(shared_build(factory, key, build))


def build_env_with(factory: pytest.TempPathFactory, key: str, wheel: Path) -> BuildEnv:
    """build_env KEY with WHEEL installed in it, once per run, as a user's pip install would."""
    env = build_env(factory, key)

    def install(_directory: Path) -> Path:
        env.install(wheel)
        return wheel

    shared_build(factory, f"{key}-{wheel.name.split('-')[0]}", install)
    return env


def libyaml_wheel(factory: pytest.TempPathFactory) -> Path:
    """libyaml 0.2.5, Debian's git snapshot (only configure.ac): autoreconf runs first."""
    return provider_wheel(factory, "libyaml", LIBYAML)


#: pixman 0.44's Meson build with its tests and demos (GTK) off, as Debian's own build has them.
PIXMAN_ARGS = (
    "--build", "meson", "--init-symbol", "pixman_version", "--init-returns", "int",
    "--init-result-name", "version_int", "--license", "MIT",
    "--build-arg=-Dtests=disabled", "--build-arg=-Ddemos=disabled",
    "--build-arg=-Dgtk=disabled", "--build-arg=-Dlibpng=disabled",
)  # fmt: skip


def pixman_wheel(factory: pytest.TempPathFactory) -> Path:
    return provider_wheel(factory, "pixman", PIXMAN, *PIXMAN_ARGS)


LIBJPEG_ARGS = ("--link-name", "jpeg", "--build-arg=-DWITH_SIMD=OFF", "--build-arg=-DENABLE_STATIC=OFF")


def libjpeg_wheel(factory: pytest.TempPathFactory) -> Path:
    return provider_wheel(factory, "libjpeg", LIBJPEG, *LIBJPEG_ARGS)


FREETYPE_ARGS = (
    "--license", "FTL OR GPL-2.0-or-later",
    "--pkgconfig-name", "freetype2", "--cmake-package", "Freetype", "--include-subdir", "freetype2",
    "--build-arg=-DFT_DISABLE_ZLIB=TRUE", "--build-arg=-DFT_DISABLE_BZIP2=TRUE", "--build-arg=-DFT_DISABLE_PNG=TRUE",
    "--build-arg=-DFT_DISABLE_HARFBUZZ=TRUE", "--build-arg=-DFT_DISABLE_BROTLI=TRUE",
)  # fmt: skip


def freetype_wheel(factory: pytest.TempPathFactory) -> Path:
    """FreeType 2.12.1, whose freetype2.pc numbers itself by libtool (24.3.18), declared as such."""
    return provider_wheel(factory, "freetype", FREETYPE, *FREETYPE_ARGS, "--pkgconfig-version", "24.3.18")


#: RAPIDS' UCX wheel, a library wheel on PyPI that libwrap did not build: its own loader
#: (libucx.load_library(), RAPIDS_LIBUCX_PREFER_SYSTEM_LIBRARY), 43 MB.
LIBUCX = "libucx-cu12==1.22.0"


def libucx_wheel(factory: pytest.TempPathFactory) -> Path:
    """libucx-cu12 1.22.0 from the registry, downloaded once per run (LIBWRAP_LIBUCX_WHEEL: one you have)."""
    if os.environ.get("LIBWRAP_LIBUCX_WHEEL"):
        return Path(os.environ["LIBWRAP_LIBUCX_WHEEL"])

    def download(directory: Path) -> Path:
        run(sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
            "-d", directory, LIBUCX)  # fmt: skip
        return next(directory.glob("libucx_cu12-*.whl"))

    return shared_build(factory, "libucx-cu12", download)


def libzlib_wheel(factory: pytest.TempPathFactory) -> Path:
    """zlib 1.3.1 through its own, hand-written configure script."""
    return provider_wheel(factory, "libzlib", ZLIB)


def xml_env(factory: pytest.TempPathFactory) -> BuildEnv:
    """The environment the libxml2 chain builds in: libzlib, then each provider as it is built."""
    return build_env_with(factory, "xml-env", libzlib_wheel(factory))


def _chain_wheel(factory: pytest.TempPathFactory, name: str, source: Source) -> Path:
    env = xml_env(factory)

    def build(directory: Path) -> Path:
        wheel = env.wheel(render(directory, name, *source.args()), directory / "dist")
        env.install(wheel)  # the next provider up the chain builds on it
        return wheel

    return shared_build(factory, name, build)


def libxml2_wheel(factory: pytest.TempPathFactory) -> Path:
    """libxml2 2.9.14 on the libzlib provider (the preset's requires)."""
    return _chain_wheel(factory, "libxml2", LIBXML2)


def libxslt_wheel(factory: pytest.TempPathFactory) -> Path:
    """libxslt and libexslt 1.1.35 on the libxml2 provider (the preset's requires)."""
    libxml2_wheel(factory)
    return _chain_wheel(factory, "libxslt", LIBXSLT)


def sdist(factory: pytest.TempPathFactory, env: BuildEnv, requirement: str) -> Path:
    """A consumer's sdist from the registry, downloaded once per run."""
    name = requirement.split("==", maxsplit=1)[0]

    def download(directory: Path) -> Path:
        run(env.python, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "--no-build-isolation",
            "-d", directory, requirement, env=env.environ)  # fmt: skip
        return next(directory.glob(f"{name}-*.tar.gz"))

    return shared_build(factory, f"{name}-sdist", download)


def lxml_wheel(factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """lxml from its sdist on the three providers, found by pkg-config through their entry points.
    Returns the wheel as built (not repaired) and the sdist, which holds lxml's tests."""
    libxslt_wheel(factory)
    env = xml_env(factory)
    source = sdist(factory, env, LXML)
    return shared_build(factory, "lxml", lambda d: env.wheel(source, d / "raw")), source


def libffi_wheel(factory: pytest.TempPathFactory) -> Path:
    """libffi 3.4.4, no init symbol (it exports no function without arguments)."""
    return provider_wheel(factory, "libffi", LIBFFI)


def cffi_wheel(factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """cffi from its sdist on the libffi provider. Returns the wheel as built (not repaired) and the sdist."""
    env = build_env(factory, "ffi-env")
    provider = libffi_wheel(factory)
    source = sdist(factory, env, CFFI)

    def build(directory: Path) -> Path:
        env.install(provider)
        return env.wheel(source, directory / "raw")

    return shared_build(factory, "cffi", build), source
