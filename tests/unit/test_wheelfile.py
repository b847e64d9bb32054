"""Reading and rewriting wheels."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from libwrap.errors import UsageError
from libwrap.wheelfile import read_wheel, write_wheel


def make_wheel(path: Path, metadata: str, extra: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("demo/__init__.py", "")
        for name, text in (extra or {}).items():
            zf.writestr(name, text)
        zf.writestr("demo-1.0.dist-info/METADATA", metadata)
        zf.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        zf.writestr("demo-1.0.dist-info/RECORD", "")
    return path


@pytest.mark.parametrize(
    "metadata",
    [
        "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n",  # no body, no blank line (setuptools)
        "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n\nLong description.\n",
        "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nRequires-Dist: six\n\nBody\n\nwith blank lines\n",
    ],
)
def test_added_requirement_lands_in_the_headers(tmp_path: Path, metadata: str) -> None:
    wheel = read_wheel(make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", metadata))
    wheel.add_requirement("openblas>=0.3.29,<0.4")
    out = read_wheel(write_wheel(wheel, tmp_path / "out" / "demo-1.0-py3-none-any.whl"))
    assert out.requires_dist[-1] == "openblas>=0.3.29,<0.4"
    assert out.metadata.split("\n\n", 1)[1:] == metadata.split("\n\n", 1)[1:]  # the body is untouched


def test_record_is_regenerated(tmp_path: Path) -> None:
    wheel = read_wheel(
        make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n")
    )
    out = write_wheel(wheel, tmp_path / "out" / "demo-1.0-py3-none-any.whl")
    with zipfile.ZipFile(out) as zf:
        record = zf.read("demo-1.0.dist-info/RECORD").decode().splitlines()
    assert record[0].startswith("demo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0")
    assert record[-1] == "demo-1.0.dist-info/RECORD,,"


@pytest.mark.parametrize("entry", ["../evil.py", "/etc/passwd", "demo/../../x"])
def test_path_traversal_is_refused(tmp_path: Path, entry: str) -> None:
    path = make_wheel(
        tmp_path / "demo-1.0-py3-none-any.whl", "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n", {entry: "x"}
    )
    with pytest.raises(UsageError, match="unsafe entry"):
        read_wheel(path)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("demo.zip", "not a wheel file name"),
        ("missing-1.0-py3-none-any.whl", "does not exist"),
        # regression: the hand-written pattern took any text between dashes as the version
        ("demo-notaversion-py3-none-any.whl", "not a wheel file name"),
    ],
)
def test_bad_paths(tmp_path: Path, name: str, words: str) -> None:
    if not name.startswith("missing"):
        make_wheel(tmp_path / name, "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n")
    with pytest.raises(UsageError, match=words):
        read_wheel(tmp_path / name)


def test_record_quotes_paths_with_commas_and_quotes(tmp_path: Path) -> None:
    """Regression: RECORD rows were joined with commas, so `pkg/a,b "c".txt` split into four fields."""
    odd = 'pkg/a,b "c".txt'
    wheel = read_wheel(
        make_wheel(
            tmp_path / "demo-1.0-py3-none-any.whl", "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n", {odd: "odd\n"}
        )
    )
    out = read_wheel(write_wheel(wheel, tmp_path / "out" / "demo-1.0-py3-none-any.whl"))
    assert out.members[odd] == b"odd\n"
    rows = list(csv.reader(io.StringIO(out.members["demo-1.0.dist-info/RECORD"].decode())))
    assert all(len(row) == 3 for row in rows)
    by_path = {path: (digest, size) for path, digest, size in rows}
    digest = base64.urlsafe_b64encode(hashlib.sha256(b"odd\n").digest()).rstrip(b"=").decode()
    assert by_path[odd] == (f"sha256={digest}", "4")
    assert by_path["demo-1.0.dist-info/RECORD"] == ("", "")
    assert set(by_path) == set(out.members)


def test_write_refuses_a_bad_file_name(tmp_path: Path) -> None:
    """Regression: write_wheel wrote whatever name it was given; now it refuses before writing anything."""
    wheel = read_wheel(
        make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n")
    )
    with pytest.raises(UsageError, match=r"demo-1\.0\.whl is not a wheel file name .*; pass a \.whl file"):
        write_wheel(wheel, tmp_path / "out" / "demo-1.0.whl")
    assert not (tmp_path / "out").exists()


def test_version_comes_from_metadata_then_file_name(tmp_path: Path) -> None:
    wheel = read_wheel(
        make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", "Metadata-Version: 2.4\nName: demo\nVersion: 1.0rc1\n")
    )
    assert wheel.version == "1.0rc1"
    wheel.members["demo-1.0.dist-info/METADATA"] = b"Metadata-Version: 2.4\nName: demo\n"
    assert wheel.version == "1.0"
