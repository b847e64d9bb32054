"""What a libwrap provider package runs: load its library, and tell build scripts where its files are.

libwrap's build copies this module into each provider wheel as ``<package>/_libwrap.py`` and fills in
the provider's facts as ``MANIFEST`` (the data of ``libwrap.json``, which tools read without importing
anything); the package's ``__init__.py`` takes its helpers from here and calls ``load()``.

``load()`` imports the providers the library links to, then the ``_init`` extension: its import makes
the dynamic loader load the library by its SONAME (RTLD_LOCAL, no ctypes), so extensions loaded later
that need that SONAME reuse the same copy, wherever they are installed. A copy of someone else's that
was loaded under that SONAME first is refused, naming both files and why it got there.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs an import that providers need not pay at run time
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__all__ = [
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
    "load",
    "main",
    "version_info",
    "write_distributor_init",
]

PACKAGE = __name__.rpartition(".")[0] or __name__
HERE = os.path.dirname(os.path.abspath(__file__))
LIB_DIR = os.path.join(HERE, "lib")
#: The switch that accepts a foreign copy of the library, with a warning.
FOREIGN_ENV = f"{PACKAGE.upper()}_ALLOW_FOREIGN_LIBRARY"
#: The switch that loads the system's copy of the library instead of the wheel's (HPC sites, distributions).
SYSTEM_ENV = f"{PACKAGE.upper()}_PREFER_SYSTEM_LIBRARY"
_ON = ("1", "true", "yes", "on")
_OFF = ("", "0", "false", "no", "off")

if sys.platform == "win32":
    # Windows finds an extension's DLLs only in directories registered like this.
    _DLL_DIRECTORY = os.add_dll_directory(LIB_DIR)


def _fact(key: str) -> object:
    """One fact the build recorded; a copy that lacks it is a damaged install."""
    if key not in MANIFEST:
        msg = f"{PACKAGE} is damaged: {__file__} lacks what its build recorded ({key}); reinstall it: {_reinstall()}"
        raise FileNotFoundError(msg)
    return MANIFEST[key]


def _text(key: str) -> str:
    return str(_fact(key))


def _texts(key: str) -> list[str]:
    value = _fact(key)
    return [str(item) for item in value] if isinstance(value, list) else []


def _reinstall() -> str:
    pinned = f"'{PACKAGE}=={MANIFEST['version']}'" if "version" in MANIFEST else PACKAGE
    return f"pip install --force-reinstall {pinned}"


def version() -> str:
    """The library's (and the wheel's) version."""
    return _text("version")


def version_info() -> tuple[int, ...]:
    """The release numbers of the version, e.g. for build scripts that compare versions."""
    numbers = []
    for part in version().split("+")[0].split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def get_sonames() -> list[str]:
    """The SONAMEs this package provides, e.g. for ``auditwheel repair --exclude``."""
    return _texts("sonames")


def get_include_dir() -> str:
    """Directory of the library's headers."""
    return os.path.join(HERE, "include")


def get_lib_dir() -> str:
    """Directory holding the library (and the ``-l`` link stub, ``pkgconfig/`` and ``cmake/``)."""
    return LIB_DIR


def get_library(fullname: bool = False) -> str:
    """The name to pass to ``-l`` or, with ``fullname``, the library's file name (its SONAME)."""
    return _text("library" if fullname else "link_name")


def get_library_path() -> str:
    """Absolute path of the library file this package ships."""
    return os.path.join(LIB_DIR, get_library(fullname=True))


def get_cflags() -> str:
    """Compiler flags: the include directory."""
    return f"-I{get_include_dir()}"


def get_ldflags() -> str:
    """Linker flags. No RPATH: the consumer must import this package before its extensions load."""
    return f"-L{get_lib_dir()} -l{get_library()}"


def get_pkgconfig_dir() -> str:
    """Directory of the package's ``.pc`` files (relocatable; also found via the ``pkg_config`` entry point)."""
    return os.path.join(LIB_DIR, "pkgconfig")


def get_cmake_dir() -> str:
    """Directory of the CMake package config: ``find_package(<cmake package> CONFIG)``."""
    return os.path.join(LIB_DIR, "cmake", _text("cmake_package"))


def get_requirement() -> str:
    """The ``Requires-Dist`` a consumer built against this version should declare."""
    return _text("requirement")


def write_distributor_init(target_dir: str | os.PathLike[str]) -> str:
    """Write (or extend) ``_distributor_init.py`` in a consumer package; returns its path.

    The file loads this provider and checks its version against the range the consumer was built
    for; the consumer's ``__init__.py`` must ``from . import _distributor_init`` before its
    extensions. ``libwrap repair`` writes the same file from a built wheel.
    """
    import importlib

    writer = importlib.import_module("._preload", PACKAGE)  # libwrap's writer, copied in by the build
    path = os.path.join(os.fspath(target_dir), "_distributor_init.py")
    existing = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            existing = f.read()
    merged: str = writer.merge(existing)
    if merged != existing:
        with open(path, "w", encoding="utf-8") as f:
            f.write(merged)
    return path


