"""One process: both example consumers, NumPy and (when installed) SciPy, each installed apart from
the provider. Compares their results and counts the OpenBLAS copies mapped (exactly one expected):
the wheel's, or with OPENBLAS_PREFER_SYSTEM_LIBRARY=1 the system's (its file is what serves then;
the provider's filter object under the wheel's name maps too, and holds no code).

Usage: PYTHONPATH=<consumer sites>:<numpy site>[:<scipy site>]:<provider site> python check.py
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path


def loaded_openblas(filter_dir: Path) -> list[str]:
    """Distinct OpenBLAS files mapped into this process (what threadpoolctl would also find), but the
    provider's filter object (FILTER_DIR), which only forwards to the system's copy."""
    maps = Path("/proc/self/maps").read_text(encoding="utf-8").splitlines()
    paths = {line.split()[-1] for line in maps if "/libopenblas" in line or "/libscipy_openblas" in line}
    return sorted(p for p in paths if Path(p).resolve().parent != filter_dir.resolve())


def main() -> int:
    import dgemm_cmake
    import dgemm_meson
    import numpy as np
    import openblas

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 200)), rng.standard_normal((200, 100))
    expected = a @ b
    results: dict[str, dict[str, object]] = {}
    for module in (dgemm_cmake, dgemm_meson):
        got = module.dgemm(a, b)
        results[module.__name__] = {
            "max_abs_error": float(np.max(np.abs(got - expected))),
            "config": module.config(),
            "file": module._dgemm.__file__,
        }
        assert np.allclose(got, expected, rtol=1e-12, atol=1e-10), module.__name__
        assert module.config() == openblas.config, "the consumer must use the provider's library"

    square = rng.standard_normal((200, 200))
    spd = square @ square.T + 200 * np.eye(200)
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    results["numpy"] = {
        "file": np.__file__,
        "blas": {key: blas.get(key) for key in ("name", "version", "openblas configuration")},
        "solve_residual": float(np.max(np.abs(spd @ np.linalg.solve(spd, square) - square))),
    }
    if importlib.util.find_spec("scipy") is not None:
        import scipy
        import scipy.linalg

        lower = scipy.linalg.cholesky(spd, lower=True)
        results["scipy"] = {
            "file": scipy.__file__,
            "version": scipy.__version__,
            "cholesky_residual": float(np.max(np.abs(lower @ lower.T - spd))),
        }

    pools = []
    if importlib.util.find_spec("threadpoolctl") is not None:
        import threadpoolctl

        pools = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"]
    served = openblas.info()  # which file serves: the wheel's, or the system's on request
    copies = loaded_openblas(Path(openblas.get_lib_dir()) / "system")
    assert copies == [str(Path(str(served["library"])).resolve())], (copies, served)  # one OpenBLAS, the one serving
    if served["copy"] == "wheel":
        assert copies == [str(Path(openblas.get_library_path()).resolve())], copies
    assert len({p["filepath"] for p in pools if "/system/" not in p["filepath"]}) in (0, 1), pools
    report = {
        "provider": openblas.get_library_path(),
        "served_by": served["library"],
        "copy": served["copy"],
        "config": openblas.config,
        "consumers": results,
        "loaded": copies,
        "threadpoolctl": [{k: p[k] for k in ("filepath", "version", "num_threads")} for p in pools],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
