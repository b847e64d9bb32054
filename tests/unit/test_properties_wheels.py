"""Property tests (hypothesis, the deterministic profile of tests/conftest.py) over what repair and check
read from strangers: the wheel reader, the ELF reader and the import proof. No input gives a traceback;
whatever the reader accepts is consistent, and whatever the proof accepts really runs the preload first."""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import importlib.abc
import importlib.machinery
import io
import re
import sys
import tempfile
import types
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from libwrap.consumer.imports import ensure_init_imports, preload_unproven
from libwrap.elf import DynamicInfo, ElfFormatError, read_dynamic_stream
from libwrap.errors import UsageError
from libwrap.wheelfile import read_wheel

from .synthetic import LIBZ, corpus_generator, tiny_elf

CORPUS = corpus_generator()
NAME = "demo-1.0-py3-none-any.whl"
DIST = "demo-1.0.dist-info"

# --- the wheel reader ---------------------------------------------------------------------------

member_names = st.one_of(
    st.sampled_from(
        [
            "demo/__init__.py",
            "demo/_core.abi3.so",
            "demo/data.txt",
            f"{DIST}/METADATA",
            f"{DIST}/WHEEL",
            f"{DIST}/RECORD",
            f"{DIST}/RECORD.jws",
            "other-1.0.dist-info/METADATA",
            "../evil.py",
            "/abs.py",
            "demo\\x.py",
            "C:/x.py",
            "demo/",
        ]
    ),
    st.text(alphabet="demo/._-=,\"' \\\x00é", min_size=1, max_size=12),
)
payloads = st.one_of(st.binary(max_size=64), st.sampled_from([b"", b"\x7fELF", b"Name: demo\n"]))
GOOD_METADATA = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
GOOD_WHEEL = b"Wheel-Version: 1.0\nTag: py3-none-any\n"


def _honest(members: dict[str, bytes]) -> bytes:
    return bytes(CORPUS.record({n: d for n, d in members.items() if n != f"{DIST}/RECORD"}, DIST))


@st.composite
def wheels(draw: st.DrawFn) -> bytes:
    """A zip: a plausible wheel's members, some of them changed, and a RECORD honest, edited or arbitrary."""
    members: dict[str, bytes] = {f"{DIST}/METADATA": GOOD_METADATA, f"{DIST}/WHEEL": GOOD_WHEEL}
    members.update(draw(st.dictionaries(member_names, payloads, max_size=5)))
    honest = _honest(members)
    # mostly honest, so that what the reader accepts is checked too; then each way of lying
    record = draw(
        st.one_of(
            st.just(honest),
            st.just(honest),
            st.just(honest),
            st.builds(lambda cut: honest[:cut], st.integers(0, len(honest))),
            st.builds(lambda extra: honest + extra, st.binary(max_size=40)),
            st.binary(max_size=80),
            st.text(alphabet='demo/_.,=sha256\n\r"', max_size=80).map(str.encode),
        )
    )
    if draw(st.integers(0, 9)):
        members[f"{DIST}/RECORD"] = record
    if not draw(st.integers(0, 3)):
        members.update(draw(st.dictionaries(st.sampled_from(sorted(members)), payloads, max_size=2)))
    duplicates = (
        draw(st.lists(st.tuples(st.sampled_from(sorted(members)), payloads), max_size=1))
        if not draw(st.integers(0, 4))
        else []
    )
    out = io.BytesIO()
    with contextlib.suppress(Exception), zipfile.ZipFile(out, "w") as zf:
        for name, data in [*members.items(), *duplicates]:
            with contextlib.suppress(ValueError):  # zipfile refuses some names itself (NUL is cut, not refused)
                zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    raw = out.getvalue()
    if draw(st.integers(0, 3)):
        return raw
    # or bytes of it flipped, cut or appended to: what a damaged download looks like
    damaged = bytearray(raw)
    for position, value in draw(
        st.lists(st.tuples(st.integers(0, max(len(damaged) - 1, 0)), st.integers(0, 255)), max_size=4)
    ):
        if damaged:
            damaged[position] = value
    return bytes(damaged[: draw(st.integers(0, len(damaged)))]) if draw(st.booleans()) else bytes(damaged)


