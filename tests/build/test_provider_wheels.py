"""Build real provider wheels through every --build kind and check what is inside."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from libwrap.elf import DynamicInfo, read_dynamic_stream
from libwrap.render import generate_project
from libwrap.spec import ProviderSpec

from ..helpers import (
    FIXTURES,
    WRAPDEMO,
    Provider,
    assert_hygienic,
    auditwheel,
    check_as_provider,
    failing_wheel_build,
    generate_and_build,
    install_target,
    make_tarball,
    pip_wheel,
    python_ok,
    run,
    wheel_names,
)

pytestmark = pytest.mark.slow

# What check_provider_wheel expects of the two fixture libraries' wheels.
WRAPDEMO_WHEEL: dict[str, Any] = {
    "name": "wrapdemo",
    "version": "1.2.3",
    "soname": "libwrapdemo.so.1",
    "link": "wrapdemo",
    # its install copies it to share/licenses/wrapdemo/ too: shipped once
    "licenses": ["LICENSE"],
    "headers": ["wrapdemo.h"],
}
AUTODEMO_WHEEL: dict[str, Any] = {
    "name": "autodemo",
    "version": "2.0.1",
    "soname": "libautodemo.so.2",
    "link": "autodemo",
    "licenses": ["COPYING"],
    "headers": ["autodemo.h"],
}
AUTODEMO = {"version": "2.0.1", "init_symbol": "autodemo_version", "init_returns": "int", "build": "autotools"}


def wheel_files(name: str, version: str, library: str, link: str, licenses: list[str], headers: list[str]) -> set[str]:
    """The exact file set of a provider wheel."""
    dist = f"{name}-{version}.dist-info"
    return {
        f"{name}/__init__.py",
        f"{name}/__main__.py",
        f"{name}/_init.abi3.so",
        f"{name}/_init.pyi",
        f"{name}/py.typed",
        f"{name}/libwrap.json",
        f"{name}/_preload.py",
        f"{name}/_libwrap.py",
        f"{name}/lib/{library}",
        f"{name}/lib/lib{link}.a",
        f"{name}/lib/pkgconfig/{name}.pc",
        f"{name}/lib/cmake/{name}/{name}Config.cmake",
        f"{name}/lib/cmake/{name}/{name}ConfigVersion.cmake",
        *(f"{name}/include/{h}" for h in headers),
        *(f"{dist}/licenses/{lic}" for lic in licenses),
        f"{dist}/METADATA",
        f"{dist}/WHEEL",
        f"{dist}/RECORD",
        f"{dist}/entry_points.txt",
    }


def elf_in_wheel(wheel: Path, member: str) -> DynamicInfo:
    with zipfile.ZipFile(wheel) as zf:
        info = read_dynamic_stream(io.BytesIO(zf.read(member)))
    assert info is not None, member
    return info


def section_names(wheel: Path, member: str) -> set[str]:
    from elftools.elf.elffile import ELFFile

    with zipfile.ZipFile(wheel) as zf:
        return {section.name for section in ELFFile(io.BytesIO(zf.read(member))).iter_sections()}


def check_provider_wheel(
    wheel: Path,
    *,
    name: str,
    version: str,
    soname: str,
    link: str,
    licenses: list[str],
    headers: list[str],
    extra: frozenset[str] = frozenset(),
) -> None:
    assert re.fullmatch(rf"{name}-{re.escape(version)}-cp39-abi3-linux_[a-z0-9_]+\.whl", wheel.name)
    assert wheel_names(wheel) == wheel_files(name, version, soname, link, licenses, headers) | extra
    assert_hygienic(wheel)

    init = elf_in_wheel(wheel, f"{name}/_init.abi3.so")
    assert soname in init.needed
    assert "libc.so.6" in init.needed  # auditwheel cannot detect libc without it
    assert init.runpath == ("$ORIGIN/lib",)
    assert init.rpath == ()

    lib = elf_in_wheel(wheel, f"{name}/lib/{soname}")
    assert lib.soname == soname
    assert lib.rpath == ()
    assert lib.runpath == ()
    # stripped like the targets CMake built (scikit-build-core's install.strip): no debug information
    assert not {".debug_info", ".symtab"} & section_names(wheel, f"{name}/lib/{soname}")

    with zipfile.ZipFile(wheel) as zf:
        # wheels cannot hold symlinks: the link name is a one-line linker script
        assert zf.read(f"{name}/lib/lib{link}.a") == f"INPUT({soname})\n".encode()
        pc = zf.read(f"{name}/lib/pkgconfig/{name}.pc").decode()
        assert "prefix=${pcfiledir}/../..\n" in pc
        assert f"Libs: -L${{libdir}} -l{link}\n" in pc
        assert "/tmp" not in pc
        assert "/build" not in pc
        config = zf.read(f"{name}/lib/cmake/{name}/{name}Config.cmake").decode()
        assert f"add_library({name}::{name} SHARED IMPORTED)" in config
        assert '"${PACKAGE_PREFIX_DIR}/' in config
        assert "/tmp/" not in config
        metadata = zf.read(f"{name}-{version}.dist-info/METADATA").decode()
        assert "Requires-Python: >=3.9" in metadata
        # PEP 639: METADATA names each licence file the wheel carries (regression: none were named)
        assert metadata.startswith("Metadata-Version: 2.4\n")
        assert sorted(re.findall(r"^License-File: (.+)$", metadata, flags=re.MULTILINE)) == sorted(licenses)
        entry_points = zf.read(f"{name}-{version}.dist-info/entry_points.txt").decode()
        assert f"[pkg_config]\n{name} = {name}.lib.pkgconfig" in entry_points
        assert "[cmake.root]" in entry_points
        assert "[cmake.prefix]" in entry_points
    check_as_provider(wheel)


def check_repair_and_abi3(wheel: Path, out: Path) -> Path:
    """auditwheel gives a manylinux tag; abi3audit finds no symbol outside the limited API."""
    auditwheel("repair", "-w", out, wheel)
    repaired = next(out.glob("*.whl"))
    assert re.search(r"-cp39-abi3-manylinux_2_\d+_[a-z0-9_]+(\.manylinux[a-z0-9_]+)*\.whl$", repaired.name), (
        repaired.name
    )
    # auditwheel had nothing to graft: the library is already inside the package
    assert not any(".libs/" in n for n in wheel_names(repaired))
    report = run(sys.executable, "-m", "abi3audit", "--strict", "--report", wheel)
    assert "_init.abi3.so" in report
    return repaired


def test_cmake_build_from_directory(wrapdemo_provider: Provider, tmp_path: Path) -> None:
    check_provider_wheel(wrapdemo_provider.wheel, **WRAPDEMO_WHEEL)
    check_repair_and_abi3(wrapdemo_provider.wheel, tmp_path)


def test_cmake_build_from_tarball_checks_sha256(tmp_path: Path) -> None:
    tarball = make_tarball(FIXTURES / "wrapdemo", tmp_path / "wrapdemo-1.2.3.tar.gz")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    spec = ProviderSpec(name="wrapdemo", source=str(tarball), sha256=digest, **WRAPDEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp_path, spec)
    check_provider_wheel(wheel, **WRAPDEMO_WHEEL)

    # A tampered tarball stops the build and shows both hashes.
    tampered = tmp_path / "tampered.tar.gz"
    tampered.write_bytes(tarball.read_bytes() + b"\0")
    output = failing_wheel_build(
        tmp_path / "project" / "wrapdemo",
        tmp_path / "bad",
        f"cmake.define.LIBWRAP_SOURCE={tampered}",
        f"cmake.define.LIBWRAP_SHA256={digest}",
    )
    actual = hashlib.sha256(tampered.read_bytes()).hexdigest()
    assert f"sha256 mismatch for {tampered}: expected {digest}, got {actual}" in output


def test_source_override_at_build_time(wrapdemo_provider: Provider, tmp_path: Path) -> None:
    """-Ccmake.define.LIBWRAP_SOURCE points an existing project at another copy, no file edited."""
    copy = make_tarball(FIXTURES / "wrapdemo", tmp_path / "elsewhere.tar.gz")
    wheel = pip_wheel(wrapdemo_provider.project, tmp_path / "dist", f"cmake.define.LIBWRAP_SOURCE={copy}")
    assert wheel_names(wheel) == wheel_names(wrapdemo_provider.wheel)


def test_old_cmake_minimum_builds_with_no_flag_from_the_user(wrapdemo_provider: Provider, tmp_path: Path) -> None:
    """OpenBLAS 0.3.28 and libyaml 0.2.5 say cmake_minimum_required(VERSION 2.8.5), which CMake 4
    refuses; libwrap's visible default CMAKE_POLICY_VERSION_MINIMUM=3.5 builds them, and a later
    argument overrides it."""
    old = shutil.copytree(FIXTURES / "wrapdemo", tmp_path / "old-wrapdemo")
    lists = old / "CMakeLists.txt"
    lists.write_text(
        lists.read_text(encoding="utf-8").replace(
            "cmake_minimum_required(VERSION 3.15...3.31)", "cmake_minimum_required(VERSION 2.8.5)"
        ),
        encoding="utf-8",
    )
    wheel = pip_wheel(wrapdemo_provider.project, tmp_path / "dist", f"cmake.define.LIBWRAP_SOURCE={old}")
    assert wheel_names(wheel) == wheel_names(wrapdemo_provider.wheel)
    # the default is an ordinary argument: one given later wins (CMake then refuses 2.8.5 again)
    output = failing_wheel_build(
        wrapdemo_provider.project, tmp_path / "dist2", f"cmake.define.LIBWRAP_SOURCE={old}",
        "cmake.define.LIBWRAP_EXTRA_BUILD_ARGS=-DCMAKE_POLICY_VERSION_MINIMUM=",
    )  # fmt: skip
    shown = output[output.index("libwrap: configuring the library: cmake") :]
    assert shown.index("-DCMAKE_POLICY_VERSION_MINIMUM=3.5") < shown.index("-DCMAKE_POLICY_VERSION_MINIMUM= ")
    assert "Compatibility with CMake < 3.5 has been removed" in output


@pytest.mark.parametrize("as_tarball", [False, True], ids=["directory", "tarball"])
def test_autotools_build(tmp_path: Path, as_tarball: bool) -> None:
    source = FIXTURES / "autodemo"
    if as_tarball:
        source = make_tarball(source, tmp_path / "autodemo-2.0.1.tar.gz")
    spec = ProviderSpec(name="autodemo", source=str(source), **AUTODEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp_path, spec)
    # libtool-style builds leave an absolute RUNPATH in the library; the staged copy has none
    check_provider_wheel(wheel, **AUTODEMO_WHEEL)
    check_repair_and_abi3(wheel, tmp_path / "repaired")


def test_install_strip_off_keeps_the_debug_information(tmp_path: Path) -> None:
    """autotools' default CFLAGS (-g -O2) leave debug information, which the default strip removes;
    -Cinstall.strip=false, scikit-build-core's own setting, keeps it in the library and in _init."""
    spec = ProviderSpec(name="autodemo", source=str(FIXTURES / "autodemo"), **AUTODEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp_path, spec, "install.strip=false")
    assert {".debug_info", ".symtab"} <= section_names(wheel, "autodemo/lib/libautodemo.so.2")
    assert ".symtab" in section_names(wheel, "autodemo/_init.abi3.so")
    python_ok([install_target(wheel, tmp_path / "site")], "import autodemo")


