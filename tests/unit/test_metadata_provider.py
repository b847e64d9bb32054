"""libwrap's dynamic metadata provider for scikit-build-core (libwrap.metadata), called as scikit-build-core
calls it, against an installed provider stand-in (a dist-info with its libwrap.json)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from libwrap.errors import UsageError
from libwrap.metadata import Provider


def install_provider(site: Path, name: str, version: str, requirement: str) -> None:
    """What pip leaves for a libwrap provider: its package with libwrap.json, and a RECORD naming it."""
    (site / name).mkdir(parents=True)
    manifest = {"name": name, "version": version, "requirement": requirement, "sonames": [f"lib{name}.so.1"]}
    (site / name / "libwrap.json").write_text(json.dumps(manifest), encoding="utf-8")
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    (info / "RECORD").write_text(f"{name}/libwrap.json,,\n{info.name}/METADATA,,\n", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install_provider(tmp_path, "openblas", "0.3.31", "openblas>=0.3.31,<0.4")
    monkeypatch.syspath_prepend(str(tmp_path))  # (also invalidates the import system's caches)
    return tmp_path


def test_the_installed_providers_range_becomes_the_dependency(site: Path) -> None:
    assert Provider.dynamic_metadata({"provider": "libwrap", "providers": ["openblas"]}, {}) == {
        "dependencies": ["openblas>=0.3.31,<0.4"]
    }
    assert Provider.get_requires_for_dynamic_metadata({"providers": ["openblas"]}) == ["openblas"]
    # the range follows the provider the wheel is built with: the sdist marks it so (PEP 643)
    assert Provider.dynamic_wheel({"providers": ["openblas"]}) == {"dependencies": True}
    assert str(site) in sys.path


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({}, "needs providers = [...]"),
        ({"providers": "openblas"}, "needs providers = [...]"),
        ({"providers": []}, "needs providers = [...]"),
        ({"providers": ["openblas"], "pin": True}, "takes only 'providers'; remove pin"),
        ({"providers": ["not_installed_here"]}, "the provider not_installed_here is not installed"),
    ],
)
def test_bad_settings_say_what_to_write(site: Path, settings: dict[str, object], words: str) -> None:
    with pytest.raises(UsageError, match=re.escape(words)):
        Provider.dynamic_metadata(settings, {})
    assert site.is_dir()


def test_a_library_wheel_libwrap_did_not_build_gets_its_maintainers_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RAPIDS' libucx-cu12 has no libwrap.json: the range is RAPIDS' rule for it, what repair verifies."""
    from .synthetic import tiny_elf

    files = {
        "libucx/__init__.py": b"from .load import load_library\n",
        "libucx/load.py": b"def load_library():\n    return []\n",
        "libucx/lib/libucp.so.0": tiny_elf(soname="libucp.so.0"),
    }
    info = tmp_path / "libucx_cu12-1.22.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.4\nName: libucx-cu12\nVersion: 1.22.0\n", encoding="utf-8")
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (info / "RECORD").write_text("".join(f"{name},,\n" for name in [*files, f"{info.name}/METADATA"]), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert Provider.dynamic_metadata({"provider": "libwrap", "providers": ["libucx-cu12"]}, {}) == {
        "dependencies": ["libucx-cu12>=1.22.0,<1.23"]
    }
