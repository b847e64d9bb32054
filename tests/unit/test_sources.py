"""What `libwrap new` reads from a local source before anything is built."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from libwrap.sources import source_names, version_from_name, version_from_source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("OpenBLAS-0.3.28.tar.xz", "0.3.28"),
        ("openblas_0.3.29+ds.orig.tar.xz", "0.3.29"),
        ("zlib_1.3.dfsg+really1.3.1.orig.tar.gz", "1.3.1"),
        ("libxml2_2.9.14+dfsg.orig.tar.xz", "2.9.14"),
        ("https://example.org/releases/download/v0.3.29/OpenBLAS-0.3.29.tar.gz", "0.3.29"),
        ("v1.2.0rc1.zip", "1.2.0rc1"),
        ("libyaml-master.tar.gz", None),
        ("wrapdemo", None),
    ],
)
def test_version_from_name(name: str, version: str | None) -> None:
    assert version_from_name(name) == version


def test_version_from_build_files() -> None:
    found = version_from_source(str(FIXTURES / "wrapdemo"))
    assert found is not None
    assert found[0] == "1.2.3"
    assert "CMakeLists.txt" in found[1]


def test_archive_names_drop_the_top_directory(tmp_path: Path) -> None:
    (tmp_path / "lib-1.0").mkdir()
    (tmp_path / "lib-1.0" / "License").write_text("x", encoding="utf-8")
    with tarfile.open(tmp_path / "lib-1.0.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "lib-1.0", arcname="lib-1.0")
    assert source_names(str(tmp_path / "lib-1.0.tar.gz")) == ["License"]
    assert source_names("https://example.org/x.tar.gz") is None
