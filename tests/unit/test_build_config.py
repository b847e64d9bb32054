"""What a provider build reads: [tool.libwrap] and [project] through libwrap.spec's declarations, with
the LIBWRAP_* overrides given at build time (libwrap.build.config.read_plan)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from libwrap.build.config import read_plan, split_list
from libwrap.errors import UsageError
from libwrap.render import generate_project
from libwrap.spec import ProviderSpec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
URL = "https://example.org/demo-1.2.3.tar.gz"


def project(tmp_path: Path, **changes: object) -> Path:
    values: dict[str, object] = {
        "name": "demo", "version": "1.2.3", "source": URL, "sha256": "ab" * 32, "init_symbol": "demo_init",
        "build_args": ("-DA=1",),
    }  # fmt: skip
    values.update(changes)
    return generate_project(ProviderSpec(**values), tmp_path)  # type: ignore[arg-type]


def edit(path: Path, old: str, new: str) -> None:
    text = (path / "pyproject.toml").read_text(encoding="utf-8")
    assert old in text
    (path / "pyproject.toml").write_text(text.replace(old, new), encoding="utf-8")


def test_the_table_is_what_libwrap_new_was_given(tmp_path: Path) -> None:
    plan = read_plan(project(tmp_path, soname="libdemo.so.7"), "1.2.3", {})
    assert (plan.spec.soname, plan.spec.sha256, plan.build_args) == ("libdemo.so.7", "ab" * 32, ("-DA=1",))
    assert plan.spec.requirement == "demo>=1.2.3,<2"
    assert plan.defaults is None


def test_editing_the_table_changes_the_build_without_a_new_render(tmp_path: Path) -> None:
    """Issue 19: a user changes an option (a SONAME, a build argument) by editing the table."""
    root = project(tmp_path)
    edit(root, 'build-args = ["-DA=1"]', 'build-args = ["-DA=2", "-DLIST=X;Y"]\nsoname = "libdemo_pypi.so.1"')
    plan = read_plan(root, "1.2.3", {})
    assert plan.build_args == ("-DA=2", "-DLIST=X;Y")
    assert plan.spec.soname == "libdemo_pypi.so.1"


def test_build_time_variables_override_the_table(tmp_path: Path) -> None:
    defines = {
        "LIBWRAP_BUILD_ARGS": "-DB=1;-DLIST=X\\;Y",
        "LIBWRAP_EXTRA_BUILD_ARGS": "-DC=1",
        "LIBWRAP_NO_LICENSE_FILES": "ON",
        "LIBWRAP_DEFAULT_BUILD_ARGS": "",
    }
    plan = read_plan(project(tmp_path), "1.2.3", defines)
    assert plan.build_args == ("-DB=1", "-DLIST=X;Y", "-DC=1")
    assert plan.spec.no_license_files is True
    assert plan.defaults == ()  # defined, even empty: the mode's own arguments are replaced


def test_another_source_drops_the_known_hash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only the default source has a known hash (as the CMake variables of libwrap 0.2 had it)."""
    root = project(tmp_path)
    plan = read_plan(root, "1.2.3", {"LIBWRAP_SOURCE": "https://example.org/other-1.2.3.tar.gz"})
    assert plan.spec.sha256 == ""
    assert "its sha256 is not known" in capsys.readouterr().err
    kept = read_plan(root, "1.2.3", {"LIBWRAP_SOURCE": URL.replace("demo", "x"), "LIBWRAP_SHA256": "cd" * 32})
    assert kept.spec.sha256 == "cd" * 32


def test_a_relative_source_is_relative_to_the_project(tmp_path: Path) -> None:
    root = project(tmp_path, sha256="")
    (root / "vendor").mkdir()
    (root / "vendor" / "CMakeLists.txt").write_text("project(demo VERSION 1.2.3)\n", encoding="utf-8")
    plan = read_plan(root, "1.2.3", {"LIBWRAP_SOURCE": "vendor"})
    assert plan.spec.source == str(root / "vendor")


