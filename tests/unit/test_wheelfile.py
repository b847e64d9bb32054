"""Reading and rewriting wheels."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from libwrap.errors import UsageError
from libwrap.wheelfile import read_wheel, write_wheel

from .synthetic import make_wheel as synthetic_wheel
from .synthetic import tiny_elf


def make_wheel(
    path: Path,
    metadata: str,
    extra: dict[str, str] | None = None,
    entries: list[tuple[str, bytes]] | None = None,
    **kwargs: Any,
) -> Path:
    """demo 1.0 with METADATA, EXTRA members and an honest RECORD (unless KWARGS says otherwise: see
    synthetic.make_wheel); ENTRIES go into the zip as they are."""
    members: dict[str, bytes | str] = {"demo/__init__.py": "", **(extra or {})}
    return synthetic_wheel(path, members, metadata=metadata.encode(), extra=entries, **kwargs)


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
        make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n").rename(
            tmp_path / name
        )
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


META = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n"
INIT = "demo/__init__.py"
RECORD = "demo-1.0.dist-info/RECORD"
CHANGED = "the wheel was changed after it was built — rebuild it, or download it again from its source"


def _row(path: str, field: int, value: str) -> Any:
    def edit(text: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(text.decode())))
        for row in rows:
            if row[0] == path:
                row[field] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode()

    return edit


def _b64(data: bytes, algorithm: str) -> str:
    return base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()


TAMPERED = [
    ("no-record", {"record": None}, f"has no {RECORD}, so nothing vouches for its files"),
    ("changed-init", {"after": {INIT: b"import os\n"}}, f"demo/__init__.py is 10 bytes, but RECORD says 0; {CHANGED}"),
    (
        "same-size-other-bytes",
        {"extra": {INIT: "a"}, "after": {INIT: b"b"}},
        f"demo/__init__.py does not match the hash RECORD gives it; {CHANGED}",
    ),
    ("unlisted", {"after": {"demo/evil.py": b"x"}}, f"demo/evil.py is not listed in {RECORD}; {CHANGED}"),
    (
        "listed-not-there",
        {"record": lambda t: t + b"demo/gone.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"},
        f"{RECORD} lists demo/gone.py, which the wheel does not hold; {CHANGED}",
    ),
    ("listed-twice", {"record": lambda t: t.split(b"\n")[0] + b"\n" + t}, f"{RECORD} lists demo/__init__.py twice"),
    (
        "md5",
        {"record": _row(INIT, 1, f"md5={_b64(b'', 'md5')}")},
        "hashes demo/__init__.py with 'md5', which installers refuse",
    ),
    ("sha1", {"record": _row(INIT, 1, f"sha1={_b64(b'', 'sha1')}")}, "with 'sha1', which installers refuse"),
    ("shake", {"record": _row(INIT, 1, "shake_128=AAAA")}, "with 'shake_128', which installers refuse"),
    ("no-hash", {"record": _row(INIT, 1, "")}, "RECORD gives demo/__init__.py no hash"),
    ("no-size", {"record": _row(INIT, 2, "")}, "RECORD gives demo/__init__.py no size"),
    ("size-not-a-number", {"record": _row(INIT, 2, "-0")}, "the size '-0', not a number of bytes"),
    ("record-hashes-itself", {"record": _row(RECORD, 2, "12")}, f"{RECORD} gives itself a hash or size"),
    ("four-fields", {"record": lambda t: t.replace(b",0\n", b",0,x\n", 1)}, f"{RECORD} line 1 has 4 fields, not 3"),
    ("not-utf8", {"record": lambda t: t + b"\xff,,\n"}, f"{RECORD} is not a CSV file of path,hash,size"),
    ("field-too-large", {"record": lambda t: t + b'"' + b"x" * 200_000 + b'",,\n'}, "field larger than field limit"),
    (
        "duplicate-member",
        {"extra": {}, "after": {}, "duplicate": True},
        f"holds demo/__init__.py twice, and installers may read either copy; do not install it: {CHANGED}",
    ),
]


@pytest.mark.parametrize(("kwargs", "words"), [t[1:] for t in TAMPERED], ids=[t[0] for t in TAMPERED])
def test_record_must_vouch_for_every_member(tmp_path: Path, kwargs: dict[str, Any], words: str) -> None:
    """Regression: a wheel whose RECORD disagreed with its members (a changed __init__.py or .so, a file
    added or taken away, a name given twice) was read, and repair laundered it into a fresh RECORD."""
    kwargs = dict(kwargs)
    extra = kwargs.pop("extra", None)
    if kwargs.pop("duplicate", False):
        kwargs["entries"] = [(INIT, b"import os\n")]
    path = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", META, extra, **kwargs)
    with pytest.raises(UsageError) as caught:
        read_wheel(path)
    assert words in str(caught.value)
    assert str(caught.value).startswith("wheel demo-1.0-py3-none-any.whl")


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda t: t.replace(b"\n", b"\r\n"), "CRLF line endings"),
        (
            lambda t: t.replace(
                b"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", b"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU="
            ),
            "padded base64",
        ),
        (
            lambda t: b"".join(line for line in t.splitlines(True) if not line.startswith(RECORD.encode())),
            "no row for RECORD",
        ),
        (_row(INIT, 1, f"sha512={_b64(b'', 'sha512')}"), "another algorithm installers accept"),
        (lambda t: t + b"\n\n", "blank lines"),
    ],
    ids=["crlf", "padding", "no-self-row", "sha512", "blank-lines"],
)
def test_honest_records_in_other_spellings_are_read(tmp_path: Path, edit: Any, why: str) -> None:
    path = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", META, record=edit)
    assert read_wheel(path).members[INIT] == b"", why


def test_signatures_and_directories_need_no_row(tmp_path: Path) -> None:
    """RECORD.jws and RECORD.p7s sign RECORD, so it cannot list them; directory entries hold nothing."""
    path = make_wheel(
        tmp_path / "demo-1.0-py3-none-any.whl",
        META,
        after={"demo-1.0.dist-info/RECORD.jws": b"{}", "demo-1.0.dist-info/RECORD.p7s": b"sig"},
        extra=None,
    )
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(zipfile.ZipInfo("demo/empty/"), b"")
    assert "demo-1.0.dist-info/RECORD.p7s" in read_wheel(path).members


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"dist_info": "other-1.0.dist-info"}, "holds other-1.0.dist-info, which does not match its file name"),
        ({"dist_info": "demo-2.0.dist-info"}, "holds demo-2.0.dist-info, which does not match its file name"),
        ({"after": {"x-1.0.dist-info/METADATA": b"Name: x\n"}, "record": lambda t: t}, "has 2 .dist-info directories"),
    ],
    ids=["other-name", "other-version", "two"],
)
def test_one_dist_info_named_as_the_file(tmp_path: Path, kwargs: dict[str, Any], words: str) -> None:
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    if "dist_info" in kwargs:
        corpus = __import__("tests.unit.synthetic", fromlist=["corpus_generator"]).corpus_generator()
        path.write_bytes(corpus.wheel_bytes("demo", "py3-none-any", {INIT: b""}, dist_info=kwargs["dist_info"]))
    else:
        make_wheel(path, META, **kwargs)
    with pytest.raises(UsageError, match=words):
        read_wheel(path)


def test_metadata_must_name_the_distribution(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", "Metadata-Version: 2.4\nName: other\nVersion: 1.0\n")
    with pytest.raises(UsageError, match=r"METADATA names 'other', but the file name says demo"):
        read_wheel(path)


def test_a_corrupt_elf_member_is_named(tmp_path: Path) -> None:
    """Regression: elf_files() skipped a member that did not parse, so repair shipped it and a wheel whose
    only .so was corrupt was 'a pure-Python wheel'."""
    good = tiny_elf(needed=("libc.so.6",))
    for name, data, words in (
        ("demo/_core.abi3.so", b"\x7fELF\x02\x01\x01" + b"\xff" * 57, "demo/_core.abi3.so is not a valid ELF file"),
        ("demo/lib/libq.so.1", b"INPUT(libq.so.1)\n", "it does not start with the ELF magic number"),
        ("demo/_core.pyd", b"MZ", "demo/_core.pyd is not a valid ELF file"),
        ("demo/blob.bin", b"\x7fELF nonsense", "demo/blob.bin is not a valid ELF file"),
        ("demo/_cut.abi3.so", good[:200], "demo/_cut.abi3.so is not a valid ELF file"),
    ):
        wheel = read_wheel(make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", META, {"demo/_ok.abi3.so": ""}, after={}))
        wheel.members = {"demo/_ok.abi3.so": good, name: data}
        with pytest.raises(UsageError, match=words):
            wheel.elf_files()
    wheel.members = {"demo/_ok.abi3.so": good, "demo/lib.so.txt": b"text", "demo/README": b"\x7fEL"}
    assert list(wheel.elf_files()) == ["demo/_ok.abi3.so"]


def test_what_write_wheel_writes_reads_back(tmp_path: Path) -> None:
    wheel = read_wheel(make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", META, {"demo/a,b.py": "x = 1\n"}))
    wheel.members["demo/new.py"] = b"y = 2\n"
    out = read_wheel(write_wheel(wheel, tmp_path / "out" / "demo-1.0-py3-none-any.whl"))
    assert out.members["demo/new.py"] == b"y = 2\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["demo-1.0-py3-none-any.whl"]
