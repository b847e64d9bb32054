"""Staging rules of libwrap.stage (shared by `libwrap new --build prebuilt` and the provider build)."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from libwrap import stage
from libwrap.build import environment, libraries, licenses, pkgconfig, staging
from libwrap.elf import read_dynamic
from libwrap.errors import LibwrapError, StageError

CC = shutil.which("cc") or shutil.which("gcc")
needs_cc = pytest.mark.skipif(CC is None, reason="needs a C compiler")


def shared_library(path: Path, *flags: str, code: str = "int demo_init(void) { return 1; }\n") -> Path:
    assert CC is not None
    source = path.with_suffix(".c")
    path.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(code, encoding="utf-8")
    subprocess.run([CC, "-shared", "-fPIC", "-o", str(path), str(source), *flags], check=True)
    source.unlink()
    return path


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    return tmp_path


@needs_cc
def test_symlinks_fold_into_one_library(prefix: Path) -> None:
    real = shared_library(prefix / "lib" / "libdemo.so.1.0.0", "-Wl,-soname,libdemo.so.1")
    (prefix / "lib" / "libdemo.so.1").symlink_to(real.name)
    (prefix / "lib" / "libdemo.so").symlink_to("libdemo.so.1")
    libs = libraries.find_libraries(prefix)
    assert [(lib.path.name, lib.soname) for lib in libs] == [("libdemo.so.1.0.0", "libdemo.so.1")]
    assert libraries.pick_primary(libs, "demo_init") is libs[0]


@pytest.mark.parametrize(
    ("filename", "link"),
    [("libz.so.1", "z"), ("libopenblas.so.0", "openblas"), ("libfoo.1.dylib", "foo"), ("openblas.dll", "openblas")],
)
def test_link_name(filename: str, link: str) -> None:
    assert libraries.link_name(filename) == link


def test_prefix_without_lib_dir(tmp_path: Path) -> None:
    with pytest.raises(StageError, match="has no lib/ directory"):
        libraries.find_libraries(tmp_path)


@needs_cc
def test_library_without_soname(prefix: Path) -> None:
    shared_library(prefix / "lib" / "libdemo.so")
    with pytest.raises(StageError, match="has no SONAME"):
        libraries.find_libraries(prefix)


def test_non_elf_file_with_a_versioned_name(prefix: Path) -> None:
    (prefix / "lib" / "libdemo.so.1").write_text("not a library", encoding="utf-8")
    with pytest.raises(StageError, match="is not an ELF shared library"):
        libraries.find_libraries(prefix)


@needs_cc
def test_linker_script_is_skipped_not_shipped(prefix: Path) -> None:
    shared_library(prefix / "lib" / "libdemo.so.1", "-Wl,-soname,libdemo.so.1")
    (prefix / "lib" / "libdemo.so").write_text("INPUT(libdemo.so.1)\n", encoding="utf-8")
    assert [lib.soname for lib in libraries.find_libraries(prefix)] == ["libdemo.so.1"]


@needs_cc
def test_library_for_another_architecture(prefix: Path) -> None:
    lib = shared_library(prefix / "lib" / "libdemo.so.1", "-Wl,-soname,libdemo.so.1")
    data = bytearray(lib.read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # e_machine = EM_AARCH64
    lib.write_bytes(bytes(data))
    with pytest.raises(StageError, match="is built for EM_AARCH64"):
        libraries.pick_primary(libraries.find_libraries(prefix), "demo_init")


@needs_cc
def test_init_symbol_must_be_exported(prefix: Path) -> None:
    code = (
        '__attribute__((visibility("hidden"))) int hidden_init(void) { return 1; }\nint demo_init(void) { return 2; }\n'
    )
    shared_library(prefix / "lib" / "libdemo.so.1", "-Wl,-soname,libdemo.so.1", code=code)
    libs = libraries.find_libraries(prefix)
    assert libraries.pick_primary(libs, "demo_init").soname == "libdemo.so.1"
    with pytest.raises(StageError, match="no library exports the init symbol 'hidden_init'"):
        libraries.pick_primary(libs, "hidden_init")


@needs_cc
def test_init_symbol_must_be_a_function(prefix: Path) -> None:
    """Regression: a data symbol was accepted as --init-symbol and _init would have called it."""
    code = "int demo_init(void) { return 1; }\nint demo_table[4] = {1, 2, 3, 4};\n"
    shared_library(prefix / "lib" / "libdemo.so.1", "-Wl,-soname,libdemo.so.1", code=code)
    with pytest.raises(StageError, match=r"'demo_table' in libdemo\.so\.1 is STT_OBJECT, not a function"):
        libraries.pick_primary(libraries.find_libraries(prefix), "demo_table")


@pytest.mark.parametrize(
    ("names", "found"),
    [
        # Regression: libyaml's `License` was missed by the case-sensitive LICEN[CS]E* match.
        (["License", "src/yaml.c"], ["License"]),
        (
            ["LICENSE.txt", "COPYING", "Copyright", "NOTICE", "README"],
            ["COPYING", "Copyright", "LICENSE.txt", "NOTICE"],
        ),
        (["licence.md", "doc/LICENSE"], ["licence.md"]),  # only the top level of a source tree
        (
            ["share/licenses/foo/LICENSE", "share/doc/foo/copyright", "share/doc/foo/README", "lib/libfoo.so.1"],
            ["share/doc/foo/copyright", "share/licenses/foo/LICENSE"],
        ),
        (["README", "src/COPYING"], []),
    ],
)
def test_license_names(names: list[str], found: list[str]) -> None:
    assert licenses.source_licenses(names) == found


def test_license_globs_replace_the_usual_names() -> None:
    assert licenses.source_licenses(["LICENSE", "doc/terms.txt"], ["doc/*.txt"]) == ["doc/terms.txt"]


def test_licenses_keep_their_relative_paths(tmp_path: Path) -> None:
    """Regression: files of the same name from two places overwrote each other in licenses/."""
    source, prefix, out = tmp_path / "src", tmp_path / "prefix", tmp_path / "out"
    for path, text in (
        (source / "LICENSE", "source licence"),
        (prefix / "share/licenses/foo/LICENSE", "foo licence"),
        (prefix / "share/licenses/bar/LICENSE", "bar licence"),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    copied = licenses.write_licenses(licenses.find_licenses([source, prefix], []), out)
    assert copied == ["LICENSE", "share/licenses/bar/LICENSE", "share/licenses/foo/LICENSE"]
    assert [(out / name).read_text(encoding="utf-8") for name in copied] == [
        "source licence",
        "bar licence",
        "foo licence",
    ]


@pytest.mark.parametrize(
    ("pc_version", "ok"), [("0.3.28", True), ("0.3.28.0", True), ("0.3.29", False), ("1.x-custom", True)]
)
def test_version_of_the_built_library_must_match(tmp_path: Path, pc_version: str, ok: bool) -> None:
    """Regression: a source of another release was built and shipped under the preset's version."""
    pc = tmp_path / "lib" / "pkgconfig" / "openblas.pc"
    pc.parent.mkdir(parents=True)
    pc.write_text(f"Name: openblas\nVersion: {pc_version}\n", encoding="utf-8")
    if ok:
        pkgconfig.check_version(pkgconfig.installed(tmp_path), "0.3.28", "openblas")
    else:
        with pytest.raises(
            StageError,
            match=r"openblas.pc says version 0.3.29, but the provider claims 0.3.28; .*--version 0.3.29",
        ):
            pkgconfig.check_version(pkgconfig.installed(tmp_path), "0.3.28", "openblas")