def _agrees(path: Path, members: dict[str, bytes]) -> None:
    """What read_wheel returned matches the zip and its RECORD, checked here without libwrap's code."""
    with zipfile.ZipFile(path) as zf:
        names = [info.filename for info in zf.infolist() if not info.is_dir()]
    assert len(names) == len(set(names)) == len(members)
    rows = {row[0]: row for row in csv.reader(io.StringIO(members[f"{DIST}/RECORD"].decode(), newline="")) if row}
    for name, data in members.items():
        if name.startswith(f"{DIST}/RECORD"):
            continue
        algorithm, _, value = rows[name][1].partition("=")
        assert algorithm not in ("md5", "sha1")
        digest = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
        assert value.rstrip("=") == digest
        assert int(rows[name][2]) == len(data)
    assert set(rows) <= set(members)
    assert not any(n.startswith("/") or ".." in n.split("/") for n in members)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(wheels())
def test_the_wheel_reader_accepts_only_what_its_record_vouches_for(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / NAME
        path.write_bytes(raw)
        try:
            wheel = read_wheel(path)
        except UsageError as exc:
            refused: UsageError | None = exc
        else:
            refused = None
        if refused is not None:
            event("refused: " + re.sub(r"\S*demo-1\.0-py3-none-any\.whl:?|\(.*", "", str(refused))[:60].strip())
            assert "\n" not in str(refused)
            return
        event("read")
        _agrees(path, wheel.members)
        try:
            wheel.elf_files()
        except UsageError as exc:
            refused = exc
        assert refused is None or "is not a valid ELF file" in str(refused)


def test_an_honest_wheel_is_read() -> None:
    """The property above is not vacuous: an honest wheel from the same strategy's parts is accepted."""
    members = {"demo/__init__.py": b"", f"{DIST}/METADATA": GOOD_METADATA, f"{DIST}/WHEEL": GOOD_WHEEL}
    members[f"{DIST}/RECORD"] = _honest(members)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / NAME
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        _agrees(path, read_wheel(path).members)


# --- the ELF reader -----------------------------------------------------------------------------

REAL = [tiny_elf(soname="libq.so.1", needed=("libc.so.6",), runpath="$ORIGIN", init="q")]
if LIBZ.is_file():
    REAL.append(LIBZ.read_bytes())


@st.composite
def elf_bytes(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes (most starting with the ELF magic), or a real library with bytes changed or cut."""
    if draw(st.booleans()):
        return draw(st.sampled_from([b"", b"\x7fELF"])) + draw(st.binary(max_size=256))
    data = bytearray(draw(st.sampled_from(REAL)))
    # the headers and tables the reader follows sit in the first pages: most changes go there
    limit = st.integers(0, min(len(data), 4096) - 1) | st.integers(0, len(data) - 1)
    for position, value in draw(st.lists(st.tuples(limit, st.integers(0, 255)), min_size=1, max_size=12)):
        data[position] = value
    return bytes(data[: draw(st.integers(1, len(data)))]) if draw(st.booleans()) else bytes(data)


@given(elf_bytes())
def test_the_elf_reader_never_raises_anything_else(data: bytes) -> None:
    loose = read_dynamic_stream(io.BytesIO(data))
    event("parsed" if loose is not None else "refused")
    assert loose is None or isinstance(loose, DynamicInfo)
    try:
        strict = read_dynamic_stream(io.BytesIO(data), strict=True)
    except ElfFormatError:
        assert loose is None
        return
    assert strict == loose
    if data[:4] == b"\x7fELF":
        assert isinstance(strict, DynamicInfo)


# --- the import proof ---------------------------------------------------------------------------

FILES: dict[str, str | None] = {
    "pkg/__init__.py": "",
    "pkg/_distributor_init.py": "",
    "pkg/version.py": "V = 1\n",
    "pkg/helpers.py": "from ._core import f\n",
    "pkg/_core.cpython-311-x86_64-linux-gnu.so": None,
}
SIMPLE = [
    "from . import _distributor_init",
    "import pkg._distributor_init",
    "from ._distributor_init import LOADED",
    "from . import _core",
    "from ._core import f",
    "import pkg._core",
    "from . import version",
    "from .version import V",
    "from . import helpers",
    "import os",
    "import importlib",
    "import contextlib",
    "importlib.import_module('pkg._core')",
    "__import__('pkg._core')",
    "getattr(importlib, 'import_module')('pkg._core')",
    "FLAG = 0",
    "FLAG = 1",
    "x = os.environ.get('LIBWRAP_PROPERTY_FLAG')",
    "def load():\n    from . import _core",
    "load()",
    "_distributor_init = None",
    "def __getattr__(name):\n    import importlib\n    return importlib.import_module('pkg._' + name)",
    "from . import core",
    "raise ImportError('stop')",
    "pass",
]


def _indent(block: str) -> str:
    return "\n".join("    " + line for line in block.splitlines())


def statements(depth: int = 2) -> st.SearchStrategy[str]:
    simple = st.sampled_from(SIMPLE)
    if depth == 0:
        return simple
    inner = st.lists(statements(depth - 1), min_size=1, max_size=2).map("\n".join)
    return st.one_of(
        simple,
        simple,
        inner.map(lambda b: f"if FLAG:\n{_indent(b)}"),
        st.tuples(inner, inner).map(lambda p: f"if FLAG:\n{_indent(p[0])}\nelse:\n{_indent(p[1])}"),
        inner.map(lambda b: f"try:\n{_indent(b)}\nexcept ImportError:\n    pass"),
        inner.map(lambda b: f"try:\n{_indent(b)}\nexcept ImportError:\n    raise"),
        inner.map(lambda b: f"try:\n    pass\nfinally:\n{_indent(b)}"),
        inner.map(lambda b: f"with contextlib.suppress(ImportError):\n{_indent(b)}"),
        inner.map(lambda b: f"with open(__file__):\n{_indent(b)}"),
        inner.map(lambda b: f"for _ in range(FLAG):\n{_indent(b)}"),
        inner.map(lambda b: f"class Holder:\n{_indent(b)}"),
        inner.map(lambda b: f"def later():\n{_indent(b)}"),
    )


sources = st.lists(statements(), min_size=0, max_size=6).map(lambda lines: "FLAG = 0\n" + "\n".join(lines) + "\n")


class _Stubs(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves pkg's submodules from strings; pkg._core stands for the extension, and every module records
    when it runs."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.sources = {
            "pkg._distributor_init": "LOG.append('preload')\nLOADED = True\n",
            "pkg._core": "LOG.append('core')\ndef f():\n    pass\n",
            "pkg.version": "V = 1\n",
            "pkg.helpers": "from ._core import f\n",
        }

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        del path, target
        return importlib.machinery.ModuleSpec(fullname, self) if fullname in self.sources else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        del spec

    def exec_module(self, module: types.ModuleType) -> None:
        module.LOG = self.log  # type: ignore[attr-defined]
        exec(compile(self.sources[module.__name__], module.__name__, "exec"), module.__dict__)  # noqa: S102


@contextlib.contextmanager
def _package(log: list[str]) -> Iterator[types.ModuleType]:
    finder = _Stubs(log)
    package = types.ModuleType("pkg")
    package.__path__ = []
    package.__package__ = "pkg"
    package.__file__ = __file__
    package.__spec__ = importlib.machinery.ModuleSpec("pkg", finder, is_package=True)
    saved = {name: module for name, module in sys.modules.items() if name == "pkg" or name.startswith("pkg.")}
    for name in saved:
        del sys.modules[name]
    sys.modules["pkg"] = package
    sys.meta_path.insert(0, finder)
    try:
        yield package
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n == "pkg" or n.startswith("pkg.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def _run(source: str) -> tuple[list[str], bool]:
    """Execute SOURCE as pkg/__init__.py; what loaded in which order, and whether it completed."""
    log: list[str] = []
    with _package(log) as package:
        try:
            exec(compile(source, "pkg/__init__.py", "exec"), package.__dict__)  # noqa: S102
        except Exception:  # noqa: BLE001  (a path that raises never completes; what it loaded still counts)
            return log, False
    return log, True


def _preloaded_first(log: list[str], completed: bool) -> bool:
    if "core" in log and ("preload" not in log or log.index("preload") > log.index("core")):
        return False
    return "preload" in log or not completed


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(sources)
def test_what_the_proof_accepts_runs_the_preload_first(source: str) -> None:
    verdict = preload_unproven(source, "pkg", FILES)
    event("proven" if verdict is None else "unproven")
    assert verdict is None or ("\n" not in verdict and verdict.startswith("pkg/__init__.py "))
    if verdict is None:
        assert _preloaded_first(*_run(source)), source
    fixed = ensure_init_imports(source, "pkg", FILES)
    assert preload_unproven(fixed, "pkg", FILES) is None
    assert _preloaded_first(*_run(fixed)), fixed


def test_the_harness_sees_a_late_preload() -> None:
    """The property above is not vacuous: the harness tells a preload before the extension from one after."""
    assert _preloaded_first(*_run("from . import _distributor_init\nfrom . import _core\n"))
    assert not _preloaded_first(*_run("from . import _core\nfrom . import _distributor_init\n"))
    assert not _preloaded_first(*_run("import importlib\nimportlib.import_module('pkg._core')\n"))
    assert not _preloaded_first(*_run("pass\n"))  # completes without the preload
    assert _preloaded_first(*_run("raise ImportError\n"))  # never completes, loads nothing
