"""``libwrap new`` on bad input: one clear line, exit code 2, nothing written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from libwrap.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WRAPDEMO = str(FIXTURES / "wrapdemo")
OK = ["--source", WRAPDEMO, "--version", "1.2.3", "--init-symbol", "wrapdemo_init", "--no-input"]
INPUTS = Path(__file__).resolve().parents[1] / "corpus" / "inputs"
PREBUILT = ["demo", "--build", "prebuilt", "--source", "prefix", "--version", "1", "--init-symbol", "f", "--no-input"]


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"" for p in sorted(root.rglob("*"))}


def prepare(root: Path, case: str) -> None:
    """Put what a case needs on disk before the command runs."""
    if case == "existing":
        (root / "demo").mkdir()
        (root / "demo" / "keep.txt").write_text("precious", encoding="utf-8")
    elif case in ("file-output", "output-under-file"):
        (root / "out").write_text("not a directory", encoding="utf-8")
    elif case == "empty-prefix":
        (root / "prefix" / "lib").mkdir(parents=True)
    elif case == "no-cmakelists":
        (root / "src").mkdir()
        (root / "src" / "main.c").write_text("int x;\n", encoding="utf-8")
    elif case == "not-archive":
        (root / "notes.txt").write_text("hello", encoding="utf-8")
    elif case.startswith("prefix-"):
        lib = root / "prefix" / "lib"
        lib.mkdir(parents=True)
        if case == "prefix-non-elf":
            (lib / "libdemo.so.1").write_text("not a library", encoding="utf-8")
            return
        flags = [] if case == "prefix-no-soname" else ["-Wl,-soname,libdemo.so.1"]
        target = lib / ("libdemo.so" if case == "prefix-no-soname" else "libdemo.so.1")
        source = root / "demo.c"
        source.write_text("int f(void) { return 1; }\n", encoding="utf-8")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", str(target), str(source), *flags], check=True)
        source.unlink()
        if case == "prefix-other-arch":
            data = bytearray(target.read_bytes())
            data[18:20] = (183).to_bytes(2, "little")  # e_machine = EM_AARCH64
            target.write_bytes(bytes(data))


BAD_CASES = [
    ("keyword", ["class", *OK], "keyword"),
    ("stdlib", ["json", *OK], "standard-library"),
    ("dots", ["../x", *OK], "import name"),
    ("absolute", ["/tmp/x", *OK], "import name"),
    ("empty", ["", *OK], "empty"),
    ("dash", ["my-lib", *OK], "import name"),
    ("existing", ["demo", *OK], "not empty; pass --force"),
    ("file-output", ["demo", "-o", "out", *OK], "is a file"),
    (
        "missing-source",
        ["demo", "--source", "missing/dir", "--version", "1", "--init-symbol", "f", "--no-input"],
        "does not exist",
    ),
    ("bad-sha", ["demo", *OK, "--sha256", "1234"], "64 hexadecimal"),
    ("bad-soname", ["demo", *OK, "--soname", "wrapdemo.so"], "lib<name>.so"),
    (
        "bad-symbol",
        ["demo", "--source", WRAPDEMO, "--version", "1", "--init-symbol", "1x", "--no-input"],
        "C identifier",
    ),
    (
        "bad-version",
        ["demo", "--source", WRAPDEMO, "--version", "v-one", "--init-symbol", "f", "--no-input"],
        "PEP 440",
    ),
    ("no-source", ["demo", "--version", "1", "--init-symbol", "f", "--no-input"], "--source is required"),
    (
        "returns-without-symbol",
        ["demo", "--source", WRAPDEMO, "--version", "1", "--init-returns", "int", "--no-input"],
        "needs a function to call",
    ),
    ("unknown-preset", ["demo", "--preset", "nope", *OK], "unknown preset"),
    (
        "empty-prefix",
        ["demo", "--build", "prebuilt", "--source", "prefix", "--version", "1", "--init-symbol", "f", "--no-input"],
        "no ELF shared library",
    ),
    (
        "no-cmakelists",
        ["demo", "--source", "src", "--version", "1", "--init-symbol", "f", "--no-input"],
        "no CMakeLists.txt",
    ),
    ("no-configure", ["demo", "--build", "autotools", *OK], "no configure script nor configure.ac"),
    ("no-meson-build", ["demo", "--build", "meson", *OK], "no meson.build"),
    (
        "not-archive",
        ["demo", "--source", "notes.txt", "--version", "1", "--init-symbol", "f", "--no-input"],
        "neither a directory nor an archive",
    ),
    ("bad-arg", ["demo", *OK, "--cmake-arg=-DX=a\nb"], "control character"),
    ("prefix-no-soname", [*PREBUILT], "has no SONAME"),
    ("prefix-non-elf", [*PREBUILT], "is not an ELF shared library"),
    ("prefix-other-arch", [*PREBUILT], "is built for EM_AARCH64"),
    ("soft-keyword", ["match", *OK], "keyword"),
    ("uppercase", ["Demo", *OK], "upper-case"),
    # issue 18, item 7: each passed, or failed later with a traceback
    ("requires-dash", ["demo", *OK, "--requires", "lib-xml2>=2.9,<3"], "'lib-xml2' is not a provider's name"),
    ("requires-empty-range", ["demo", *OK, "--requires", "libxml2>=3,<2"], "no version satisfies <2,>=3"),
    ("requires-installed-tool", ["demo", *OK, "--requires", "pip"], "is not a libwrap provider"),
    ("requires-installed-tool-range", ["demo", *OK, "--requires", "cmake>=3,<9"], "is not a libwrap provider"),
    ("version-epoch", ["demo", "--source", WRAPDEMO, "--version", "1!2.0", "--no-input"], "has an epoch (1!)"),
    ("sha256-directory", ["demo", *OK, "--sha256", "a" * 64], "is a directory, which has no hash"),
    ("soname-dash", ["demo", *OK, "--soname", "lib-.so"], "starts with a letter, digit or '_'"),
    ("license-conflict", ["demo", *OK, "--no-license-files", "--license-file", "LICENSE"], "drop one of the two"),
    ("license-spdx", ["demo", *OK, "--license", "MIT' OR Apache-2.0"], "not a valid SPDX licence expression"),
    ("name-pip", ["pip", *OK], "'pip' is the name of pip"),
    ("name-cmake", ["cmake", *OK], "which is not a libwrap provider"),
    ("name-module", ["elftools", *OK], "is a module this Python already imports"),
    # item 8
    ("output-under-file", ["demo", "-o", "out/sub", *OK], "is under out, which is a file"),
    ("output-proc", ["demo", "-o", "/proc/libwrap-x", *OK], "cannot write the project into /proc/libwrap-x"),
    ("archive-link-out", ["demo", "--source", str(INPUTS / "archive-abs-link.tar.gz"), *OK[2:]], "outside the archive"),
]


@pytest.mark.parametrize(("case", "argv", "words"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input(clean_cwd: Path, capsys: pytest.CaptureFixture[str], case: str, argv: list[str], words: str) -> None:
    prepare(clean_cwd, case)
    before = snapshot(clean_cwd)
    assert main(["new", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("libwrap new: error: ")
    assert words in err
    assert snapshot(clean_cwd) == before


def test_prebuilt_prefix_must_export_the_init_symbol(
    clean_cwd: Path, wrapdemo_prefix: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["new", "demo", "--build", "prebuilt", "--source", str(wrapdemo_prefix), "--version", "1.2.3"]
    assert main([*argv, "--init-symbol", "not_there", "--no-input"]) == 2
    assert "no library exports the init symbol 'not_there'" in capsys.readouterr().err
    assert list(clean_cwd.iterdir()) == []
    assert main([*argv, "--init-symbol", "wrapdemo_init", "--no-input"]) == 0
    assert (clean_cwd / "demo" / "pyproject.toml").is_file()


def test_force_replaces_only_the_target(clean_cwd: Path) -> None:
    (clean_cwd / "demo").mkdir()
    (clean_cwd / "demo" / "stale.txt").write_text("old", encoding="utf-8")
    (clean_cwd / "sibling.txt").write_text("keep", encoding="utf-8")
    assert main(["new", "demo", *OK, "--force"]) == 0
    assert not (clean_cwd / "demo" / "stale.txt").exists()
    assert (clean_cwd / "sibling.txt").read_text(encoding="utf-8") == "keep"
    assert sorted(p.name for p in clean_cwd.iterdir()) == ["demo", "sibling.txt"]


def test_preset_file_supplies_values(clean_cwd: Path) -> None:
    tarball = FIXTURES / "wrapdemo" / "LICENSE"  # any file: only its hash is recorded here
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    preset = clean_cwd / "wrapdemo.toml"
    preset.write_text(
        f'version = "1.2.3"\nsource = "https://example.org/wrapdemo-1.2.3.tar.gz"\nsha256 = "{digest}"\n'
        'init-symbol = "wrapdemo_init"\ninit-returns = "str"\ncmake-package = "WrapDemo"\n',
        encoding="utf-8",
    )
    assert main(["new", "wrapdemo", "--preset", str(preset), "--no-input", "-o", "out"]) == 0
    pyproject = (clean_cwd / "out" / "wrapdemo" / "pyproject.toml").read_text(encoding="utf-8")
    assert f'sha256 = "{digest}"' in pyproject
    assert 'cmake-package = "WrapDemo"' in pyproject


def test_another_source_drops_the_presets_hash_and_version(clean_cwd: Path) -> None:
    """Regression: `--source <another tarball>` kept the preset's sha256 (the build always failed on a
    hash mismatch) and its version (another release shipped under the preset's number)."""
    tarball = clean_cwd / "OpenBLAS-0.3.28.tar.gz"
    subprocess.run(["tar", "-czf", str(tarball), "-C", str(FIXTURES), "wrapdemo"], check=True)
    assert main(["new", "openblas", "--source", str(tarball), "--no-input", "-o", "out"]) == 0
    project = clean_cwd / "out" / "openblas"
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert "sha256 =" not in pyproject
    assert 'version = "0.3.28"' in pyproject


def test_unknown_version_stops_with_the_option_that_fixes_it(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = clean_cwd / "libfoo-snapshot"
    source.mkdir()
    (source / "CMakeLists.txt").write_text("project(foo C)\n", encoding="utf-8")
    (source / "COPYING").write_text("terms\n", encoding="utf-8")
    assert main(["new", "openblas", "--source", str(source), "--no-input", "-o", "out"]) == 2
    err = capsys.readouterr().err
    assert "--version is required (the library's version: none could be read from" in err
    assert not (clean_cwd / "out").exists()


def test_missing_source_is_named_before_the_version(clean_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: a --source that does not exist was reported as a missing --version."""
    assert not list(clean_cwd.iterdir())
    assert main(["new", "demo", "--source", "no/such/dir", "--init-symbol", "f", "--no-input"]) == 2
    assert "--source no/such/dir does not exist" in capsys.readouterr().err
    assert not list(clean_cwd.iterdir())


def test_source_without_licence_is_refused(clean_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: a provider with no licence file found was built anyway."""
    source = clean_cwd / "nolicence-1.0"
    source.mkdir()
    (source / "CMakeLists.txt").write_text("project(foo VERSION 1.0 LANGUAGES C)\n", encoding="utf-8")
    argv = ["new", "demo", "--source", str(source), "--init-symbol", "f", "--no-input", "-o", "out"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "has no licence file" in err
    assert "--license-file" in err
    assert "--no-license-files" in err
    assert not (clean_cwd / "out").exists()
    assert main([*argv, "--no-license-files"]) == 0


def test_missing_values_are_prompted_on_a_terminal(clean_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --no-input, on a TTY, cookiecutter's prompt asks for what no option or preset gave."""
    answers = {"URL, source directory or tarball of the library": WRAPDEMO}
    asked: list[str] = []

    def fake_prompt(question: str, default: str) -> str:
        assert default == ""
        asked.append(question)
        return answers[question]

    monkeypatch.setattr("cookiecutter.prompt.read_user_variable", fake_prompt)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert main(["new", "demo", "--init-symbol", "wrapdemo_init"]) == 0
    assert asked == list(answers)
    assert f'source = "{WRAPDEMO}"' in (clean_cwd / "demo" / "pyproject.toml").read_text()


def test_libwrap_new_refuses_an_archive_with_the_builds_own_line(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression (issue 18, item 1): libwrap new accepted an archive whose link leads out of the tree."""
    from libwrap.stage import main as stage_main

    tarball = str(INPUTS / "archive-late-write.tgz")
    assert main(["new", "demo", "--source", tarball, "--version", "1.0", "--no-input", "-o", "out"]) == 2
    refused = capsys.readouterr().err.removeprefix("libwrap new: error: ")
    assert stage_main(["extract", "--archive", tarball, "--dest", "tree"]) == 2
    assert capsys.readouterr().err.removeprefix("libwrap: ") == refused
    assert list(clean_cwd.iterdir()) == []


LIBZ = next(iter(sorted(Path("/usr/lib").glob("*-linux-gnu/libz.so.1"))), Path("/usr/lib/libz.so.1"))


@pytest.mark.skipif(not LIBZ.is_file(), reason="the system zlib stands in for the library")
def test_a_prebuilt_prefix_linking_out_is_refused_before_anything_is_written(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression (item 2): include/leak.h -> /etc/hostname shipped the build machine's file."""
    prefix = clean_cwd / "prefix"
    (prefix / "lib").mkdir(parents=True)
    (prefix / "include").mkdir()
    shutil.copyfile(LIBZ, prefix / "lib" / "libz.so.1")
    (prefix / "LICENSE").write_text("zlib licence\n", encoding="utf-8")
    (prefix / "include" / "zlib.h").write_text("int z;\n", encoding="utf-8")
    (prefix / "include" / "alias.h").symlink_to("zlib.h")  # inside: fine
    argv = ["new", "demo", "--build", "prebuilt", "--source", "prefix", "--version", "1.0", "--no-input"]
    assert main([*argv, "-o", "ok"]) == 0
    (prefix / "include" / "leak.h").symlink_to("/etc/hostname")
    assert main([*argv, "-o", "out"]) == 2
    err = capsys.readouterr().err
    assert err.endswith(
        "prefix/include/leak.h links to '/etc/hostname', outside prefix; a wheel must not ship "
        "the build machine's files: copy the file into prefix instead\n"
    )
    assert not (clean_cwd / "out").exists()


@pytest.mark.parametrize(
    ("output", "shown"), [(".", "./demo"), ("out", "./out/demo"), ("../up", "../up/demo"), ("/ABS", "/ABS/demo")]
)
def test_next_line_is_a_command_pip_runs(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str], output: str, shown: str
) -> None:
    """Regression (item 10): `pip wheel demo -w dist` asks the index for a project named demo."""
    (clean_cwd / "here").mkdir()
    os.chdir(clean_cwd / "here")
    output = output.replace("/ABS", str(clean_cwd / "abs"))
    shown = shown.replace("/ABS", str(clean_cwd / "abs"))
    assert main(["new", "demo", *OK, "-o", output]) == 0
    assert f"Next: pip wheel {shown} -w dist   # then" in capsys.readouterr().out


def test_the_licence_is_written_in_its_canonical_spdx_form(clean_cwd: Path) -> None:
    assert main(["new", "demo", *OK, "--license", "mit or apache-2.0"]) == 0
    assert 'license = "MIT OR Apache-2.0"' in (clean_cwd / "demo" / "pyproject.toml").read_text(encoding="utf-8")


def fake_provider(site: Path, name: str) -> None:
    """NAME installed in SITE as a libwrap provider: a distribution whose package holds libwrap.json."""
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text("", encoding="utf-8")
    manifest = {
        "schema": 1,
        "name": name,
        "version": "1.0",
        "requirement": f"{name}>=1.0,<2",
        "sonames": [f"lib{name}.so.1"],
    }
    (site / name / "libwrap.json").write_text(json.dumps(manifest), encoding="utf-8")
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    files = [f"{name}/__init__.py", f"{name}/libwrap.json", f"{info.name}/METADATA", f"{info.name}/RECORD"]
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files), encoding="utf-8")


def test_an_installed_provider_can_be_rendered_again_and_required(
    clean_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed non-providers are refused as NAME or --requires; a provider installed here is neither."""
    site = clean_cwd / "site"
    fake_provider(site, "fakeprov")
    monkeypatch.syspath_prepend(str(site))
    assert main(["new", "fakeprov", *OK, "-o", "again"]) == 0
    assert main(["new", "demo", *OK, "-o", "user", "--requires", "fakeprov>=1.0,<2"]) == 0
    assert main(["new", "demo", *OK, "-o", "absent", "--requires", "notinstalled>=1,<2"]) == 0  # written out: kept
