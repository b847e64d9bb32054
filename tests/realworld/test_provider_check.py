"""`libwrap check` on the provider wheel of every preset the real-world layer builds: each passes every
rule a provider wheel is held to (relocatable .pc and CMake files, no build path in any text file, one
file per SONAME, licences present and named, libwrap.json agreeing with its ELF files, _init loading
each library). Those built on other providers are checked against them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..helpers import check_as_provider
from .builds import (
    freetype_wheel,
    libffi_wheel,
    libjpeg_wheel,
    libxml2_wheel,
    libxslt_wheel,
    libyaml_wheel,
    libzlib_wheel,
    pixman_wheel,
)

pytestmark = [pytest.mark.slow, pytest.mark.realworld]

Build = Callable[[pytest.TempPathFactory], Path]
#: preset -> (its wheel, the providers it is built on)
PRESETS: dict[str, tuple[Build, tuple[Build, ...]]] = {
    "libzlib": (libzlib_wheel, ()),
    "libxml2": (libxml2_wheel, (libzlib_wheel,)),
    "libxslt": (libxslt_wheel, (libxml2_wheel, libzlib_wheel)),
    "libffi": (libffi_wheel, ()),
    "libyaml": (libyaml_wheel, ()),
    "pixman": (pixman_wheel, ()),
    "libjpeg": (libjpeg_wheel, ()),
    "freetype": (freetype_wheel, ()),
}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_wheel_passes_check_as_a_provider(tmp_path_factory: pytest.TempPathFactory, preset: str) -> None:
    build, under = PRESETS[preset]
    check_as_provider(build(tmp_path_factory), *(b(tmp_path_factory) for b in under))
