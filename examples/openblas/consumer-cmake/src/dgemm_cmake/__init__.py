"""cblas_dgemm through the openblas provider (cmake build)."""

from . import _distributor_init  # noqa: F401  (loads OpenBLAS before the extension)
from ._dgemm import config, dgemm

__all__ = ["config", "dgemm"]
