"""The consumer side of the preload: ``_distributor_init.py`` and the import that runs it first.

One writer: ``merge_distributor_init`` makes the file for ``libwrap repair`` here, and its source is
copied into each provider wheel as ``<provider>/_preload.py`` (``writer_module``) for the provider's
``write_distributor_init()``. Whether a package imports that file first, and whether the file loads a
provider, is read from the code (``ast``), never from its text: comments and strings do not count.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator, Mapping

from packaging.utils import canonicalize_name

from .errors import UsageError
from .providers import Provider
from .pyliteral import python_literal
from .versions import clauses

__all__ = [
    "IMPORT_LINE",
    "MARKER",
    "SHIM_MARKER",
    "call_lines",
    "ensure_init_imports",
    "first_own_import",
    "imports_distributor_init_first",
    "loads_no_extension",
    "loads_provider",
    "merge_distributor_init",
    "package_files",
    "provider_not_loaded",
    "render_distributor_init",
    "render_shim",
    "shim_problem",
    "writer_module",
]

# The helpers' calling convention is part of the marker: a file whose helpers take other arguments gets
# these appended, and Python runs each call with the definitions above it.
MARKER = "# libwrap: load providers (helpers v2: requirement, version clauses)"
IMPORT_LINE = "from . import _distributor_init  # noqa: F401  (libwrap: providers load before extensions)"
DISTRIBUTOR_INIT = "_distributor_init"
SHIM_MARKER = "# libwrap: the extension module itself, now that its libraries are loaded"

_HEADER = '''"""Load the shared libraries this package's extensions link to, from the packages that provide them.

