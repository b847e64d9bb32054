"""Render the template with many option sets; check the text, not a build."""

from __future__ import annotations

import itertools
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

from libwrap._version import __version__ as libwrap_version
from libwrap.render import generate_project, template_dir
from libwrap.spec import BUILDS, INIT_RETURNS, ProviderSpec

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SOURCES = {
    "cmake": FIXTURES / "wrapdemo",
    "autotools": FIXTURES / "autodemo",
    "meson": FIXTURES / "mesondemo",
    "make": FIXTURES / "makedemo",
    "prebuilt": FIXTURES / "wrapdemo",
}

EXPECTED_FILES = {
    ".github/dependabot.yml",
    ".github/workflows/wheels.yml",
    ".gitignore",
    "CMakeLists.txt",
    "README.md",
    "pyproject.toml",
    "src/{name}/__init__.py",
    "src/{name}/__main__.py",
    "src/{name}/_init.pyi",
    "src/{name}/py.typed",
    "tests/smoke/smoke.c",
    "tests/test_provider.py",
}


def render(tmp_path: Path, **changes: object) -> Path:
    values: dict[str, object] = {"name": "demo", "version": "1.2.3", "init_symbol": "demo_init"}
    values.update(changes)
    values.setdefault("source", str(SOURCES[str(values.get("build", "cmake"))]))
    return generate_project(ProviderSpec(**values), tmp_path)  # type: ignore[arg-type]


def tool_table(project: Path) -> dict[str, object]:
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    table: dict[str, object] = data["tool"]["libwrap"]
    return table


@pytest.mark.parametrize(("build", "returns"), list(itertools.product(BUILDS, INIT_RETURNS)))
def test_every_option_set_renders_cleanly(tmp_path: Path, build: str, returns: str) -> None:
    project = render(tmp_path, build=build, init_returns=returns, soname="libdemo.so.7", build_args=("-DA=1", "-DB=2"))
    files = {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}
    assert files == {f.format(name="demo") for f in EXPECTED_FILES}
    for path in project.rglob("*"):
        if path.is_file() and path.name != "wheels.yml":
            text = path.read_text(encoding="utf-8")
            assert "{{" not in text, path
            assert "{%" not in text, path
    for path in project.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)
    table = tool_table(project)
    assert table["build"] == build
    assert table["soname"] == "libdemo.so.7"
    assert table["build-args"] == ["-DA=1", "-DB=2"]
    assert table["init-symbol"] == "demo_init"
    assert table.get("init-returns", "void") == returns
    # every option lives in the table: the CMakeLists.txt of every project is the same few lines
    assert (project / "CMakeLists.txt").read_text(encoding="utf-8") == (
        template_dir() / "{{cookiecutter.name}}" / "CMakeLists.txt"
    ).read_text(encoding="utf-8")
    types = {"void": "init_result: None", "int": "init_result: int", "str": "init_result: str | None"}
    assert types[returns] in (project / "src/demo/_init.pyi").read_text(encoding="utf-8")


def test_the_table_reads_back_as_the_options_given(tmp_path: Path) -> None:
    """[tool.libwrap] is read at build time through the same declarations that validated libwrap new."""
    from libwrap.spec import read_options

    spec = ProviderSpec(
        name="demo", version="1.2.3", source=str(SOURCES["cmake"]), init_symbol="demo_init", soname="libdemo.so.7",
        build_args=("-DLIST=A;B", "-DQUOTE=\"x\""), build_args_if_missing=(("lapack", "-DNO=1"), ("lapack", "-DNO2=1")),
        build_tools=("gfortran",), license_files=("COPYING*",), pkgconfig_version="24.3.18",
    )  # fmt: skip
    values = read_options(tool_table(generate_project(spec, tmp_path)), "table", homes={"tool"})
    for name, value in values.items():
        assert getattr(spec, name) == value, name
    assert values["build_args"] == ("-DLIST=A;B", '-DQUOTE="x"')  # reaches the build as one argument each


def test_without_init_symbol_nothing_is_called(tmp_path: Path) -> None:
    project = render(tmp_path, init_symbol="")
    assert "init-symbol" not in tool_table(project)
    init_py = (project / "src/demo/__init__.py").read_text(encoding="utf-8")
    assert "_init.init_result" not in init_py
    assert '"init_result"' not in init_py
    smoke = (project / "tests/smoke/smoke.c").read_text(encoding="utf-8")
    assert "extern" not in smoke


