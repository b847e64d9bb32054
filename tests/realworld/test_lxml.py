"""lxml from its PyPI sdist on the libxml2 and libxslt providers: repaired with `libwrap repair`,
installed apart from them, judged by lxml's own test suite; and beside a second libxml2 consumer,
one libxml2 in the process."""

from __future__ import annotations

import re
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from ..helpers import FIXTURES, install_target, python_ok, python_with, run, wheel_names
from .builds import libxml2_wheel, libxslt_wheel, libzlib_wheel, lxml_wheel, xml_env

pytestmark = [pytest.mark.slow, pytest.mark.realworld]


def providers() -> list[str]:
    return ["libzlib", "libxml2", "libxslt"]


def explicit_providers(factory: pytest.TempPathFactory) -> list[str]:
    """--provider for each provider wheel: this test environment has none installed."""
    return [arg for w in (libxml2_wheel, libxslt_wheel, libzlib_wheel) for arg in ("--provider", str(w(factory)))]


@pytest.fixture(scope="module")
def repaired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw, _ = lxml_wheel(tmp_path_factory)
    out = tmp_path_factory.mktemp("lxml-repaired")
    explicit = [
        arg for w in (libxml2_wheel, libxslt_wheel, libzlib_wheel) for arg in ("--provider", str(w(tmp_path_factory)))
    ]
    run(sys.executable, "-m", "libwrap", "repair", *explicit, "-w", out, raw)
    (wheel,) = out.glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, repaired: Path) -> dict[str, Path]:
    """lxml and each provider in a directory of its own."""
    wheels = {"lxml": repaired, "libzlib": libzlib_wheel(tmp_path_factory)}
    wheels |= {"libxml2": libxml2_wheel(tmp_path_factory), "libxslt": libxslt_wheel(tmp_path_factory)}
    return {name: install_target(wheel, tmp_path_factory.mktemp(f"{name}-site")) for name, wheel in wheels.items()}


def test_repaired_lxml_declares_and_preloads_the_providers(
    repaired: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert "manylinux" in repaired.name
    names = wheel_names(repaired)
    assert not any(name.startswith("lxml.libs/") for name in names)  # nothing grafted
    with zipfile.ZipFile(repaired) as zf:
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        init = zf.read("lxml/__init__.py").decode()
    assert "Requires-Dist: libxml2>=2.9.14,<3" in metadata
    assert "Requires-Dist: libxslt>=1.1.35,<2" in metadata
    assert "from . import _distributor_init" in init
    run(sys.executable, "-m", "libwrap", "check", *explicit_providers(tmp_path_factory), repaired)


def run_lxml_suite(lxml_site: Path, paths: list[Path], sdist: Path, workdir: Path) -> str:
    """lxml's own runner (test.py) over the installed lxml: the sdist's tests are copied into the
    installed package, and the runner sees that directory as its src/ (its doctests read doc/ and
    samples/ beside it)."""
    with tarfile.open(sdist) as tar:
        tar.extractall(workdir, filter="data")
    (tree,) = workdir.glob("lxml-*")
    shutil.copytree(tree / "src" / "lxml" / "tests", lxml_site / "lxml" / "tests", dirs_exist_ok=True)
    shutil.copytree(tree / "src" / "lxml" / "html" / "tests", lxml_site / "lxml" / "html" / "tests", dirs_exist_ok=True)
    shutil.rmtree(tree / "src")
    (tree / "src").symlink_to(lxml_site, target_is_directory=True)
    proc = python_with(
        paths,
        "import runpy, sys; sys.argv = ['test.py', '-u']; runpy.run_path('test.py', run_name='__main__')",
        cwd=tree,
    )
    return proc.stdout + proc.stderr


def test_lxml_suite_passes_on_the_providers(
    sites: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    _, sdist = lxml_wheel(tmp_path_factory)
    out = run_lxml_suite(sites["lxml"], [sites[p] for p in providers()], sdist, tmp_path)
    assert "libxml used:      (2, 9, 14)" in out  # the provider's, not a copy of lxml's own
    assert "libxslt used:     (1, 1, 35)" in out
    ran = re.search(r"^Ran (\d+) tests", out, re.MULTILINE)
    assert ran is not None, out[-3000:]
    assert int(ran[1]) > 1900
    assert out.rstrip().endswith("OK"), out[-3000:]


def test_lxml_and_a_second_consumer_share_one_libxml2(
    sites: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """xmlconsumer is built with meson-python, libxml-2.0 found by pkg-config through the provider's
    entry point; repaired, it loads the same libxml2 as lxml."""
    env = xml_env(tmp_path_factory)
    project = shutil.copytree(FIXTURES / "xmlconsumer", tmp_path / "xmlconsumer")
    raw = env.wheel(project, tmp_path / "raw")
    out = tmp_path / "repaired"
    run(sys.executable, "-m", "libwrap", "repair", "--provider", libxml2_wheel(tmp_path_factory), "-w", out, raw)
    (wheel,) = out.glob("*.whl")
    consumer = install_target(wheel, tmp_path / "consumer-site")
    code = (
        "import lxml.etree as etree, xmlconsumer; "
        "print(etree.fromstring(b'<a><b/></a>')[0].tag, xmlconsumer.root_name(b'<root/>'), xmlconsumer.parser_version()); "
        "print(sorted({l.split()[-1] for l in open('/proc/self/maps') if l.split()[-1].rsplit('/', 1)[-1].startswith('libxml2')}))"
    )
    first, maps = python_ok([sites["lxml"], consumer, *(sites[p] for p in providers())], code).strip().splitlines()
    assert first == "b root 20914"
    assert maps == str([str(sites["libxml2"] / "libxml2" / "lib" / "libxml2.so.2")])
