"""The import proof: does every path through a package's ``__init__.py`` run its ``_distributor_init``
before anything that could load one of the wheel's extension modules, and every path that completes
run it at all? (``preload_unproven``; ``loads_no_extension`` for any module of the wheel.) What cannot
be shown counts as not proven; ``libwrap check`` fails on it and ``libwrap repair`` puts the import at
the top (``libwrap.consumer.imports``)."""

from __future__ import annotations

import ast
import dataclasses
import enum
import re
from collections.abc import Callable, Mapping

from .syntax import binds, executed, import_site, module_name, parse, shown

__all__ = ["DISTRIBUTOR_INIT", "loads_no_extension", "preload_unproven"]

DISTRIBUTOR_INIT = "_distributor_init"

# fmt: off
#: Modules whose functions import or load code by name, run code, or load shared objects by path.
MACHINERY_MODULES = frozenset({
    "__builtin__", "_ctypes", "_frozen_importlib", "_frozen_importlib_external", "_imp", "_pickle", "builtins",
    "cffi", "code", "codeop", "copyreg", "ctypes", "doctest", "imp", "importlib", "importlib_metadata",
    "importlib_resources", "marshal", "modulefinder", "pickle", "pkg_resources", "pkgutil", "pydoc", "runpy",
    "shelve", "site", "unittest", "zipimport"
})
#: Builtins (and module globals) that import, run code or reach any object by a computed name.
MACHINERY_NAMES = frozenset({
    "__builtins__", "__import__", "__loader__", "__spec__", "breakpoint", "compile", "delattr", "eval", "exec",
    "getattr", "globals", "help", "locals", "setattr", "vars"
})
#: Attributes that reach the import system or a loader, whatever object they are read from.
MACHINERY_ATTRIBUTES = frozenset({
    "CDLL", "ExtensionFileLoader", "FileFinder", "LoadLibrary", "PathFinder", "PyDLL", "SourceFileLoader",
    "SourcelessFileLoader", "addsitedir", "cdll", "create_module", "dlopen", "exec_module", "f_builtins",
    "f_globals", "f_locals", "find_loader", "find_module", "find_spec", "gi_frame", "import_module",
    "loadTestsFromName", "loadTestsFromNames", "load_module", "meta_path", "module_from_spec", "path_hooks",
    "path_importer_cache", "pydll", "reload", "run_module", "run_path", "spec_from_file_location",
    "spec_from_loader", "tb_frame"
})
#: Dunder attributes that only describe an object; any other (__dict__, __class__...) reaches past it.
PLAIN_DUNDERS = frozenset({
    "__all__", "__annotations__", "__doc__", "__file__", "__module__", "__name__", "__package__", "__path__",
    "__qualname__", "__version__"
})
# fmt: on
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
_FIX_MOVE = "move `from . import _distributor_init` above it (libwrap repair does)"
_FIX_TOP = "import it unconditionally at the top (libwrap repair does)"


class _Kind(enum.IntEnum):
    """What a name holds, as far as loading the wheel's extensions goes; a join takes the worst."""

    SAFE = 0  # a module of another distribution, what it exports, a builtin: may be called
    DATA = 1  # a value made here or by foreign code: may be used and called
    CODE = 2  # this wheel's modules, functions and classes: may not run, nor be handed to code that could
    MACHINERY = 3  # the import system, dynamic code, library loaders: may not be touched at all


