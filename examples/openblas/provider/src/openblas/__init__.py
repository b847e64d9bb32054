"""The openblas shared library, shipped once for every wheel that links to it.

``import openblas`` loads the library by its SONAME (through the ``_init`` extension,
RTLD_LOCAL, no ctypes); extensions loaded afterwards that need that SONAME reuse the same copy,
wherever they are installed. The functions below tell build scripts where the files are.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_LIB_DIR = os.path.join(_HERE, "lib")

if sys.platform == "win32":
    # Windows finds an extension's DLLs only in directories registered like this.
    _DLL_DIRECTORY = os.add_dll_directory(_LIB_DIR)
from . import _init  # noqa: E402  (must follow the DLL directory setup)

__version__ = "0.3.31"
#: The release numbers of ``__version__``, e.g. for build scripts that compare versions.
version_info = (0, 3, 31)
#: What openblas_get_config() returned when the library was loaded.
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
    "version_info",
    "write_distributor_init",
]

_REQUIREMENT = "openblas>=0.3.31,<0.4"
_CMAKE_PACKAGE = "OpenBLAS"
_FOREIGN_ENV = "OPENBLAS_ALLOW_FOREIGN_LIBRARY"
_manifest: dict[str, object] = {}


def _read_manifest() -> dict[str, object]:
    """What the build recorded (SONAMEs, link name); read on first use to keep the import fast."""
    if not _manifest:
        import json

        with open(os.path.join(_HERE, "libwrap.json"), encoding="utf-8") as f:
            _manifest.update(json.load(f))
    return _manifest


def get_sonames() -> list[str]:
    """The SONAMEs this package provides, e.g. for ``auditwheel repair --exclude``."""
    return [str(name) for name in _read_manifest()["sonames"]]  # type: ignore[attr-defined]


def get_include_dir() -> str:
    """Directory of the library's headers."""
    return os.path.join(_HERE, "include")


def get_lib_dir() -> str:
    """Directory holding the library (and the ``-l`` link stub, ``pkgconfig/`` and ``cmake/``)."""
    return _LIB_DIR


def get_library(fullname: bool = False) -> str:
    """The name to pass to ``-l`` or, with ``fullname``, the library's file name (its SONAME)."""
    return str(_read_manifest()["library" if fullname else "link_name"])


def get_library_path() -> str:
    """Absolute path of the library file this package ships."""
    return os.path.join(_LIB_DIR, get_library(fullname=True))


def get_cflags() -> str:
    """Compiler flags: the include directory."""
    return f"-I{get_include_dir()}"


def get_ldflags() -> str:
    """Linker flags. No RPATH: the consumer must ``import openblas`` before it loads."""
    return f"-L{get_lib_dir()} -l{get_library()}"


def get_pkgconfig_dir() -> str:
    """Directory of ``openblas.pc`` (relocatable; also found via the ``pkg_config`` entry point)."""
    return os.path.join(_LIB_DIR, "pkgconfig")


def get_cmake_dir() -> str:
    """Directory of ``OpenBLASConfig.cmake``: ``find_package(OpenBLAS CONFIG)``."""
    return os.path.join(_LIB_DIR, "cmake", _CMAKE_PACKAGE)


def get_requirement() -> str:
    """The ``Requires-Dist`` a consumer built against this version should declare."""
    return _REQUIREMENT


def write_distributor_init(target_dir: str | os.PathLike[str]) -> str:
    """Write (or extend) ``_distributor_init.py`` in a consumer package; returns its path.

    The file loads this provider and checks its version against the range the consumer was built
    for; the consumer's ``__init__.py`` must ``from . import _distributor_init`` before its
    extensions. ``libwrap repair`` writes the same file from a built wheel.
    """
    from . import _preload  # generated at build time by libwrap, the one writer of this file

    path = os.path.join(os.fspath(target_dir), "_distributor_init.py")
    existing = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            existing = f.read()
    merged = _preload.merge(existing)
    if merged != existing:
        with open(path, "w", encoding="utf-8") as f:
            f.write(merged)
    return path


def explain_missing_symbols(package: str, requirement: str) -> None:
    """Make PACKAGE's extension modules fail with an ImportError naming this provider and REQUIREMENT
    when the loaded library lacks a symbol they need (Python's own error names only the symbol)."""
    import importlib.machinery
    import sys
    from collections.abc import Sequence
    from types import ModuleType

    key = ("openblas", package)
    if any(getattr(finder, "libwrap_explains", None) == key for finder in sys.meta_path):
        return
    library = get_library(fullname=True)

    class ExplainingLoader(importlib.machinery.ExtensionFileLoader):
        def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
            try:
                return super().create_module(spec)
            except ImportError as exc:
                if "undefined symbol" not in str(exc):
                    raise
                msg = (
                    f"{spec.name} needs a symbol that {library} from openblas {__version__} lacks ({exc}); "
                    f"install the openblas it was built for: pip install '{requirement}'"
                )
                raise ImportError(msg, name=spec.name) from exc

    class Finder:
        """Wraps the loader of PACKAGE's extension modules; the other finders do the finding."""

        libwrap_explains = key

        @staticmethod
        def find_spec(
            name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
        ) -> importlib.machinery.ModuleSpec | None:
            if not name.startswith(package + "."):
                return None
            for finder in sys.meta_path:
                if hasattr(finder, "libwrap_explains") or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is None:
                    continue
                if type(spec.loader) is importlib.machinery.ExtensionFileLoader:
                    spec.loader = ExplainingLoader(spec.loader.name, spec.loader.path)
                return spec
            return None

    sys.meta_path.insert(0, Finder())


def _check_loaded_copy() -> None:
    """Refuse to run on a foreign copy of the library that was loaded under our SONAME first."""
    loaded = _init.library_path
    if loaded is None or os.path.realpath(os.path.dirname(loaded)) == os.path.realpath(_LIB_DIR):
        return
    ours = get_library_path()
    if _read_manifest().get("versioned_symbols") and _init.library_versioned is False:
        # Not even a warning: extensions linked to our versioned symbols abort the process on it.
        msg = (
            f"openblas found {loaded} loaded under its SONAME, without the symbol versions of "
            f"{ours}; extensions built against openblas would abort the interpreter on it. "
            "Import openblas before the package that loads the other copy"
        )
        raise ImportError(msg)
    message = (
        f"openblas loaded {loaded} instead of its own {ours}: another copy with the same "
        f"SONAME was loaded first; import openblas before that package, or set "
        f"{_FOREIGN_ENV}=1 to accept the other copy"
    )
    if os.environ.get(_FOREIGN_ENV, "") not in ("", "0"):
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return
    raise ImportError(message)


_check_loaded_copy()
