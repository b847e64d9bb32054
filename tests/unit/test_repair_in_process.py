"""``libwrap.consumer.repair``: auditwheel's repair run in this process on the wheel as libwrap read it,
libwrap's edits made in the same tree, the input read once and the output written once; the report it
returns, and that the command prints it; the process as it was before (directory, PATH, logger)."""

from __future__ import annotations

import io
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from libwrap.cli import main
from libwrap.commands.repair import report_lines
from libwrap.consumer.preload import render_distributor_init
from libwrap.consumer.repair import Library, RepairReport, repair
from libwrap.errors import BuildError, ToolError, UsageError
from libwrap.providers import ProviderIndex
from libwrap.wheelfile import Wheel, read_wheel, write_wheel

from .synthetic import make_wheel, tiny_elf

CORE = "demo/_core.cpython-311-x86_64-linux-gnu.so"
INIT = '"""Demo."""\nfrom ._core import f\n'


def provider(root: Path) -> Path:
    """xprov 1.0: a wheel that ships libx.so.1, so the consumer loads it by path."""
    return make_wheel(root / "xprov-1.0-py3-none-linux_x86_64.whl", {"xprov/libx.so.1": tiny_elf(soname="libx.so.1")})


def consumer(root: Path, *, core: bytes | None = None, **members: bytes | str) -> Path:
    """demo 1.0: its extension needs libx.so.1 (xprov's) and libc; its RUNPATH names the build machine."""
    elf = core or tiny_elf(needed=("libx.so.1", "libc.so.6"), init="_core", runpath="/opt/build/lib")
    root.mkdir(parents=True, exist_ok=True)
    return make_wheel(
        root / "demo-1.0-cp311-cp311-linux_x86_64.whl",
        {"demo/__init__.py": INIT, "demo/version.py": "V = 1\n", CORE: elf, **members},
    )


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every wheel opened as a zip archive while the test runs: (file name, mode)."""
    seen: list[tuple[str, str]] = []
    real: Any = zipfile.ZipFile.__init__

    def spy(self: zipfile.ZipFile, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> None:
        name = Path(file).name if isinstance(file, (str, os.PathLike)) else repr(file)
        if name.endswith((".whl", ".tmp")):  # not the zip files on sys.path importlib.metadata looks into
            seen.append((name, mode))
        real(self, file, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", spy)
    return seen


def test_the_wheel_is_read_once_and_written_once(clean_cwd: Path, opened: list[tuple[str, str]]) -> None:
    """Regression: auditwheel wrote a wheel, libwrap read it back and wrote it again (and auditwheel had
    extracted the input twice, once to analyse it and once to repair it): 1.40x plain auditwheel on lxml."""
    index = ProviderIndex([str(provider(clean_cwd))])
    wheel = consumer(clean_cwd)
    opened.clear()
    report = repair(wheel, clean_cwd / "out", index)
    assert opened == [(wheel.name, "r"), (f".{report.output.name}.{os.getpid()}.tmp", "w")]
    assert sorted(p.name for p in (clean_cwd / "out").iterdir()) == [report.output.name]


def test_the_output_is_the_input_with_the_edits(clean_cwd: Path) -> None:
    """auditwheel grafted nothing (xprov's library excluded, libc allowed): the repaired wheel is the
    input with exactly libwrap's edits and auditwheel's tags, written by libwrap's writer."""
    index = ProviderIndex([str(provider(clean_cwd))])
    wheel = consumer(clean_cwd)
    report = repair(wheel, clean_cwd / "out", index)
    assert report.output.name == "demo-1.0-cp311-cp311-manylinux1_x86_64.manylinux_2_5_x86_64.whl"
    got = read_wheel(report.output)
    expected = Wheel(got.path, dict(read_wheel(wheel).members))
    expected.add_requirement("xprov>=1.0,<2")
    (loader,) = index.lookup("libx.so.1")
    expected.members["demo/_distributor_init.py"] = render_distributor_init([loader]).encode()
    expected.members["demo/__init__.py"] = (
        b'"""Demo."""\n\nfrom . import _distributor_init  # noqa: F401  (libwrap: providers load before extensions)\n'
        b"from ._core import f\n"
    )
    expected.members[CORE] = got.members[CORE]  # RUNPATH dropped: patchelf's own rewrite, checked below
    wheel_file = f"{got.dist_info}/WHEEL"
    expected.members[wheel_file] = got.members[wheel_file]  # auditwheel's tags
    assert got.tags == ["cp311-cp311-manylinux_2_5_x86_64", "cp311-cp311-manylinux1_x86_64"]
    del expected.members[f"{got.dist_info}/RECORD"]
    del got.members[f"{got.dist_info}/RECORD"]
    assert got.members == expected.members
    info = got.elf_files()[CORE]
    assert (info.needed, info.runpath, info.rpath) == (("libx.so.1", "libc.so.6"), (), ())
    # written as libwrap writes wheels: payload in auditwheel's order (sorted), what libwrap added, then
    # dist-info, RECORD last
    rewritten = clean_cwd / "again" / report.output.name
    write_wheel(read_wheel(report.output), rewritten)
    assert rewritten.read_bytes() == report.output.read_bytes()
    with zipfile.ZipFile(report.output) as zf:
        names = zf.namelist()
    assert names == [
        "demo/__init__.py",
        CORE,
        "demo/version.py",
        "demo/_distributor_init.py",
        *(f"{got.dist_info}/{n}" for n in ("METADATA", "WHEEL", "RECORD")),
    ]
    assert report == RepairReport(
        wheel=wheel,
        output=clean_cwd / "out" / report.output.name,
        libraries=(Library("libc.so.6", "policy"), Library("libx.so.1", "excluded", provider=loader)),
        dropped=report.dropped,
        requirements=("xprov>=1.0,<2",),
        preloads=("demo/_distributor_init.py", "demo/__init__.py"),
        size_before=wheel.stat().st_size,
        size_after=report.output.stat().st_size,
        replaced=False,
    )
    assert [(d.member, d.tag, d.entry) for d in report.dropped] == [(CORE, "RUNPATH", "/opt/build/lib")]


def test_the_command_prints_the_report(clean_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exactly as before the report existed; a relative -w is relative to where libwrap was started
    (regression: written relative to auditwheel's working directory, the extracted tree)."""
    xprov = provider(clean_cwd)
    wheel = consumer(clean_cwd)
    assert main(["repair", str(wheel), "--provider", str(xprov), "-w", "out"]) == 0
    printed = capsys.readouterr().out
    report = repair(wheel, Path("out"), ProviderIndex([str(xprov)]))
    out = Path("out") / "demo-1.0-cp311-cp311-manylinux1_x86_64.manylinux_2_5_x86_64.whl"
    size = wheel.stat().st_size
    assert printed == "\n".join([*report_lines(report)[:-1], f"  wrote {out}"]) + "\n"
    assert report_lines(report) == [
        "libwrap repair: demo-1.0-cp311-cp311-linux_x86_64.whl",
        "  libc.so.6                        allowed by the manylinux policy",
        f"  libx.so.1                        excluded  provided by xprov 1.0 (wheel {xprov.name}); requires xprov>=1.0,<2",
        f"  search path dropped: {CORE} RUNPATH '/opt/build/lib' (is an absolute path)",
        "  Requires-Dist added: xprov>=1.0,<2",
        # regression (issue 20): repair added it to the wheel alone and said nothing of the sdist
        (
            "  only the wheel says so, not the sdist it was built from: declare it in the project, [project] "
            'dependencies = ["xprov>=1.0,<2"] and the same range in build-system.requires'
        ),
        "  preload written: demo/_distributor_init.py",
        "  import of the preload added: demo/__init__.py",
        f"  size: {size:,} B -> {out.stat().st_size:,} B",
        f"  wrote {out} (replacing the wheel that was there)",
    ]


def test_report_lines_name_what_auditwheel_grafted() -> None:
    report = RepairReport(
        wheel=Path("demo-1.0-cp311-cp311-linux_x86_64.whl"),
        output=Path("out/demo.whl"),
        libraries=(
            Library("libq.so.1", "inside"),
            Library("libz.so.1", "grafted", grafted="demo.libs/libz-0123abcd.so.1"),
            Library("liby.so.2", "grafted"),
        ),
        dropped=(),
        requirements=(),
        preloads=("_demo.py",),
        size_before=1000,
        size_after=123456,
        replaced=False,
    )
    assert report_lines(report)[1:] == [
        "  libq.so.1                        in the wheel",
        "  libz.so.1                        grafted   demo.libs/libz-0123abcd.so.1",
        "  liby.so.2                        grafted   (by auditwheel)",
        "  preload written: _demo.py",
        "  size: 1,000 B -> 123,456 B",
        "  wrote out/demo.whl",
    ]


def test_when_auditwheel_writes_nothing_the_edits_are_still_written_once(
    clean_cwd: Path, monkeypatch: pytest.MonkeyPatch, opened: list[tuple[str, str]]
) -> None:
    """auditwheel's repair_wheel returns None and writes nothing for a wheel with no external
    references; libwrap's edits still make the wheel, under its own name."""
    import auditwheel.repair  # type: ignore[import-untyped]

    monkeypatch.setattr(auditwheel.repair, "repair_wheel", lambda *_, **__: None)
    index = ProviderIndex([str(provider(clean_cwd))])
    wheel = consumer(clean_cwd)
    opened.clear()
    report = repair(wheel, clean_cwd / "out", index)
    assert report.output == clean_cwd / "out" / wheel.name
    assert opened == [(wheel.name, "r"), (f".{wheel.name}.{os.getpid()}.tmp", "w")]
    got = read_wheel(report.output)
    assert got.requires_dist == ["xprov>=1.0,<2"]
    assert "demo/_distributor_init.py" in got.members
    assert report.preloads == ("demo/_distributor_init.py", "demo/__init__.py")


def test_the_process_is_left_as_it_was(clean_cwd: Path) -> None:
    """auditwheel changes the working directory and reads PATH and its logger; after a repair, and after
    a failed one, all three are what they were."""
    logger = logging.getLogger("auditwheel")
    before = (Path.cwd(), os.environ.get("PATH"), list(logger.handlers), logger.propagate, logger.level)
    index = ProviderIndex([str(provider(clean_cwd))])
    repair(consumer(clean_cwd), clean_cwd / "out", index)
    assert (Path.cwd(), os.environ.get("PATH"), list(logger.handlers), logger.propagate, logger.level) == before
    missing = consumer(clean_cwd / "missing", core=tiny_elf(needed=("libnowhere.so.7", "libc.so.6"), init="_core"))
    with pytest.raises(BuildError, match=r'required library "libnowhere\.so\.7" could not be located'):
        repair(missing, clean_cwd / "out2", index)
    assert (Path.cwd(), os.environ.get("PATH"), list(logger.handlers), logger.propagate, logger.level) == before
    assert not (clean_cwd / "out2").exists()


def test_a_wheel_rewritten_at_the_same_path_is_analysed_afresh(clean_cwd: Path) -> None:
    """Regression guard: auditwheel caches its analysis by file name (functools.lru_cache), so a second
    repair in one process of another wheel at the same path would graft by the first one's analysis."""
    index = ProviderIndex([str(provider(clean_cwd))])
    wheel = consumer(clean_cwd)
    repair(wheel, clean_cwd / "out", index)
    consumer(clean_cwd, core=tiny_elf(needed=("libnowhere.so.7", "libc.so.6"), init="_core"))
    with pytest.raises(BuildError, match=r'required library "libnowhere\.so\.7" could not be located'):
        repair(wheel, clean_cwd / "out", index)


def test_what_auditwheel_says_when_it_gives_up_without_an_exception(clean_cwd: Path) -> None:
    """auditwheel returns 1 for a wheel with no ELF file of the wheel's architecture; its last message
    (logged, not printed) is the reason, on one line."""
    elf = bytearray(tiny_elf(needed=("libc.so.6",), init="_core"))
    elf[18:20] = (183).to_bytes(2, "little")  # e_machine: EM_AARCH64 in an x86_64 wheel
    wheel = make_wheel(clean_cwd / "demo-1.0-cp311-cp311-linux_x86_64.whl", {"demo/__init__.py": "", CORE: bytes(elf)})
    with pytest.raises(BuildError) as caught:
        repair(wheel, clean_cwd / "out", ProviderIndex())
    assert str(caught.value) == (
        "auditwheel repair failed: Invalid binary wheel: no ELF executable or shared library file (including "
        "compiled Python C extension) with a 'x86_64' architecture found. The following ELF files were found: "
        f"{CORE.rsplit('/', 1)[-1]}; auditwheel repair on the wheel shows its whole output"
    )
    assert not (clean_cwd / "out").exists()


def test_signatures_of_the_old_record_are_dropped(clean_cwd: Path) -> None:
    """A RECORD.jws or RECORD.p7s vouches for the RECORD repair replaces (auditwheel dropped only .jws)."""
    wheel = consumer(clean_cwd)
    contents = read_wheel(wheel)
    for signature in ("RECORD.jws", "RECORD.p7s"):
        contents.members[f"{contents.dist_info}/{signature}"] = b"signed"
    write_wheel(contents, wheel)
    report = repair(wheel, clean_cwd / "out", ProviderIndex([str(provider(clean_cwd))]))
    assert not [m for m in read_wheel(report.output).members if "RECORD." in m]


def test_the_analysis_and_the_repair_see_the_bytes_read(clean_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """auditwheel works in the tree libwrap extracted from what it verified: a wheel file replaced after
    it was read is not what gets repaired."""
    from libwrap.consumer import repair as module

    index = ProviderIndex([str(provider(clean_cwd))])
    wheel = consumer(clean_cwd)
    good = wheel.read_bytes()

    def read_then_swap(path: Path) -> Wheel:
        contents = read_wheel(path)
        consumer(clean_cwd, core=tiny_elf(needed=("libnowhere.so.7", "libc.so.6"), init="_core"))
        return contents

    monkeypatch.setattr(module, "read_wheel", read_then_swap)
    report = repair(wheel, clean_cwd / "out", index)
    assert wheel.read_bytes() != good
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        assert read_wheel(report.output).members[CORE] != zf.read(CORE)  # RUNPATH dropped from the good one
    assert read_wheel(report.output).elf_files()[CORE].needed == ("libx.so.1", "libc.so.6")


def test_an_auditwheel_outside_the_tested_series_is_named(clean_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its internals change between releases: one outside libwrap's Requires-Dist range is refused with
    the fix, before anything runs, instead of failing somewhere inside it."""
    from importlib import metadata

    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "6.9.0" if name == "auditwheel" else real(name))
    monkeypatch.setattr(metadata, "requires", lambda _: ["auditwheel<6.9,>=6.8; sys_platform == 'linux'", "pyelftools"])
    with pytest.raises(ToolError) as caught:
        repair(consumer(clean_cwd), clean_cwd / "out", ProviderIndex([str(provider(clean_cwd))]))
    assert str(caught.value) == (
        "libwrap repair runs auditwheel <6.9,>=6.8 in its own process, but auditwheel 6.9.0 is installed; "
        "install that one: pip install 'auditwheel<6.9,>=6.8'"
    )
    assert not (clean_cwd / "out").exists()


def declaring(root: Path, requirement: str, metadata_version: str = "2.1") -> Path:
    """demo 1.0 whose METADATA already declares REQUIREMENT, as a build that lists its provider does."""
    wheel = consumer(root)
    contents = read_wheel(wheel)
    head = f"Metadata-Version: {metadata_version}\nName: demo\nVersion: 1.0\n"
    text = head + (f"Requires-Dist: {requirement}\n" if requirement else "")
    contents.members[f"{contents.dist_info}/METADATA"] = text.encode()
    return write_wheel(contents, wheel)


def test_a_declared_requirement_is_verified_not_added(clean_cwd: Path) -> None:
    """Regression (issue 20): repair took any Requires-Dist naming the provider as declaring it and said
    nothing; the range the build declared (its sdist says the same) is kept, checked and reported."""
    xprov = provider(clean_cwd)
    wheel = declaring(clean_cwd, "xprov<2,>=1.0")
    report = repair(wheel, clean_cwd / "out", ProviderIndex([str(xprov)]))
    assert (report.requirements, report.verified, report.dynamic) == ((), ("xprov<2,>=1.0",), False)
    got = read_wheel(report.output)
    assert got.requires_dist == ["xprov<2,>=1.0"]
    assert "Dynamic" not in got.metadata
    lines = report_lines(report)
    assert "  Requires-Dist verified: xprov<2,>=1.0 (declared by the wheel, within xprov>=1.0,<2)" in lines
    assert not [line for line in lines if "Requires-Dist added" in line or "sdist" in line]


@pytest.mark.parametrize(
    ("declared", "why"),
    [
        ("xprov", "which sets no bound, where xprov>=1.0,<2 is"),
        ("xprov>=0.5", "which admits releases outside xprov>=1.0,<2,"),
        ("xprov>=1.0,<3", "which admits releases outside xprov>=1.0,<2,"),
        ("xprov>=1.1,<2", "which xprov 1.0, the provider it was built against, does not satisfy"),
    ],
)
def test_a_declared_requirement_outside_the_range_stops_the_repair(clean_cwd: Path, declared: str, why: str) -> None:
    """NumPy's complaint about scipy-openblas (numpy#24857) read the other way: a static dependency with no
    bound, or across the ABI break, is refused with the range to write, before anything runs."""
    xprov = provider(clean_cwd)
    wheel = declaring(clean_cwd, declared)
    assert main(["repair", str(wheel), "--provider", str(xprov), "-w", str(clean_cwd / "out")]) == 2
    assert not (clean_cwd / "out").exists()
    with pytest.raises(UsageError) as caught:
        repair(wheel, clean_cwd / "out", ProviderIndex([str(xprov)]))
    message = str(caught.value)
    assert message.startswith(f"{wheel.name} declares Requires-Dist: {declared}, {why}")
    assert message.endswith(
        "; declare xprov>=1.0,<2 where the project lists its dependencies ([project] dependencies, and the same "
        "range in build-system.requires), then build it again"
    )


@pytest.mark.parametrize(("version", "dynamic"), [("2.1", False), ("2.2", True), ("2.4", True)])
def test_an_added_requirement_is_marked_dynamic_where_metadata_allows(
    clean_cwd: Path, version: str, dynamic: bool
) -> None:
    """The sdist does not say what repair added: METADATA 2.2+ says the field was changed (Dynamic), as the
    core metadata spec advises tools that modify wheel metadata."""
    report = repair(declaring(clean_cwd, "", version), clean_cwd / "out", ProviderIndex([str(provider(clean_cwd))]))
    got = read_wheel(report.output)
    assert got.requires_dist == ["xprov>=1.0,<2"]
    assert ("Dynamic: Requires-Dist" in got.metadata.splitlines()) is dynamic
    assert report.dynamic is dynamic
    suffix = "; METADATA marks Requires-Dist Dynamic" if dynamic else ""
    assert f"  Requires-Dist added: xprov>=1.0,<2{suffix}" in report_lines(report)


def test_a_scikit_build_core_wheel_is_told_of_the_plugin() -> None:
    report = RepairReport(
        wheel=Path("demo-1.0-cp311-cp311-linux_x86_64.whl"),
        output=Path("out/demo.whl"),
        libraries=(),
        dropped=(),
        requirements=("openblas>=0.3.31,<0.4",),
        preloads=(),
        size_before=1,
        size_after=1,
        replaced=False,
        generator="scikit-build-core 1.1.2",
    )
    assert report_lines(report)[1:4] == [
        "  Requires-Dist added: openblas>=0.3.31,<0.4",
        (
            "  only the wheel says so, not the sdist it was built from: declare it in the project, [project] "
            'dependencies = ["openblas>=0.3.31,<0.4"] and the same range in build-system.requires'
        ),
        (
            '  or, with scikit-build-core, dynamic = ["dependencies"] and [[tool.dynamic-metadata]] provider = "libwrap", '
            'providers = ["openblas"] (libwrap in build-system.requires)'
        ),
    ]


def test_a_provider_with_its_own_loader_is_called_and_pinned_its_way(clean_cwd: Path) -> None:
    """Regression (issue 20): RAPIDS' libucx-cu12 was loaded by path, file by file, so its load_library()
    and RAPIDS_LIBUCX_PREFER_SYSTEM_LIBRARY never ran, and declared >=1.22.0,<2 across minor releases
    RAPIDS does not promise; now repair calls its loader and declares RAPIDS' range."""
    libucx = make_wheel(
        clean_cwd / "libucx_cu12-1.22.0-py3-none-manylinux_2_28_x86_64.whl",
        {
            "libucx/__init__.py": "from .load import load_library\n",
            "libucx/load.py": "def load_library():\n    return []\n",
            "libucx/lib/libx.so.1": tiny_elf(soname="libx.so.1"),
        },
        metadata=b"Metadata-Version: 2.4\nName: libucx-cu12\nVersion: 1.22.0\n",
    )
    report = repair(consumer(clean_cwd), clean_cwd / "out", ProviderIndex([str(libucx)]))
    assert report.requirements == ("libucx-cu12>=1.22.0,<1.23",)
    loader = read_wheel(report.output).members["demo/_distributor_init.py"].decode()
    assert (
        '_call("libucx", "load_library", "libucx-cu12", "libucx-cu12>=1.22.0,<1.23", ((">=", (1, 22)), ("<", (1, 23))))'
    ) in loader.splitlines()
    assert "_load_by_path(" not in loader.split("# libwrap: load providers")[-1].split("\n\n\n")[-1]


def test_a_provider_loaded_by_path_loads_only_what_the_package_needs(clean_cwd: Path) -> None:
    """Regression: repair loaded every library a by-path provider ships, in name order; libucx-cu12's (by
    path before its own loader was known) made the consumer fail to import ("libucm.so.0: undefined
    symbol: ucs_load_modules"), and a plug-in needing the GPU driver (libcuda.so.1) would on any machine
    without one. A package loads the SONAMEs its extensions need; their own dependencies follow."""
    vendor = make_wheel(
        clean_cwd / "vendorlib-1.0-py3-none-linux_x86_64.whl",
        {
            "vendorlib/lib/libx.so.1": tiny_elf(soname="libx.so.1", needed=("libc.so.6",)),
            "vendorlib/lib/plugins/libxcuda.so.1": tiny_elf(soname="libxcuda.so.1", needed=("libcuda.so.1",)),
        },
    )
    index = ProviderIndex([str(vendor)])
    report = repair(consumer(clean_cwd), clean_cwd / "out", index)
    loader = read_wheel(report.output).members["demo/_distributor_init.py"].decode()
    calls = [line for line in loader.splitlines() if line.startswith("_load_by_path(")]
    assert calls == ['_load_by_path("vendorlib", "libx.so.1", "vendorlib>=1.0,<2", ((">=", (1,)), ("<", (2,))))']
    assert main(["check", str(report.output), "--provider", str(vendor)]) == 0