@dataclasses.dataclass
class _State:
    """What holds on one path through a module at one point."""

    preloaded: bool = False
    env: dict[str, _Kind] = dataclasses.field(default_factory=dict)
    origin: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> what a foreign import bound
    default: _Kind = _Kind.SAFE  # a name bound nowhere: a builtin, or what a * import brought
    getattr_line: int = 0  # where a module-level __getattr__ was bound
    shadow_line: int = 0  # where _distributor_init was bound by anything but its import
    # every binding made so far on any path, at its worst: what a handler may see after a partial body
    worst: dict[str, _Kind] = dataclasses.field(default_factory=dict)

    def copy(self) -> _State:
        return dataclasses.replace(self, env=dict(self.env), origin=dict(self.origin))

    def bind(self, name: str, kind: _Kind, line: int, origin: str = "") -> None:
        # never better than before: a name once bound to code may still hold it on another path
        self.env[name] = max(kind, self.env.get(name, _Kind.SAFE))
        self.worst[name] = max(kind, self.worst.get(name, _Kind.SAFE))
        self.origin[name] = origin if self.origin.get(name, origin) == origin else ""
        if name == "__getattr__":
            self.getattr_line = self.getattr_line or line
        if name == DISTRIBUTOR_INIT:
            self.shadow_line = self.shadow_line or line


def _join(*states: _State | None) -> _State | None:
    """The state after paths meet: preloaded only if on every path, every binding at its worst."""
    live = [s for s in states if s is not None]
    if not live:
        return None
    out = live[0].copy()
    for other in live[1:]:
        out.preloaded = out.preloaded and other.preloaded
        for name, kind in other.env.items():
            out.env[name] = max(kind, out.env.get(name, _Kind.SAFE))
        out.origin = {n: o for n, o in out.origin.items() if other.origin.get(n) == o}
        out.default = max(out.default, other.default)
        out.getattr_line = out.getattr_line or other.getattr_line
        out.shadow_line = out.shadow_line or other.shadow_line
    return out


class _Unproven(Exception):
    """Something on a path before the preload that may load an extension: its line and what it does
    (or, for MESSAGE, the whole reason)."""

    def __init__(self, node: ast.AST, what: str, message: str = "") -> None:
        super().__init__(what)
        self.line = getattr(node, "lineno", 0)
        self.what = what
        self.message = message


class _ModuleIndex:
    """The wheel's Python modules and extension modules by module name, and what importing each does."""

    def __init__(self, files: Mapping[str, str | None] | None) -> None:
        self.known = files is not None
        self.modules: dict[str, tuple[str | None, bool, str]] = {}  # name -> (source or None, is_package, path)
        for path, source in (files or {}).items():
            name, is_package = module_name(path)
            if source is not None or name not in self.modules:
                self.modules[name] = (source, is_package, path)
        self.tops = {name.partition(".")[0] for name in self.modules}
        self._verdicts: dict[str, str | None] = {}
        self._exports: dict[str, dict[str, _Kind]] = {}

    def own(self, name: str, package: str) -> bool:
        return name.partition(".")[0] in self.tops | {package.partition(".")[0]}

    def exports(self, module: str) -> dict[str, _Kind]:
        return self._exports.get(module, {})

    def problem(self, name: str) -> str | None:
        """Why importing the wheel's module NAME may load an extension, as text to follow 'imports NAME';
        None when it provably does not. A name that is no module of the wheel (a function imported from
        one) loads nothing itself; without the wheel's files (not known) every module may."""
        if name.count(".") == 1 and name.endswith(f".{DISTRIBUTOR_INIT}"):
            return None  # the preload itself
        if not self.known:
            return ", which nothing shows is pure Python,"
        if name not in self.modules:
            return None
        if name not in self._verdicts:
            source, is_package, path = self.modules[name]
            self._verdicts[name] = None  # an import cycle adds nothing
            self._verdicts[name] = self._judge(name, source, is_package, path)
        return self._verdicts[name]

    def _judge(self, name: str, source: str | None, is_package: bool, path: str) -> str | None:
        if source is None:
            return ", an extension module,"
        tree = parse(source)
        if tree is None:
            return f" ({path} is not valid Python)"
        if any(binds(node, "__getattr__") for node in executed(tree.body)):
            return f" ({path} defines a module __getattr__, which may load anything)"
        prover = _Prover(self, name, is_package, path, tree)
        try:
            state = prover.run()
        except _Unproven as exc:
            return f" ({path} line {exc.line} {exc.what.rstrip(',')})"
        self._exports[name] = state.env if state is not None else {}
        return None


