"""``libwrap repair`` in one process: auditwheel's own repair, excluding what other wheels provide, on
the wheel as libwrap read and verified it, with libwrap's edits made in the same tree: the wheel is
read once and written once.

1. ``read_wheel`` reads the wheel as an installer would (RECORD verified); ``analysis`` says who
   provides each library; every edit is tried on that copy first, so a file libwrap cannot make stops
   the repair before anything runs or is written. The members are then written out, once, into a
   directory: the tree auditwheel works in.
2. auditwheel's ``repair`` command runs in this process as its command line would
   (``main_repair.execute``: its policy logic, its refusals and messages), with ``--exclude`` for each
   provided SONAME. One thing is libwrap's: the context auditwheel opens a wheel in, for its analysis
   (``auditwheel.wheel_abi.InGenericPkgCtx``) and its repair (``auditwheel.repair.InWheelCtx``), both
   module globals it looks up when it runs. Ours (``_tree_ctx``) enters that tree instead of
   extracting the file again, so auditwheel sees exactly the members RECORD vouched for; on leaving
   the repair, libwrap declares the providers in Requires-Dist, writes ``_distributor_init.py`` and
   the import of it, puts shims in place of top-level extension modules and drops search paths that
   lead outside the wheel (patchelf, on the extracted files), then writes the wheel with a fresh
   RECORD. auditwheel's own zip never runs; when auditwheel has nothing to repair (no ELF file
   refers to anything) and writes nothing, the same edits and the one write still happen.
3. ``repair`` returns a ``RepairReport``; the command prints it.

auditwheel has no supported Python API (pypa/auditwheel#82): this is pinned to the 6.8 series in
pyproject.toml, and the unit layer runs it. auditwheel changes the working directory while it works
and runs patchelf from PATH: ``repair`` holds a lock, passes it absolute paths only, and restores the
directory, PATH and auditwheel's logger, so that a process runs one repair at a time and keeps no
trace of it (other threads must not rely on the working directory meanwhile). Its caches keyed by
file name (``get_wheel_elfdata``) and by the environment (``load_ld_paths``) are cleared first: a
wheel rewritten at the same path, or another LD_LIBRARY_PATH, is analysed afresh.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import re
import stat
import subprocess
import tempfile
import threading
import traceback
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from ..errors import BuildError, LibwrapError, ToolError, UsageError
from ..providers import Provider, ProviderIndex
from ..tools import require_tool, tool_env
from ..wheelfile import Wheel, read_wheel, write_wheel
from .analysis import (
    Needs,
    analyse,
    declare_fix,
    declared_distributions,
    declared_requirements,
    loaded_by,
    provider_packages,
    requirement_problem,
    search_path_problems,
    shimmed_name,
    top_level_extension,
)
from .imports import ensure_init_imports, package_files
from .preload import SHIM_MARKER, render_distributor_init, render_shim

if TYPE_CHECKING:
    from types import ModuleType, TracebackType

__all__ = ["DroppedPath", "Library", "RepairReport", "repair"]

#: Signatures of RECORD: they vouch for the RECORD this repair replaces.
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")
_HINT = "auditwheel repair on the wheel shows its whole output"
_REBUILD = "rebuild it (pip wheel, python -m build)"
_MISSING_HINT = "install the missing library, or name the distribution that provides it with --provider"
# auditwheel changes the working directory, PATH and its logger for the whole process: one repair at a time
_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Library:
    """One SONAME the wheel's ELF files need, and what repair did about it."""

    soname: str
    fate: Literal["excluded", "policy", "inside", "grafted"]
    provider: Provider | None = None  # excluded: who provides it (declared and preloaded)
    grafted: str | None = None  # grafted: the member auditwheel copied it to, when found


@dataclasses.dataclass(frozen=True)
class DroppedPath:
    """A RUNPATH or RPATH entry repair removed, and why it may find a library outside the wheel."""

    member: str
    tag: str  # RUNPATH or RPATH
    entry: str
    why: str


