"""Preset files: data only, validated on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from libwrap import presets
from libwrap.errors import UsageError


def test_preset_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "demo.toml"
    path.write_text('version = "1.0"\nbuild-args = ["-DX=1"]\n', encoding="utf-8")
    assert presets.load_preset(str(path)) == {"version": "1.0", "build_args": ("-DX=1",)}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('colour = "red"\n', "unknown keys colour"),
        ("version = 1\n", "version must be a string"),
        ('build-args = "-DX=1"\n', "build-args must be a list of strings"),
        ('build_args = ["-DX=1"]\n', "unknown keys build_args"),
        ("version = \n", "not valid TOML"),
        ('build-args-if-missing = ["x"]\n', "a table of lists of strings"),
    ],
)
def test_bad_preset_files(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=words):
        presets.load_preset(str(path))


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown preset 'nope'"):
        presets.load_preset("nope")


def test_shipped_presets_load() -> None:
    for name in presets.available():
        assert presets.load_preset(name)["version"]