def test_make_build_passes_the_same_variables_to_build_and_install(tmp_path: Path) -> None:
    """--build make: `make ARGS` then `make install PREFIX=... ARGS`, for Makefile-only libraries
    (OpenBLAS's ILP64 build is one); a variable both steps read must reach both."""
    spec = ProviderSpec(
        name="makedemo", source=str(FIXTURES / "makedemo"), version="3.1", init_symbol="makedemo_build",
        init_returns="str", build="make", build_args=("SUFFIX=64_",),
    )  # fmt: skip
    wheel = generate_and_build(tmp_path, spec)
    check_provider_wheel(
        wheel, name="makedemo", version="3.1", soname="libmakedemo64_.so.3", link="makedemo64_",
        licenses=["LICENSE"], headers=["makedemo.h"],
    )  # fmt: skip
    site = install_target(wheel, tmp_path / "site")
    assert python_ok([site], "import makedemo; print(makedemo.init_result)").strip() == "makedemo 3.164_"


def test_build_tools_are_checked_before_the_source_is_fetched(tmp_path: Path) -> None:
    spec = ProviderSpec(
        name="wrapdemo", source="https://example.invalid/never-downloaded.tar.gz", build_tools=("no-such-fortran",),
        **WRAPDEMO,  # type: ignore[arg-type]
    )  # fmt: skip
    project = generate_project(spec, tmp_path / "project")
    output = failing_wheel_build(project, tmp_path / "dist")
    assert "the library's build needs no-such-fortran, which is not on PATH" in output
    assert "downloading" not in output