@dataclasses.dataclass(frozen=True)
class RepairReport:
    """What ``repair`` did, for the command to print."""

    wheel: Path  # the wheel repaired, as given
    output: Path  # the wheel written
    libraries: tuple[Library, ...]  # every SONAME needed, sorted
    dropped: tuple[DroppedPath, ...]
    requirements: tuple[str, ...]  # Requires-Dist lines added
    preloads: tuple[str, ...]  # files written: _distributor_init.py, __init__.py, shims
    size_before: int
    size_after: int
    replaced: bool  # a wheel of that name was there and is replaced, as auditwheel and pip wheel do
    verified: tuple[str, ...] = ()  # Requires-Dist lines the wheel declared, each within its provider's range
    dynamic: bool = False  # METADATA marks Requires-Dist Dynamic, because repair changed it
    generator: str = ""  # what built the wheel (its WHEEL file's Generator), for the advice on declaring


@dataclasses.dataclass
class _Plan:
    """The edits repair makes, from what the wheel needs."""

    needs: Needs
    by_package: dict[str, list[Provider]]  # package -> providers its _distributor_init.py loads
    shims: dict[str, list[Provider]]  # top-level extension module -> the providers its shim loads
    provider_dirs: set[str]  # the providers' package directories, which search paths may not enter


@dataclasses.dataclass
class _Written:
    """What the edits and the write did, once the repaired wheel is on disk."""

    output: Path
    members: frozenset[str]
    dropped: list[DroppedPath]
    requirements: list[str]
    preloads: list[str]
    replaced: bool
    dynamic: bool


def repair(
    wheel: Path, wheel_dir: Path, index: ProviderIndex, *, plat: str | None = None, strip: bool = False
) -> RepairReport:
    """Repair WHEEL into WHEEL_DIR: auditwheel repair with each library INDEX finds a provider for
    excluded, the providers declared and preloaded; PLAT and STRIP as auditwheel's --plat and --strip.
    Raises a LibwrapError (nothing written) when the wheel, an option or the output directory is bad,
    or when auditwheel fails."""
    original = read_wheel(wheel)
    size = wheel.stat().st_size
    patchelf = require_tool("patchelf", "let auditwheel rewrite the wheel's libraries")
    plan = _plan(analyse(original, index))
    verified = _verified(original, plan.needs)
    # every edit once on a copy first, so a file it cannot make (not UTF-8, not Python) stops us here
    trial = Wheel(original.path, dict(original.members))
    _add_preloads(trial, plan.by_package)
    _add_shims(trial, plan.shims)
    _check_output_dir(wheel_dir)

    written: list[_Written] = []
    target = wheel_dir.absolute()  # FINISH runs in auditwheel's working directory, the tree

    def finish(tree: Path, name: str) -> None:
        written.append(_edit_and_write(_tree_wheel(tree, name), tree, plan, target, patchelf))

    with tempfile.TemporaryDirectory(prefix="libwrap-repair-") as scratch:
        tree = _extract(original, Path(scratch) / "wheel")
        ctx = _tree_ctx(wheel.absolute(), tree, finish)
        _auditwheel(wheel.absolute(), Path(scratch) / "out", sorted(plan.needs.provided), plat, strip=strip, ctx=ctx)
        if not written:
            # auditwheel writes nothing for a wheel with no external references: the edits still are
            finish(tree, wheel.name)
    (done,) = written
    output = wheel_dir / done.output.name  # as -w names it
    return RepairReport(
        wheel=wheel,
        output=output,
        libraries=tuple(_libraries(plan.needs, done.members)),
        dropped=tuple(done.dropped),
        requirements=tuple(done.requirements),
        preloads=tuple(done.preloads),
        size_before=size,
        size_after=output.stat().st_size,
        replaced=done.replaced,
        verified=tuple(verified),
        dynamic=done.dynamic,
        generator=original.generator,
    )


