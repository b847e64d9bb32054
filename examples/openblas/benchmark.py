"""Measure what the provider buys, each figure a ratio against the alternative in the same run.

Run after ``run.sh`` (it reuses the provider wheel and the consumers it built):

    WORK=build/openblas-example python examples/openblas/benchmark.py > examples/openblas/BENCHMARK.md

1. consumer wheel size: repaired with ``--exclude`` (libwrap) vs grafted (plain ``auditwheel repair``);
2. three consumers in one process: installed size and loaded OpenBLAS copies, one provider vs grafted;
3. ``import openblas`` vs ``ctypes.CDLL`` of the same file vs ``import scipy_openblas32``, fresh
   interpreters, median of 31;
4. ``cblas_dgemm`` throughput through the consumer vs a C program linked directly to the library.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("WORK", HERE.parents[1] / "build" / "openblas-example")).resolve()
PY = str(WORK / "venv" / "bin" / "python")
RUNS = 31


def sh(*cmd: str | Path, env: dict[str, str] | None = None) -> str:
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, env=env).stdout


def python_in(paths: list[Path], code: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join(map(str, paths))
    return sh(PY, "-c", code, env=env)


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def repair(raw: Path, out: Path, *exclude: str) -> Path:
    """auditwheel repair; without EXCLUDE it finds the library in the provider's lib/ and grafts it."""
    args = [a for soname in exclude for a in ("--exclude", soname)]
    env = {**os.environ, "LD_LIBRARY_PATH": str(WORK / "provider-site" / "openblas" / "lib")}
    sh(PY, "-m", "auditwheel", "repair", *args, "-w", out, raw, env=env)
    return next(out.glob("*.whl"))


def renamed_consumer(tmp: Path, suffix: str) -> Path:
    """consumer-cmake under another import name: a third, independent consumer."""
    src = shutil.copytree(HERE / "consumer-cmake", tmp / f"consumer-{suffix}")
    (src / "src" / "dgemm_cmake").rename(src / "src" / f"dgemm_{suffix}")
    for name in ("pyproject.toml", "CMakeLists.txt"):
        path = src / name
        text = path.read_text().replace("dgemm-cmake", f"dgemm-{suffix}").replace("dgemm_cmake", f"dgemm_{suffix}")
        path.write_text(text)
    shutil.copy(WORK / "consumer-cmake-site" / "dgemm_cmake" / "_distributor_init.py", src / "src" / f"dgemm_{suffix}")
    return src


def build(project: Path, out: Path) -> Path:
    sh(PY, "-m", "pip", "wheel", "-q", "--no-deps", "--find-links", WORK / "dist", "-w", out, project)
    return next(out.glob("*.whl"))


def install(wheel: Path, target: Path) -> Path:
    sh(PY, "-m", "pip", "install", "-q", "--no-deps", "--target", target, wheel)
    return target


LOADED = (
    "import importlib, json, sys\n"
    "for name in sys.argv[1:]: importlib.import_module(name)\n"
    "maps = open('/proc/self/maps').read().splitlines()\n"
    "print(json.dumps(sorted({l.split()[-1] for l in maps if 'openblas' in l.rsplit('/', 1)[-1]})))\n"
)


