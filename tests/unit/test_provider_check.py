"""`libwrap check` on provider wheels (libwrap.consumer.provider_check), on crafted wheels: the complete
provider of the corpus (tests/corpus/make_wheels.py ``complete_provider``) passes, and each rule names the
member, the line and the fix. (tests/corpus/providers.toml runs one flaw each through the CLI.)"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from libwrap.cli import main
from libwrap.consumer.check import problems, provider_wheel
from libwrap.providers import ProviderIndex
from libwrap.wheelfile import read_wheel

from .synthetic import corpus_generator, make_wheel, tiny_elf

CORPUS = corpus_generator()
LIB = "manifest/lib/libmanifest.so.1"
PC = "manifest/lib/pkgconfig/manifest.pc"
LICENSED = CORPUS.LICENSED


def provider(
    tmp_path: Path,
    changes: Mapping[str, object] | None = None,
    files: dict[str, bytes | None] | None = None,
    *,
    metadata: bytes = LICENSED,
    requires: tuple[str, ...] = (),
) -> Path:
    members: dict[str, bytes | str] = dict(CORPUS.complete_provider(changes, files))
    metadata += b"".join(f"Requires-Dist: {r}\n".encode() for r in requires)
    return make_wheel(tmp_path / "manifest-1.0-py3-none-linux_x86_64.whl", members, metadata=metadata)


def found(wheel: Path, *providers: Path) -> list[str]:
    return problems(read_wheel(wheel), ProviderIndex([str(p) for p in providers]))


def test_the_complete_provider_passes_and_check_says_what_it_proved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = provider(tmp_path)
    assert found(wheel) == []
    assert main(["check", str(wheel)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"libwrap check: {wheel.name}, a provider: its build files are relocatable, each library is one file under "
        "its SONAME, its licences are there and named; its libwrap.json agrees with its libraries, and _init loads each"
    )


def test_a_consumer_is_not_a_provider(tmp_path: Path) -> None:
    """Extension modules and auditwheel's grafted copies (<pkg>.libs/) do not make a wheel a provider."""
    wheel = make_wheel(
        tmp_path / "demo-1.0-cp311-cp311-linux_x86_64.whl",
        {
            "demo/__init__.py": "",
            "demo/_core.abi3.so": tiny_elf(needed=("libq-1a2b3c4d.so.1", "libc.so.6"), init="_core"),
            "demo.libs/libq-1a2b3c4d.so.1": tiny_elf(soname="libq-1a2b3c4d.so.1"),
        },
    )
    assert provider_wheel(read_wheel(wheel)) is None


PC_LINES = [
    # (the .pc text, the problem; "" when it passes)
    (CORPUS.PC, ""),
    (b"# built in /tmp/build/manifest\n" + CORPUS.PC, ""),  # a comment names nothing a build reads
    (CORPUS.PC.replace(b"Description: libmanifest.so.1", b"URL: https://example.invalid/manifest"), ""),
    (
        CORPUS.PC.replace(b"${pcfiledir}/../..", b"/usr"),
        f"{PC} line 1: prefix=/usr: an absolute prefix; write prefix=${{pcfiledir}}/../.. (libwrap's staging does)",
    ),
    (
        CORPUS.PC.replace(b"-L${libdir} -lmanifest", b"-L${libdir} -lmanifest -Wl,-rpath,/opt/build/lib"),
        (
            f"{PC} line 8: Libs: -L${{libdir}} -lmanifest -Wl,-rpath,/opt/build/lib: an absolute path, outside the wheel; "
            "write it from ${prefix}, itself relative to ${pcfiledir}"
        ),
    ),
    (
        CORPUS.PC.replace(b"-I${includedir}", b"-I/tmp/pip-build-env-x/include"),
        (
            f"{PC} line 9: Cflags: -I/tmp/pip-build-env-x/include: an absolute path, the build machine's; "
            "write it from ${prefix}, itself relative to ${pcfiledir}"
        ),
    ),
    (
        CORPUS.PC.replace(b"${pcfiledir}/../..", b"/root/ws/prefix").replace(b"${prefix}/include", b"/root/ws/inc"),
        (
            f"{PC} line 1 (and 1 more line): prefix=/root/ws/prefix: the build machine's prefix; "
            "write prefix=${pcfiledir}/../.. (libwrap's staging does)"
        ),
    ),
]


