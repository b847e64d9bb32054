"""Staging rules of libwrap.stage (shared by `libwrap new --build prebuilt` and the provider build)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from libwrap import pcfiles, stage
from libwrap.elf import read_dynamic
from libwrap.errors import LibwrapError

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
    libs = stage.find_libraries(prefix)
    assert [(lib.path.name, lib.soname) for lib in libs] == [("libdemo.so.1.0.0", "libdemo.so.1")]
    assert stage.pick_primary(libs, "demo_init") is libs[0]


@pytest.mark.parametrize(
    ("filename", "link"),
    [("libz.so.1", "z"), ("libopenblas.so.0", "openblas"), ("libfoo.1.dylib", "foo"), ("openblas.dll", "openblas")],
)
def test_link_name(filename: str, link: str) -> None:
    assert stage._link_name(filename) == link


def test_prefix_without_lib_dir(tmp_path: Path) -> None:
    with pytest.raises(stage.StageError, match="has no lib/ directory"):
        stage.find_libraries(tmp_path)


@needs_cc
def test_library_without_soname(prefix: Path) -> None:
    shared_library(prefix / "lib" / "libdemo.so")
    with pytest.raises(stage.StageError, match="has no SONAME"):
        stage.find_libraries(prefix)


def test_non_elf_file_with_a_versioned_name(prefix: Path) -> None:
    (prefix / "lib" / "libdemo.so.1").write_text("not a library", encoding="utf-8")
    with pytest.raises(stage.StageError, match="is not an ELF shared library"):
        stage.find_libraries(prefix)


@needs_cc
def test_linker_script_is_skipped_not_shipped(prefix: Path) -> None:
    shared_library(prefix / "lib" / "libdemo.so.1", "-Wl,-soname,libdemo.so.1")
    (prefix / "lib" / "libdemo.so").write_text("INPUT(libdemo.so.1)\n", encoding="utf-8")
    assert [lib.soname for lib in stage.find_libraries(prefix)] == ["libdemo.so.1"]


@needs_cc
def test_library_for_another_architecture(prefix: Path) -> None:
    lib = shared_library(prefix / "lib" / "libdemo.so.1", "-Wl,-soname,libdemo.so.1")
    data = bytearray(lib.read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # e_machine = EM_AARCH64
    lib.write_bytes(bytes(data))
    with pytest.raises(stage.StageError, match="is built for EM_AARCH64"):
        stage.pick_primary(stage.find_libraries(prefix), "demo_init")


@needs_cc
def test_init_symbol_must_be_exported(prefix: Path) -> None:
    code = (
        '__attribute__((visibility("hidden"))) int hidden_init(void) { return 1; }\nint demo_init(void) { return 2; }\n'
    )
    shared_library(prefix / "lib" / "libdemo.so.1", "-Wl,-soname,libdemo.so.1", code=code)
    libs = stage.find_libraries(prefix)
    assert stage.pick_primary(libs, "demo_init").soname == "libdemo.so.1"
    with pytest.raises(stage.StageError, match="no library exports the init symbol 'hidden_init'"):
        stage.pick_primary(libs, "hidden_init")


@needs_cc
def test_init_symbol_must_be_a_function(prefix: Path) -> None:
    """Regression: a data symbol was accepted as --init-symbol and _init would have called it."""
    code = "int demo_init(void) { return 1; }\nint demo_table[4] = {1, 2, 3, 4};\n"
    shared_library(prefix / "lib" / "libdemo.so.1", "-Wl,-soname,libdemo.so.1", code=code)
    with pytest.raises(stage.StageError, match=r"'demo_table' in libdemo\.so\.1 is STT_OBJECT, not a function"):
        stage.pick_primary(stage.find_libraries(prefix), "demo_table")


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
    assert stage.source_licenses(names) == found


def test_license_globs_replace_the_usual_names() -> None:
    assert stage.source_licenses(["LICENSE", "doc/terms.txt"], ["doc/*.txt"]) == ["doc/terms.txt"]


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
    copied = stage._copy_licenses([source, prefix], [], out)
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
        stage.check_version(pcfiles.installed(tmp_path), "0.3.28", "openblas")
    else:
        with pytest.raises(
            stage.StageError,
            match=r"openblas.pc says version 0.3.29, but the provider claims 0.3.28; .*--version 0.3.29",
        ):
            stage.check_version(pcfiles.installed(tmp_path), "0.3.28", "openblas")


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
    assert [lib.soname for lib in stage.runtime_dependencies(stage.find_libraries(prefix))] == ["libruntime.so.5"]

    out = tmp_path / "out"
    options = stage.Options(
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
        stage.stage(options)
    assert not out.exists()
    (system / "COPYING.RUNTIME").write_text("runtime licence", encoding="utf-8")
    options = dataclasses.replace(options, runtime_license=(f"libruntime.so.5={system / 'COPYING.RUNTIME'}",))
    info = stage.stage(options)
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
        stage.runtime_licenses([], [item])


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs dpkg")
def test_system_license_is_the_owning_debian_packages_copyright() -> None:
    """Debian ships a package's licence as /usr/share/doc/<package>/copyright (libgfortran5's is GCC's,
    with the runtime library exception); zlib1g's stands in here, found from the loader's path."""
    from .synthetic import LIBZ

    found = stage.system_license_files(LIBZ.resolve())
    assert [p.name for p in found] == ["copyright"]
    assert "zlib" in found[0].read_text(encoding="utf-8").lower()
    assert stage.system_license_files(Path("/no/such/libfoo.so.1")) == []


def test_system_license_from_rpm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On RPM systems (manylinux images) the owning package's %license files are used; rpm stands in here."""
    licenses = tmp_path / "usr" / "share" / "licenses" / "libgfortran"
    licenses.mkdir(parents=True)
    for name in ("COPYING3", "COPYING.RUNTIME"):
        (licenses / name).write_text(name, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    rpm = bin_dir / "rpm"
    listing = "\n".join(str(licenses / name) for name in ("COPYING3", "COPYING.RUNTIME"))
    # rpm -q -L -f FILE: the licence files of the package owning FILE (only /usr/lib64/libgfortran.so.5 here)
    rpm.write_text(
        f'#!/bin/sh\n[ "$4" = /usr/lib64/libgfortran.so.5 ] || exit 1\nprintf "{listing}\\n"\n', encoding="utf-8"
    )
    rpm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(stage, "find_tool", shutil.which)  # not the interpreter's directory first
    found = stage.system_license_files(Path("/lib64/libgfortran.so.5"))  # found through its /usr twin
    assert [p.name for p in found] == ["COPYING3", "COPYING.RUNTIME"]


def test_missing_build_tool_stops_before_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(LibwrapError, match=r"needs no-such-compiler.*apt-get install no-such-compiler"):
        stage.preflight(["no-such-compiler"])
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
    (found,) = pcfiles.installed(tmp_path)
    assert (found.name, found.version) == ("openblas", "0.3.31")
    text = pcfiles.relocate(found, "openblas", tmp_path, "openblas")
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
    xslt = pcfiles.PcFile("libxslt", "Name: libxslt\nRequires: libxml-2.0 >= 2.9\nLibs: -lxslt\n")
    assert xslt.requires() == ["libxml-2.0"]
    assert pcfiles.relocate(xslt, "libxslt", tmp_path, requires=["libxml-2.0"]).count("libxml-2.0") == 1
    bare = pcfiles.PcFile("foo", "Name: foo\nRequires:\nLibs: -lfoo\n")
    assert "Requires.private: libxml-2.0\n" in pcfiles.relocate(bare, "foo", tmp_path, requires=["libxml-2.0"])
    exslt = pcfiles.PcFile("libexslt", "Requires: libxml-2.0, libxslt\nRequires.private: zlib >= 1\n")
    assert exslt.requires() == ["libxml-2.0", "libxslt", "zlib"]
    text = pcfiles.generated("foo", "foo", "1.0", "libfoo.so.1", "foo", ["libxml-2.0"])
    assert "Requires: libxml-2.0\n" in text
    assert "prefix=${pcfiledir}/../..\n" in text


def test_a_main_pc_naming_no_shipped_library_links_the_provider(tmp_path: Path) -> None:
    """OpenBLAS's Makefile, ILP64 with LIBNAMESUFFIX=64_, writes -l${libprefix}openblas${libsuffix}${libnamesuffix}
    with both suffixes set: -lopenblas64_64_, which no file answers. The provider's own name replaces it."""
    pc = pcfiles.PcFile(
        "openblas64_",
        "libprefix=\nlibsuffix=64_\nlibnamesuffix=64_\nName: openblas\n"
        "Libs: -L${libdir} -l${libprefix}openblas${libsuffix}${libnamesuffix}\n",
    )
    assert pc.libraries() == ["openblas64_64_"]
    fixed = pcfiles.relocate(pc, "openblas64", tmp_path, link_name="openblas64_", shipped={"openblas64_"})
    assert "Libs: -L${prefix}/lib -lopenblas64_\n" in fixed
    kept = pcfiles.relocate(pc, "openblas64", tmp_path, link_name="openblas64_", shipped={"openblas64_64_"})
    assert "-l${libprefix}openblas${libsuffix}${libnamesuffix}" in kept