@needs_cc
def test_runtime_dependencies_outside_the_policy_ship_beside_the_library(tmp_path: Path) -> None:
    """libgfortran's case: the library needs a system library no manylinux policy allows. It ships
    under its own SONAME (consumers needing it reuse this copy) and the library finds it via $ORIGIN."""
    system = tmp_path / "system"
    shared_library(
        system / "libruntime.so.5", "-Wl,-soname,libruntime.so.5", code="int runtime_fn(void) { return 5; }\n"
    )
    prefix = tmp_path / "prefix"
    shared_library(
        prefix / "lib" / "libdemo.so.1",
        "-Wl,-soname,libdemo.so.1",
        f"-L{system}",
        "-l:libruntime.so.5",
        f"-Wl,-rpath,{system}",  # as a build leaves it: found now, pointing outside the wheel
        code="int runtime_fn(void);\nint demo_init(void) { return runtime_fn(); }\n",
    )
    (prefix / "LICENSE").write_text("licence", encoding="utf-8")
    assert [lib.soname for lib in libraries.runtime_dependencies(libraries.find_libraries(prefix))] == [
        "libruntime.so.5"
    ]

    out = tmp_path / "out"
    options = staging.StageOptions(
        prefix=prefix,
        out=out,
        package="demo",
        version="1.0",
        requirement="demo>=1.0,<2",
        init_symbol="demo_init",
        pkgconfig_name="demo",
        soname="libdemo_pypi.so.1",
    )
    # no package owns libruntime: shipping it without its licence is refused, before anything is written
    with pytest.raises(
        LibwrapError, match=r"libruntime.so.5 .* no dpkg or rpm package owns it.*--runtime-license libruntime.so.5=FILE"
    ):
        staging.stage(options)
    assert not out.exists()
    (system / "COPYING.RUNTIME").write_text("runtime licence", encoding="utf-8")
    options = dataclasses.replace(options, runtime_license=(f"libruntime.so.5={system / 'COPYING.RUNTIME'}",))
    info = staging.stage(options)
    assert (out / "licenses" / "libruntime.so.5" / "COPYING.RUNTIME").read_text(encoding="utf-8") == "runtime licence"
    assert (out / "licenses" / "LICENSE").is_file()
    assert sorted(p.name for p in (out / "lib").iterdir()) == ["libdemo_pypi.so.1", "libruntime.so.5"]
    assert info["LIBRARY_FILES"].split(";") == [str(out / "lib" / n) for n in ("libdemo_pypi.so.1", "libruntime.so.5")]
    staged = read_dynamic(out / "lib" / "libdemo_pypi.so.1")
    assert staged is not None
    assert (staged.soname, staged.runpath, staged.rpath) == ("libdemo_pypi.so.1", ("$ORIGIN",), ())
    manifest = (out / "metadata" / "libwrap.json").read_text(encoding="utf-8")
    assert '"libruntime.so.5"' in manifest  # provided: `libwrap repair` excludes it from consumers
    # the staged copy loads with nothing but its own directory
    code = f"import ctypes; print(ctypes.CDLL({str(out / 'lib' / 'libdemo_pypi.so.1')!r}).demo_init())"
    shutil.rmtree(system)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "5"