@pytest.mark.parametrize("as_tarball", [False, True], ids=["directory", "tarball"])
def test_prebuilt_prefix(tmp_path: Path, wrapdemo_prefix: Path, as_tarball: bool) -> None:
    source = wrapdemo_prefix
    if as_tarball:
        source = tmp_path / "prefix.tar.gz"
        with tarfile.open(source, "w:gz") as tar:
            tar.add(wrapdemo_prefix, arcname="wrapdemo-1.2.3-linux")
    spec = ProviderSpec(name="wrapdemo", source=str(source), build="prebuilt", **WRAPDEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp_path, spec)
    # a prefix has no source tree: the licence comes from its share/licenses/
    check_provider_wheel(wheel, **{**WRAPDEMO_WHEEL, "licenses": ["share/licenses/wrapdemo/LICENSE"]})


def test_source_without_licence_stops_the_build(wrapdemo_provider: Provider, tmp_path: Path) -> None:
    """Regression: a provider whose source had no licence file was built and shipped anyway."""
    source = tmp_path / "wrapdemo-1.2.3"
    for name in ("wrapdemo.c", "wrapdemo.h", "wrapdemo.map"):
        (source / name).parent.mkdir(exist_ok=True)
        (source / name).write_bytes((FIXTURES / "wrapdemo" / name).read_bytes())
    cmake = (FIXTURES / "wrapdemo" / "CMakeLists.txt").read_text(encoding="utf-8")
    (source / "CMakeLists.txt").write_text(cmake.replace("install(FILES LICENSE", "# install(FILES LICENSE"))
    output = failing_wheel_build(wrapdemo_provider.project, tmp_path / "dist", f"cmake.define.LIBWRAP_SOURCE={source}")
    assert "no licence file found in" in output
    assert "--license-file GLOB" in output