def explain_missing_symbols(package: str, requirement: str) -> None:
    """Make PACKAGE's extension modules fail with an ImportError naming this provider and REQUIREMENT
    when the loaded library lacks a symbol they need (Python's own error names only the symbol)."""
    import importlib.machinery

    key = (PACKAGE, package)
    if any(getattr(finder, "libwrap_explains", None) == key for finder in sys.meta_path):
        return
    library = get_library(fullname=True)
    provider = f"{PACKAGE} {version()}"

    class ExplainingLoader(importlib.machinery.ExtensionFileLoader):
        def create_module(self, spec: ModuleSpec) -> ModuleType:
            try:
                return super().create_module(spec)
            except ImportError as exc:
                if "undefined symbol" not in str(exc):
                    raise
                msg = (
                    f"{spec.name} needs a symbol that {library} from {provider} lacks ({exc}); "
                    f"install the {PACKAGE} it was built for: pip install '{requirement}'"
                )
                raise ImportError(msg, name=spec.name) from exc

    class Finder:
        """Wraps the loader of PACKAGE's extension modules; the other finders do the finding."""

        libwrap_explains = key

        @staticmethod
        def find_spec(
            name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
        ) -> ModuleSpec | None:
            if not name.startswith(package + "."):
                return None
            for finder in sys.meta_path:
                if hasattr(finder, "libwrap_explains") or not hasattr(finder, "find_spec"):
                    continue
                spec: ModuleSpec | None = finder.find_spec(name, path, target)
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
        msg = f"{PACKAGE} needs {requirement}, which is not installed; install it: pip install '{requirement}'"
        raise ImportError(msg, name=PACKAGE) from exc


def _installed(name: str) -> bool:
    """Whether the file NAME (a SONAME in lib/, or the _init extension) is where the build put it."""
    if name == "_init":
        import importlib.machinery

        return any(os.path.isfile(os.path.join(HERE, name + s)) for s in importlib.machinery.EXTENSION_SUFFIXES)
    return os.path.isfile(os.path.join(LIB_DIR, name))


def _import_init() -> ModuleType:
    """Import ``_init``, which makes the loader load the library; a damaged install says so."""
    import importlib

    try:
        return importlib.import_module("._init", PACKAGE)
    except ImportError as exc:
        missing = [name for name in ["_init", *get_sonames()] if not _installed(name)]
        if not missing:
            raise
        msg = (
            f"{PACKAGE} {version()} is damaged: {', '.join(missing)} missing from {HERE} ({exc}); "
            f"reinstall it: {_reinstall()}"
        )
        raise ImportError(msg, name=PACKAGE) from exc


def switch(name: str) -> bool:
    """An environment switch read as on or off; a value that is neither is an error, not a guess (RAPIDS'
    and wheelnext's loaders read 0 as on)."""
    raw = os.environ.get(name, "")
    value = raw.strip().lower()
    if value in _OFF:
        return False
    if value in _ON:
        return True
    msg = f"{name}={raw!r} is neither on ({', '.join(_ON)}) nor off ({', '.join(_OFF[1:])}); set 1 or unset it"
    raise ImportError(msg, name=PACKAGE)


#: Which copy of the library serves this process, once load() has run: "wheel" or "system".
SERVED: dict[str, str] = {}


def _load_system_copy() -> bool:
    """With the system switch on: load the system's library by its upstream SONAME, through the loader's
    own search (LD_LIBRARY_PATH, /etc/ld.so.cache, the default directories), before ``_init``, so that
    ``_init`` and every consumer bind to it. A wheel that renamed the SONAME ships a filter object under
    its own name (``DT_FILTER`` on the upstream SONAME, glibc): loading that binds the wheel's name to
    the system's library. With no system copy: the wheel's, and a warning saying what was searched."""
    import ctypes

    upstream = str(MANIFEST.get("upstream_soname") or get_library(fullname=True))
    shim = MANIFEST.get("system_filter")
    if upstream != get_library(fullname=True) and not shim:
        import warnings

        message = (
            f"{SYSTEM_ENV} is on, but this wheel renamed {upstream} to {get_library(fullname=True)} and carries no "
            f"filter to serve the system's copy under that name (its library has symbol versions, or it was built "
            f"without one); using the wheel's {get_library_path()}"
        )
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        return False
    target = os.path.join(HERE, str(shim)) if shim else upstream
    try:
        ctypes.CDLL(target, mode=os.RTLD_LOCAL)
    except OSError as exc:
        import warnings

        message = (
            f"{SYSTEM_ENV} is on, but no system {upstream} could be loaded from the loader's search path "
            f"(LD_LIBRARY_PATH, /etc/ld.so.cache, the default directories: {exc}); using the wheel's {get_library_path()}"
        )
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        return False
    return True


