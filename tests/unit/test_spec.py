"""Validation rules of ProviderSpec and names, without touching the disk."""

from __future__ import annotations

import pytest

from libwrap.errors import UsageError
from libwrap.spec import ProviderSpec, default_requirement, is_url, validate_name


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


@pytest.mark.parametrize(
    ("version", "upper", "expected"),
    [
        ("1.2.3", "", "x>=1.2.3,<2"),
        ("0.3.29", "", "x>=0.3.29,<0.4"),
        ("2.0", "", "x>=2.0,<3"),
        ("0.3.29", "1", "x>=0.3.29,<1"),
        ("1.2.3.post1", "", "x>=1.2.3.post1,<2"),
    ],
)
def test_default_requirement_stays_within_the_abi(version: str, upper: str, expected: str) -> None:
    assert default_requirement("x", version, upper) == expected


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
        ({"init_symbol": ""}, "C identifier"),
        ({"init_returns": "double"}, "init-returns"),
        ({"build": "meson"}, "unknown build"),
        ({"build_args": ("-DX=a;b",)}, "semicolon"),
        ({"build_args": ('-DX="1"',)}, "quote"),
        ({"cmake_package": "Open BLAS"}, "not a valid name"),
        ({"description": 'say "hi"'}, "quote"),
        ({"source": ""}, "no library source"),
        ({"source": "gopher://x/y.tar.gz"}, "not a supported URL"),
        ({"source": "/definitely/not/here"}, "does not exist"),
        ({"abi_upper": "next"}, "abi_upper"),
    ],
)
def test_bad_values_say_what_and_how(changes: dict[str, object], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        spec(**changes).validate()


def test_local_source_is_recorded_as_an_absolute_path() -> None:
    context = spec(source=".").context("0")
    assert context["source"].startswith("/")
    assert context["requirement"] == "demo>=1.0,<2"