Written by libwrap (`libwrap repair` or a provider's write_distributor_init()): imported first by
__init__.py, before any extension module.
"""
'''

# Runs in the consumer: plain Python 3.9, no third-party imports.
_HELPERS = (
    f"\n{MARKER}\n"
    + '''import operator as _operator
import os as _os

_COMPARE = {">=": _operator.ge, ">": _operator.gt, "<=": _operator.le, "<": _operator.lt, "!=": _operator.ne}


def _release(version):
    """Release numbers, without trailing zeros: '2.13.0+cpu' -> (2, 13), '0.4.0rc1' -> (0, 4)."""
    parts = []
    for part in version.split("+")[0].split("!")[-1].split("."):
        digits = ""
        for char in part:
            if char not in "0123456789":
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if digits != part:
            break  # a pre-, post- or dev-release suffix ends the release numbers
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _consumer():
    """Who needs the provider: the package of pkg._distributor_init, or a top-level module's shim itself."""
    return __name__.rpartition(".")[0] or __name__


def _check(distribution, version, requirement, clauses):
    """ImportError, not a crash, when the installed provider is outside the range we were built for."""
    have = _release(version)
    for operator, release in clauses:
        compare = _COMPARE.get(operator)
        if compare is not None and not compare(have, release):
            msg = (
                f"{_consumer()} needs {requirement}, but {distribution} {version} is installed; "
                f"install a matching one with: pip install '{requirement}'"
            )
            raise ImportError(msg)


def _import(module, distribution, requirement, clauses):
    import importlib

    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.partition(".")[0]:
            raise  # the provider is there but failed: its own message says why
        msg = f"{_consumer()} needs {requirement} ({exc}); install it with: pip install '{requirement}'"
        raise ImportError(msg) from exc
    version = getattr(loaded, "__version__", None)
    if version is None:
        from importlib import metadata

        version = metadata.version(distribution)
    _check(distribution, str(version), requirement, clauses)
    # libwrap providers can name themselves should an extension here need a symbol they lack
    getattr(loaded, "explain_missing_symbols", lambda *_: None)(_consumer(), requirement)


def _load_by_path(distribution, soname, requirement, clauses):
    """For providers that do not load their libraries themselves: find the file, load it RTLD_LOCAL."""
    import ctypes
    from importlib import metadata

    try:
        files = metadata.files(distribution) or []
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError as exc:
        msg = f"{_consumer()} needs {requirement} ({exc}); install it with: pip install '{requirement}'"
        raise ImportError(msg) from exc
    _check(distribution, version, requirement, clauses)
    for file in files:
        if file.name == soname:
            ctypes.CDLL(str(file.locate()), mode=_os.RTLD_LOCAL)
            return
    msg = f"{distribution} {version} has no {soname}; reinstall it: pip install '{requirement}'"
    raise ImportError(msg)
'''
)


def call_lines(provider: Provider) -> list[str]:
    """The lines of ``_distributor_init.py`` that load PROVIDER and check its version clauses."""
    checks = clauses(provider.requirement)
    if provider.preload:
        return [f"_import{python_literal((provider.preload, provider.distribution, provider.requirement, checks))}"]
    return [
        f"_load_by_path{python_literal((provider.distribution, soname, provider.requirement, checks))}"
        for soname in sorted(provider.sonames)
    ]


# Copied verbatim into provider wheels by writer_module(): only MARKER, _HEADER, _HELPERS and builtins.
def merge_distributor_init(existing: str, calls: list[str]) -> str:
    """EXISTING ``_distributor_init.py`` text (may be empty) with libwrap's helpers, once, and each of
    CALLS it lacks as a line; unchanged when it has them all. Merging again changes nothing."""
    present = {line.rstrip() for line in existing.splitlines()}
    missing = [call for call in dict.fromkeys(calls) if call.rstrip() not in present]
    if not missing:
        return existing
    if MARKER in present:
        text = existing.rstrip("\n") + "\n"
    else:
        text = (existing or _HEADER).rstrip("\n") + "\n" + _HELPERS + "\n\n"
    return text + "".join(f"{call}\n" for call in missing)


def render_distributor_init(providers: list[Provider], existing: str = "") -> str:
    """``_distributor_init.py`` that loads PROVIDERS; keeps an existing file and adds what it lacks."""
    calls = [line for provider in providers if not loads_provider(existing, provider) for line in call_lines(provider)]
    return merge_distributor_init(existing, calls)


_SHIM_HEADER = '''"""Load the shared libraries the extension module {extension} links to, from the packages
that provide them, then that module under this module's name.

Written by libwrap repair: a top-level extension module has no package to import its providers first,
so this module takes its place (the extension's file name matches no extension suffix).
"""
'''

_SHIM_LOADER = f"""
{SHIM_MARKER}
_EXTENSION = {{extension!r}}


def _load_extension():
    import importlib.machinery
    import importlib.util
    import os
    import sys

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), _EXTENSION)
    loader = importlib.machinery.ExtensionFileLoader(__name__, path)
    spec = importlib.util.spec_from_file_location(__name__, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[__name__] = module  # the import returns what sys.modules holds under the name
    loader.exec_module(module)


_load_extension()
"""


def render_shim(extension: str, providers: list[Provider]) -> str:
    """The Python module that stands in for the top-level extension module EXTENSION (its file name in
    the wheel, as consumer.shimmed_name gives it): loads PROVIDERS, then EXTENSION under its own name."""
    calls = [line for provider in providers for line in call_lines(provider)]
    head = merge_distributor_init(_SHIM_HEADER.format(extension=extension), calls)
    return head + _SHIM_LOADER.format(extension=extension)


def provider_not_loaded(source: str, provider: Provider) -> str | None:
    """'it does not import M' (or 'load SONAME') when the loader SOURCE does not load PROVIDER; else None."""
    if loads_provider(source, provider):
        return None
    how = f"import {provider.preload}" if provider.preload else "load " + ", ".join(sorted(provider.sonames))
    return f"it does not {how}"


def shim_problem(source: str, extension: str, provider: Provider) -> str | None:
    """Why a shim module (SOURCE) does not load PROVIDER and then the extension module file EXTENSION;
    None if it does."""
    missing = provider_not_loaded(source, provider)
    if missing is not None:
        return missing
    tree = _parse(source)
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)} if tree is not None else set()
    if extension not in strings:
        return f"it does not load {extension}"
    return None


def _literal(text: str) -> str:
    """TEXT as a readable Python literal, "..." or '''...''' where that reads back exactly, else its repr."""
    for candidate in (f'"{text}"', f"'''{text}'''"):
        try:
            if "\\" not in text and ast.literal_eval(candidate) == text:
                return candidate
        except (SyntaxError, ValueError):
            continue
    return repr(text)


def writer_module(provider: Provider, libwrap_version: str) -> str:
    """Source of ``<provider>/_preload.py``: ``merge(existing)`` adds PROVIDER's loader to a consumer's
    ``_distributor_init.py``, with the code libwrap repair uses (Python 3.9+, standard library only)."""
    calls = "".join(f"    {call!r},\n" for call in call_lines(provider))
    return f'''# Generated by libwrap {libwrap_version} from libwrap.preload; rebuild the provider to change it.
"""Write the ``_distributor_init.py`` of a package that links to {provider.distribution}'s libraries.

``merge(existing)`` returns the file's text with the loader of {provider.distribution} added: the same
text ``libwrap repair`` writes. {provider.distribution}.write_distributor_init() calls it.
"""

from __future__ import annotations

__all__ = ["merge"]

MARKER = {_literal(MARKER)}
_HEADER = {_literal(_HEADER)}
_HELPERS = {_literal(_HELPERS)}
CALLS = [
{calls}]


{inspect.getsource(merge_distributor_init)}

def merge(existing: str) -> str:
    """EXISTING (a ``_distributor_init.py`` text, may be empty) plus what loads {provider.distribution}."""
    return merge_distributor_init(existing, CALLS)
'''


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: NUL bytes before Python 3.12
        return None


def _truth(test: ast.expr) -> bool | None:
    """The value of an ``if`` test known without running it (constants, TYPE_CHECKING); None if unknown."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return False
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _truth(test.operand)
        return None if inner is None else not inner
    return None


def _executed(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of BODY that can run at import, in order: into if/try/with/loop bodies, not into
    function or class bodies (they run later, if ever) nor into branches that are statically dead."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, (ast.If, ast.While)):
            taken = _truth(node.test)
            if taken is not False:
                yield from _executed(node.body)
            if taken is not True or isinstance(node, ast.While):
                yield from _executed(node.orelse)
            continue
        # try (and try*), with, for, match: the parts in the order they run
        yield from _executed(getattr(node, "body", []))
        for handler in getattr(node, "handlers", []):
            yield from _executed(handler.body)
        for case in getattr(node, "cases", []):
            yield from _executed(case.body)
        yield from _executed(getattr(node, "orelse", []))
        yield from _executed(getattr(node, "finalbody", []))


def _imported(node: ast.stmt, module: str, *, is_package: bool) -> list[str]:
    """Full names of what an import statement in MODULE imports, in order, parents first: in
    ``from X import a`` that is X's parents, X, then X.a (which may be a module or just a name in X)."""
    targets: list[str] = []
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module if is_package else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            if not base:
                return []  # beyond the top-level package: an ImportError, not an import
            source = f"{base}.{node.module}" if node.module else base
        else:
            source = node.module or ""
        targets = [source] + [f"{source}.{alias.name}" for alias in node.names if alias.name != "*"]
    names: list[str] = []
    for target in targets:
        parts = target.split(".")
        names += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return list(dict.fromkeys(names))


def _own(name: str, package: str) -> bool:
    return name.startswith(f"{package}.")


def first_own_import(init_source: str, package: str, harmless: Callable[[str], bool] | None = None) -> str | None:
    """The first of PACKAGE's own modules its ``__init__.py`` (INIT_SOURCE) imports as it runs, as a full
    name (``pkg._core``), skipping those HARMLESS says load no extension; None if there is none."""
    tree = _parse(init_source)
    if tree is None:
        return None
    for node in _executed(tree.body):
        for name in _imported(node, package, is_package=True):
            if not _own(name, package):
                continue
            if name == f"{package}.{DISTRIBUTOR_INIT}" or harmless is None or not harmless(name):
                return name
    return None


def imports_distributor_init_first(
    init_source: str, package: str, harmless: Callable[[str], bool] | None = None
) -> bool:
    """Whether PACKAGE's ``__init__.py`` imports ``_distributor_init`` before any other of its own modules
    (but those HARMLESS vouches for: see loads_no_extension), so its providers load before its extensions."""
    return first_own_import(init_source, package, harmless) == f"{package}.{DISTRIBUTOR_INIT}"


def package_files(members: Mapping[str, bytes], package: str) -> dict[str, str | None]:
    """PACKAGE's Python files (path -> source) and extension modules (path -> None) among wheel MEMBERS."""
    files: dict[str, str | None] = {}
    for path, data in members.items():
        if not path.startswith(f"{package}/"):
            continue
        if path.endswith(".py"):
            files[path] = data.decode("utf-8", "replace")
        elif path.endswith((".so", ".pyd")) or data[:4] == b"\x7fELF":
            files[path] = None
    return files


def _module_name(path: str) -> tuple[str, bool]:
    """The module a file holds and whether it is a package: pkg/sub/__init__.py -> ('pkg.sub', True)."""
    directory, _, filename = path.rpartition("/")
    stem = filename.split(".")[0]  # an extension's name ends at its first dot: _core.cpython-311-...so
    if filename == "__init__.py":
        return directory.replace("/", "."), True
    return f"{directory}/{stem}".strip("/").replace("/", "."), False


def loads_no_extension(files: Mapping[str, str | None]) -> Callable[[str], bool]:
    """For imports_distributor_init_first: whether importing a module loads none of the extension modules
    in FILES (see package_files), judged from the imports each Python module runs. A name that is no
    module in FILES (a function imported from a module, a module of another package) loads none."""
    by_name: dict[str, tuple[str | None, bool]] = {}
    for path, source in files.items():
        name, is_package = _module_name(path)
        by_name[name] = (source, is_package)
    verdict: dict[str, bool] = {}

    def harmless(name: str) -> bool:
        if name not in by_name:
            return True
        if name not in verdict:
            source, is_package = by_name[name]
            verdict[name] = True  # an import cycle adds nothing
            tree = None if source is None else _parse(source)
            package = name.partition(".")[0]
            verdict[name] = tree is not None and all(
                harmless(imported)
                for node in _executed(tree.body)
                for imported in _imported(node, name, is_package=is_package)
                # NAME's parents are imported already, before NAME runs
                if _own(imported, package) and not f"{name}.".startswith(f"{imported}.")
            )
        return verdict[name]

    return harmless


def _constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    """The calls NODE's own expressions make: not those of nested statements (the walk yields them
    itself) or of lambdas."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.stmt, ast.Lambda)):
            continue
        if isinstance(child, ast.Call):
            yield child
        yield from _calls(child)


def _called(call: ast.Call) -> str:
    """The name a call calls: ``_import`` for ``_import(...)``, ``importlib.import_module`` for that."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def loads_provider(loader_source: str, provider: Provider) -> bool:
    """Whether a ``_distributor_init.py`` (LOADER_SOURCE, by libwrap or anyone) loads PROVIDER as it runs:
    imports its preload module (``import M``, ``from M import x``, ``_import("M", ...)``,
    ``importlib.import_module("M")``) or, for a provider loaded by path, calls
    ``_load_by_path(distribution, soname, ...)`` for each of its sonames."""
    tree = _parse(loader_source)
    if tree is None:
        return False
    module = provider.preload
    loaded: set[str] = set()
    for node in _executed(tree.body):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            targets = [node.module or ""]
        if module and any(t == module or t.startswith(f"{module}.") for t in targets):
            return True
        for call in _calls(node):
            args = [_constant(arg) for arg in call.args]
            name = _called(call)
            if module and name in ("_import", "import_module", "importlib.import_module") and args[:1] == [module]:
                return True
            if name == "_load_by_path" and len(args) >= 2:
                distribution, soname = args[0], args[1]
                if distribution and soname and canonicalize_name(distribution) == provider.key:
                    loaded.add(soname)
    return not module and bool(provider.sonames) and provider.sonames <= loaded


def ensure_init_imports(source: str, package: str, harmless: Callable[[str], bool] | None = None) -> str:
    """Make PACKAGE's ``__init__.py`` (SOURCE) import ``_distributor_init`` before its other modules: when
    it does not already (see imports_distributor_init_first), add the import right after the docstring
    and ``from __future__`` imports, which must stay first. A later import of it may stay: a second
    import does nothing."""
    if imports_distributor_init_first(source, package, harmless):
        return source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        msg = f"{package}/__init__.py is not valid Python ({exc.msg}, line {exc.lineno}); fix it, then repair again"
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
        return "".join(lines[:line]) + IMPORT_LINE + "\n" + "".join(lines[line:])
    head = "".join(lines[:line])
    return head + ("" if head.endswith("\n") else "\n") + "\n" + IMPORT_LINE + "\n" + "".join(lines[line:])