class _Prover:
    """Follows every path through one module's top level (ast), tracking what each name holds and
    whether the preload has run; raises _Unproven at the first thing it cannot show loads no extension."""

    def __init__(self, index: _ModuleIndex, module: str, is_package: bool, path: str, tree: ast.Module) -> None:
        self.index, self.module, self.is_package, self.path, self.tree = index, module, is_package, path, tree
        self.package = module.partition(".")[0]
        self.target = f"{self.package}.{DISTRIBUTOR_INIT}"
        self.class_depth = 0
        self.defines_getattr = any(binds(node, "__getattr__") for node in executed(tree.body))

    def run(self) -> _State | None:
        return self._body(self.tree.body, _State())

    # statements

    def _body(self, body: list[ast.stmt], state: _State | None) -> _State | None:
        for node in body:
            if state is None or (state.preloaded and not self.class_depth):
                return state  # unreachable, or past the preload: nothing after it matters
            state = self._statement(node, state)
        return state

    def _statement(self, node: ast.stmt, state: _State) -> _State | None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return self._import(node, state)
        if isinstance(node, ast.Expr):
            if not isinstance(node.value, ast.Constant):  # a docstring or a bare constant does nothing
                self._expr(node.value, state)
            return state
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            return self._assign(node, state)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._definition(node.decorator_list, [], state)
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                self._expr(default, state)
            for arg in [
                *node.args.posonlyargs,
                *node.args.args,
                *node.args.kwonlyargs,
                node.args.vararg,
                node.args.kwarg,
            ]:
                if arg is not None:
                    self._expr(arg.annotation, state)
            self._expr(node.returns, state)
            state.bind(node.name, _Kind.CODE, node.lineno)
            return state
        if isinstance(node, ast.ClassDef):
            return self._class(node, state)
        if isinstance(node, ast.If):
            self._expr(node.test, state)
            taken = self._truth(node.test, state)
            body = self._body(node.body, state.copy()) if taken is not False else None
            orelse = self._body(node.orelse, state.copy()) if taken is not True else None
            return _join(body, orelse)
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return self._loop(node, state)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            suppresses = False
            for item in node.items:
                self._handed(item.context_expr, state, "uses as a context manager")
                suppresses = suppresses or self._suppresses(item.context_expr, state)
                if item.optional_vars is not None:
                    self._target(item.optional_vars, _Kind.DATA, state)
            body = self._body(node.body, state.copy())
            return _join(body, state) if suppresses else body
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            return self._try(node, state)
        if isinstance(node, ast.Raise):
            self._expr(node.exc, state)
            self._expr(node.cause, state)
            return None
        if isinstance(node, ast.Assert):
            self._expr(node.test, state)
            self._expr(node.msg, state)
            return state
        if isinstance(node, ast.Delete):
            for target in node.targets:
                self._target(target, _Kind.DATA, state, deleting=True)
            return state
        if isinstance(node, (ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)):
            return state
        if type(node).__name__ == "Match":
            return self._match(node, state)
        if type(node).__name__ == "TypeAlias":  # evaluated lazily, when used
            state.bind(getattr(getattr(node, "name", None), "id", ""), _Kind.DATA, node.lineno)
            return state
        raise _Unproven(node, f"has a statement libwrap does not follow ({type(node).__name__})")

    def _resolve(self, node: ast.ImportFrom) -> str | None:
        """The absolute module a from-import imports from; None beyond the top-level package (an ImportError)."""
        if not node.level:
            return node.module or ""
        base = self.module if self.is_package else self.module.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        if not base:
            return None
        return f"{base}.{node.module}" if node.module else base

    def _imports(self, name: str, node: ast.stmt, state: _State) -> None:
        """Importing module NAME (its parents first) on this path; marks the preload when NAME is it."""
        parts = name.split(".")
        for full in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
            if state.preloaded and not self.class_depth:
                return
            if f"{self.module}.".startswith(f"{full}."):
                continue  # this module and its parents are imported already
            if full == self.target:
                if not self.class_depth:
                    state.preloaded = True
                continue
            if self.index.own(full, self.package):
                problem = self.index.problem(full)
                if problem is not None:
                    raise _Unproven(node, f"imports {full}{problem}")

    def _import(self, node: ast.Import | ast.ImportFrom, state: _State) -> _State | None:
        line = node.lineno
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._imports(alias.name, node, state)
                # `import a.b` binds a; `import a.b as x` binds x to a.b
                module = alias.name if alias.asname else alias.name.partition(".")[0]
                own = self.index.own(module, self.package)
                state.bind(alias.asname or module, self._module_kind(module), line, "" if own else module)
            return state
        if node.module == "__future__":
            return state
        base = self._resolve(node)
        if base is None:
            return None  # beyond the top-level package: an ImportError
        own = self.index.own(base, self.package)
        if base:
            self._imports(base, node, state)
        for alias in node.names:
            if state.preloaded and not self.class_depth:
                return state
            full = f"{base}.{alias.name}"
            if alias.name == "*":
                self._star(base, own, node, state)
                continue
            if not own:
                kind = _Kind.MACHINERY if base.partition(".")[0] in MACHINERY_MODULES else _Kind.SAFE
                state.bind(alias.asname or alias.name, kind, line, full)
                continue
            if full == self.target and not self.class_depth:
                # `from . import _distributor_init` imports nothing if the package already has that name
                if state.shadow_line or state.getattr_line:
                    why = "binds the name _distributor_init" if state.shadow_line else "defines __getattr__"
                    message = (
                        f"{self.path} line {line} imports _distributor_init after line "
                        f"{state.shadow_line or state.getattr_line} {why}, so that import may find the name "
                        "and load nothing; import it before (libwrap repair adds it at the top)"
                    )
                    raise _Unproven(node, "", message)
                state.preloaded = True
                state.env[alias.asname or alias.name] = _Kind.CODE
                continue
            if full in self.index.modules or not self.index.known or full == self.target:
                self._imports(full, node, state)
                kind = _Kind.CODE
            else:
                # a name in BASE; when BASE is this very package, its __getattr__ (PEP 562) answers
                if base == self.module and self.defines_getattr:
                    raise _Unproven(
                        node, f"imports {alias.name}, no module of {base}, through its __getattr__ (PEP 562)"
                    )
                kind = (
                    state.env.get(alias.name, _Kind.CODE)
                    if base == self.module
                    else self.index.exports(base).get(alias.name, _Kind.CODE)
                )
            state.bind(alias.asname or alias.name, max(kind, _Kind.DATA), line)
        return state

    def _module_kind(self, name: str) -> _Kind:
        if self.index.own(name, self.package):
            return _Kind.CODE
        return _Kind.MACHINERY if name.partition(".")[0] in MACHINERY_MODULES else _Kind.SAFE

    def _star(self, base: str, own: bool, node: ast.stmt, state: _State) -> None:
        if not own:
            if base.partition(".")[0] in MACHINERY_MODULES:
                raise _Unproven(node, f"imports * from {base}")
            state.default = max(state.default, _Kind.DATA)
            return
        entry = self.index.modules.get(base)
        if entry is not None and entry[1]:
            # a package's __all__ may name its submodules, which * then imports
            for name in self.index.modules:
                if name.startswith(f"{base}."):
                    problem = self.index.problem(name)
                    if problem is not None:
                        raise _Unproven(node, f"imports * from {base}, which may import {name}{problem}")
        state.default = max(state.default, _Kind.CODE)

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, state: _State) -> _State:
        if isinstance(node, ast.AnnAssign):
            self._expr(node.annotation, state)
            if node.value is None:
                return state
        kind = self._expr(node.value, state)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            self._target(target, kind, state)
        return state

    def _target(self, target: ast.expr, kind: _Kind, state: _State, *, deleting: bool = False) -> None:
        """Bind the assignment target TARGET to a value of KIND; a store into another object may not
        carry the wheel's code (foreign code could run it) or replace what the preload relies on."""
        if isinstance(target, ast.Name):
            if not deleting:
                state.bind(target.id, kind, target.lineno)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element, kind, state, deleting=deleting)
            return
        if isinstance(target, ast.Starred):
            self._target(target.value, kind, state, deleting=deleting)
            return
        if isinstance(target, ast.Attribute):
            self._expr(target.value, state)
            if target.attr in (DISTRIBUTOR_INIT, "__getattr__", "__class__", "__path__"):
                raise _Unproven(target, f"sets {shown(target)}")
        elif isinstance(target, ast.Subscript):
            self._expr(target.value, state)
            self._expr(target.slice, state)
        if kind >= _Kind.CODE:
            raise _Unproven(target, f"stores code of this wheel in {shown(target)}, where other code may run it,")

    def _definition(self, decorators: list[ast.expr], bases: list[ast.expr], state: _State) -> None:
        for decorator in decorators:
            if self._callee(decorator, state) >= _Kind.CODE:
                raise _Unproven(decorator, f"decorates with {shown(decorator)}, code of this wheel,")
        for base in bases:
            self._handed(base, state, "derives a class from")

    def _class(self, node: ast.ClassDef, state: _State) -> _State | None:
        self._definition(node.decorator_list, [*node.bases, *(k.value for k in node.keywords)], state)
        # the body runs now, but an import of _distributor_init in it is no preload the package can count on
        self.class_depth += 1
        try:
            inner = self._body(node.body, state.copy())
        finally:
            self.class_depth -= 1
        if inner is None:
            return None
        merged = _join(state, dataclasses.replace(inner, preloaded=state.preloaded))
        assert merged is not None
        merged.bind(node.name, _Kind.CODE, node.lineno)
        return merged

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While, state: _State) -> _State | None:
        if isinstance(node, ast.While):
            self._expr(node.test, state)
        else:
            self._handed(node.iter, state, "iterates over")
            self._target(node.target, _Kind.DATA, state)
        # the body may run no time or many: follow it twice, the second time with what the first bound
        first = self._body(node.body, state.copy())
        again = self._body(node.body, _join(state, first) or state.copy())
        after = _join(state, first, again)
        assert after is not None
        return _join(after, self._body(node.orelse, after.copy()))

    def _try(self, node: ast.stmt, state: _State) -> _State | None:
        body_out = self._body(getattr(node, "body", []), state.copy())
        # a handler runs from wherever the body failed: with the preload as before the try, any binding made
        entry = state.copy()
        for name, kind in state.worst.items():
            entry.env[name] = max(kind, entry.env.get(name, _Kind.SAFE))
        entry.default = max(entry.default, body_out.default if body_out else entry.default)
        outs: list[_State | None] = []
        for handler in getattr(node, "handlers", []):
            self._expr(handler.type, entry)
            inner = entry.copy()
            if handler.name:
                inner.bind(handler.name, _Kind.DATA, handler.lineno)
            outs.append(self._body(handler.body, inner))
        orelse = self._body(getattr(node, "orelse", []), body_out.copy()) if body_out is not None else None
        normal = _join(orelse, *outs)
        final = getattr(node, "finalbody", [])
        if final:
            self._body(final, entry.copy())  # on the paths that raise through it
            return self._body(final, normal) if normal is not None else None
        return normal

    def _match(self, node: ast.stmt, state: _State) -> _State | None:
        self._expr(getattr(node, "subject", None), state)
        outs: list[_State | None] = [state]  # no case may match
        for case in getattr(node, "cases", []):
            inner = state.copy()
            for part in ast.walk(case.pattern):
                if type(part).__name__ == "MatchClass":
                    self._handed(part.cls, inner, "matches against")  # type: ignore[attr-defined]
                elif type(part).__name__ == "MatchValue":
                    self._expr(part.value, inner)  # type: ignore[attr-defined]
                for name in (getattr(part, "name", None), getattr(part, "rest", None)):
                    if isinstance(name, str):
                        inner.bind(name, _Kind.DATA, node.lineno)
            self._expr(case.guard, inner)
            outs.append(self._body(case.body, inner))
        return _join(*outs)

    # expressions

    def _truth(self, test: ast.expr, state: _State) -> bool | None:
        """The value of an ``if`` test known without running it: constants, typing.TYPE_CHECKING."""
        if isinstance(test, ast.Constant):
            return bool(test.value)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self._truth(test.operand, state)
            return None if inner is None else not inner
        origins = ("typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING")
        if isinstance(test, ast.Name) and state.origin.get(test.id) in origins:
            return False
        if (
            isinstance(test, ast.Attribute)
            and isinstance(test.value, ast.Name)
            and f"{state.origin.get(test.value.id)}.{test.attr}" in origins
        ):
            return False
        return None

    def _suppresses(self, node: ast.expr, state: _State) -> bool:
        """Whether a context manager may swallow what its body raises: contextlib.suppress, or an object
        made elsewhere (only a call names what the manager is)."""
        if not isinstance(node, ast.Call):
            return True
        func = node.func
        if isinstance(func, ast.Name):
            name = state.origin.get(func.id) or func.id
        elif isinstance(func, ast.Attribute):
            name = func.attr
        else:
            return True
        return name.rpartition(".")[2] == "suppress"

    def _lookup(self, name: str, state: _State, scope: Mapping[str, _Kind]) -> _Kind:
        if name in scope:
            return scope[name]
        if name in state.env:
            return state.env[name]
        return _Kind.MACHINERY if name in MACHINERY_NAMES else state.default

    def _callee(self, node: ast.expr, state: _State, scope: Mapping[str, _Kind] = {}) -> _Kind:
        """The kind of what a call calls; touching the machinery to get it is 'calls X'."""
        try:
            return self._expr(node, state, scope)
        except _Unproven as exc:
            if exc.line == getattr(node, "lineno", -1) and exc.what.startswith("uses "):
                raise _Unproven(node, f"calls {shown(node)}") from None
            raise

    def _handed(self, node: ast.expr, state: _State, how: str, scope: Mapping[str, _Kind] = {}) -> None:
        """NODE is given to code that may run it: it may not be the wheel's code."""
        if self._expr(node, state, scope) >= _Kind.CODE:
            raise _Unproven(node, f"{how} {shown(node)}, code of this wheel,")

    def _expr(self, node: ast.expr | None, state: _State, scope: Mapping[str, _Kind] = {}) -> _Kind:
        """The kind of NODE's value; _Unproven if evaluating it may load an extension (or reach what could)."""
        if node is None:
            return _Kind.DATA
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, str) and (
                value in MACHINERY_ATTRIBUTES
                or (value in MACHINERY_NAMES and value.startswith("__"))
                or (_DOTTED.fullmatch(value) and self.index.own(value, self.package))
            ):
                raise _Unproven(node, f"names {value!r}")
            return _Kind.DATA
        if isinstance(node, ast.Name):
            kind = self._lookup(node.id, state, scope)
            if kind == _Kind.MACHINERY:
                raise _Unproven(node, f"uses {node.id}")
            return kind
        if isinstance(node, ast.Attribute):
            kind = self._expr(node.value, state, scope)
            dunder = node.attr.startswith("__") and node.attr.endswith("__")
            if node.attr in MACHINERY_ATTRIBUTES or (dunder and node.attr not in PLAIN_DUNDERS):
                raise _Unproven(node, f"uses {shown(node)}")
            return kind
        if isinstance(node, ast.Call):
            callee = self._callee(node.func, state, scope)
            if callee >= _Kind.CODE:
                raise _Unproven(node, f"calls {shown(node.func)}, code of this wheel,")
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                self._handed(arg, state, f"hands to {shown(node.func)}", scope)
            return _Kind.DATA
        if isinstance(node, ast.Lambda):
            inner = dict(scope)
            args = node.args
            for param in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if param is not None:
                    inner[param.arg] = _Kind.DATA
            for default in [*args.defaults, *args.kw_defaults]:
                self._expr(default, state, scope)
            self._expr(node.body, state, inner)  # it may run whenever it is called
            return _Kind.DATA
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = dict(scope)
            for generator in node.generators:
                self._handed(generator.iter, state, "iterates over", inner)
                for name in ast.walk(generator.target):
                    if isinstance(name, ast.Name):
                        inner[name.id] = _Kind.DATA
                for condition in generator.ifs:
                    self._expr(condition, state, inner)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            return max((self._expr(part, state, inner) for part in parts), default=_Kind.DATA)
        if isinstance(node, ast.NamedExpr):
            kind = self._expr(node.value, state, scope)
            state.bind(node.target.id, kind, node.lineno)
            return kind
        if isinstance(node, ast.Subscript):
            kind = self._expr(node.value, state, scope)
            self._expr(node.slice, state, scope)
            return max(kind, _Kind.DATA)
        # anything else (operators, containers, f-strings): its parts; a container holds what they hold
        kinds = [self._expr(child, state, scope) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        holds = max(kinds, default=_Kind.DATA)
        passes_on = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Starred, ast.IfExp, ast.BoolOp)
        return holds if isinstance(node, passes_on) and holds >= _Kind.CODE else _Kind.DATA


