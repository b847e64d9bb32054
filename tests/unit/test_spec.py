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
        ({"init_symbol": ""}, "no init symbol"),
        ({"init_returns": "double"}, "init-returns"),
        ({"build": "meson"}, "--build 'meson' is unknown"),
        ({"build_args": ("-DX=a;b",)}, "semicolon"),
        ({"build_args": ('-DX="1"',)}, "quote"),
        ({"cmake_package": "Open BLAS"}, "not a valid CMake package name"),
        ({"description": 'say "hi"'}, "quote"),
        ({"source": ""}, "no library source"),
        ({"source": "gopher://x/y.tar.gz"}, "not a supported URL"),
        ({"source": "/definitely/not/here"}, "does not exist"),
        ({"abi_upper": "next"}, "--abi-upper"),
    ],
)
def test_bad_values_say_what_and_how(changes: dict[str, object], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        spec(**changes).validate()


def test_local_source_is_recorded_as_an_absolute_path() -> None:
    context = spec(source=".").context("0")
    assert context["source"].startswith("/")
    assert context["requirement"] == "demo>=1.0,<2"


def test_readme_option_table_is_generated_from_the_declarations() -> None:
    """Each option is declared once; README's table must be what the declarations produce."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- options-table:start -->\n", 1)[1].split("<!-- options-table:end -->", 1)[0]
    fix = "python -c 'from libwrap.spec import options_table; print(options_table())'"
    assert table == options_table(), f"README's option table is stale; paste the output of {fix}"


def test_every_option_reaches_cli_presets_and_template() -> None:
    """One declaration feeds all: the parser has a flag for it, presets accept its key, the template sees it."""
    import argparse

    from libwrap import presets
    from libwrap.spec import add_options, option_fields

    parser = argparse.ArgumentParser()
    add_options(parser)
    dests = {action.dest for action in parser._actions}
    context = ProviderSpec(name="x", version="1.0", source="https://example.org/x.tar.gz", init_symbol="f").context(
        "0.2.0"
    )
    for field, opt in option_fields():
        assert field.name in presets.preset_keys()
        assert field.name in context
        assert (field.name in dests) is bool(opt.flags)
