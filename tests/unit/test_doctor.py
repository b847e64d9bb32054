"""libwrap doctor without a compiler or a network: names and families on crafted names, kinds and
conflicts on fake site directories holding real ELF bytes (the system zlib under several names), maps
text (a property test: never an exception), the JSON schema, exit codes, and the exit hook run in real
interpreters (reports from children, the environment's own sitecustomize still runs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libwrap import doctor
from libwrap.cli import main
from libwrap.doctor import Library
from libwrap.doctor.conflicts import find_conflicts
from libwrap.doctor.libraries import KINDS, classify, examine
from libwrap.doctor.names import MARKERS, family_of, is_extension
from libwrap.doctor.owners import Owner, Owners
from libwrap.doctor.processes import parse_maps, read_process
from libwrap.doctor.run import run_command
from libwrap.elf import read_sections

from ..helpers import pyenv_pythons
from .synthetic import LIBZ, elf

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libwrap doctor reads /proc")


# --- names, families, kinds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family", "runtime"),
    [
        # PyPI's NumPy 2.4.6 and SciPy 1.17.1 (auditwheel: hash once per repair)
        ("libscipy_openblas64_-32a4b2a6.so", "openblas", "openblas"),
        ("libscipy_openblas-6cdc3b4a.so", "openblas", "openblas"),
        ("libgfortran-040039e1-0352e75f.so.5.0.0", "gfortran", "gfortran"),
        ("libgfortran-8f1e9814.so.5.0.0", "gfortran", "gfortran"),
        ("libquadmath-96973f99-934c22de.so.0.0.0", "quadmath", "quadmath"),
        # libwrap's providers, a distribution's own, old NumPy wheels' Makefile name
        ("libopenblas_pypi.so.0", "openblas", "openblas"),
        ("libopenblas64_pypi.so.0", "openblas", "openblas64"),
        ("libopenblas.so.0", "openblas", "openblas"),
        ("libopenblasp-r0-2ecf47d5.3.7.dev.so", "openblas", "openblasp"),
        ("libgfortran.so.5", "gfortran", "gfortran"),
        ("libz.so.1", "z", "z"),
        ("libz_pypi.so.1", "z", "z"),
        ("libz-a1b2c3d4.so.1.3.1", "z", "z"),
        # the OpenMP runtimes: one family, each named
        ("libgomp-e985bcbb.so.1.0.0", "openmp", "gomp"),
        ("libgomp.so.1", "openmp", "gomp"),
        ("libomp.so", "openmp", "omp"),
        ("libiomp5.so", "openmp", "iomp5"),
        ("libstdc++.so.6.0.30", "stdc++", "stdc++"),
        ("libgcc_s-a3a07607.so.1", "gcc_s", "gcc_s"),
        ("libpng16-1d1ba958.so.16.58.0", "png", "png16"),
        ("libXau-154567c4.so.6.0.0", "Xau", "Xau"),
        ("libcrypto-d3570994.so.3", "crypto", "crypto"),
        ("libxml2.so.2", "xml2", "xml2"),
        ("libtorch_cpu.so", "torch_cpu", "torch_cpu"),
        ("libcublas.so.12", "cublas", "cublas"),
        ("libpython3.11.so.1.0", "python3.11", "python3.11"),
    ],
)
def test_family_of_a_name(name: str, family: str, runtime: str) -> None:
    assert family_of(name) == (family, runtime)


def test_what_a_library_exports_decides_its_family() -> None:
    assert family_of("libmyblas.so.3", {"openblas"}) == ("openblas", "myblas")
    # an OpenBLAS that carries an OpenMP runtime's symbols is still OpenBLAS
    assert family_of("libmyblas.so.3", {"openmp", "openblas"})[0] == "openblas"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("_multiarray_umath.cpython-311-x86_64-linux-gnu.so", True),
        ("_init.abi3.so", True),
        ("_cffi_backend.libwrap.cpython-312-x86_64-linux-gnu.so", True),
        ("_rust.pypy310-pp73-x86_64-linux-gnu.so", True),
        ("_zlib.so", True),
        ("libz.so.1", False),
        ("libfoo.so", False),
        ("libscipy_openblas-6cdc3b4a.so", False),
    ],
)
def test_extension_modules_are_told_apart_by_name(name: str, expected: bool) -> None:
    assert is_extension(name) is expected


OWNED = Owner("numpy", "2.4.6", "/site", provider=False)
PROVIDER = Owner("openblas", "0.3.31", "/site", provider=True)


@pytest.mark.parametrize(
    ("path", "soname", "owner", "in_site", "kind"),
    [
        ("/site/numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", None, OWNED, True, "extension"),
        (
            "/site/numpy.libs/libscipy_openblas64_-32a4b2a6.so",
            "libscipy_openblas64_-32a4b2a6.so",
            OWNED,
            True,
            "vendored",
        ),
        ("/site/PIL/.dylibs/libjpeg.62.dylib.so", "libjpeg.so.62", OWNED, True, "vendored"),
        ("/site/pkg/lib/libfoo-0123abcd.so.1", "libfoo-0123abcd.so.1", OWNED, True, "vendored"),
        ("/site/openblas/lib/libopenblas_pypi.so.0", "libopenblas_pypi.so.0", PROVIDER, True, "provider"),
        ("/site/openblas/lib/libgfortran.so.5", "libgfortran.so.5", PROVIDER, True, "provider"),
        # a library a distribution ships under its own SONAME: what libwrap repair takes as a provider
        ("/site/torch/lib/libtorch_cpu.so", "libtorch_cpu.so", OWNED, True, "provider"),
        ("/site/pkg/helper.so.1", "libhelper.so.1", OWNED, True, "wheel"),
        ("/site/pkg/libunrecorded.so", "libunrecorded.so", None, True, "wheel"),
        ("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "libz.so.1", None, False, "system"),
    ],
)
def test_kinds(path: str, soname: str | None, owner: Owner | None, in_site: bool, kind: str) -> None:
    assert classify(path, soname, owner, in_site=in_site) == kind


# --- maps -------------------------------------------------------------------------------------------

MAPS = """\
55d0c0a00000-55d0c0a01000 r--p 00000000 fd:01 1234                       /usr/bin/python3.11
7f0000000000-7f0000001000 r-xp 00001000 fd:01 2222                       /site/numpy.libs/libscipy_openblas64_-32a4b2a6.so
7f0000001000-7f0000002000 r--p 00002000 fd:01 2222                       /site/numpy.libs/libscipy_openblas64_-32a4b2a6.so
7f0000002000-7f0000003000 rw-p 00000000 00:00 0
7f0000003000-7f0000004000 r--p 00000000 fd:01 3333                       /opt/my lib/libz.so.1
7f0000004000-7f0000005000 r--p 00000000 fd:01 4444                       /site/old/libgone.so (deleted)
7f0000005000-7f0000006000 r--p 00000000 00:01 5555                       /memfd:jit (deleted)
7f0000006000-7f0000007000 r--p 00000000 fd:01 6666                       /odd\\012name/libx.so
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]
"""


def test_maps_are_read_as_the_kernel_writes_them() -> None:
    mapped = parse_maps(MAPS)
    assert mapped.paths == (
        "/usr/bin/python3.11",
        "/site/numpy.libs/libscipy_openblas64_-32a4b2a6.so",
        "/opt/my lib/libz.so.1",
        "/odd\nname/libx.so",
    )
    assert mapped.deleted == ("/site/old/libgone.so", "/memfd:jit")


@given(st.text())
def test_any_maps_text_parses(text: str) -> None:
    mapped = parse_maps(text)
    assert all(path.startswith("/") for path in (*mapped.paths, *mapped.deleted))
    assert len(set(mapped.paths)) == len(mapped.paths)


_PATHS = st.lists(
    st.text(st.characters(blacklist_characters="\n\\", codec="utf-8"), min_size=1, max_size=30)
    .map(lambda s: "/" + s)
    .filter(lambda p: not p.endswith(" (deleted)") and p.rstrip() == p),
    unique=True,
    max_size=8,
)


@given(_PATHS)
def test_maps_lines_give_back_their_paths(paths: list[str]) -> None:
    text = "".join(f"7f00-7f01 r--p 00000000 fd:01 {i + 1}    {path}\n" for i, path in enumerate(paths))
    assert parse_maps(text).paths == tuple(paths)


# --- real ELF bytes ---------------------------------------------------------------------------------


def _renamed(old: str, new: str) -> bytes:
    assert len(old) == len(new)
    data = elf()
    assert data.count(f"{old}\0".encode()) == 1
    return data.replace(f"{old}\0".encode(), f"{new}\0".encode())


def test_a_defined_symbol_marks_the_family_an_imported_one_does_not(tmp_path: Path) -> None:
    # libz defines deflateSetDictionary and imports _ITM_registerTMCloneTable (weak, undefined)
    blas = tmp_path / "libmystery.so.1"
    blas.write_bytes(_renamed("deflateSetDictionary", "openblas_get_config_"))
    user = tmp_path / "libuser.so.1"
    user.write_bytes(_renamed("_ITM_registerTMCloneTable", "xxxxxxomp_get_num_threads"))
    for path, exported in ((blas, {b"openblas_get_config"}), (user, set())):
        info = read_sections(path, MARKERS)
        assert info is not None
        assert info.exported == exported
    libraries, _ = examine([str(blas), str(user)], Owners(), ask_system=False)
    assert libraries[str(blas)].family == "openblas"
    assert libraries[str(user)].family == "user"


def test_files_that_are_not_libraries_are_left_out(tmp_path: Path) -> None:
    text = tmp_path / "libnot.so"
    text.write_text("INPUT(libz.so.1)\n", encoding="utf-8")
    broken = tmp_path / "libbroken.so.1"
    broken.write_bytes(elf()[:200])
    libraries, extensions = examine([str(text), str(broken), str(tmp_path / "libmissing.so")], Owners())
    assert str(text) not in libraries
    assert str(broken) not in libraries or libraries[str(broken)].soname is None
    assert extensions == {}


def _dist(site: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """An installed distribution in SITE: its files and a RECORD listing them."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    for member, data in files.items():
        (site / member).parent.mkdir(parents=True, exist_ok=True)
        (site / member).write_bytes(data)
    record = [f"{member},," for member in files] + [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site directory as PyPI's wheels and a libwrap provider leave it: zlib three times under three
    names (two vendored copies, byte-identical, and a provider's), an extension module, and one library
    of its own."""
    root = tmp_path / "site-packages"
    libz = elf()
    manifest = json.dumps({"name": "libzlib", "version": "1.3.1", "sonames": ["libz_pypi.so.1"]}).encode()
    _dist(root, "alpha", "1.0", {"alpha.libs/libz-0123abcd.so.1.2.13": libz, "alpha/__init__.py": b""})
    _dist(
        root,
        "beta",
        "2.0",
        {"beta.libs/libz-0123abcd.so.1.2.13": libz, "beta/_speed.cpython-311-x86_64-linux-gnu.so": libz},
    )
    _dist(root, "libzlib", "1.3.1", {"libzlib/libwrap.json": manifest, "libzlib/lib/libz_pypi.so.1": libz + b"\0"})
    _dist(root, "gamma", "3.0", {"gamma/lib/libgamma.so.1": _renamed("deflateSetDictionary", "gammaSetDictionary__")})
    return root


def test_installed_finds_every_copy_with_its_owner_and_kind(site: Path) -> None:
    found = doctor.installed([str(site)])
    assert [c.family for c in found.conflicts] == ["z"]
    (conflict,) = found.conflicts
    real = os.path.realpath(site)
    provider, alpha, beta = (
        f"{real}/libzlib/lib/libz_pypi.so.1",
        f"{real}/alpha.libs/libz-0123abcd.so.1.2.13",
        f"{real}/beta.libs/libz-0123abcd.so.1.2.13",
    )
    assert conflict.copies == (provider, alpha, beta)  # largest first: the provider's has a byte more
    size = LIBZ.stat().st_size
    assert conflict.duplicated_bytes == 2 * size == found.duplicated_bytes
    assert conflict.identical == ((alpha, beta),)
    kinds = {path: (lib.kind, lib.owner) for path, lib in found.libraries.items()}
    assert kinds[provider] == ("provider", "libzlib 1.3.1")
    assert kinds[alpha] == ("vendored", "alpha 1.0")
    assert kinds[f"{real}/gamma/lib/libgamma.so.1"] == ("wheel", "gamma 3.0")  # SONAME libz.so.1, not its name
    assert [(e.distribution, e.version) for e in found.extensions.values()] == [("beta", "2.0")]
    assert found.libraries[alpha].shown_path == "alpha.libs/libz-0123abcd.so.1.2.13"
    text = found.text()
    assert text.splitlines()[2].startswith("CONFLICT libz: 3 copies installed")
    assert "byte-identical: alpha.libs/libz-0123abcd.so.1.2.13, beta.libs/libz-0123abcd.so.1.2.13; one SONAME" in text
    assert text.rstrip().endswith("1 conflict (libz 3 copies): 3 files where 1 would do, "
                                  f"{2 * size / 1e6:.1f} MB duplicated on disk; 4 libraries and 1 extension module installed")  # fmt: skip


def test_an_unrecorded_file_in_a_libs_directory_still_counts(site: Path) -> None:
    (site / "delta.libs").mkdir()
    shutil.copy(LIBZ, site / "delta.libs" / "libz-89abcdef.so.1.2.13")
    found = doctor.installed([str(site)])
    copy = os.path.realpath(site / "delta.libs" / "libz-89abcdef.so.1.2.13")
    assert copy in found.conflicts[0].copies
    assert found.libraries[copy].owner == "-"
    assert found.libraries[copy].kind == "vendored"


def test_one_copy_of_each_is_no_conflict(tmp_path: Path) -> None:
    _dist(tmp_path, "alpha", "1.0", {"alpha.libs/libz-0123abcd.so.1.2.13": elf()})
    found = doctor.installed([str(tmp_path)])
    assert found.conflicts == []
    assert found.duplicated_bytes == 0
    assert found.summary().startswith("no conflict: 1 library and 0 extension modules installed")


def _lib(path: str, family: str, size: int, runtime: str = "") -> Library:
    return Library(path, None, size, "vendored", family, runtime or family)


def test_conflicts_are_per_process_merged_across_processes_and_never_glibc() -> None:
    libraries = {
        lib.path: lib
        for lib in [
            _lib("/a/libgomp.so.1", "openmp", 300, "gomp"),
            _lib("/b/libomp.so", "openmp", 700, "omp"),
            _lib("/c/libopenblas.so.0", "openblas", 30),
            _lib("/d/libopenblas_pypi.so.0", "openblas", 20),
            _lib("/lib/libc.so.6", "c", 2000),
            _lib("/other/libc.so.6", "c", 2000),
        ]
    }
    scopes = [
        (11, ["/a/libgomp.so.1", "/b/libomp.so", "/lib/libc.so.6", "/other/libc.so.6"]),
        (12, ["/a/libgomp.so.1", "/b/libomp.so", "/c/libopenblas.so.0"]),
        (13, ["/c/libopenblas.so.0"]),
        (14, ["/d/libopenblas_pypi.so.0"]),  # another process: one copy each is no conflict
    ]
    conflicts = find_conflicts(scopes, libraries)
    assert [(c.family, c.copies, c.pids, c.duplicated_bytes, c.runtimes) for c in conflicts] == [
        ("openmp", ("/b/libomp.so", "/a/libgomp.so.1"), (11, 12), 300, ("gomp", "omp"))
    ]


def test_the_json_document(site: Path) -> None:
    data = doctor.installed([str(site)]).to_json()
    assert set(data) == {
        "schema", "mode", "command", "modules", "exit_status", "sites", "processes", "libraries",
        "extensions", "families", "conflicts", "duplicated_bytes", "notes",
    }  # fmt: skip
    assert data["schema"] == 1
    assert data["mode"] == "installed"
    assert data["sites"] == [os.path.realpath(site)]
    assert {lib["kind"] for lib in data["libraries"]} <= set(KINDS)
    assert set(data["libraries"][0]) == {
        "path", "name", "soname", "size", "kind", "family", "runtime", "distribution", "version", "site",
        "relative_path", "system_package",
    }  # fmt: skip
    (conflict,) = data["conflicts"]
    assert conflict["family"] == "z"
    assert conflict["label"] == "libz"
    assert len(conflict["copies"]) == 3
    assert conflict["duplicated_bytes"] == data["duplicated_bytes"]
    assert [f["family"] for f in data["families"] if f["conflict"]] == ["z"]
    assert data["extensions"] == [{"distribution": "beta", "version": "2.0", "count": 1, "size": LIBZ.stat().st_size}]
    json.dumps(data)


# --- the command line -------------------------------------------------------------------------------


def doctor_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["doctor", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--"], "no command after --; write libwrap doctor -- COMMAND [ARG...]"),
        (["--", "no-such-command-xyz"], "no-such-command-xyz: no such command on PATH"),
        (["--", "/no/such/program"], "/no/such/program: no such command (or it is not executable)"),
        (["-i", "not a module"], "-i 'not a module' is not a module name"),
        (["-i", "json", "--installed"], "-i and --installed are different modes; give one of them"),
        (["--installed", "--", "true"], "a command and --installed are different modes"),
        (["--path", "."], "--path is for --installed"),
        (["--installed", "--path", "/no/such/dir"], "--path /no/such/dir: no such directory"),
        (["--pid", "0"], "--pid 0 is not a process id"),
        (["--python", "/no/such/python", "-i", "json"], "--python /no/such/python: no such interpreter"),
        (["--python", sys.executable, "--", "true"], "--python is for -i and --installed"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    status, out, err = doctor_cli(capsys, *args)
    assert status == 2
    assert out == ""
    assert err.startswith("libwrap doctor: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_a_module_that_fails_to_import_names_its_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = doctor_cli(capsys, "-i", "json", "-i", "libwrap_no_such_module")
    assert status == 2
    assert err == (
        f"libwrap doctor: error: import libwrap_no_such_module failed in {sys.executable}: ModuleNotFoundError: "
        "No module named 'libwrap_no_such_module'; install it there, or check the module's name\n"
    )


def test_not_linux_says_so(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    status, _, err = doctor_cli(capsys, "--installed")
    assert status == 2
    assert err.startswith("libwrap doctor: error: libwrap doctor reads /proc: Linux only for now; ")


def test_installed_exit_status_and_json(capsys: pytest.CaptureFixture[str], site: Path, tmp_path: Path) -> None:
    status, out, _ = doctor_cli(capsys, "--installed", "--path", str(site), "--json")
    assert status == 1
    assert json.loads(out)["conflicts"][0]["family"] == "z"
    clean = tmp_path / "clean"
    _dist(clean, "alpha", "1.0", {"alpha.libs/libz-0123abcd.so.1.2.13": elf()})
    status, out, _ = doctor_cli(capsys, "--installed", "--path", str(clean))
    assert status == 0
    assert out.rstrip().splitlines()[-1].startswith("no conflict: ")


def test_installed_reads_another_interpreter_s_sys_path(
    capsys: pytest.CaptureFixture[str], site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(site))
    status, out, _ = doctor_cli(capsys, "--installed", "--python", sys.executable, "--json")
    assert os.path.realpath(site) in json.loads(out)["sites"]
    assert status == 1


# --- running commands: the exit hook and the sampler ---------------------------------------------------


@pytest.fixture
def copies(tmp_path: Path) -> tuple[str, str]:
    """zlib twice, under two names: ctypes loads both, as two wheels' grafted copies would be."""
    one, two = tmp_path / "one.libs" / "libz-0123abcd.so.1", tmp_path / "two.libs" / "libz-89abcdef.so.1"
    for path in (one, two):
        path.parent.mkdir()
        shutil.copy(LIBZ, path)
    return str(one), str(two)


LOAD = "import ctypes, sys; [ctypes.CDLL(p) for p in sys.argv[1:]]"


def test_a_python_command_reports_at_exit(capsys: pytest.CaptureFixture[str], copies: tuple[str, str]) -> None:
    status, out, _ = doctor_cli(capsys, "--json", "--", sys.executable, "-c", LOAD, *copies)
    data = json.loads(out)
    assert status == 1
    (process,) = data["processes"]
    assert process["source"] == "exit report"
    assert process["exe"] == os.path.realpath(sys.executable)
    (conflict,) = [c for c in data["conflicts"] if c["family"] == "z"]
    assert set(copies) <= set(conflict["copies"])
    assert conflict["pids"] == [process["pid"]]
    assert data["exit_status"] == 0
    assert data["mode"] == "command"


def test_children_report_and_a_failing_command_is_still_reported(
    capsys: pytest.CaptureFixture[str], copies: tuple[str, str]
) -> None:
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {LOAD!r}, *sys.argv[1:]]); sys.exit(3)"
    status, out, _ = doctor_cli(capsys, "--", sys.executable, "-c", code, *copies)
    assert status == 1
    assert "2 processes: 2 exit report" in out
    assert out.rstrip().endswith("the command exited 3")
    assert "CONFLICT libz: " in out


