"""Measure ``libwrap doctor`` on PyPI's own wheels, and on a provider-built stack when one is given:

1. PyPI's NumPy 2.4.6 + SciPy 1.17.1 in a venv of their own: the report of
   ``-- python -c "import numpy, scipy.linalg"`` and of ``--installed``;
2. the provider-built stack (NumPy and SciPy built on libwrap's OpenBLAS provider by
   ``examples/openblas/run.sh``): ``PROVIDER_PYTHON`` and ``PROVIDER_SITES`` (``:``-separated, put on
   PYTHONPATH) name it; skipped when they are not set;
3. a wider environment of PyPI wheels (NumPy, SciPy, Pillow, lxml, pandas, scikit-learn, matplotlib,
   h5py, netCDF4, pyproj, shapely, pyzmq, psycopg2-binary): both reports, and doctor's wall time,
   median of 5 interleaved rounds, against the bare command.

The venvs are made once under WORK (default build/doctor) from the configured index; a second run
reuses them. From the repository root, after installing ``.[dev]``:

    .venv/bin/python examples/doctor/doctor_benchmark.py > examples/doctor/BENCHMARK.md
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("WORK", ROOT / "build" / "doctor")).resolve()
RUNS = 5
PYPI = ("numpy==2.4.6", "scipy==1.17.1")
WIDE = (
    *PYPI,
    "pillow",
    "lxml",
    "pandas",
    "scikit-learn",
    "matplotlib",
    "h5py",
    "netcdf4",
    "pyproj",
    "shapely",
    "pyzmq",
    "psycopg2-binary",
)
WIDE_IMPORTS = (
    "import numpy, scipy.linalg, PIL.Image, lxml.etree, pandas, sklearn.ensemble, matplotlib.pyplot, "
    "h5py, netCDF4, pyproj, shapely, zmq, psycopg2"
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYENV_VERSION"))}
    return {**env, **extra}


def venv(name: str, requirements: tuple[str, ...]) -> Path:
    """WORK/NAME with REQUIREMENTS from wheels only; made once."""
    root = WORK / name
    python = root / "bin" / "python"
    done = root / "libwrap-benchmark.done"
    if not done.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", root], check=True)
        pip: list[str | Path] = [python, "-m", "pip", "install", "-q", "--only-binary=:all:", *requirements]
        subprocess.run(pip, check=True, env=clean_env())
        done.write_text(" ".join(requirements), encoding="utf-8")
    return python


def doctor(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> tuple[int, str, dict[str, object]]:
    """(exit status, text report, JSON document) of ``libwrap doctor ARGS``."""
    cmd: list[str] = [sys.executable, "-m", "libwrap", "doctor", *(str(a) for a in args)]
    text = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env or clean_env())
    data = subprocess.run(
        [*cmd[:4], "--json", *cmd[4:]], capture_output=True, text=True, check=False, env=env or clean_env()
    )
    if text.returncode not in (0, 1):
        sys.exit(f"{shlex.join(cmd)} failed: {text.stderr}")
    return text.returncode, text.stdout, json.loads(data.stdout)


def counts(document: dict[str, object]) -> str:
    conflicts = document["conflicts"]
    assert isinstance(conflicts, list)
    parts = [f"{c['label']} {len(c['copies'])}" for c in conflicts]
    return (
        f"{len(conflicts)} conflicts ({', '.join(parts) or 'none'}), "
        f"{int(str(document['duplicated_bytes'])) / 1e6:.1f} MB duplicated"
    )


def section(title: str, args: list[str | os.PathLike[str]], env: dict[str, str] | None = None) -> list[str]:
    status, text, document = doctor(*args, env=env)
    shown = shlex.join(["libwrap", "doctor", *map(str, args)])
    return [f"### {title}", "", f"`{shown}`: exit {status}, {counts(document)}", "", "```", text.rstrip(), "```", ""]


def timed(cmd: list[str | os.PathLike[str]]) -> tuple[float, float]:
    """(wall, CPU) seconds of CMD and everything it ran: CPU time (user + system) is what a loaded,
    shared machine skews least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False, env=clean_env())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    pypi = venv("pypi-numpy-scipy", PYPI)
    wide = venv("pypi-wide", WIDE)
    lines = [
        "# libwrap doctor: measured",
        "",
        (
            f"Written by `examples/doctor/doctor_benchmark.py` on {platform.platform()}, {os.cpu_count()} CPUs, "
            f"CPython {platform.python_version()}; load average {os.getloadavg()[0]:.2f} at the start."
        ),
        "",
        "## PyPI's NumPy 2.4.6 and SciPy 1.17.1",
        "",
        *section("In one process", ["--", pypi, "-c", "import numpy, scipy.linalg"]),
        *section("Installed, nothing imported", ["--installed", "--python", pypi]),
    ]
    provider_python, provider_sites = os.environ.get("PROVIDER_PYTHON"), os.environ.get("PROVIDER_SITES")
    if provider_python and provider_sites:
        env = clean_env(PYTHONPATH=provider_sites)
        modules = os.environ.get("PROVIDER_IMPORTS", "import numpy, numpy.linalg")
        lines += [
            "## The provider-built stack",
            "",
            f"PYTHONPATH={provider_sites}",
            "",
            *section("In one process", ["--", provider_python, "-c", modules], env),
        ]
    bare_cmd: list[str | os.PathLike[str]] = [wide, "-c", WIDE_IMPORTS]
    mapped_cmd: list[str | os.PathLike[str]] = [sys.executable, "-m", "libwrap", "doctor", "--", *bare_cmd]
    installed_cmd: list[str | os.PathLike[str]] = [sys.executable, "-m", "libwrap", "doctor", "--installed"]
    installed_cmd += ["--python", wide]
    rounds: dict[str, list[tuple[float, float]]] = {"bare": [], "mapped": [], "installed": []}
    for _ in range(RUNS):
        rounds["bare"].append(timed(bare_cmd))
        rounds["mapped"].append(timed(mapped_cmd))
        rounds["installed"].append(timed(installed_cmd))
    wall = {name: statistics.median(w for w, _ in times) for name, times in rounds.items()}
    cpu = {name: statistics.median(c for _, c in times) for name, times in rounds.items()}
    lines += [
        "## A wider environment of PyPI wheels",
        "",
        f"`pip install {' '.join(WIDE)}`",
        "",
        *section("In one process", ["--", *bare_cmd]),
        *section("Installed, nothing imported", ["--installed", "--python", wide]),
        f"### Wall time, median of {RUNS} interleaved rounds",
        "",
        "| what | wall, median | CPU, median | wall, each run |",
        "|---|---|---|---|",
        *(
            f"| {name} | {wall[name]:.2f} s | {cpu[name]:.2f} s | {', '.join(f'{w:.2f}' for w, _ in rounds[name])} |"
            for name in ("bare", "mapped", "installed")
        ),
        "",
        (
            "bare: the imports alone; mapped: `libwrap doctor -- python -c ...` (the imports, the hook, sampling, "
            f"the report): {wall['mapped'] - wall['bare']:.2f} s more wall time, {cpu['mapped'] - cpu['bare']:.2f} s "
            "more CPU; installed: `libwrap doctor --installed --python ...`, nothing imported."
        ),
        f"Load average at the end: {os.getloadavg()[0]:.2f}.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
