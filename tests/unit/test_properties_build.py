"""Property tests of the build side and libwrap new (hypothesis, the deterministic profile of conftest.py):
no option value, .pc text or archive gives a traceback, and no archive writes outside its directory."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libwrap.archives import ArchiveError, extract, member_names
from libwrap.build import pkgconfig
from libwrap.errors import LibwrapError, UsageError
from libwrap.spec import ProviderSpec, option_fields, validate_name

BASE: dict[str, Any] = {
    "name": "demo",
    "version": "1.0",
    "source": "https://example.org/demo-1.0.tar.gz",
    "init_symbol": "demo_init",
}
# Text that reaches the validators' corners: separators, quotes, version and requirement syntax.
TEXT = st.text(
    st.one_of(st.characters(), st.sampled_from(list("/.-_+*!=<>~;,'\"$\\{}[]() \n\t\x00lib.so0123456789"))), max_size=40
)


def value_for(kind: str) -> st.SearchStrategy[Any]:
    if kind == "flag":
        return st.booleans()
    if kind == "list":
        return st.lists(TEXT, max_size=3).map(tuple)
    if kind == "table":
        return st.lists(st.tuples(TEXT, TEXT), max_size=2).map(tuple)
    return TEXT


FIELD_VALUES = st.sampled_from([(field.name, opt.kind) for field, opt in option_fields()]).flatmap(
    lambda item: st.tuples(st.just(item[0]), value_for(item[1]))
)


def refusal(call: Callable[[], object], kind: type[Exception] = UsageError) -> str:
    """The message CALL raises KIND with, "" when it raises nothing; any other exception propagates."""
    try:
        call()
    except kind as exc:
        return str(exc)
    return ""


@given(FIELD_VALUES)
def test_any_option_value_is_accepted_or_one_usage_line(item: tuple[str, Any]) -> None:
    """ProviderSpec(...).validate() raises nothing but UsageError, whose message is one line."""
    name, value = item
    assert "\n" not in refusal(ProviderSpec(**{**BASE, name: value}).validate)


@given(st.lists(FIELD_VALUES, min_size=2, max_size=4))
def test_any_combination_of_option_values(items: list[tuple[str, Any]]) -> None:
    assert "\n" not in refusal(ProviderSpec(**{**BASE, **dict(items)}).validate)


@given(TEXT)
def test_any_name_is_valid_or_one_usage_line(name: str) -> None:
    assert "\n" not in refusal(lambda: validate_name(name))


PREFIX = Path("/tmp/build-env/prefix")
PC_PIECES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            str(PREFIX),
            f"{PREFIX}/lib",
            "\n",
            "prefix=",
            "libdir=${prefix}/lib",
            "${prefix}",
            "${libdir}",
            "${a}${a}",
            "a=${a}${a}\n",
            "Libs: -L",
            "Libs.private:",
            "Cflags: -I",
            "Requires:",
            "Requires.private: z >= 1,",
            "Version: ${version}\n",
            "/include/sub",
            "-Wl,-rpath,",
            " ",
        ]
    ),
)
PC_TEXT = st.lists(PC_PIECES, max_size=30).map("".join)


@given(PC_TEXT)
def test_the_pc_reader_takes_any_text(text: str) -> None:
    pc = pkgconfig.PcFile("demo", text)
    for key in ("Name", "Version", "Libs", "Requires"):
        pc.field(key)
    assert isinstance(pc.version, str)
    pc.libraries()
    pc.requires()
    assert len(pc.expand("${a}${libdir}${prefix}")) <= pkgconfig.MAX_EXPANDED + 64


@given(
    PC_TEXT,
    st.sampled_from(["", "sub", "openblas"]),
    st.lists(st.sampled_from(["libxml-2.0", "zlib"]), max_size=2),
    st.sampled_from(["", "demo"]),
    st.sets(st.sampled_from(["demo", "z", "other"])),
)
def test_relocate_takes_any_text_and_never_keeps_the_build_prefix(
    text: str, subdir: str, requires: list[str], link_name: str, shipped: set[str]
) -> None:
    pc = pkgconfig.PcFile("demo", text)
    foreign = [Path("/tmp/build-env/other-provider")]
    out = pkgconfig.relocate(pc, "demo", PREFIX, subdir, requires, foreign, link_name, shipped)
    assert str(PREFIX) not in out
    assert out.startswith(pkgconfig.HEADER.format(package="demo"))


# Archives: a sandbox deep enough that no member with a few '..' could climb out of it, even if the
# checks were wrong; OUT in a name or target stands for the sandbox's "outside" directory.
DEPTH = 16
# sampled_from weighs by repetition (one_of does not): mostly names a real source has, now and then one
# that climbs, has an empty part, names the outside or is absolute
PART = st.sampled_from(["a", "b", "c"] * 4 + ["..", ".", "", "OUT"])
NAME = st.tuples(st.sampled_from(["a", "b", "c"] * 9 + ["/a"]), st.lists(PART, max_size=2)).map(
    lambda parts: "/".join([parts[0], *parts[1]])
)
# link targets climb often: how far they may is what the checks decide
TARGET = st.tuples(
    st.lists(st.sampled_from(["a", "b", "c", "..", "..", "."]), min_size=1, max_size=4).map("/".join),
    st.sampled_from([""] * 12 + ["/OUT", "/OUT/x", "empty"]),
).map(lambda target: target[0] if not target[1] else "" if target[1] == "empty" else target[1])
KIND = st.sampled_from(["file"] * 4 + ["dir"] * 3 + ["symlink"] * 5 + ["hardlink"] * 2 + ["fifo", "chr"])
MEMBER = st.tuples(KIND, NAME, TARGET, st.integers(0, 0o7777))


def tar_archive(members: list[tuple[str, str, str, int]], out: str) -> bytes:
    data = io.BytesIO()
    types = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}
    types |= {"fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE, "file": tarfile.REGTYPE}
    with tarfile.open(fileobj=data, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for kind, name, target, mode in members:
            info = tarfile.TarInfo(name.replace("OUT", out) or "x")
            info.type, info.mode = types[kind], mode
            info.linkname = target.replace("OUT", out)
            body = b"data" if kind == "file" else b""
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body) if body else None)
    return data.getvalue()


def zip_archive(members: list[tuple[str, str, str, int]], out: str) -> bytes:
    data = io.BytesIO()
    types = {"dir": stat.S_IFDIR, "symlink": stat.S_IFLNK, "fifo": stat.S_IFIFO, "chr": stat.S_IFCHR}
    with warnings.catch_warnings(), zipfile.ZipFile(data, "w") as zf:
        warnings.simplefilter("ignore")  # a repeated name is one of the attacks
        for kind, name, target, mode in members:
            if kind == "hardlink":
                continue  # zip has none
            info = zipfile.ZipInfo((name.replace("OUT", out) or "x") + ("/" if kind == "dir" else ""))
            info.create_system = 3
            info.external_attr = (types.get(kind, stat.S_IFREG) | (mode & 0o7777)) << 16
            zf.writestr(info, target.replace("OUT", out) if kind == "symlink" else "data")
    return data.getvalue()


def everything_under(root: Path) -> set[Path]:
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        found |= {Path(dirpath) / name for name in [*dirnames, *filenames]}
    return found


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MEMBER, min_size=1, max_size=6), st.sampled_from(["tar", "zip"]))
def test_no_archive_writes_outside_its_directory(members: list[tuple[str, str, str, int]], fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Path(tmp) / "sandbox"
        outside = sandbox / "outside"
        outside.mkdir(parents=True)
        parent = sandbox.joinpath(*[f"l{i}" for i in range(DEPTH)])
        parent.mkdir(parents=True)
        dest = parent / "dest"
        archive = Path(tmp) / f"archive.{fmt}"
        archive.write_bytes((tar_archive if fmt == "tar" else zip_archive)(members, str(outside)))
        before = everything_under(sandbox)
        names = None if refusal(lambda: member_names(archive), LibwrapError) else member_names(archive)
        refused = refusal(lambda: extract(archive, dest), ArchiveError)
        if refused:
            assert everything_under(sandbox) == before  # a refusal leaves nothing, not even a temporary directory
            # the pre-pass refused it, not the data filter nor the file system; libwrap new refuses it too
            assert not refused.startswith("extracting"), refused
            assert names == [] if refused.endswith("pass the archive of the library's source") else names is None
            return
        assert names is not None
        assert list(outside.iterdir()) == []
        assert everything_under(sandbox) - before == {dest, *everything_under(dest)}
        top = os.path.realpath(dest)
        for path in everything_under(dest):
            mode = path.lstat().st_mode
            assert not stat.S_ISCHR(mode)
            assert not stat.S_ISBLK(mode)
            assert not stat.S_ISFIFO(mode)
            assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX)
            if path.is_symlink():
                real = os.path.realpath(path)
                assert real == top or real.startswith(top + os.sep), f"{path} -> {path.readlink()}"