def foreign_cause(loaded: str, environ: dict[str, str] | None = None) -> str:
    """Why the loader bound another copy, and what stops it: LD_PRELOAD, LD_LIBRARY_PATH or import order."""
    env = os.environ if environ is None else environ
    real = os.path.realpath(loaded)
    for entry in env.get("LD_PRELOAD", "").replace(":", " ").split():
        if os.path.realpath(entry) == real or ("/" not in entry and entry == os.path.basename(loaded)):
            return f"LD_PRELOAD names it ({entry}); remove it from LD_PRELOAD"
    for entry in env.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        if entry and os.path.realpath(entry) == os.path.dirname(real):
            return (
                f"LD_LIBRARY_PATH holds its directory ({entry}), which the loader searches before the wheel's own; "
                "remove that directory from LD_LIBRARY_PATH"
            )
    return f"another copy with the same SONAME was loaded first; import {PACKAGE} before that package"


def check_loaded_copy(init: ModuleType) -> None:
    """Refuse to run on a foreign copy of the library that was loaded under our SONAME first."""
    loaded = init.library_path
    if loaded is None or os.path.realpath(os.path.dirname(loaded)) == os.path.realpath(LIB_DIR):
        return
    ours = get_library_path()
    cause = foreign_cause(loaded)
    if _fact("versioned_symbols") and init.library_versioned is False:
        # Not even a warning: extensions linked to our versioned symbols abort the process on it.
        msg = (
            f"{PACKAGE} found {loaded} loaded under its SONAME, without the symbol versions of "
            f"{ours}; extensions built against {PACKAGE} would abort the interpreter on it: {cause}"
        )
        raise ImportError(msg, name=PACKAGE)
    if SERVED.get("copy") == "system":
        return  # asked for with the system switch: the system's copy is the one wanted
    message = f"{PACKAGE} loaded {loaded} instead of its own {ours}: {cause}, or set {FOREIGN_ENV}=1 to accept it"
    if switch(FOREIGN_ENV):
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=4)
        return
    raise ImportError(message, name=PACKAGE)


def load() -> ModuleType:
    """Load the library, after the providers it links to, and check that the copy bound is ours.
    Returns the ``_init`` module (``init_result``, ``library_path``, ``library_versioned``)."""
    try:
        dependencies = list(zip(_texts("requires"), _texts("dependencies")))
    except FileNotFoundError as exc:
        raise ImportError(str(exc), name=PACKAGE) from None
    for provider, requirement in dependencies:
        _require(provider, requirement)
    SERVED["copy"] = "system" if switch(SYSTEM_ENV) and _load_system_copy() else "wheel"
    init = _import_init()
    check_loaded_copy(init)
    SERVED["path"] = str(init.library_path or get_library_path())
    return init


def info() -> dict[str, object]:
    """Which file serves the library in this process and why: what ``python -m <package> --info`` prints."""
    import importlib

    init = importlib.import_module("._init", PACKAGE)
    return {
        "package": PACKAGE,
        "version": version(),
        "library": SERVED.get("path", str(init.library_path)),
        "copy": SERVED.get("copy", "wheel"),
        "wheel_library": get_library_path(),
        "prefer_system": os.environ.get(SYSTEM_ENV, ""),
        "init_result": init.init_result,
    }


def _info_text() -> str:
    facts = info()
    why = f"the system's, {SYSTEM_ENV} is on" if facts["copy"] == "system" else "the wheel's"
    if facts["copy"] != "system" and facts["library"] != facts["wheel_library"]:
        why = f"another copy loaded first ({FOREIGN_ENV} accepted it)"
    lines = [f"{PACKAGE} {facts['version']}", f"library: {facts['library']} ({why})"]
    if facts["init_result"] is not None:
        lines.append(f"init: {facts['init_result']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m <package> --cflags --libs ...``: what build scripts need, on one line."""
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {PACKAGE}", description=main.__doc__, allow_abbrev=False)
    queries = {
        "--cflags": ("compiler flags", get_cflags),
        "--libs": (f"linker flags (no RPATH: import {PACKAGE} first)", get_ldflags),
        "--includedir": ("header directory", get_include_dir),
        "--libdir": ("library directory", get_lib_dir),
        "--pkgconfigdir": ("directory of the .pc files", get_pkgconfig_dir),
        "--cmakedir": ("directory of the CMake package config", get_cmake_dir),
        "--requirement": ("Requires-Dist line for consumers", get_requirement),
        "--sonames": ("SONAMEs this package provides", lambda: " ".join(get_sonames())),
        "--version": ("library version", version),
        "--info": ("file that serves the library here, and why (the wheel's or the system's)", _info_text),
    }
    for flag, (text, _) in queries.items():
        parser.add_argument(flag, action="append_const", const=flag, dest="asked", help=f"print the {text}")
    args = parser.parse_args(argv)
    if not args.asked:
        parser.print_help()
        return 2
    try:
        print(" ".join(queries[flag][1]() for flag in args.asked))
    except FileNotFoundError as exc:  # a damaged install: the message names the reinstall
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0


#: The provider's facts (the data of libwrap.json), filled in by the build in the copy each wheel holds.
MANIFEST: dict[str, object] = {}