def _verified(wheel: Wheel, needs: Needs) -> list[str]:
    """The Requires-Dist lines WHEEL already declares for its providers, each checked against the
    provider's range (it must admit the release the wheel was built against and ask for nothing
    outside the range: analysis.requirement_problem); a UsageError naming the line and the range to
    declare instead, before anything runs. What the build declared stays: repair adds only what is missing."""
    declared = declared_requirements(wheel)
    lines = []
    for provider in {p.key: p for p in needs.provided.values()}.values():
        for line in declared.get(provider.key, []):
            problem = requirement_problem(line, provider)
            if problem is not None:
                msg = f"{wheel.path.name} declares Requires-Dist: {line}, {problem}; {declare_fix(provider)}"
                raise UsageError(msg)
            lines.append(line)
    return lines


def _plan(needs: Needs) -> _Plan:
    by_package, shims = loaded_by(needs)
    return _Plan(needs, by_package, shims, provider_packages(needs.provided.values()))


def _edit_and_write(repaired: Wheel, tree: Path, plan: _Plan, wheel_dir: Path, patchelf: str) -> _Written:
    """libwrap's edits on REPAIRED (auditwheel's output, whose files are under TREE), then the one write."""
    dropped = _drop_search_paths(repaired, plan.provider_dirs, patchelf, tree)
    declared = declared_distributions(repaired)
    requirements = []
    for provider in {p.key: p for p in plan.needs.provided.values()}.values():
        if provider.key not in declared:
            repaired.add_requirement(provider.requirement)
            requirements.append(provider.requirement)
    # The core metadata spec (Dynamic, clarified August 2025, packaging.python.org 083e986): "It is
    # advisable, but not required, that tools which modify wheel metadata add the modified fields to the
    # generated wheel's Dynamic field" -- the sdist it came from does not say what this wheel now requires.
    dynamic = bool(requirements) and repaired.mark_dynamic("Requires-Dist")
    preloads = _add_preloads(repaired, plan.by_package) + _add_shims(repaired, plan.shims)
    out = wheel_dir / repaired.path.name
    if out.is_dir():
        msg = f"{out} is a directory, where the repaired wheel would go; remove it or pass another -w"
        raise UsageError(msg)
    replaced = out.exists()
    write_wheel(repaired, out)
    return _Written(out, frozenset(repaired.members), dropped, requirements, preloads, replaced, dynamic)


def _libraries(needs: Needs, members: frozenset[str]) -> Iterator[Library]:
    for soname in sorted(needs.users):
        if soname in needs.provided:
            yield Library(soname, "excluded", provider=needs.provided[soname])
        elif soname in needs.policy:
            yield Library(soname, "policy")
        elif soname in needs.inside:
            yield Library(soname, "inside")
        else:
            yield Library(soname, "grafted", grafted=_grafted(members, soname))


def _grafted(members: frozenset[str], soname: str) -> str | None:
    """The member auditwheel grafted for SONAME (it renames libfoo.so.1 to libfoo-<hash>.so.1)."""
    stem, dot, rest = soname.partition(".")
    pattern = re.compile(rf"{re.escape(stem)}-[0-9a-f]{{8}}{re.escape(dot + rest)}")
    return next((m for m in sorted(members) if ".libs/" in m and pattern.fullmatch(m.rsplit("/", 1)[-1])), None)


