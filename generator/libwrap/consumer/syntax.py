"""What a module's top level does, as ``ast`` reads it: the statements that run at import (not those
of functions, classes or statically dead branches), the calls an expression makes, the names a
statement binds, where an import sits. The import proof (``libwrap.consumer.proof``) and the loader reader
(``libwrap.consumer.imports``) are built on these."""

from __future__ import annotations

import ast
from collections.abc import Iterator

__all__ = [
    "binds", "called", "calls", "constant", "executed", "import_site", "module_name", "parse", "shown", "static_truth",
]  # fmt: skip


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: NUL bytes before Python 3.12
        return None


def executed(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of BODY that can run at import, in order: into if/try/with/loop bodies, not into
    function or class bodies (they run later, if ever) nor into branches that are statically dead."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, (ast.If, ast.While)):
            taken = static_truth(node.test)
            if taken is not False:
                yield from executed(node.body)
            if taken is not True or isinstance(node, ast.While):
                yield from executed(node.orelse)
            continue
        # try (and try*), with, for, match: the parts in the order they run
        yield from executed(getattr(node, "body", []))
        for handler in getattr(node, "handlers", []):
            yield from executed(handler.body)
        for case in getattr(node, "cases", []):
            yield from executed(case.body)
        yield from executed(getattr(node, "orelse", []))
        yield from executed(getattr(node, "finalbody", []))


def static_truth(test: ast.expr) -> bool | None:
    """The value of an ``if`` test known without running it (constants, TYPE_CHECKING); None if unknown."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return False
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = static_truth(test.operand)
        return None if inner is None else not inner
    return None


def module_name(path: str) -> tuple[str, bool]:
    """The module a file holds and whether it is a package: pkg/sub/__init__.py -> ('pkg.sub', True)."""
    directory, _, filename = path.rpartition("/")
    stem = filename.split(".")[0]  # an extension's name ends at its first dot: _core.cpython-311-...so
    if filename == "__init__.py":
        return directory.replace("/", "."), True
    return f"{directory}/{stem}".strip("/").replace("/", "."), False


def constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def calls(node: ast.AST) -> Iterator[ast.Call]:
    """The calls NODE's own expressions make: not those of nested statements (the walk yields them
    itself) or of lambdas."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.stmt, ast.Lambda)):
            continue
        if isinstance(child, ast.Call):
            yield child
        yield from calls(child)


def called(call: ast.Call) -> str:
    """The name a call calls: ``_import`` for ``_import(...)``, ``importlib.import_module`` for that."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def shown(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def binds(node: ast.stmt, name: str) -> bool:
    """Whether the module-level statement NODE binds NAME (def, class, assignment, import)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((alias.asname or alias.name.partition(".")[0]) == name for alias in node.names)
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t))


def import_site(tree: ast.Module, package: str, submodule: str) -> tuple[int, str] | None:
    """The first import of PACKAGE's SUBMODULE anywhere in TREE (PACKAGE's ``__init__.py``) and the innermost
    construct that keeps it from running on every path; None if there is none."""
    target = f"{package}.{submodule}"
    found: list[tuple[int, str]] = []

    def imports_it(node: ast.AST) -> bool:
        if isinstance(node, ast.Import):
            return any(alias.name == target for alias in node.names)
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            elif node.level == 1:  # in the package's __init__.py, `.` is the package
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = ""
            return base == target or (base == package and any(a.name == submodule for a in node.names))
        return False

    def context(node: ast.AST, field: str, outer: str) -> str:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return "inside a function"
        if isinstance(node, ast.ClassDef):
            return "inside a class body"
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return "inside a loop" if field == "body" else "in a loop's else"
        if isinstance(node, ast.If):
            dead = static_truth(node.test) is (field == "orelse")
            return "in a branch that never runs" if dead else "in one branch of an if"
        if isinstance(node, ast.ExceptHandler):
            return "in an except handler"
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return "inside a with that may swallow its failure"
        if type(node).__name__ in ("Try", "TryStar"):
            if field in ("body", "orelse"):
                return "inside a try whose except lets the module go on without it"
            return outer
        if type(node).__name__ == "match_case":
            return "in one case of a match"
        return outer

    def visit(node: ast.AST, outer: str) -> None:
        for field, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if not isinstance(child, ast.AST):
                    continue
                inner = context(node, field, outer)
                if isinstance(child, ast.stmt) and imports_it(child):
                    found.append((child.lineno, inner))
                visit(child, inner)

    visit(tree, "on some paths only")
    return min(found) if found else None
