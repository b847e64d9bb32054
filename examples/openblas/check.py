"""Run the two consumers installed apart from the provider; compare with NumPy; count loaded copies.

Usage: PYTHONPATH=<consumer sites>:<provider site> python check.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def loaded_openblas() -> list[str]:
    """Distinct OpenBLAS files mapped into this process (what threadpoolctl would also find)."""
    maps = Path("/proc/self/maps").read_text(encoding="utf-8").splitlines()
    paths = {line.split()[-1] for line in maps if "/libopenblas" in line or "/libscipy_openblas" in line}
    return sorted(paths)


def main() -> int:
    import dgemm_cmake
    import dgemm_meson
    import numpy as np
    import openblas

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 200)), rng.standard_normal((200, 100))
    expected = a @ b
    results = {}
    for module in (dgemm_cmake, dgemm_meson):
        got = module.dgemm(a, b)
        results[module.__name__] = {
            "max_abs_error": float(np.max(np.abs(got - expected))),
            "config": module.config(),
            "file": module._dgemm.__file__,
        }
        assert np.allclose(got, expected, rtol=1e-12, atol=1e-10), module.__name__
        assert module.config() == openblas.config, "the consumer must use the provider's library"
    copies = loaded_openblas()
    ours = [p for p in copies if Path(p).resolve().parent == Path(openblas.get_lib_dir()).resolve()]
    assert len(ours) == 1, copies
    report = {
        "provider": openblas.get_library_path(),
        "config": openblas.config,
        "consumers": results,
        "loaded": copies,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