def test_soname_rename(tmp_path: Path) -> None:
    spec = ProviderSpec(name="wrapdemo", source=str(FIXTURES / "wrapdemo"), soname="libwrapdemo_lw.so.1", **WRAPDEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp_path, spec)
    # -lwrapdemo (what the library's own .pc and build scripts say) keeps working: a second linker script;
    # and a filter under the wheel's name serves the system's libwrapdemo.so.1 on request (PREFER_SYSTEM)
    extra = frozenset({"wrapdemo/lib/libwrapdemo.a", "wrapdemo/lib/system/libwrapdemo_lw.so.1"})
    check_provider_wheel(
        wheel, **{**WRAPDEMO_WHEEL, "soname": "libwrapdemo_lw.so.1", "link": "wrapdemo_lw"}, extra=extra
    )
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("wrapdemo/lib/libwrapdemo.a") == b"INPUT(libwrapdemo_lw.so.1)\n"
        manifest = json.loads(zf.read("wrapdemo/libwrap.json"))
    shim = elf_in_wheel(wheel, "wrapdemo/lib/system/libwrapdemo_lw.so.1")
    assert (shim.soname, shim.filters, shim.needed) == ("libwrapdemo_lw.so.1", ("libwrapdemo.so.1",), ("libc.so.6",))
    assert (manifest["upstream_soname"], manifest["system_filter"]) == (
        "libwrapdemo.so.1",
        "lib/system/libwrapdemo_lw.so.1",
    )


def test_missing_init_symbol_fails_the_build(tmp_path: Path) -> None:
    """Caught at build time, not at import."""
    project = generate_project(
        ProviderSpec(
            name="wrapdemo", source=str(FIXTURES / "wrapdemo"), version="1.2.3", init_symbol="wrapdemo_missing"
        ),
        tmp_path,
    )
    output = failing_wheel_build(project, tmp_path / "dist")
    assert "no library exports the init symbol 'wrapdemo_missing'" in output


def test_generated_project_tests_pass_on_the_installed_wheel(wrapdemo_provider: Provider, provider_site: Path) -> None:
    """The tests libwrap writes into each project (cibuildwheel's test-command) pass."""
    env = {**os.environ, "PYTHONPATH": str(provider_site)}
    out = run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        wrapdemo_provider.project / "tests",
        cwd=provider_site,
        env=env,
    )
    assert "4 passed" in out


def test_isolated_build_needs_only_the_declared_requirements(
    wrapdemo_provider: Provider, libwrap_dist: Path, tmp_path: Path
) -> None:
    """`pip wheel .` as a user runs it: build-system.requires alone must be enough (libwrap comes from
    --find-links as it would from the index)."""
    out = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--find-links", libwrap_dist, "-w", out,
        wrapdemo_provider.project)  # fmt: skip
    assert wheel_names(next(out.glob("*.whl"))) == wheel_names(wrapdemo_provider.wheel)


def test_url_source_is_downloaded_and_checked(tmp_path: Path) -> None:
    """The URL path (file:// here: no network in tests): downloaded at build time, then its sha256 checked."""
    tarball = make_tarball(FIXTURES / "wrapdemo", tmp_path / "wrapdemo-1.2.3.tar.gz")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    spec = ProviderSpec(name="wrapdemo", source=tarball.as_uri(), sha256=digest, **WRAPDEMO)  # type: ignore[arg-type]
    wheel = generate_and_build(tmp_path, spec)
    assert "wrapdemo/lib/libwrapdemo.so.1" in wheel_names(wheel)
    wrong = "0" * 64
    output = failing_wheel_build(
        tmp_path / "project" / "wrapdemo", tmp_path / "bad", f"cmake.define.LIBWRAP_SHA256={wrong}"
    )
    assert f"sha256 mismatch for {tarball.as_uri()}: expected {wrong}, got {digest}" in output


def test_auditwheel_show_reports_manylinux_after_repair(wrapdemo_provider: Provider, tmp_path: Path) -> None:
    repaired = check_repair_and_abi3(wrapdemo_provider.wheel, tmp_path)
    report = " ".join(auditwheel("show", repaired).split())
    assert re.search(r'is consistent with the following platform tag: "manylinux_2_\d+_x86_64"', report), report
