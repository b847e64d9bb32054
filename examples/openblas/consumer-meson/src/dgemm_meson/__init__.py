"""cblas_dgemm through the openblas provider (meson build)."""

from . import _distributor_init  # noqa: F401  (loads OpenBLAS before the extension)
from ._dgemm import config, dgemm

__all__ = ["config", "dgemm"]