@pytest.mark.parametrize("item", ["libruntime.so.5", "libruntime.so.5=/no/such/file", "=/etc/hostname"])
def test_runtime_license_must_name_a_soname_and_a_file(item: str) -> None:
    with pytest.raises(LibwrapError, match=r"is not SONAME=FILE naming an existing file"):
        licenses.runtime_licenses([], [item])


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs dpkg")
def test_system_license_is_the_owning_debian_packages_copyright() -> None:
    """Debian ships a package's licence as /usr/share/doc/<package>/copyright (libgfortran5's is GCC's,
    with the runtime library exception); zlib1g's stands in here, found from the loader's path."""
    from .synthetic import LIBZ

    found = licenses.system_license_files(LIBZ.resolve())
    assert [p.name for p in found] == ["copyright"]
    assert "zlib" in found[0].read_text(encoding="utf-8").lower()
    assert licenses.system_license_files(Path("/no/such/libfoo.so.1")) == []


def test_system_license_from_rpm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On RPM systems (manylinux images) the owning package's %license files are used; rpm stands in here."""
    shared = tmp_path / "usr" / "share" / "licenses" / "libgfortran"
    shared.mkdir(parents=True)
    for name in ("COPYING3", "COPYING.RUNTIME"):
        (shared / name).write_text(name, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    rpm = bin_dir / "rpm"
    listing = "\n".join(str(shared / name) for name in ("COPYING3", "COPYING.RUNTIME"))
    # rpm -q -L -f FILE: the licence files of the package owning FILE (only /usr/lib64/libgfortran.so.5 here)
    rpm.write_text(
        f'#!/bin/sh\n[ "$4" = /usr/lib64/libgfortran.so.5 ] || exit 1\nprintf "{listing}\\n"\n', encoding="utf-8"
    )
    rpm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(licenses, "find_tool", shutil.which)  # not the interpreter's directory first
    found = licenses.system_license_files(Path("/lib64/libgfortran.so.5"))  # found through its /usr twin
    assert [p.name for p in found] == ["COPYING3", "COPYING.RUNTIME"]


def test_missing_build_tool_stops_before_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(LibwrapError, match=r"needs no-such-compiler.*apt-get install no-such-compiler"):
        environment.preflight(["no-such-compiler"])
    assert stage.main(["preflight", "--tool", "no-such-compiler"]) == 1


def test_installed_pc_files_are_relocated_keeping_their_own_fields(tmp_path: Path) -> None:
    """NumPy's show_config reads OpenBLAS's `openblas_config`: kept, like every field; build paths become
    relative to ${pcfiledir}, and include/openblas (shipped as include/) loses its subdirectory."""
    pc = tmp_path / "lib" / "pkgconfig" / "openblas.pc"
    pc.parent.mkdir(parents=True)
    pc.write_text(
        f"libdir={tmp_path}/lib\nlibsuffix=\nincludedir={tmp_path}/include/openblas\nversion=0.3.31\n"
        "openblas_config=USE_64BITINT= HASWELL MAX_THREADS=64 \n"
        "Name: OpenBLAS\nDescription: BLAS\nVersion: ${version}\nLibs: -L${libdir} -lopenblas${libsuffix}\nCflags: -I${includedir}\n",
        encoding="utf-8",
    )
    (found,) = pkgconfig.installed(tmp_path)
    assert (found.name, found.version) == ("openblas", "0.3.31")
    text = pkgconfig.relocate(found, "openblas", tmp_path, "openblas")
    assert str(tmp_path) not in text
    assert "prefix=${pcfiledir}/../..\n" in text
    assert "libdir=${prefix}/lib\n" in text
    assert "includedir=${prefix}/include\n" in text
    assert "openblas_config=USE_64BITINT= HASWELL MAX_THREADS=64" in text
    pkg_config = shutil.which("pkg-config")
    if pkg_config:  # evaluated where the file is, as a consumer's build would
        where = tmp_path / "wheel" / "openblas" / "lib" / "pkgconfig"
        where.mkdir(parents=True)
        (where / "openblas.pc").write_text(text, encoding="utf-8")
        env = {**os.environ, "PKG_CONFIG_PATH": str(where)}
        flags = subprocess.run(
            [pkg_config, "--cflags", "--libs", "openblas"], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        assert flags == [f"-I{where}/../../include", f"-L{where}/../../lib", "-lopenblas"]


def test_required_modules_are_added_once(tmp_path: Path) -> None:
    """libxslt's .pc already says Requires: libxml-2.0; libxml2's, which says nothing of zlib, gets it as
    Requires.private (compiler flags flow, consumers do not link it); a generated one as Requires."""
    xslt = pkgconfig.PcFile("libxslt", "Name: libxslt\nRequires: libxml-2.0 >= 2.9\nLibs: -lxslt\n")
    assert xslt.requires() == ["libxml-2.0"]
    assert pkgconfig.relocate(xslt, "libxslt", tmp_path, requires=["libxml-2.0"]).count("libxml-2.0") == 1
    bare = pkgconfig.PcFile("foo", "Name: foo\nRequires:\nLibs: -lfoo\n")
    assert "Requires.private: libxml-2.0\n" in pkgconfig.relocate(bare, "foo", tmp_path, requires=["libxml-2.0"])
    exslt = pkgconfig.PcFile("libexslt", "Requires: libxml-2.0, libxslt\nRequires.private: zlib >= 1\n")
    assert exslt.requires() == ["libxml-2.0", "libxslt", "zlib"]
    text = pkgconfig.generated("foo", "foo", "1.0", "libfoo.so.1", "foo", ["libxml-2.0"])
    assert "Requires: libxml-2.0\n" in text
    assert "prefix=${pcfiledir}/../..\n" in text


def test_a_main_pc_naming_no_shipped_library_links_the_provider(tmp_path: Path) -> None:
    """OpenBLAS's Makefile, ILP64 with LIBNAMESUFFIX=64_, writes -l${libprefix}openblas${libsuffix}${libnamesuffix}
    with both suffixes set: -lopenblas64_64_, which no file answers. The provider's own name replaces it."""
    pc = pkgconfig.PcFile(
        "openblas64_",
        "libprefix=\nlibsuffix=64_\nlibnamesuffix=64_\nName: openblas\n"
        "Libs: -L${libdir} -l${libprefix}openblas${libsuffix}${libnamesuffix}\n",
    )
    assert pc.libraries() == ["openblas64_64_"]
    fixed = pkgconfig.relocate(pc, "openblas64", tmp_path, link_name="openblas64_", shipped={"openblas64_"})
    assert "Libs: -L${prefix}/lib -lopenblas64_\n" in fixed
    kept = pkgconfig.relocate(pc, "openblas64", tmp_path, link_name="openblas64_", shipped={"openblas64_64_"})
    assert "-l${libprefix}openblas${libsuffix}${libnamesuffix}" in kept


LIBZ = next(iter(sorted(Path("/usr/lib").glob("*-linux-gnu/libz.so.1"))), Path("/usr/lib/libz.so.1"))
needs_libz = pytest.mark.skipif(not LIBZ.is_file(), reason="the system zlib stands in for the library")
INPUTS = Path(__file__).resolve().parents[1] / "corpus" / "inputs"


def zlib_prefix(root: Path) -> Path:
    """An install prefix holding the system zlib (no compiler needed), a header and a licence."""
    prefix = root / "prefix"
    (prefix / "lib").mkdir(parents=True)
    (prefix / "include").mkdir()
    shutil.copyfile(LIBZ, prefix / "lib" / "libz.so.1")
    (prefix / "include" / "zlib.h").write_text("int z;\n", encoding="utf-8")
    (prefix / "LICENSE").write_text("zlib licence\n", encoding="utf-8")
    return prefix


def zlib_options(prefix: Path, out: Path, **changes: object) -> staging.StageOptions:
    options = staging.StageOptions(
        prefix=prefix, out=out, package="demo", version="1.0", requirement="demo>=1.0,<2", pkgconfig_name="demo"
    )
    return dataclasses.replace(options, **changes)  # type: ignore[arg-type]


@needs_libz
@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("include/leak.h", "/etc/hostname"),  # the cases
        ("include/dir", "/etc"),
        ("include/sub/deep.h", "../../../outside.h"),
        ("lib/libz.so", str(LIBZ)),  # a real library of the build machine, next to the prefix's own
        ("lib/pkgconfig/demo.pc", "../../../outside.pc"),
        ("COPYING", "/etc/hostname"),
        ("share/licenses/demo/LICENSE", "/etc/hostname"),
    ],
)
def test_staging_refuses_links_out_of_the_prefix(tmp_path: Path, link: str, target: str) -> None:
    """Regression (issue 18, item 2): staging copied what such links point to into the wheel."""
    prefix = zlib_prefix(tmp_path)
    (tmp_path / "outside.h").write_text("int outside;\n", encoding="utf-8")
    (tmp_path / "outside.pc").write_text("Name: outside\nVersion: 1.0\nLibs: -lz\n", encoding="utf-8")
    (prefix / "include" / "sub").mkdir()
    (prefix / link).parent.mkdir(parents=True, exist_ok=True)
    (prefix / link).symlink_to(target)
    out = tmp_path / "out"
    with pytest.raises(LibwrapError, match=rf"prefix/{re.escape(link)} links to {re.escape(repr(target))}, outside"):
        staging.stage(zlib_options(prefix, out))
    assert not out.exists()  # refused before the first write
    from libwrap.commands.new import check_prebuilt
    from libwrap.spec import ProviderSpec

    spec = ProviderSpec(name="demo", source=str(prefix), version="1.0", build="prebuilt")
    with pytest.raises(LibwrapError, match="outside"):  # libwrap new --build prebuilt checks the same
        check_prebuilt(spec)