def test_pyproject_declares_abi3_and_entry_points(tmp_path: Path) -> None:
    project = render(tmp_path, cmake_package="Demo", pkgconfig_name="demo-blas", license_expression="MIT")
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["name"] == "demo"
    assert data["project"]["version"] == "1.2.3"
    assert data["project"]["requires-python"] == ">=3.9"
    assert data["project"]["license"] == "MIT"
    assert data["project"]["entry-points"] == {
        "pkg_config": {"demo-blas": "demo.lib.pkgconfig"},
        "cmake.root": {"Demo": "demo"},
        "cmake.prefix": {"demo": "demo"},
    }
    assert data["tool"]["scikit-build"]["wheel"]["py-api"] == "cp39"
    assert "auditwheel repair" in data["tool"]["cibuildwheel"]["linux"]["repair-wheel-command"]
    requires = data["build-system"]["requires"]
    assert any(r.startswith("scikit-build-core") for r in requires)
    # libwrap.build and libwrap's CMake module run at build time: one copy of that code, in libwrap.
    assert f"libwrap>={libwrap_version},<0.3" in requires


@pytest.mark.parametrize("pkgconfig_name", ["libxml-2.0", "glib-2.0", "gtk+-3.0"])
def test_dotted_pkgconfig_names_stay_one_toml_key(tmp_path: Path, pkgconfig_name: str) -> None:
    """Regression: `--pkgconfig-name libxml-2.0` rendered an unquoted key, which TOML reads as the
    dotted key libxml-2 -> 0, and the build stopped on an invalid entry-point type."""
    project = render(tmp_path, pkgconfig_name=pkgconfig_name, cmake_package="LibXml2")
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["entry-points"]["pkg_config"] == {pkgconfig_name: "demo.lib.pkgconfig"}
    assert tool_table(project)["pkgconfig-name"] == pkgconfig_name


def test_any_unicode_description_stays_valid_toml(tmp_path: Path) -> None:
    """JSON's ASCII escapes write astral characters as surrogate pairs, which TOML refuses."""
    project = render(tmp_path, description="Café BLAS \U0001f680, packaged once")
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["description"] == "Café BLAS \U0001f680, packaged once"


def test_two_renders_are_identical_and_leave_no_bytecode(tmp_path: Path) -> None:
    """Regression: `libwrap new` imported a script from the template, left cmake/__pycache__/ in it,
    and cookiecutter copied that into later renders, so two renders of the same input differed.
    Runs as a user would, with bytecode writing on."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    trees = []
    for run in ("a", "b"):
        cmd = [sys.executable, "-m", "libwrap", "new", "demo", "-o", str(tmp_path / run), "--no-input"]
        cmd += ["--source", str(FIXTURES / "wrapdemo"), "--init-symbol", "demo_init", "--build", "cmake"]
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        root = tmp_path / run / "demo"
        trees.append({str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()})
    assert trees[0] == trees[1]
    assert not list(template_dir().rglob("__pycache__"))
    assert not [name for name in trees[0] if "__pycache__" in name]


def test_nothing_the_build_decides_is_baked_into_the_package(tmp_path: Path) -> None:
    """Version, requirement and SONAMEs come from what the build recorded (libwrap's runtime module),
    so editing [tool.libwrap] or [project] and rebuilding needs no new render."""
    project = render(tmp_path, version="0.3.29")
    init = (project / "src/demo/__init__.py").read_text(encoding="utf-8")
    for baked in ("0.3.29", "demo>=0.3.29", "libdemo"):
        assert baked not in init
    assert "_init = _libwrap.load()" in init


def test_workflow_keeps_github_expressions(tmp_path: Path) -> None:
    workflow = (render(tmp_path) / ".github/workflows/wheels.yml").read_text(encoding="utf-8")
    assert "${{ matrix.os }}" in workflow
    assert "pypa/cibuildwheel" in workflow
    for runner in ("ubuntu-latest", "macos-14", "windows-latest"):
        assert runner in workflow


def test_unsafe_name_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="import name"):
        render(tmp_path / "out", name="../evil")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_rendered_python_passes_ruff_and_mypy(tmp_path: Path) -> None:
    """The generated package is typed (py.typed) and lint-clean, like code a user would write."""
    project = render(tmp_path, init_returns="str")
    rules = "E,F,W,B,UP,I,SIM,RUF"
    ruff = [
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--no-cache",
        "--select",
        rules,
        "--target-version",
        "py39",
        "--line-length",
        "120",
        ".",
    ]
    proc = subprocess.run(ruff, cwd=project, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.10"]
    mypy += ["src/demo", "tests"]
    proc = subprocess.run(mypy, cwd=project, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_a_provider_built_on_another_declares_it(tmp_path: Path) -> None:
    """libxslt on libxml2: Requires-Dist and build-system.requires carry the range; the build reads the
    providers it builds against from [project] dependencies (no third copy in [tool.libwrap])."""
    project = render(tmp_path, name="demo", requires=("libxml2>=2.9.14,<3",))
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["dependencies"] == ["libxml2>=2.9.14,<3"]
    assert "libxml2>=2.9.14,<3" in data["build-system"]["requires"]
    assert "requires" not in data["tool"]["libwrap"]


def test_meson_build_requires_meson_and_ninja(tmp_path: Path) -> None:
    project = render(tmp_path, build="meson")
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert {"meson>=1.1", "ninja>=1.11"} <= set(data["build-system"]["requires"])
    assert "dependencies" not in data["project"]
