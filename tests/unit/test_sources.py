"""What `libwrap new` reads from a local source before anything is built."""

from __future__ import annotations

import stat
import sys
import tarfile
from pathlib import Path

import pytest

from libwrap.archives import ArchiveError, extract
from libwrap.sources import (
    LinkError,
    resolve_inside,
    source_names,
    tree_files,
    tree_names,
    version_from_name,
    version_from_source,
)

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


INPUTS = Path(__file__).resolve().parents[1] / "corpus" / "inputs"
OUTSIDE = Path("/tmp/libwrap-corpus-outside")


def test_archive_members_are_checked_before_libwrap_new_reads_them() -> None:
    """Regression (issue 18, item 1): libwrap new listed the members of an archive whose link leads out
    of the tree, which the build then followed; now it refuses it with the build's own line."""
    with pytest.raises(ArchiveError) as refused:
        source_names(str(INPUTS / "archive-abs-link.tar.gz"))
    assert str(refused.value) == (
        "archive archive-abs-link.tar.gz: member 'pkg-1.0/link' links to '/tmp/libwrap-corpus-outside', outside "
        "the archive; refusing to extract it (get the source from its publisher, or unpack and check it yourself)"
    )
    assert source_names(str(INPUTS / "archive-good.zip")) == [
        "LICENSE",
        "CMakeLists.txt",
        "configure",
        "COPYING",
        "src/demo.c",
    ]


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "tgz", "tar.xz", "tar.bz2", "tar.zst", "zip"])
def test_a_refused_archive_leaves_nothing(tmp_path: Path, fmt: str) -> None:
    """Regression: CMake's file(ARCHIVE_EXTRACT) wrote link/file through the link, outside the tree."""
    dest = tmp_path / "tree"
    with pytest.raises(ArchiveError, match=r"member 'pkg-1\.0/link' links to '/tmp/libwrap-corpus-outside'"):
        extract(INPUTS / f"archive-abs-link.{fmt}", dest)
    assert list(tmp_path.iterdir()) == []  # neither the tree nor its temporary twin
    assert not OUTSIDE.exists()


@pytest.mark.parametrize("fmt", ["tar.gz", "tar.zst", "zip"])
def test_extraction_keeps_modes_and_inside_links(tmp_path: Path, fmt: str) -> None:
    """configure stays executable (zipfile's extractall drops every mode bit), a link inside stays a link."""
    done = extract(INPUTS / f"archive-good.{fmt}", tmp_path / "tree")
    top = tmp_path / "tree" / "pkg-1.0"
    assert (done.members, done.cleared) == (7, 0)
    assert stat.S_IMODE((top / "configure").stat().st_mode) == 0o755
    assert stat.S_IMODE((top / "LICENSE").stat().st_mode) == 0o644
    assert (top / "COPYING").is_symlink()
    assert str((top / "COPYING").readlink()) == "LICENSE"
    assert (top / "COPYING").read_text(encoding="utf-8") == "MIT License\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"]


@pytest.mark.parametrize(("name", "cleared"), [("archive-setid.tar.gz", 4), ("archive-zip-setid.zip", 1)])
def test_set_id_sticky_and_world_write_bits_are_cleared(tmp_path: Path, name: str, cleared: int) -> None:
    done = extract(INPUTS / name, tmp_path / "tree")
    assert done.cleared == cleared
    for path in (tmp_path / "tree").rglob("*"):
        mode = path.lstat().st_mode
        assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX), path
        assert path.is_symlink() or not mode & (stat.S_IWGRP | stat.S_IWOTH), path
    assert (tmp_path / "tree" / "pkg-1.0" / "su").stat().st_mode & stat.S_IXUSR  # the execute bit stays