@pytest.mark.parametrize(("text", "problem"), PC_LINES)
def test_a_pc_must_work_through_pcfiledir(tmp_path: Path, text: bytes, problem: str) -> None:
    """Regression: check passed RAPIDS' libucx-cu12 1.22.0, whose ucx.pc says prefix = /__w/ucx-wheels/..."""
    assert found(provider(tmp_path, files={PC: text})) == ([problem] if problem else [])


@pytest.mark.parametrize(
    ("header", "bad"),
    [
        (b'#define CONF "/etc/manifest.conf"\n#define SYS "/sys/class/net"\n#define NUL "/dev/null"\n', False),
        (b"/* see https://example.invalid/docs and file:///usr/share/doc */\n", False),
        (b'#define P "/home/runner/work/manifest/src"\n', True),
        (b'#include "/tmp/tmpab12cd/build/config.h"\n', True),
        (b'#define D "/project/build/share"\n', True),
    ],
)
def test_headers_may_name_system_paths_but_not_the_build_machine(tmp_path: Path, header: bytes, bad: bool) -> None:
    wheel = provider(tmp_path, files={"manifest/include/config.h": header})
    expected = (
        "manifest/include/config.h line 1: "
        + header.decode().strip()
        + ": the build machine's directory, which does not exist where the wheel is installed; generate the file without it"
    )
    assert found(wheel) == ([expected] if bad else [])


def test_the_prefix_a_pc_names_is_the_build_machines_in_any_text(tmp_path: Path) -> None:
    """A prefix outside the usual build roots is learned from the wheel's own .pc: headers naming it fail too."""
    wheel = provider(
        tmp_path,
        files={
            PC: CORPUS.PC.replace(b"${pcfiledir}/../..", b"/opt/ci/manifest"),
            "manifest/include/paths.h": b'#define DATA "/opt/ci/manifest/share"\n',
        },
    )
    assert sorted(p.split(":")[0] for p in found(wheel)) == ["manifest/include/paths.h line 1", f"{PC} line 1"]


def test_the_system_filter_is_the_one_second_file_of_a_soname(tmp_path: Path) -> None:
    """A renamed library's DT_FILTER object (lib/system/<soname>) shares its SONAME and must filter the upstream one."""
    changes = {"upstream_soname": "libupstream.so.1", "system_filter": "lib/system/libmanifest.so.1"}
    good = tiny_elf(soname="libmanifest.so.1", needed=("libc.so.6",), filters=("libupstream.so.1",))
    assert found(provider(tmp_path, changes, {"manifest/lib/system/libmanifest.so.1": good})) == []
    # the same file without the manifest naming it is a second copy
    wheel = provider(tmp_path, None, {"manifest/lib/system/libmanifest.so.1": good})
    assert found(wheel)[0].startswith(
        f"{LIB} and manifest/lib/system/libmanifest.so.1 both have the SONAME libmanifest.so.1"
    )