def loads_no_extension(files: Mapping[str, str | None]) -> Callable[[str], bool]:
    """Whether importing the wheel's module NAME provably loads none of the extension modules in FILES
    (see package_files): by the rules of preload_unproven, applied to that module's code. A name that
    is no module in FILES (a function imported from a module, a module of another package) loads none."""
    index = _ModuleIndex(files)
    return lambda name: index.problem(name) is None


def preload_unproven(init_source: str, package: str, files: Mapping[str, str | None] | None = None) -> str | None:
    """Why nothing proves that PACKAGE's ``__init__.py`` (INIT_SOURCE) imports ``_distributor_init`` on
    every path that completes, before anything that could load one of the wheel's extension modules
    (FILES, see package_files: without them, every own module counts as one); None when it is proven.

    Before the preload only what provably loads no extension may run: docstrings, ``__future__`` and
    other distributions' imports, imports of the wheel's own modules that are proven the same way,
    assignments, definitions, and calls of other distributions' code. The import system, dynamic code
    and library loaders (importlib, __import__, exec, getattr, ctypes...) may not be touched, the
    wheel's own functions and classes may not run or be handed to code that could run them, and a
    ``from . import name`` that is no module may not meet a module ``__getattr__``. The preload counts
    where it runs on every path: at the top level, in both branches of an ``if``, in a ``with`` that
    cannot swallow its failure, in a ``try`` whose handlers all raise; not in a function, a class
    body, a loop or one branch. Trusted: other distributions' code, and names computed at run time."""
    path = f"{package}/__init__.py"
    tree = parse(init_source)
    if tree is None:
        return f"{path} is not valid Python, so the package cannot be imported; fix it and rebuild the wheel"
    site = import_site(tree, package, DISTRIBUTOR_INIT)
    try:
        state = _Prover(_ModuleIndex(files), package, True, path, tree).run()
    except _Unproven as exc:
        if exc.message:
            return exc.message
        hint = f" (line {site[0]} imports it only {site[1]})" if site and site[0] <= exc.line else ""
        return (
            f"{path} line {exc.line} {exc.what} before _distributor_init{hint}, "
            f"so nothing proves the providers load first; {_FIX_MOVE}"
        )
    if state is None or state.preloaded:
        return None  # it imports the preload on every path that completes (or none completes)
    if site is None:
        return (
            f"{path} never imports _distributor_init, so nothing loads the providers first; "
            "add `from . import _distributor_init` at its top (libwrap repair does)"
        )
    return (
        f"{path} line {site[0]} imports _distributor_init only {site[1]}, "
        f"so nothing proves the providers load first; {_FIX_TOP}"
    )