def test_the_data_filter_is_not_relied_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CPython before 3.9.17 has no data filter: the same refusals and modes, from the pre-pass alone."""
    if sys.version_info >= (3, 12):
        pytest.skip("extractall without a filter warns from Python 3.12 on; the branch is for older ones")
    monkeypatch.delattr(tarfile, "data_filter")
    with pytest.raises(ArchiveError, match="outside the archive"):
        extract(INPUTS / "archive-late-write.tgz", tmp_path / "bad")
    done = extract(INPUTS / "archive-setid.tar.gz", tmp_path / "tree")
    assert done.cleared == 4
    assert stat.S_IMODE((tmp_path / "tree" / "pkg-1.0" / "su").stat().st_mode) == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"]


def test_the_data_filter_alone_lets_cve_2025_4517_out(tmp_path: Path) -> None:
    """Why the pre-pass exists: a link whose expansion passes PATH_MAX, which realpath() leaves as it is,
    gets a file written outside DEST through the data filter of CPython before 3.11.13 (3.9.23...).
    The pre-pass resolves links through the archive itself and refuses it."""
    dest = tmp_path / "filtered" / "dest"
    dest.mkdir(parents=True)
    with tarfile.open(INPUTS / "archive-pathmax.tar") as tar:
        try:
            tar.extractall(dest, filter="data")
        except (tarfile.TarError, OSError):
            pass  # a CPython with the fix refuses it too
        else:
            assert (tmp_path / "filtered" / "newfile").is_file()  # one level above DEST
    with pytest.raises(ArchiveError, match=r"member 'escape' links to 'a/b/c/.*, outside the archive"):
        extract(INPUTS / "archive-pathmax.tar", tmp_path / "tree")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["filtered"]


def test_zstd_without_a_decoder_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.version_info >= (3, 14):
        pytest.skip("Python 3.14 reads zstd itself")
    monkeypatch.setattr("libwrap.tools.find_tool", lambda _name: None)
    with pytest.raises(ArchiveError, match=r"is zstd-compressed, which this Python .* install the zstd program"):
        source_names(str(INPUTS / "archive-good.tar.zst"))


def test_tree_files_follow_links_inside_and_refuse_the_rest(tmp_path: Path) -> None:
    """Regression (item 2): copytree followed include/leak.h -> /etc/hostname into the wheel."""
    root = tmp_path / "prefix"
    (root / "include" / "real").mkdir(parents=True)
    (root / "include" / "a.h").write_text("a\n", encoding="utf-8")
    (root / "include" / "real" / "r.h").write_text("r\n", encoding="utf-8")
    (root / "include" / "alias.h").symlink_to("a.h")
    (root / "include" / "dir").symlink_to("real")
    found = {name: path.read_text(encoding="utf-8") for name, path in tree_files(root, root / "include", strict=True)}
    assert found == {"a.h": "a\n", "alias.h": "a\n", "dir/r.h": "r\n", "real/r.h": "r\n"}
    (root / "include" / "leak.h").symlink_to("/etc/hostname")
    with pytest.raises(LinkError, match=r"include/leak\.h links to '/etc/hostname', outside .*prefix"):
        tree_files(root, root / "include", strict=True)
    assert "include/leak.h" in tree_names(root)  # listed, and refused only if something reads it
    with pytest.raises(LinkError, match=r"leak\.h links to '/etc/hostname', outside"):
        resolve_inside(root, root / "include" / "leak.h")


@pytest.mark.parametrize(
    ("links", "words"),
    [
        ({"loop": "."}, r"loop links to '\.', a directory that holds it \(a loop\)"),
        ({"sub/up": "../.."}, r"sub/up links to '\.\./\.\.', a directory that holds it \(a loop\)"),
        ({"a.h": "b.h", "b.h": "a.h"}, r"a\.h links to 'b\.h', a link loop"),
        ({"gone.h": "nothing.h"}, r"gone\.h links to 'nothing\.h', which does not exist"),
    ],
)
def test_link_loops_and_dangling_links_stop_instead_of_hanging(
    tmp_path: Path, links: dict[str, str], words: str
) -> None:
    include = tmp_path / "include"
    (include / "sub").mkdir(parents=True)
    for name, target in links.items():
        (include / name).symlink_to(target)
    with pytest.raises(LinkError, match=words):
        tree_files(tmp_path, include, strict=True)
    tree_names(tmp_path)  # the lenient walk skips them, and ends