def test_init_reaches_each_library_through_the_search_paths(tmp_path: Path) -> None:
    """The loader's walk: _init -> libmanifest.so.1 (RUNPATH $ORIGIN/lib) -> libdep.so.2 (its own RUNPATH $ORIGIN)."""
    listed = {"sonames": ["libdep.so.2", "libmanifest.so.1"]}
    dep = tiny_elf(soname="libdep.so.2", needed=("libc.so.6",))
    chained = tiny_elf(soname="libmanifest.so.1", needed=("libdep.so.2", "libc.so.6"), runpath="$ORIGIN")
    assert found(provider(tmp_path, listed, {"manifest/lib/libdep.so.2": dep, LIB: chained})) == []
    unreached = tiny_elf(soname="libmanifest.so.1", needed=("libdep.so.2", "libc.so.6"))  # no RUNPATH: not found
    wheel = provider(tmp_path, listed, {"manifest/lib/libdep.so.2": dep, LIB: unreached})
    assert [p for p in found(wheel) if "does not load" in p] == [
        (
            "manifest/_init.abi3.so does not load libdep.so.2, directly or through what it loads, so `import manifest` "
            "leaves it unloaded and a consumer that needs it finds nothing; link _init to every library, with RUNPATH "
            "$ORIGIN/lib (libwrap's build does)"
        )
    ]


def test_a_provider_built_on_another_is_loaded_by_its_own_import(tmp_path: Path) -> None:
    """libxslt's libraries need libxml2's: its load() imports libxml2 first (libwrap.json requires), so no
    _distributor_init is asked of it; it must declare it."""
    dep_dir = tmp_path / "dep"
    dep_dir.mkdir()
    dependency = make_wheel(
        dep_dir / "libdep-2.0-py3-none-linux_x86_64.whl",
        {
            "libdep/libwrap.json": json.dumps(
                {"name": "libdep", "version": "2.0", "requirement": "libdep>=2.0,<3", "sonames": ["libdep.so.2"]}
            ),
            "libdep/lib/libdep.so.2": tiny_elf(soname="libdep.so.2"),
        },
    )
    changes = {"requires": ["libdep"], "dependencies": ["libdep>=2.0,<3"]}
    lib = tiny_elf(soname="libmanifest.so.1", needed=("libdep.so.2", "libc.so.6"))
    wheel = provider(tmp_path, changes, {LIB: lib}, requires=("libdep>=2.0,<3",))
    assert found(wheel, dependency) == []
    undeclared = provider(tmp_path, changes, {LIB: lib})
    assert found(undeclared, dependency) == [
        f"{LIB} needs libdep.so.2 from libdep, which the wheel does not declare; add Requires-Dist: libdep>=2.0,<3",
        (
            "manifest/libwrap.json says the library is built on libdep, which METADATA does not declare (Requires-Dist): "
            "installing it would not install libdep; rebuild the provider with libwrap"
        ),
    ]


def test_licences_before_metadata_2_4_may_sit_at_the_top_of_dist_info(tmp_path: Path) -> None:
    """setuptools before PEP 639 wrote License-File: LICENSE with the file in .dist-info/ itself."""
    files: dict[str, bytes | None] = {
        "manifest-1.0.dist-info/licenses/LICENSE": None,
        "manifest-1.0.dist-info/LICENSE": b"MIT\n",
    }
    old = b"Metadata-Version: 2.1\nName: manifest\nVersion: 1.0\nLicense-File: LICENSE\n"
    assert found(provider(tmp_path, None, files, metadata=old)) == []
    new = old.replace(b"2.1", b"2.4")
    assert found(provider(tmp_path, None, files, metadata=new)) == [
        (
            "METADATA names the licence file LICENSE (License-File), which manifest-1.0.dist-info/licenses/ does not hold; "
            "rebuild the wheel with it"
        )
    ]


