"""The {{ cookiecutter.name }} shared library, shipped once for every wheel that links to it.

``import {{ cookiecutter.name }}`` loads the library by its SONAME (through the ``_init`` extension,
RTLD_LOCAL, no ctypes); extensions loaded afterwards that need that SONAME reuse the same copy,
wherever they are installed. The functions below tell build scripts where the files are.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

_HERE = os.path.dirname(os.path.abspath(__file__))
_LIB_DIR = os.path.join(_HERE, "lib")

if sys.platform == "win32":
    # Windows finds an extension's DLLs only in directories registered like this.
    _DLL_DIRECTORY = os.add_dll_directory(_LIB_DIR)

__version__ = {{ cookiecutter.version | py }}
#: The release numbers of ``__version__``, e.g. for build scripts that compare versions.
version_info = {{ cookiecutter.version_info | py }}

__all__ = [
    "__version__",
{%- for name in cookiecutter.public_api %}
    "{{ name }}",
{%- endfor %}
]

_REQUIREMENT = {{ cookiecutter.requirement | py }}
_CMAKE_PACKAGE = {{ cookiecutter.cmake_package | py }}
_FOREIGN_ENV = {{ (cookiecutter.name | upper ~ "_ALLOW_FOREIGN_LIBRARY") | py }}
_REINSTALL = {{ ("pip install --force-reinstall '" ~ cookiecutter.name ~ "==" ~ cookiecutter.version ~ "'") | py }}
_manifest: dict[str, object] = {}


def _read_manifest() -> dict[str, object]:
    """What the build recorded (SONAMEs, link name); read on first use to keep the import fast."""
    if not _manifest:
        import json

        path = os.path.join(_HERE, "libwrap.json")
        try:
            with open(path, encoding="utf-8") as f:
                _manifest.update(json.load(f))
        except (OSError, ValueError) as exc:
            msg = f"{__name__} is damaged: {path} cannot be read ({exc}); reinstall it: {_REINSTALL}"
            raise FileNotFoundError(msg) from None
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
    """Linker flags. No RPATH: the consumer must ``import {{ cookiecutter.name }}`` before it loads."""
    return f"-L{get_lib_dir()} -l{get_library()}"


def get_pkgconfig_dir() -> str:
    """Directory of ``{{ cookiecutter.pkgconfig_name }}.pc`` (relocatable; also found via the ``pkg_config`` entry point)."""
    return os.path.join(_LIB_DIR, "pkgconfig")


def get_cmake_dir() -> str:
    """Directory of ``{{ cookiecutter.cmake_package }}Config.cmake``: ``find_package({{ cookiecutter.cmake_package }} CONFIG)``."""
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

    key = ({{ cookiecutter.name | py }}, package)
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
                    f"{spec.name} needs a symbol that {library} from {{ cookiecutter.name }} {__version__} lacks ({exc}); "
                    f"install the {{ cookiecutter.name }} it was built for: pip install '{requirement}'"
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


def _require(provider: str, requirement: str) -> None:
    """Import a provider whose library ours links to: loaded first, the loader binds ours to that copy."""
    import importlib

    try:
        importlib.import_module(provider)
    except ModuleNotFoundError as exc:
        if exc.name != provider:
            raise  # the provider is there but failed: its own message says why
        msg = f"{__name__} needs {requirement}, which is not installed; install it: pip install '{requirement}'"
        raise ImportError(msg, name=__name__) from exc


def _load() -> ModuleType:
    """Import ``_init``, which makes the loader load the library; a damaged install says so."""
    import importlib

    try:
        return importlib.import_module("._init", __name__)
    except ImportError as exc:
        try:
            missing = [name for name in ["_init", *get_sonames()] if not _installed(name)]
        except FileNotFoundError as damaged:
            raise ImportError(str(damaged), name=__name__) from exc
        if not missing:
            raise
        msg = (
            f"{__name__} {__version__} is damaged: {', '.join(missing)} missing from {_HERE} "
            f"({exc}); reinstall it: {_REINSTALL}"
        )
        raise ImportError(msg, name=__name__) from exc


def _installed(name: str) -> bool:
    """Whether the file NAME (a SONAME in lib/, or the _init extension) is where the build put it."""
    if name == "_init":
        import importlib.machinery

        return any(os.path.isfile(os.path.join(_HERE, name + s)) for s in importlib.machinery.EXTENSION_SUFFIXES)
    return os.path.isfile(os.path.join(_LIB_DIR, name))


def _foreign_allowed() -> bool:
    """NAME_ALLOW_FOREIGN_LIBRARY read as a switch: a value that is neither on nor off is an error."""
    raw = os.environ.get(_FOREIGN_ENV, "")
    value = raw.strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    msg = f"{_FOREIGN_ENV}={raw!r} is neither on (1, true, yes, on) nor off (0, false, no, off); set 1 or unset it"
    raise ImportError(msg, name=__name__)


def _foreign_cause(loaded: str) -> str:
    """Why the loader bound another copy, and what stops it: LD_PRELOAD, LD_LIBRARY_PATH or import order."""
    real = os.path.realpath(loaded)
    for entry in os.environ.get("LD_PRELOAD", "").replace(":", " ").split():
        if os.path.realpath(entry) == real or ("/" not in entry and entry == os.path.basename(loaded)):
            return f"LD_PRELOAD names it ({entry}); remove it from LD_PRELOAD"
    for entry in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        if entry and os.path.realpath(entry) == os.path.dirname(real):
            return (
                f"LD_LIBRARY_PATH holds its directory ({entry}), which the loader searches before the wheel's own; "
                "remove that directory from LD_LIBRARY_PATH"
            )
    return f"another copy with the same SONAME was loaded first; import {__name__} before that package"


def _check_loaded_copy(init: ModuleType) -> None:
    """Refuse to run on a foreign copy of the library that was loaded under our SONAME first."""
    loaded = init.library_path
    if loaded is None or os.path.realpath(os.path.dirname(loaded)) == os.path.realpath(_LIB_DIR):
        return
    ours = get_library_path()
    cause = _foreign_cause(loaded)
    if _read_manifest().get("versioned_symbols") and init.library_versioned is False:
        # Not even a warning: extensions linked to our versioned symbols abort the process on it.
        msg = (
            f"{__name__} found {loaded} loaded under its SONAME, without the symbol versions of "
            f"{ours}; extensions built against {__name__} would abort the interpreter on it: {cause}"
        )
        raise ImportError(msg, name=__name__)
    message = f"{__name__} loaded {loaded} instead of its own {ours}: {cause}, or set {_FOREIGN_ENV}=1 to accept it"
    if _foreign_allowed():
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return
    raise ImportError(message, name=__name__)

{% for provider in cookiecutter.required_providers %}
_require({{ provider | py }}, {{ cookiecutter.requires[loop.index0] | py }})
{%- endfor %}
_init = _load()
_check_loaded_copy(_init)
{%- if cookiecutter.init_symbol %}
#: What {{ cookiecutter.init_symbol }}() returned when the library was loaded.
{{ cookiecutter.init_result_name }} = _init.init_result
{%- endif %}