def _check_output_dir(wheel_dir: Path) -> None:
    """Refuse an -w that cannot hold the repaired wheel before anything runs: a file, a path under a file,
    or a directory (or the nearest that exists) this process cannot write to or reach."""
    existing = wheel_dir
    while True:
        try:
            mode = existing.stat().st_mode
            break
        except (FileNotFoundError, NotADirectoryError):  # not there yet, or under a file: look higher
            if existing == existing.parent:
                return
            existing = existing.parent
        except OSError as exc:  # a parent this user may not search, a loop of links
            msg = f"-w {wheel_dir}: {existing} cannot be reached ({exc.strerror}); pass a directory you can write to"
            raise UsageError(msg) from None
    if not stat.S_ISDIR(mode):
        if existing == wheel_dir:
            msg = f"-w {wheel_dir} is a file; pass a directory"
        else:
            msg = f"-w {wheel_dir} lies under {existing}, which is a file, not a directory; pass a directory"
        raise UsageError(msg)
    if not os.access(existing, os.W_OK | os.X_OK):
        msg = f"-w {wheel_dir}: {existing} is read-only for this user; pass a directory you can write to"
        raise UsageError(msg)


def _drop_search_paths(wheel: Wheel, providers: set[str], patchelf: str, tree: Path) -> list[DroppedPath]:
    """Remove from the wheel's ELF files every RUNPATH/RPATH entry that may find a library outside the
    wheel as installed (auditwheel keeps what it did not graft for: a provider's .pc -rpath, a build
    path): patchelf on the member's file under TREE, read back."""
    elf = wheel.elf_files()
    drop: dict[str, list[DroppedPath]] = {}
    for member, tag, entry, why in search_path_problems(wheel, providers, elf):
        drop.setdefault(member, []).append(DroppedPath(member, tag, entry, why))
    for member, entries in drop.items():
        info = elf[member]
        # the loader ignores DT_RPATH when DT_RUNPATH is there: keep the kind that is in force
        tag, kept_from = ("RUNPATH", info.runpath) if info.runpath else ("RPATH", info.rpath)
        dropped = {d.entry for d in entries if d.tag == tag}
        kept = [entry for entry in kept_from if entry not in dropped]
        path = tree / member
        commands = [[patchelf, "--remove-rpath", str(path)]]
        if kept:
            force = [] if tag == "RUNPATH" else ["--force-rpath"]
            commands.append([patchelf, *force, "--set-rpath", ":".join(kept), str(path)])
        for command in commands:
            proc = subprocess.run(command, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                msg = f"patchelf could not rewrite the search path of {member}: {reason}"
                raise BuildError(msg)
        wheel.members[member] = path.read_bytes()
    return [d for entries in drop.values() for d in entries]


def _add_preloads(wheel: Wheel, by_package: dict[str, list[Provider]]) -> list[str]:
    """Write each package's _distributor_init.py and make __init__.py import it first; returns the files changed."""
    written = []
    files = package_files(wheel.members)
    for package, providers in sorted(by_package.items()):
        init = f"{package}/__init__.py"
        if init not in wheel.members:
            msg = f"{package}/ has no __init__.py, so nothing could load its providers first; add one"
            raise UsageError(msg)
        path = f"{package}/_distributor_init.py"
        existing = wheel.python_source(path) if path in wheel.members else ""
        loader = render_distributor_init(providers, existing)
        init_text = wheel.python_source(init)
        # the wheel's own pure-Python modules may come before _distributor_init, as check allows
        fixed_init = ensure_init_imports(init_text, package, files)
        if loader != existing:
            wheel.set_python_source(path, loader)
            written.append(path)
        if fixed_init != init_text:
            wheel.set_python_source(init, fixed_init)
            written.append(init)
    return written


def _shim_target(wheel: Wheel, member: str) -> str:
    """The shim module file for the top-level extension MEMBER; a UsageError if the wheel has another
    file of that name, which the shim would overwrite."""
    module = top_level_extension(member)
    if module is None:
        msg = f"{member} is a top-level library, not an extension module, so nothing can load its providers first; move it into a package"
        raise UsageError(msg)
    shim = f"{module}.py"
    if shim in wheel.members and SHIM_MARKER not in wheel.python_source(shim):
        msg = f"{member} and {shim} both define the top-level module {module}; remove {shim} or move the extension into a package"
        raise UsageError(msg)
    return shim


def _add_shims(wheel: Wheel, shims: dict[str, list[Provider]]) -> list[str]:
    """Move each top-level extension module aside and put a Python module of its name in its place,
    which loads its providers and then the extension (nothing else can import them first)."""
    written = []
    for member, providers in sorted(shims.items()):
        shim = _shim_target(wheel, member)
        moved = shimmed_name(member)
        wheel.members[moved] = wheel.members.pop(member)
        text = render_shim(moved, providers).encode("utf-8")
        if wheel.members.get(shim) != text:
            wheel.members[shim] = text
            written.append(shim)
    return written


# --- auditwheel, in this process


class _Refused(Exception):
    """auditwheel's parser refused something (``parser.error``): its message."""


class _Parser(argparse.ArgumentParser):
    """auditwheel's parser, with errors raised instead of printed with the usage and exited on."""

    def error(self, message: str) -> NoReturn:
        raise _Refused(message)


def _extract(wheel: Wheel, tree: Path) -> Path:
    """WHEEL's members as files under TREE (its names are safe: read_wheel refused any that leaves it)."""
    for member, data in wheel.members.items():
        path = tree / member
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:  # a member that is also another member's directory
            msg = f"wheel {wheel.path.name}: {member} cannot be extracted ({exc.strerror}), nor installed; {_REBUILD}"
            raise UsageError(msg) from None
    return tree


def _tree_wheel(tree: Path, name: str) -> Wheel:
    """The wheel auditwheel made in TREE, to be named NAME: its files in auditwheel's own order
    (sorted, .dist-info last), without RECORD (the write makes it afresh) and its signatures (they
    vouch for the RECORD this repair replaces)."""
    from auditwheel.tools import walk  # type: ignore[import-untyped]

    members: dict[str, bytes] = {}
    for directory, _, files in walk(tree):
        for file in files:
            path = directory / file
            member = path.relative_to(tree).as_posix()
            top, _, rest = member.partition("/")
            if not (top.endswith(".dist-info") and rest in ("RECORD", *_SIGNATURES)):
                members[member] = path.read_bytes()
    return Wheel(Path(name), members)


def _tree_ctx(wheel: Path, tree: Path, finish: Callable[[Path, str], None]) -> type[Any]:
    """A subclass of auditwheel's InWheelCtx that opens WHEEL (absolute) as the TREE libwrap extracted
    instead of extracting the file again, and on leaving a repair (an output wheel named, no error)
    hands the tree and the repaired wheel's name to FINISH; it removes and writes nothing."""
    from auditwheel.wheeltools import InWheelCtx  # type: ignore[import-untyped]

    class TreeCtx(InWheelCtx):  # type: ignore[misc]
        def __init__(self, in_wheel: Path, out_wheel: Path | None = None) -> None:
            # not InWheel's: it makes a temporary directory for an extraction that does not happen here
            if in_wheel.absolute() != wheel:
                msg = f"auditwheel opened {in_wheel}, not the wheel libwrap read ({wheel}); report this to libwrap"
                raise RuntimeError(msg)
            self.in_wheel = wheel
            self.out_wheel = None if out_wheel is None else out_wheel.absolute()
            self.zip_compression_level = zlib.Z_DEFAULT_COMPRESSION  # unused: auditwheel does not zip
            self.path: Path | None = None
            self._pwd = Path.cwd()

        @property
        def name(self) -> Path:
            return tree

        def __enter__(self) -> TreeCtx:  # noqa: PYI034  (typing.Self is Python 3.11+)
            self._pwd = Path.cwd()
            os.chdir(tree)
            self.path = tree
            return self

        def __exit__(
            self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
        ) -> None:
            try:
                if exc_type is None and self.out_wheel is not None:
                    finish(tree, self.out_wheel.name)
            finally:
                os.chdir(self._pwd)

    return TreeCtx


@contextlib.contextmanager
def _patched(module: ModuleType, name: str, value: object) -> Iterator[None]:
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


class _Records(logging.Handler):
    """auditwheel's log, kept: its last message says why it gave up when it raises nothing."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _process_state(records: _Records) -> Iterator[None]:
    """What auditwheel changes or reads for the whole process, set for it and restored after: the
    working directory, PATH (it runs the patchelf installed beside this interpreter, as auditwheel
    run by libwrap always did) and its logger (kept in RECORDS, not printed)."""
    cwd = Path.cwd()
    path = os.environ.get("PATH")
    logger = logging.getLogger("auditwheel")
    saved = (logger.level, logger.propagate)
    os.environ["PATH"] = tool_env("patchelf")["PATH"]
    logger.addHandler(records)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(records)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        if path is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = path
        os.chdir(cwd)


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines())


def _failed(reason: str) -> BuildError:
    hint = _MISSING_HINT if "could not be located" in reason else _HINT
    return BuildError(f"auditwheel repair failed: {reason}; {hint}")


def _require_tested_auditwheel() -> None:
    """auditwheel's internals change between its releases: refuse one outside the range libwrap declares
    (its Requires-Dist, the one place the range is written), naming the fix, rather than fail inside it."""
    from importlib import metadata

    from packaging.requirements import Requirement

    try:
        wanted = [r for r in map(Requirement, metadata.requires("libwrap") or []) if r.name == "auditwheel"]
        have = metadata.version("auditwheel")
    except metadata.PackageNotFoundError:
        return  # libwrap run from a source tree, or auditwheel missing: policy.py says so first
    for requirement in wanted:
        if not requirement.specifier.contains(have, prereleases=True):
            msg = (
                f"libwrap repair runs auditwheel {requirement.specifier} in its own process, but auditwheel {have} "
                f"is installed; install that one: pip install '{requirement.name}{requirement.specifier}'"
            )
            raise ToolError(msg)


def _auditwheel(wheel: Path, out: Path, exclude: list[str], plat: str | None, *, strip: bool, ctx: type[Any]) -> None:
    """auditwheel repair of WHEEL (absolute) with --exclude EXCLUDE, --plat PLAT and --strip, run in this
    process as its command line runs it, opening the wheel with CTX (see _tree_ctx); OUT is its -w,
    which it creates and writes nothing into."""
    _require_tested_auditwheel()
    import auditwheel.repair  # type: ignore[import-untyped]
    from auditwheel import lddtree, main_repair, wheel_abi

    parser = _Parser(prog="auditwheel", allow_abbrev=False)
    main_repair.configure_parser(parser.add_subparsers())
    argv = ["repair", "-w", str(out), *(a for s in exclude for a in ("--exclude", s))]
    argv += [*(["--plat", plat] if plat else []), *(["--strip"] if strip else []), str(wheel)]
    try:
        args = parser.parse_args(argv)
    except _Refused as exc:
        # its command line refused an option we passed on (--plat): bad input, as ours would be
        msg = f"auditwheel repair refused an option: {exc}; see auditwheel repair --help"
        raise UsageError(msg) from None
    records = _Records()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_LOCK)
        stack.enter_context(_process_state(records))
        stack.enter_context(_patched(wheel_abi, "InGenericPkgCtx", ctx))
        stack.enter_context(_patched(auditwheel.repair, "InWheelCtx", ctx))
        wheel_abi.get_wheel_elfdata.cache_clear()
        lddtree.load_ld_paths.cache_clear()
        try:
            status = main_repair.execute(args, parser)
        except LibwrapError:
            raise  # an edit of ours, inside auditwheel's context
        except _Refused as exc:  # its policy refused the wheel: too-recent symbols, the machine, --plat
            raise _failed(_one_line(str(exc))) from None
        except Exception as exc:  # noqa: BLE001  (auditwheel's own failure: its last line, as its command line ends)
            raise _failed(_one_line("".join(traceback.format_exception_only(type(exc), exc)))) from None
    if status != 0:
        raise _failed(_one_line(records.messages[-1] if records.messages else f"exit status {status}"))
