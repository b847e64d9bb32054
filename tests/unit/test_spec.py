"""Validation rules of ProviderSpec and names, without touching the disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from libwrap.errors import UsageError
from libwrap.spec import ProviderSpec, is_url, options_table, validate_name


@pytest.mark.parametrize("name", ["openblas", "zlib_ng", "wrapdemo", "a1"])
def test_good_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "empty"),
        ("class", "keyword"),
        ("match", "keyword"),
        ("json", "standard-library"),
        ("os", "standard-library"),
        ("my-lib", "import name"),
        ("1lib", "import name"),
        ("../x", "import name"),
        ("/abs", "import name"),
        ("OpenBLAS", "upper-case"),
        ("_private_", "distribution name"),
        ("libwrap", "reserved"),
        ("tests", "reserved"),
        ("naïve", "import name"),
    ],
)
def test_bad_names_say_why(name: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        validate_name(name)


def test_url_detection() -> None:
    assert is_url("https://example.org/a.tar.gz")
    assert is_url("file:///tmp/a.tar.gz")
    assert not is_url("/tmp/a.tar.gz")
    assert not is_url("gopher://x")


def spec(**changes: object) -> ProviderSpec:
    values: dict[str, object] = {
        "name": "demo",
        "version": "1.0",
        "source": "https://example.org/demo-1.0.tar.gz",
        "init_symbol": "demo_init",
    }
    values.update(changes)
    return ProviderSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"version": "one"}, "PEP 440"),
        ({"sha256": "abc"}, "64 hexadecimal"),
        ({"sha256": "g" * 64}, "64 hexadecimal"),
        ({"soname": "foo.so.1"}, "lib<name>.so"),
        ({"soname": "libfoo.dll"}, "lib<name>.so"),
        ({"soname": "lib/../x.so"}, "lib<name>.so"),
        ({"init_symbol": "foo()"}, "C identifier"),
        ({"init_symbol": "", "init_returns": "str"}, "needs a function to call"),
        ({"init_returns": "double"}, "init-returns"),
        ({"build": "scons"}, "--build 'scons' is unknown"),
        ({"build_args": ("-DX=a\nb",)}, "control character"),
        ({"build_args": ("-DX=\x1b[31m",)}, "control character"),
        ({"cmake_package": "Open BLAS"}, "not a valid CMake package name"),
        ({"description": 'say "hi"'}, "quote"),
        ({"source": ""}, "no library source"),
        ({"source": "gopher://x/y.tar.gz"}, "not a supported URL"),
        ({"source": "/definitely/not/here"}, "does not exist"),
        ({"abi_upper": "next"}, "--abi-upper"),
        # issue 18, item 7
        ({"requires": ("lib-xml2>=2.9,<3",)}, "'lib-xml2' is not a provider's name"),
        ({"requires": ("LibXML2",)}, "'LibXML2' is not a provider's name"),
        ({"requires": ("libxml2>=3,<2",)}, "no version satisfies"),
        ({"requires": ("libxml2==1.0,!=1.0",)}, "no version satisfies"),
        ({"requires": ("libxml2===2.9",)}, "uses '==='"),
        ({"requires": ("json>=1,<2",)}, "standard-library module"),
        ({"version": "1!2.0"}, r"has an epoch \(1!\), .*--version 2\.0"),
        ({"abi_upper": "1!3"}, r"--abi-upper '1!3' has an epoch"),
        ({"version": "1.0a1", "abi_upper": "1.0"}, r"does not admit --version 1\.0a1 itself"),
        ({"soname": "lib-.so"}, "starts with a letter, digit or '_'"),
        ({"soname": "lib+.so.1"}, "starts with a letter, digit or '_'"),
        ({"no_license_files": True, "license_files": ("LICENSE",)}, "drop one of the two"),
        ({"license_expression": "MIT' OR Apache-2.0"}, "not a valid SPDX licence expression"),
        ({"license_expression": "MIT OR"}, "not a valid SPDX licence expression"),
        ({"source": "x" * 5000}, r"cannot be looked up \(File name too long\)"),
        ({"source": "a\x00b"}, "contains a control character"),
    ],
)
def test_bad_values_say_what_and_how(changes: dict[str, object], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        spec(**changes).validate()


def test_local_source_is_recorded_as_an_absolute_path() -> None:
    context = spec(source=".").context("0")
    assert context["source"].startswith("/")
    assert context["requirement"] == "demo>=1.0,<2"


def test_the_options_table_names_every_option_where_it_lives() -> None:
    """The documentation's table is generated from the declarations (docs/conf.py): one row per option,
    with its key in the project and the variable that overrides it at build time."""
    from libwrap.build.config import BUILD_ONLY, override_name
    from libwrap.spec import BUILD_VARIABLES, option_fields, option_key

    rows = options_table().splitlines()[2:]
    fields = list(option_fields())
    assert len(rows) == len(fields) + len(BUILD_VARIABLES)
    for row, (field, opt) in zip(rows, fields):
        if opt.home == "tool":
            assert f"`[tool.libwrap] {option_key(field.name)}`" in row
            assert f"`{override_name(field.name)}`" in row
    assert tuple(name for name, _ in BUILD_VARIABLES) == BUILD_ONLY


def test_every_option_reaches_cli_presets_and_template(tmp_path: Path) -> None:
    """One declaration feeds all: the parser has a flag for it, presets accept its key, and a rendered
    project carries its value (derived options through what they derive)."""
    import argparse

    from libwrap import presets
    from libwrap.render import generate_project
    from libwrap.spec import add_options, option_fields, option_key

    parser = argparse.ArgumentParser()
    add_options(parser)
    dests = {action.dest for action in parser._actions}
    values = {
        "source": "https://example.org/probe-4.5.6.tar.gz",  # a URL: --sha256 is refused with a directory
        "version": "4.5.6",
        "sha256": "ab" * 32,
        "build": "cmake",
        "init_symbol": "probe_init_symbol",
        "init_returns": "str",
        "init_result_name": "probe_result",
        "soname": "libprobe.so.7",
        "build_args": ("-DPROBE_ARG=1",),
        "no_default_build_args": True,
        "build_args_if_missing": (("probe-dir", "-DPROBE_MISSING=1"),),
        "build_args_for_machine": (("probe_machine", "-DPROBE_MACHINE=1"),),
        "build_tools": ("probe-compiler",),
        "requires": ("probedep>=1.0,<2",),
        "cmake_package": "ProbePackage",
        "pkgconfig_name": "probe-pc-1.0",
        "link_name": "probelink",
        "include_subdir": "probeinclude",
        "abi_upper": "7.8",
        "license_files": ("PROBE-LICENSE*",),
        "no_license_files": True,
        "license_expression": "MIT OR Apache-2.0",
        "description": "Probe description",
        "pkgconfig_version": "24.3.18",
    }
    # what each option's value looks like in the rendered files
    expected = {
        **values,
        "build_args_if_missing": "-DPROBE_MISSING=1",
        "build_args_for_machine": '"probe_machine" = ["-DPROBE_MACHINE=1"]',
        "abi_upper": "<7.8",
        "no_license_files": "no-license-files = true",
        "no_default_build_args": "no-default-build-args = true",
        "requires": "probedep>=1.0,<2",
    }
    expected |= {
        "build_tools": '"probe-compiler"',
        "build_args": "-DPROBE_ARG=1",
        "license_files": "PROBE-LICENSE*",
        "source": values["source"],
    }
    # --license-file and --no-license-files conflict: each reaches its own project
    text = ""
    for name, drop in (("probe", "license_files"), ("probe_files", "no_license_files")):
        given = {key: value for key, value in values.items() if key != drop}
        project = generate_project(ProviderSpec(name=name, **given), tmp_path)  # type: ignore[arg-type]
        text += "\n".join(p.read_text(encoding="utf-8") for p in sorted(project.rglob("*")) if p.is_file())
    for field, opt in option_fields():
        assert option_key(field.name) in presets.preset_keys()
        assert (field.name in dests) is bool(opt.flags)
        assert str(expected[field.name]) in text, f"{field.name} does not reach the rendered project"


def test_sha256_is_refused_for_a_source_directory(tmp_path: Path) -> None:
    """Regression (item 7): --sha256 with a directory was accepted and never checked."""
    (tmp_path / "CMakeLists.txt").write_text("project(x)\n", encoding="utf-8")
    with pytest.raises(UsageError, match="is a directory, which has no hash"):
        spec(source=str(tmp_path), sha256="ab" * 32).validate()
    spec(source=str(tmp_path)).validate()


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("mit", "MIT"), ("mit or apache-2.0", "MIT OR Apache-2.0"), ("LicenseRef-Foo", "LicenseRef-Foo")],
)
def test_licence_reaches_the_project_in_its_canonical_form(given: str, canonical: str) -> None:
    assert spec(license_expression=given).validate().context("0")["license_expression"] == canonical


@pytest.mark.parametrize("soname", ["libz.so.1", "lib_x.so", "lib7z.so.0", "libfoo-1.2.so.3", "libc++.so.1"])
def test_good_sonames(soname: str) -> None:
    spec(soname=soname).validate()


@pytest.mark.parametrize("requires", ["libxml2>=2.9,<3", "libxml2>=2.0rc1,<3", "zlib_ng~=2.1", "libxml2!=2.9.0"])
def test_good_requirements(requires: str) -> None:
    spec(requires=(requires,)).validate()