def test_dependencies_are_the_providers_it_builds_against(tmp_path: Path) -> None:
    root = project(tmp_path, requires=("libother>=1.0,<2",))
    edit(
        root,
        'dependencies = ["libother>=1.0,<2"]',
        'dependencies = ["libother>=1.0,<2", "winonly; sys_platform == \'win32\'"]',
    )
    plan = read_plan(root, "1.2.3", {})
    assert plan.requires == ("libother",)
    assert plan.spec.requires == ("libother<2,>=1.0",)


@pytest.mark.parametrize(
    ("defines", "edits", "words"),
    [
        ({"LIBWRAP_SONAM": "libx.so.1"}, (), "unknown build variable LIBWRAP_SONAM; libwrap knows "),
        ({"LIBWRAP_NO_LICENSE_FILES": "maybe"}, (), "LIBWRAP_NO_LICENSE_FILES='maybe' is not a CMake boolean"),
        ({"LIBWRAP_BUILD_ARGS_IF_MISSING": "x"}, (), "cannot be set at build time (build-args-if-missing is a table)"),
        ({"LIBWRAP_SONAME": "lib-.so"}, (), "[tool.libwrap]: soname 'lib-.so' is not a shared-library name"),
        ({}, ('soname = "', 'sonam = "'), "[tool.libwrap] has unknown keys sonam"),
        ({}, ('build-args = ["-DA=1"]', 'build-args = "-DA=1"'), "build-args must be a list of strings"),
        ({}, ("[tool.libwrap]", "[tool.libwrapx]"), "has no [tool.libwrap] table"),
        ({}, ('name = "demo"', 'name = "demo"\nbroken = [,'), "is not valid TOML"),
    ],
)
def test_what_is_wrong_is_one_line_naming_the_key(
    tmp_path: Path, defines: dict[str, str], edits: tuple[str, str], words: str
) -> None:
    root = project(tmp_path, soname="libdemo.so.7")
    if edits:
        edit(root, *edits)
    with pytest.raises(UsageError) as error:
        read_plan(root, "1.2.3", defines)
    assert words in str(error.value)
    assert "\n" not in str(error.value)


def test_the_version_rule_speaks_of_the_project(tmp_path: Path) -> None:
    """libwrap new's words (--abi-upper, --version) become the table's and [project]'s."""
    root = project(tmp_path)
    edit(root, 'build = "cmake"', 'build = "cmake"\nabi-upper = "1.0"')
    with pytest.raises(UsageError, match=re.escape("abi-upper 1.0 is not above [project] version 1.2.3")):
        read_plan(root, "1.2.3", {})


def test_the_cmake_package_must_agree_with_its_entry_point(tmp_path: Path) -> None:
    root = project(tmp_path, cmake_package="Demo")
    edit(root, 'cmake-package = "Demo"', 'cmake-package = "Other"')
    with pytest.raises(UsageError, match=re.escape("the cmake.root entry point names Demo; make them agree")):
        read_plan(root, "1.2.3", {})


def test_cmake_lists() -> None:
    assert split_list("") == ()
    assert split_list("a;;b") == ("a", "b")
    assert split_list("-DX=a\\;b;c") == ("-DX=a;b", "c")


def test_machine_arguments_come_after_the_common_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenBLAS's preset: TARGET=PRESCOTT and a DYNAMIC_LIST for x86_64 only (aarch64 has its own)."""
    root = project(tmp_path, build_args_for_machine=(("x86_64", "-DTARGET=PRESCOTT"), ("aarch64", "-DTARGET=ARMV8")))
    for machine, target in (("x86_64", "PRESCOTT"), ("aarch64", "ARMV8"), ("riscv64", None)):
        monkeypatch.setattr("platform.machine", lambda machine=machine: machine)
        plan = read_plan(root, "1.2.3", {"LIBWRAP_EXTRA_BUILD_ARGS": "-DLAST=1"})
        expected = ("-DA=1", *([f"-DTARGET={target}"] if target else []), "-DLAST=1")
        assert plan.build_args == expected