@needs_libz
def test_a_source_licence_linked_out_is_refused(tmp_path: Path) -> None:
    prefix = zlib_prefix(tmp_path)
    source = tmp_path / "src"
    source.mkdir()
    (source / "LICENSE").symlink_to("/etc/hostname")
    with pytest.raises(LibwrapError, match=r"src/LICENSE links to '/etc/hostname', outside"):
        staging.stage(zlib_options(prefix, tmp_path / "out", source_dir=source))
    assert not (tmp_path / "out").exists()


@needs_libz
def test_links_inside_the_prefix_are_copied_as_their_targets(tmp_path: Path) -> None:
    """Wheels hold no symlinks: a header alias, a directory link and lib64 -> lib become plain files, once."""
    prefix = zlib_prefix(tmp_path)
    (prefix / "include" / "real").mkdir()
    (prefix / "include" / "real" / "r.h").write_text("int r;\n", encoding="utf-8")
    (prefix / "include" / "alias.h").symlink_to("zlib.h")
    (prefix / "include" / "sub").symlink_to("real")
    (prefix / "lib64").symlink_to("lib")
    (prefix / "lib" / "libz.so").symlink_to("libz.so.1")
    (prefix / "LICENSE.txt").symlink_to("LICENSE")
    out = tmp_path / "out"
    staging.stage(zlib_options(prefix, out))
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert not [p for p in out.rglob("*") if p.is_symlink()]
    assert [f for f in files if f.startswith(("include/", "lib/", "licenses/"))] == [
        "include/alias.h",
        "include/real/r.h",
        "include/sub/r.h",
        "include/zlib.h",
        "lib/libz.so.1",
        "licenses/LICENSE",  # LICENSE.txt has the same bytes: shipped once
    ]
    assert (out / "include" / "alias.h").read_text(encoding="utf-8") == "int z;\n"