def loaded_copies(paths: list[Path], modules: list[str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join(map(str, paths))
    return list(json.loads(sh(PY, "-c", LOADED, *modules, env=env)))


def short(paths: list[str]) -> list[str]:
    """The last three parts of each path: enough to tell the copies apart."""
    return [str(Path(p).relative_to(Path(p).parents[2])) for p in paths]


def median_import(paths: list[Path], statement: str) -> float:
    """Median wall time of STATEMENT, each run in a fresh interpreter, in milliseconds."""
    code = f"import time\nt = time.perf_counter()\n{statement}\nprint((time.perf_counter() - t) * 1e3)"
    return statistics.median(float(python_in(paths, code)) for _ in range(RUNS))


def main() -> int:
    provider_wheel = next((WORK / "dist").glob("openblas-*.whl"))
    provider_site = WORK / "provider-site"
    soname = python_in([provider_site], "import openblas; print(openblas.get_library(fullname=True))").strip()
    libpath = provider_site / "openblas" / "lib" / soname
    tmp = Path(tempfile.mkdtemp(prefix="libwrap-bench-"))
    rows: list[str] = []

    # 1. wheel size
    raw = next((WORK / "consumer-cmake" / "raw").glob("*.whl"))
    excluded = repair(raw, tmp / "excluded", soname)
    grafted = repair(raw, tmp / "grafted")
    size_ex, size_gr = excluded.stat().st_size, grafted.stat().st_size
    rows.append(
        f"| consumer wheel (dgemm-cmake) | {size_ex:,} B excluded | {size_gr:,} B grafted | grafted / excluded = {size_gr / size_ex:.1f} |"
    )

    # 2. three consumers in one process
    third = build(renamed_consumer(tmp, "third"), tmp / "third-raw")
    raws = {
        "dgemm_cmake": raw,
        "dgemm_meson": next((WORK / "consumer-meson" / "raw").glob("*.whl")),
        "dgemm_third": third,
    }
    sites_ex, sites_gr = [], []
    for name, wheel in raws.items():
        sites_ex.append(install(repair(wheel, tmp / f"{name}-ex", soname), tmp / f"{name}-ex-site"))
        sites_gr.append(install(repair(wheel, tmp / f"{name}-gr"), tmp / f"{name}-gr-site"))
    installed_ex = sum(map(tree_size, sites_ex)) + tree_size(provider_site)
    installed_gr = sum(map(tree_size, sites_gr)) + tree_size(provider_site)
    graft_libs = sum(tree_size(p) for site in sites_gr for p in site.glob("*.libs"))
    rows.append(
        f"| installed, 3 consumers + provider | {installed_ex:,} B | {installed_gr:,} B | grafted / excluded = "
        f"{installed_gr / installed_ex:.2f} ({graft_libs:,} B of grafted copies) |"
    )
    modules = list(raws)
    copies_ex = loaded_copies([*sites_ex, provider_site], modules)
    copies_gr = loaded_copies([*sites_gr, provider_site], modules)
    rows.append(f"| OpenBLAS files mapped, 3 consumers imported | {len(copies_ex)} | {len(copies_gr)} | |")

    # 3. import time
    scipy_site = tmp / "scipy-openblas32"
    sh(PY, "-m", "pip", "install", "-q", "--target", scipy_site, "scipy-openblas32")
    t_provider = median_import([provider_site], "import openblas")
    t_ctypes = median_import([], f"import ctypes\nctypes.CDLL({str(libpath)!r})")
    t_scipy = median_import([scipy_site], "import scipy_openblas32")
    t_python = median_import([], "pass")
    rows.append(
        f"| `import openblas` vs `ctypes.CDLL(same file)` | {t_provider:.2f} ms | {t_ctypes:.2f} ms | ratio {t_provider / t_ctypes:.2f} |"
    )
    rows.append(
        f"| `import openblas` vs `import scipy_openblas32` | {t_provider:.2f} ms | {t_scipy:.2f} ms | ratio {t_provider / t_scipy:.2f} |"
    )

    # 4. dgemm throughput, n = 1000: best of 7 rounds of 5 calls, in 5 alternating trials (the VM is noisy)
    n, rounds, calls, trials = 1000, 7, 5, 5
    flops = 2.0 * n**3 * calls
    flags = python_in([provider_site], "import openblas; print(openblas.get_cflags(), openblas.get_ldflags())").split()
    exe = tmp / "dgemm_direct"
    sh("cc", "-O2", HERE / "dgemm_direct.c", "-o", exe, *flags, f"-Wl,-rpath,{libpath.parent}")
    consumer_code = (
        "import time, numpy as np, dgemm_cmake\n"
        f"a = np.random.default_rng(1).standard_normal(({n}, {n})); b = a.T.copy()\n"
        "dgemm_cmake.dgemm(a, b)\nbest = 1e9\n"
        f"for _ in range({rounds}):\n    t = time.perf_counter()\n"
        f"    for _ in range({calls}): dgemm_cmake.dgemm(a, b)\n"
        "    best = min(best, time.perf_counter() - t)\nprint(best)"
    )
    via_consumer, direct = [], []
    for _ in range(trials):
        via_consumer.append(float(python_in([WORK / "consumer-cmake-site", provider_site], consumer_code)))
        direct.append(float(sh(exe, str(n), str(rounds), str(calls))))
    gf_consumer, gf_direct = flops / min(via_consumer) / 1e9, flops / min(direct) / 1e9
    spread = max(direct) / min(direct)
    rows.append(
        f"| dgemm n={n} through the consumer vs direct C | {gf_consumer:.1f} GFLOP/s | {gf_direct:.1f} GFLOP/s | "
        f"ratio {gf_consumer / gf_direct:.2f} (direct C alone varies {spread:.2f}x between trials) |"
    )

    config = python_in([provider_site], "import openblas; print(openblas.config)").strip()
    print("# OpenBLAS provider: measured figures\n")
    print(
        f"Produced by `examples/openblas/benchmark.py` on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; provider `{provider_wheel.name}` ({config}).\n"
    )
    print("| what | libwrap (provider) | alternative | ratio |\n|---|---|---|---|")
    print("\n".join(rows))
    print(
        f"\nImport times are the median of {RUNS} fresh interpreters, timed inside the process; an empty statement takes {t_python:.3f} ms."
    )
    print(f"\nMapped OpenBLAS files, provider layout: {short(copies_ex)}; grafted layout: {short(copies_gr)}.")
    with zipfile.ZipFile(grafted) as zf:
        print(f"The grafted wheel holds {[n for n in zf.namelist() if n.endswith('.so.0')]}.")
    print(
        "\nThe three grafted copies are byte-identical here (every consumer was repaired against the same file), "
        "so auditwheel gave them one hashed SONAME and the loader mapped only the first; the provider's own copy "
        "is mapped too because the consumers still import it. Consumers built against different OpenBLAS builds "
        "would each map their own copy, with its own thread pool."
    )
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