def test_a_process_that_cannot_report_is_sampled(capsys: pytest.CaptureFixture[str], copies: tuple[str, str]) -> None:
    # -I ignores PYTHONPATH, so the hook never runs: only sampling sees what it maps
    code = f"{LOAD}; import time; time.sleep(1)"
    status, out, _ = doctor_cli(capsys, "--json", "--", sys.executable, "-I", "-c", code, *copies)
    data = json.loads(out)
    assert status == 1
    assert {p["source"] for p in data["processes"]} == {"sampled"}
    assert any(set(copies) <= set(c["copies"]) for c in data["conflicts"])
    assert "sampled while they ran" in data["notes"][0]


def test_json_keeps_the_command_s_output_off_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    status = main(["doctor", "--json", "--", sys.executable, "-c", "print('hello from the command')"])
    out, err = capfd.readouterr()
    assert status == 0
    assert json.loads(out)["exit_status"] == 0
    assert "hello from the command" in err


def test_import_mode(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = doctor_cli(capsys, "-i", "ctypes", "--json")
    data = json.loads(out)
    assert status == 0
    assert data["mode"] == "import"
    assert data["modules"] == ["ctypes"]
    assert any(lib["name"].startswith("libc.so") for lib in data["libraries"])
    # glibc is mapped by everything and never a family worth a conflict
    assert all(f["family"] != "c" or not f["conflict"] for f in data["families"])


def test_with_nothing_asked_the_interpreter_reports_with_nothing_imported(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = doctor_cli(capsys)
    assert status == 0
    assert out.splitlines()[0] == f"libwrap doctor: {sys.executable}, nothing imported"
    assert "reported at exit" in out.splitlines()[1]


def test_pid_mode_and_the_python_api(capsys: pytest.CaptureFixture[str], copies: tuple[str, str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", f"{LOAD}; import sys; sys.stdin.read()", *copies], stdin=subprocess.PIPE
    )
    try:
        # wait until both copies are mapped
        for _ in range(200):
            if all(p in read_process(proc.pid).mapped.paths for p in copies):
                break
            subprocess.run(["sleep", "0.05"], check=True)
        status, out, _ = doctor_cli(capsys, "--pid", str(proc.pid))
        assert status == 1
        assert f"mapped in one process (pid {proc.pid})" in out
        assert {lib.path for lib in doctor.mapped_libraries(proc.pid)} >= set(copies)
    finally:
        proc.communicate(b"")
    assert any(lib.name.startswith("libc.so") for lib in doctor.mapped_libraries())
    assert doctor.report().mode == "process"


def test_no_such_pid(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = doctor_cli(capsys, "--pid", str(2**22 + 12345))
    assert status == 2
    assert "there is no process" in err


# --- the hook in the interpreters it meets -------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.9", "3.11", "3.13"])
def test_the_hook_reports_and_the_environment_s_sitecustomize_still_runs(
    tmp_path: Path, version: str, capfd: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_pythons()[version]
    if python is None:
        pytest.skip(f"no CPython {version} here")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    marker = tmp_path / "ran"
    (theirs / "sitecustomize.py").write_text(
        f"open({str(marker)!r}, 'w').write(__name__)\nCUSTOM = True\n", encoding="utf-8"
    )
    code = (
        "import sys, sitecustomize; print(getattr(sitecustomize, 'CUSTOM', False)); "
        "print(any('libwrap-doctor-' in p for p in sys.path))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYENV_VERSION"))}
    run = run_command([python, "-c", code], env={**env, "PYTHONPATH": str(theirs)})
    # their sitecustomize ran as the module sitecustomize; our directory left sys.path
    assert capfd.readouterr().out.splitlines() == ["True", "False"]
    assert marker.read_text(encoding="utf-8") == "sitecustomize"
    assert run.status == 0
    assert [p.source for p in run.processes] == ["exit report"]
    assert str(theirs) in run.sys_path