def test_versioned_symbols_are_read_from_the_library(tmp_path: Path) -> None:
    """The zlib of this system defines symbol versions (ZLIB_1.2.x): versioned_symbols must say true."""
    libz = next(Path("/usr/lib").glob("*-linux-gnu/libz.so.1"), None)
    if libz is None:
        pytest.skip("no system zlib to stand in for a versioned library")
    data = libz.read_bytes().replace(b"libz.so.1\0", b"libq.so.1\0")
    changes = {
        "sonames": ["libq.so.1"],
        "library": "libq.so.1",
        "versioned_symbols": True,
        "upstream_soname": "libq.so.1",
    }
    init = tiny_elf(needed=("libq.so.1", "libc.so.6"), runpath="$ORIGIN/lib", init="_init")
    files: dict[str, bytes | None] = {LIB: None, "manifest/lib/libq.so.1": data, "manifest/_init.abi3.so": init}
    assert found(provider(tmp_path, changes, files)) == []
    wheel = provider(tmp_path, {**changes, "versioned_symbols": False}, files)
    assert found(wheel) == [
        (
            "manifest/libwrap.json says versioned_symbols: false, but manifest/lib/libq.so.1 defines symbol versions: "
            "import's guard against an unversioned foreign copy (which would abort consumers inside ld.so) goes by it; "
            "rebuild the provider with libwrap"
        )
    ]


def test_python_code_may_name_tmp_but_not_the_wheels_own_build_prefix(tmp_path: Path) -> None:
    """Python code names its users' /tmp and /home paths; only the prefix the wheel names as its own
    build's (here its .pc's) counts there."""
    assert found(provider(tmp_path, files={"manifest/_paths.py": b'SOCKET = "/tmp/manifest/socket"\n'})) == []
    wheel = provider(
        tmp_path,
        files={
            PC: CORPUS.PC.replace(b"${pcfiledir}/../..", b"/opt/ci/manifest"),
            "manifest/_paths.py": b'DATA = "/opt/ci/manifest/share"\n',
        },
    )
    assert sorted(p.split(":")[0] for p in found(wheel)) == ["manifest/_paths.py line 1", f"{PC} line 1"]


def test_a_wheel_before_pep_639_may_carry_its_licence_unnamed(tmp_path: Path) -> None:
    """The nvidia-*-cu12 wheels' Metadata 2.1 names no License-File; their licence sits in .dist-info/."""
    files: dict[str, bytes | None] = {
        "manifest-1.0.dist-info/licenses/LICENSE": None,
        "manifest-1.0.dist-info/License.txt": b"NVIDIA\n",
    }
    old = b"Metadata-Version: 2.1\nName: manifest\nVersion: 1.0\n"
    assert found(provider(tmp_path, None, files, metadata=old)) == []


def test_a_header_path_no_compiler_reads_is_not_one(tmp_path: Path) -> None:
    """libxslt built --without-plugins keeps its compiled-in plug-in path in xsltconfig.h, under #if 0;
    the same define under #if 1 (plug-ins on: libxslt dlopens from that /tmp path) fails."""
    header = b'#if %s\n#define LIBXSLT_DEFAULT_PLUGINS_PATH() "/tmp/tmpab/build/prefix/lib/libxslt-plugins"\n#endif\n'
    assert found(provider(tmp_path, files={"manifest/include/xsltconfig.h": header % b"0"})) == []
    (problem,) = found(provider(tmp_path, files={"manifest/include/xsltconfig.h": header % b"1"}))
    assert problem.startswith("manifest/include/xsltconfig.h line 2: #define LIBXSLT_DEFAULT_PLUGINS_PATH()")


def test_a_provider_missing_what_it_is_built_on_is_told_to_name_it(tmp_path: Path) -> None:
    """Not "graft it": a provider links to the providers it is built on, never copies them."""
    changes = {"requires": ["libdep"], "dependencies": ["libdep>=2.0,<3"]}
    lib = tiny_elf(soname="libmanifest.so.1", needed=("libdep.so.2", "libc.so.6"))
    wheel = provider(tmp_path, changes, {LIB: lib}, requires=("libdep>=2.0,<3",))
    assert found(wheel) == [
        (
            f"{LIB} needs libdep.so.2: not in the wheel, not allowed by any manylinux policy, and no known provider "
            "ships it; install or name the providers it is built on (--provider WHEEL: libdep)"
        )
    ]
