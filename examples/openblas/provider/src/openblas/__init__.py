"""The openblas shared library, shipped once for every wheel that links to it.

``import openblas`` loads the library by its SONAME (through the ``_init`` extension,
RTLD_LOCAL, no ctypes); extensions loaded afterwards that need that SONAME reuse the same copy,
wherever they are installed. The helpers tell build scripts where the files are. They and the loading
come from libwrap's runtime module, which the build copies in as ``_libwrap.py``.
"""

from __future__ import annotations

try:
    from . import _libwrap
except ImportError as _missing:  # the build puts it there: without it the install is damaged
    _msg = f"{__name__} is damaged: {_missing}; reinstall it: pip install --force-reinstall {__name__}"
    raise ImportError(_msg, name=__name__) from _missing
from ._libwrap import (
    explain_missing_symbols,
    get_cflags,
    get_cmake_dir,
    get_include_dir,
    get_ldflags,
    get_lib_dir,
    get_library,
    get_library_path,
    get_pkgconfig_dir,
    get_requirement,
    get_sonames,
    info,
    write_distributor_init,
)

__version__ = _libwrap.version()
#: The release numbers of ``__version__``, e.g. for build scripts that compare versions.
version_info = _libwrap.version_info()
_init = _libwrap.load()
#: What the init symbol (openblas_get_config) returned when the library was loaded.
config = _init.init_result

__all__ = [
    "__version__",
    "config",
    "explain_missing_symbols",
    "get_cflags",
    "get_cmake_dir",
    "get_include_dir",
    "get_ldflags",
    "get_lib_dir",
    "get_library",
    "get_library_path",
    "get_pkgconfig_dir",
    "get_requirement",
    "get_sonames",
    "info",
    "version_info",
    "write_distributor_init",
]