@needs_libz
@pytest.mark.parametrize(("link", "target"), [("include/loop", "."), ("include/sub/up", ".."), ("include/a.h", "a.h")])
def test_link_loops_in_the_prefix_stop_instead_of_hanging(tmp_path: Path, link: str, target: str) -> None:
    prefix = zlib_prefix(tmp_path)
    (prefix / "include" / "sub").mkdir()
    (prefix / link).symlink_to(target)
    with pytest.raises(LibwrapError, match="loop"):
        staging.stage(zlib_options(prefix, tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_pc_files_linked_out_are_refused_and_loops_too(tmp_path: Path) -> None:
    pc_dir = tmp_path / "lib" / "pkgconfig"
    pc_dir.mkdir(parents=True)
    (pc_dir / "demo.pc").write_text("Name: demo\nVersion: 1.0\n", encoding="utf-8")
    (pc_dir / "alias.pc").symlink_to("demo.pc")
    assert [(pc.name, pc.version) for pc in pkgconfig.installed(tmp_path)] == [("alias", "1.0"), ("demo", "1.0")]
    (pc_dir / "leak.pc").symlink_to("/etc/hostname")
    with pytest.raises(LibwrapError, match=r"leak\.pc links to '/etc/hostname', outside"):
        pkgconfig.installed(tmp_path)
    (pc_dir / "leak.pc").unlink()
    (pc_dir / "loop.pc").symlink_to("loop.pc")
    with pytest.raises(LibwrapError, match=r"loop\.pc links to 'loop\.pc', a link loop"):
        pkgconfig.installed(tmp_path)


def test_pc_variables_that_double_at_each_expansion_stay_bounded() -> None:
    """A hostile .pc: a=${a}${a}... would grow to gigabytes in five rounds of expansion."""
    pc = pkgconfig.PcFile("bomb", "a=" + "${a}" * 64 + "\nVersion: ${a}\n")
    assert len(pc.version) <= pkgconfig.MAX_EXPANDED


def test_extract_step_prints_one_line_and_exits_2_on_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        stage.main(["extract", "--archive", str(INPUTS / "archive-abs-link.tar.gz"), "--dest", str(tmp_path / "t")])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("libwrap: archive archive-abs-link.tar.gz: member 'pkg-1.0/link' links to")
    assert stage.main(["extract", "--archive", str(INPUTS / "archive-good.tar.xz"), "--dest", str(tmp_path / "t")]) == 0
    assert capsys.readouterr().err == f"libwrap: extracted 7 members of archive-good.tar.xz into {tmp_path / 't'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]


CMAKE = shutil.which("cmake", path=str(Path(sys.executable).parent)) or shutil.which("cmake")
LIBWRAP_CMAKE = Path(stage.__file__).parent / "cmake"


def fetch_source(tmp_path: Path, source: Path, sha256: str = "") -> subprocess.CompletedProcess[str]:
    """libwrap_fetch_source as a provider build calls it, in CMake's script mode (no compiler, seconds)."""
    script = tmp_path / "fetch.cmake"
    script.write_text(
        f'set(Python_EXECUTABLE "{sys.executable}")\n'
        f'list(APPEND CMAKE_MODULE_PATH "{LIBWRAP_CMAKE}")\n'
        "include(Libwrap)\n"
        f'libwrap_fetch_source(tree SOURCE "{source}" SHA256 "{sha256}")\n'
        'message(STATUS "tree=${tree}")\n',
        encoding="utf-8",
    )
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    assert CMAKE is not None
    return subprocess.run([CMAKE, "-P", str(script)], cwd=work, capture_output=True, text=True, check=False)


@pytest.mark.skipif(CMAKE is None, reason="needs cmake")
def test_the_build_refuses_a_tarball_whose_link_leads_out(tmp_path: Path) -> None:
    """Regression (item 1): file(ARCHIVE_EXTRACT) followed pkg-1.0/link -> OUTSIDE and wrote OUTSIDE/file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    tarball = tmp_path / "pkg-1.0.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        link = tarfile.TarInfo("pkg-1.0/link")
        link.type, link.linkname = tarfile.SYMTYPE, str(outside)
        tar.addfile(link)
        data = b"pwned\n"
        member = tarfile.TarInfo("pkg-1.0/link/file")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    proc = fetch_source(tmp_path, tarball)
    assert proc.returncode != 0
    assert (
        f"libwrap: archive pkg-1.0.tar.gz: member 'pkg-1.0/link' links to {str(outside)!r}, outside the archive"
        in proc.stderr
    )
    assert list(outside.iterdir()) == []
    assert not list((tmp_path / "work" / "libwrap-source").glob("*.done"))


@pytest.mark.skipif(CMAKE is None, reason="needs cmake")
def test_the_build_extracts_a_good_tarball_once(tmp_path: Path) -> None:
    proc = fetch_source(tmp_path, INPUTS / "archive-good.tar.bz2")
    assert proc.returncode == 0, proc.stderr
    tree = Path(proc.stdout.split("tree=", 1)[1].split()[0])
    assert tree.name == "pkg-1.0"
    assert stat.S_IMODE((tree / "configure").stat().st_mode) == 0o755
    assert "extracted 7 members" in proc.stderr
    again = fetch_source(tmp_path, INPUTS / "archive-good.tar.bz2")
    assert again.returncode == 0
    assert "extracted" not in again.stderr  # once per archive content


@pytest.mark.skipif(CMAKE is None, reason="needs cmake")
def test_the_build_refuses_a_hash_for_a_directory(tmp_path: Path) -> None:
    """Regression (item 7): LIBWRAP_SHA256 with a source directory was silently never checked."""
    source = tmp_path / "src"
    source.mkdir()
    proc = fetch_source(tmp_path, source, "a" * 64)
    assert proc.returncode != 0
    assert "sha256 is set (LIBWRAP_SHA256, or sha256 in [tool.libwrap]), but the source" in " ".join(
        proc.stderr.split()
    )
