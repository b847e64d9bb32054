"""Measure libwrap on real consumers, lxml and cffi from their PyPI sdists, each figure against the
alternative in the same run:

1. wheel size: ``libwrap repair`` (providers excluded) vs plain ``auditwheel repair`` of the same wheel
   (the providers' libraries grafted) vs the project's own PyPI wheel;
2. installed size: consumer + providers vs the grafted wheel vs the PyPI wheel;
3. ``libwrap repair`` wall time vs ``auditwheel repair`` on the same wheel, median of 5;
4. the project's own test suite on the provider-built, repaired wheel (installed apart from the
   providers) vs on its PyPI wheel.

Providers and consumers are built as the real-world test layer builds them (tests/realworld/builds.py),
once per WORK directory; a second run reuses them. From the repository root, after installing
``.[dev]``:

    .venv/bin/python examples/consumers/consumers_benchmark.py > examples/consumers/BENCHMARK.md

SUITES=0 leaves out the suites (4.; the real-world test layer runs them on builds made the same way), and WORK
may be a test run's own directory (``/tmp/pytest-of-$USER/pytest-N``): its shared builds are reused.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, cast

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the real-world test layer's builds and suite runners

from tests.helpers import install_target, run
from tests.realworld import builds
from tests.realworld.test_cffi import run_cffi_suite
from tests.realworld.test_lxml import run_lxml_suite

from libwrap.tools import tool_env

if TYPE_CHECKING:
    import pytest

WORK = Path(os.environ.get("WORK", ROOT / "build" / "consumers")).resolve()
RUNS = 5
SUITES = os.environ.get("SUITES", "1") != "0"


class Work:
    """What builds.py asks of pytest's TempPathFactory, over one directory kept between runs."""

    def __init__(self, base: Path) -> None:
        base.mkdir(parents=True, exist_ok=True)
        self.base = base

    def getbasetemp(self) -> Path:
        return self.base


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def timed(cmd: list[str | Path], env: dict[str, str], out: Path, runs: int = RUNS) -> tuple[float, Path]:
    """Median wall time of RUNS runs of CMD writing one wheel into OUT, and that wheel."""
    times = []
    for _ in range(runs):
        for old in out.glob("*.whl"):
            old.unlink()
        start = time.perf_counter()
        subprocess.run([*map(str, cmd), "-w", str(out)], check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    (wheel,) = out.glob("*.whl")
    return statistics.median(times), wheel


def repairs(raw: Path, providers: list[Path], tmp: Path) -> dict[str, tuple[float, Path]]:
    """`libwrap repair` and plain `auditwheel repair` of RAW, timed; auditwheel finds the providers'
    libraries through LD_LIBRARY_PATH, as it would find them in any prefix they were built into."""
    sites = [install_target(wheel, tmp / f"lib-{wheel.name.split('-')[0]}") for wheel in providers]
    lib_dirs = [str(d) for site in sites for d in site.glob("*/lib")]
    env = {**tool_env("patchelf"), "LD_LIBRARY_PATH": os.pathsep.join(lib_dirs)}
    explicit = [arg for wheel in providers for arg in ("--provider", str(wheel))]
    libwrap: list[str | Path] = [sys.executable, "-m", "libwrap", "repair", *explicit, raw]
    auditwheel: list[str | Path] = [sys.executable, "-m", "auditwheel", "repair", raw]
    return {
        "libwrap": timed(libwrap, env, tmp / "libwrap"),
        "auditwheel": timed(auditwheel, env, tmp / "auditwheel"),
        # as projects ship to PyPI: without debug information
        "libwrap --strip": timed([*libwrap, "--strip"], env, tmp / "libwrap-strip", runs=1),
        "auditwheel --strip": timed([*auditwheel, "--strip"], env, tmp / "auditwheel-strip", runs=1),
    }


def pypi_wheel(requirement: str, python: Path, out: Path) -> Path:
    """The project's own binary wheel for PYTHON, from the registry."""
    run(python, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:", "-d", out, requirement)
    return next(out.glob("*.whl"))


def lxml_summary(output: str) -> str:
    """'2006 tests: OK' from lxml's runner, with the libxml2 and libxslt it reports using."""
    ran = re.search(r"^Ran (\d+) tests", output, re.MULTILINE)
    used = re.findall(r"^\s*(libxml|libxslt) used:\s+(\(.*?\))", output, re.MULTILINE)
    verdict = output.rstrip().splitlines()[-1] if output.strip() else "no output"
    versions = ", ".join(f"{name} {version}" for name, version in used)
    return f"{ran[1] if ran else '?'} tests: {verdict} ({versions})"


def cffi_summary(proc: subprocess.CompletedProcess[str]) -> str:
    """pytest's last line without its duration: '1966 passed, 112 skipped, 4 xfailed'."""
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    last = lines[-1].strip("= ") if lines else "no output"
    return re.sub(r" in [\d.]+s.*$", "", last)


def shipped_libraries(wheel: Path) -> str:
    """The shared libraries a provider wheel ships (<package>/lib/*.so*) and their sizes."""
    with zipfile.ZipFile(wheel) as zf:
        libs = [i for i in zf.infolist() if i.filename.split("/")[1:2] == ["lib"] and ".so" in i.filename]
    return ", ".join(f"{Path(i.filename).name} {i.file_size:,} B" for i in libs)


def row(*cells: str) -> str:
    return f"| {' | '.join(cells)} |"


def sizes_rows(
    project: str, repaired: dict[str, tuple[float, Path]], pypi: Path, tmp: Path, providers: list[Path]
) -> list[str]:
    """Wheel and installed sizes (PROVIDERS: their install directories) and repair times of PROJECT."""
    (t_ours, ours), (t_grafted, grafted) = repaired["libwrap"], repaired["auditwheel"]
    wheels = {"ours": ours, "grafted": grafted, "pypi": pypi}
    size = {key: wheel.stat().st_size for key, wheel in wheels.items()}
    stripped = {key: repaired[key][1].stat().st_size for key in ("libwrap --strip", "auditwheel --strip")}
    installed = {key: tree_size(install_target(wheel, tmp / f"{project}-{key}-site")) for key, wheel in wheels.items()}
    installed["ours"] += sum(map(tree_size, providers))
    return [
        row(
            f"{project} wheel",
            f"{size['ours']:,} B",
            f"{size['grafted']:,} B grafted; PyPI {size['pypi']:,} B",
            f"grafted / libwrap = {size['grafted'] / size['ours']:.1f}; PyPI / libwrap = {size['pypi'] / size['ours']:.1f}",
        ),
        row(
            f"{project} wheel, `--strip` (as PyPI ships it)",
            f"{stripped['libwrap --strip']:,} B",
            f"{stripped['auditwheel --strip']:,} B grafted; PyPI {size['pypi']:,} B",
            f"grafted / libwrap = {stripped['auditwheel --strip'] / stripped['libwrap --strip']:.1f}; "
            f"PyPI / libwrap = {size['pypi'] / stripped['libwrap --strip']:.1f}",
        ),
        row(
            f"{project} installed, with its providers",
            f"{installed['ours']:,} B",
            f"{installed['grafted']:,} B grafted; PyPI {installed['pypi']:,} B",
            f"grafted / libwrap = {installed['grafted'] / installed['ours']:.2f}",
        ),
        row(
            f"repair wall time, {project} (median of {RUNS})",
            f"{t_ours:.2f} s `libwrap repair`",
            f"{t_grafted:.2f} s `auditwheel repair`",
            f"libwrap / auditwheel = {t_ours / t_grafted:.2f}",
        ),
    ]


def measure() -> tuple[list[str], list[str]]:
    """Build, repair and test both consumers; returns the table's rows and the notes under it."""
    factory = cast("pytest.TempPathFactory", Work(WORK))
    tmp = Path(tempfile.mkdtemp(prefix="libwrap-consumers-"))
    rows: list[str] = []
    notes: list[str] = [f"raw wheels built from the sdists in {WORK} (kept between runs)"]

    # lxml on libzlib <- libxml2 <- libxslt
    xml_providers = [builds.libzlib_wheel(factory), builds.libxml2_wheel(factory), builds.libxslt_wheel(factory)]
    lxml_raw, lxml_sdist = builds.lxml_wheel(factory)
    lxml = repairs(lxml_raw, xml_providers, tmp / "lxml-repair")
    xml_sites = [install_target(w, tmp / f"{w.name.split('-')[0]}-site") for w in xml_providers]
    lxml_pypi = pypi_wheel(builds.LXML, Path(sys.executable), tmp / "lxml-pypi")
    rows += sizes_rows("lxml", lxml, lxml_pypi, tmp, xml_sites)
    if SUITES:
        ours_out = run_lxml_suite(tmp / "lxml-ours-site", xml_sites, lxml_sdist, Path(tempfile.mkdtemp(dir=tmp)))
        pypi_out = run_lxml_suite(tmp / "lxml-pypi-site", [], lxml_sdist, Path(tempfile.mkdtemp(dir=tmp)))
        rows.append(row("lxml's suite", lxml_summary(ours_out), f"PyPI wheel: {lxml_summary(pypi_out)}", ""))

    # cffi on libffi
    ffi_provider = builds.libffi_wheel(factory)
    cffi_raw, cffi_sdist = builds.cffi_wheel(factory)
    cffi = repairs(cffi_raw, [ffi_provider], tmp / "cffi-repair")
    ffi_site = install_target(ffi_provider, tmp / "libffi-site")
    env = builds.build_env(factory, "ffi-env")
    cffi_pypi = pypi_wheel(builds.CFFI, env.python, tmp / "cffi-pypi")
    rows += sizes_rows("cffi", cffi, cffi_pypi, tmp, [ffi_site])
    if SUITES:
        pycparser = tmp / "pycparser-site"
        run(env.python, "-m", "pip", "install", "-q", "--no-deps", "--target", pycparser, "pycparser")
        results = [
            cffi_summary(run_cffi_suite(paths, cffi_sdist, env.python, Path(tempfile.mkdtemp(dir=tmp))))
            for paths in ([tmp / "cffi-ours-site", ffi_site, pycparser], [tmp / "cffi-pypi-site", pycparser])
        ]
        rows.append(row("cffi's suite (serial)", results[0], f"PyPI wheel: {results[1]}", ""))
    else:
        notes.append(
            "the suites were not run (SUITES=0); the real-world test layer runs them on builds made the same way"
        )

    notes += [
        f"lxml: {lxml_raw.name} ({lxml_raw.stat().st_size:,} B as built) -> {lxml['libwrap'][1].name}; grafted by auditwheel: "
        + ", ".join(sorted(n.name for n in (tmp / "lxml-grafted-site").glob("lxml.libs/*"))),
        f"cffi: {cffi_raw.name} ({cffi_raw.stat().st_size:,} B as built) -> {cffi['libwrap'][1].name}; grafted by auditwheel: "
        + ", ".join(sorted(n.name for n in (tmp / "cffi-grafted-site").glob("cffi.libs/*"))),
        "providers (libraries stripped by the build, scikit-build-core's install.strip): "
        + "; ".join(f"{w.name}: {shipped_libraries(w)}" for w in [*xml_providers, ffi_provider]),
    ]
    return rows, notes


def main() -> int:
    # what the builds print (libwrap new's "Created ...") goes to stderr; stdout is the report
    with contextlib.redirect_stdout(sys.stderr):
        rows, notes = measure()
    cpus = os.cpu_count()
    print("# Real consumers on libwrap providers: measured figures\n")
    print(
        f"Produced by `examples/consumers/consumers_benchmark.py` on {platform.machine()}, {cpus} CPUs, "
        f"Python {platform.python_version()}: {builds.LXML} and {builds.CFFI} built from their sdists on "
        "the providers, repaired two ways" + (", and judged by their own suites.\n" if SUITES else ".\n")
    )
    print("| what | libwrap | alternative | ratio |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("\n".join(f"- {note}" for note in notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
