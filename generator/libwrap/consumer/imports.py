"""Whether a wheel loads its providers first, read from its code (``ast``), never from its text:
comments and strings do not count.

``loads_provider`` and ``shim_problem`` read a ``_distributor_init.py`` or a top-level module's shim for
the calls that load a provider; ``ensure_init_imports`` (what ``libwrap repair`` does) puts the import of
``_distributor_init`` at the top of an ``__init__.py`` unless ``preload_unproven``, the proof that every
path imports it before anything that could load an extension (``libwrap.consumer.proof``), holds
already. ``libwrap check`` is built on these.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

from packaging.utils import canonicalize_name

from ..errors import UsageError
from ..providers import Provider
from ..wheelfile import source_encoding
from .proof import DISTRIBUTOR_INIT, loads_no_extension, preload_unproven
from .syntax import called, calls, constant, executed, parse

__all__ = [
    "DISTRIBUTOR_INIT",
    "IMPORT_LINE",
    "ensure_init_imports",
    "imports_distributor_init_first",
    "loads_no_extension",
    "loads_provider",
    "package_files",
    "preload_unproven",
    "provider_not_loaded",
    "shim_problem",
]

#: What repair puts at the top of an ``__init__.py`` that nothing proves imports the preload first.
IMPORT_LINE = "from . import _distributor_init  # noqa: F401  (libwrap: providers load before extensions)"


def provider_not_loaded(source: str, provider: Provider) -> str | None:
    """'it does not import M' (or 'load SONAME') when the loader SOURCE does not load PROVIDER; else None."""
    if loads_provider(source, provider):
        return None
    if provider.preload and provider.loader:
        return (
            f"it does not call {provider.preload}.{provider.loader}(), which loads {provider.distribution}'s libraries"
        )
    how = f"import {provider.preload}" if provider.preload else "load " + ", ".join(sorted(provider.sonames))
    return f"it does not {how}"


def shim_problem(source: str, extension: str, provider: Provider) -> str | None:
    """Why a shim module (SOURCE) does not load PROVIDER and then the extension module file EXTENSION;
    None if it does."""
    missing = provider_not_loaded(source, provider)
    if missing is not None:
        return missing
    tree = parse(source)
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)} if tree is not None else set()
    if extension not in strings:
        return f"it does not load {extension}"
    return None


def _source_text(data: bytes) -> str:
    """DATA as Python reads it; text that cannot parse when Python could not read it either."""
    try:
        return data.decode(source_encoding(data))
    except ValueError:
        return "\0"  # no source parses: a module nothing can prove harmless


def package_files(members: Mapping[str, bytes], package: str | None = None) -> dict[str, str | None]:
    """The Python files (path -> source) and extension modules (path -> None) of PACKAGE, or of the whole
    wheel, among wheel MEMBERS; a file a .data directory installs as a module is named as installed."""
    files: dict[str, str | None] = {}
    for member, data in members.items():
        path = re.sub(r"^[^/]+\.data/(purelib|platlib)/", "", member)
        top = path.split("/", 1)[0]
        if top.endswith((".dist-info", ".data")) or (package is not None and top != package):
            continue
        if path.endswith(".py"):
            files[path] = _source_text(data)
        elif path.endswith((".so", ".pyd")) or data[:4] == b"\x7fELF":
            files[path] = None
    return files


def loads_provider(loader_source: str, provider: Provider) -> bool:
    """Whether a ``_distributor_init.py`` (LOADER_SOURCE, by libwrap or anyone) loads PROVIDER as it runs:
    imports its preload module (``import M``, ``from M import x``, ``_import("M", ...)``,
    ``importlib.import_module("M")``), and calls its loader when it has one (``_call("M", "load_library",
    ...)``, or ``M.load_library()`` as RAPIDS' own packages do: importing libucx loads nothing); or, for
    a provider loaded by path, calls ``_load_by_path(distribution, soname, ...)`` for each of its sonames."""
    tree = parse(loader_source)
    if tree is None:
        return False
    module = provider.preload
    loader = provider.loader
    loaded: set[str] = set()
    imported = False
    for node in executed(tree.body):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
            # `import M` binds M, so that a later M.load_library() calls the provider's own loader
            imported = imported or any(a.name == module and a.asname is None for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            targets = [node.module or ""]
        if module and not loader and any(t == module or t.startswith(f"{module}.") for t in targets):
            return True
        for call in calls(node):
            args = [constant(arg) for arg in call.args]
            name = called(call)
            if module and loader and name == "_call" and args[:2] == [module, loader]:
                return True
            if module and loader and imported and name == f"{module}.{loader}":
                return True
            if (
                module
                and not loader
                and name in ("_import", "import_module", "importlib.import_module")
                and args[:1] == [module]
            ):
                return True
            if name == "_load_by_path" and len(args) >= 2:
                distribution, soname = args[0], args[1]
                if distribution and soname and canonicalize_name(distribution) == provider.key:
                    loaded.add(soname)
    return not module and bool(provider.sonames) and provider.sonames <= loaded


def imports_distributor_init_first(
    init_source: str, package: str, files: Mapping[str, str | None] | None = None
) -> bool:
    """Whether PACKAGE's ``__init__.py`` provably imports ``_distributor_init`` first (see preload_unproven)."""
    return preload_unproven(init_source, package, files) is None


def ensure_init_imports(source: str, package: str, files: Mapping[str, str | None] | None = None) -> str:
    """Make PACKAGE's ``__init__.py`` (SOURCE) import ``_distributor_init`` first: unless that is proven
    already (see preload_unproven), add the import right after the docstring and ``from __future__``
    imports, which must stay first. A later import of it may stay: a second import does nothing."""
    if imports_distributor_init_first(source, package, files):
        return source
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        where = f", line {exc.lineno}" if isinstance(exc, SyntaxError) else ""
        reason = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        msg = f"{package}/__init__.py is not valid Python ({reason}{where}); fix it, then repair again"
        raise UsageError(msg) from None
    line = 0
    for node in tree.body:
        is_docstring = (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        )
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if (is_docstring and node is tree.body[0]) or is_future:
            line = node.end_lineno or node.lineno
        else:
            break
    lines = source.splitlines(keepends=True)
    if line == 0:
        # after a leading comment block: a coding declaration must stay on line 1 or 2
        while line < len(lines) and (not lines[line].strip() or lines[line].lstrip().startswith("#")):
            line += 1
        fixed = "".join(lines[:line]) + IMPORT_LINE + "\n" + "".join(lines[line:])
    else:
        head = "".join(lines[:line])
        fixed = head + ("" if head.endswith("\n") else "\n") + "\n" + IMPORT_LINE + "\n" + "".join(lines[line:])
    problem = preload_unproven(fixed, package, files)
    if problem is not None:
        msg = (
            f"{package}/__init__.py: libwrap cannot place `from . import _distributor_init` where it runs first "
            f"({problem}); put it on a line of its own at the top, then repair again"
        )
        raise UsageError(msg)
    return fixed
