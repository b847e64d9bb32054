"""``libwrap repair WHEEL``: auditwheel repair that excludes what other wheels provide, then declares
and preloads those providers."""

from __future__ import annotations

import argparse
import os
import re
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from .consumer import (
    add_provider_option,
    analyse,
    declared_distributions,
    provider_packages,
    search_path_problems,
    shimmed_name,
    top_level_extension,
    top_package,
)
from .errors import BuildError, UsageError
from .preload import (
    SHIM_MARKER,
    ensure_init_imports,
    package_files,
    render_distributor_init,
    render_shim,
)
from .providers import Provider, ProviderIndex
from .tools import require_tool, tool_env
from .wheelfile import Wheel, read_wheel, write_wheel

__all__ = ["HELP", "configure_parser", "execute"]

HELP = "repair a wheel: exclude libraries other wheels provide, graft the rest, declare and preload providers"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wheel", type=Path, metavar="WHEEL", help="the wheel to repair")
    parser.add_argument(
        "-w",
        "--wheel-dir",
        type=Path,
        default=Path("wheelhouse"),
        metavar="OUTDIR",
        help="where the repaired wheel goes (default: wheelhouse)",
    )
    add_provider_option(parser)
    parser.add_argument(
        "--strip", action="store_true", help="strip symbols from the wheel's ELF files (auditwheel --strip)"
    )
    parser.add_argument(
        "--plat",
        metavar="TAG",
        help="platform tag for auditwheel, e.g. manylinux_2_28_x86_64 (default: the best it can)",
    )


def _auditwheel(wheel: Path, out: Path, exclude: list[str], plat: str | None, *, strip: bool) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "auditwheel",
        "repair",
        "-w",
        str(out),
        *(a for s in exclude for a in ("--exclude", s)),
    ]
    if plat:
        cmd += ["--plat", plat]
    if strip:
        cmd.append("--strip")
    # auditwheel runs patchelf from PATH: give it the one installed next to this interpreter.
    env = tool_env("patchelf")
    proc = subprocess.run([*cmd, str(wheel)], capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["no output"])[-1].strip()
        if proc.returncode == 2 and "error: argument" in reason:
            # its own command line refused an option we passed on (--plat): bad input, as ours would be
            msg = f"auditwheel repair refused an option: {reason.partition('error: ')[2]}; see auditwheel repair --help"
            raise UsageError(msg)
        hint = "auditwheel repair on the wheel shows its whole output"
        if "could not be located" in reason:
            hint = "install the missing library, or name the distribution that provides it with --provider"
        msg = f"auditwheel repair failed: {reason}; {hint}"
        raise BuildError(msg)
    return next(out.glob("*.whl"))


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


def _drop_search_paths(wheel: Wheel, providers: set[str], patchelf: str, tmp: Path) -> list[str]:
    """Remove from the wheel's ELF files every RUNPATH/RPATH entry that may find a library outside the
    wheel as installed (auditwheel keeps what it did not graft for: a provider's .pc -rpath, a build
    path); returns a line for each entry dropped."""
    drop: dict[str, list[tuple[str, str, str]]] = {}
    for member, tag, entry, why in search_path_problems(wheel, providers):
        drop.setdefault(member, []).append((tag, entry, why))
    if not drop:
        return []
    elf = wheel.elf_files()
    lines = []
    for member, entries in drop.items():
        info = elf[member]
        # the loader ignores DT_RPATH when DT_RUNPATH is there: keep the kind that is in force
        tag, kept_from = ("RUNPATH", info.runpath) if info.runpath else ("RPATH", info.rpath)
        dropped = {entry for t, entry, _ in entries if t == tag}
        kept = [entry for entry in kept_from if entry not in dropped]
        path = tmp / "search-path" / member.replace("/", "_")
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(wheel.members[member])
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
        lines += [f"  search path dropped: {member} {t} {entry!r} ({why.split(',')[0]})" for t, entry, why in entries]
    return lines


def _grafted(wheel: Wheel, soname: str) -> str | None:
    """The member auditwheel grafted for SONAME (it renames libfoo.so.1 to libfoo-<hash>.so.1)."""
    stem, dot, rest = soname.partition(".")
    pattern = re.compile(rf"{re.escape(stem)}-[0-9a-f]{{8}}{re.escape(dot + rest)}")
    return next((m for m in wheel.members if ".libs/" in m and pattern.fullmatch(m.rsplit("/", 1)[-1])), None)


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


def execute(args: argparse.Namespace) -> int:
    original = read_wheel(args.wheel)
    patchelf = require_tool("patchelf", "let auditwheel rewrite the wheel's libraries")
    index = ProviderIndex(args.provider)
    needs = analyse(original, index)
    by_package: dict[str, list[Provider]] = {}
    shims: dict[str, list[Provider]] = {}  # top-level extension module -> the providers its shim loads
    for soname, provider in needs.provided.items():
        for member in needs.users[soname]:
            package = top_package(member)
            providers = shims.setdefault(member, []) if package is None else by_package.setdefault(package, [])
            if provider not in providers:
                providers.append(provider)
    # every edit once on a copy first, so a file it cannot make (not UTF-8, not Python) stops us here
    trial = Wheel(original.path, dict(original.members))
    _add_preloads(trial, by_package)
    _add_shims(trial, shims)
    _check_output_dir(args.wheel_dir)
    provider_dirs = provider_packages(needs.provided.values())

    with tempfile.TemporaryDirectory() as tmp:
        repaired_path = _auditwheel(args.wheel, Path(tmp) / "out", sorted(needs.provided), args.plat, strip=args.strip)
        repaired = read_wheel(repaired_path)
        dropped = _drop_search_paths(repaired, provider_dirs, patchelf, Path(tmp))
        declared = declared_distributions(repaired)
        added = []
        for provider in {p.key: p for p in needs.provided.values()}.values():
            if provider.key not in declared:
                repaired.add_requirement(provider.requirement)
                added.append(provider.requirement)
        preloads = _add_preloads(repaired, by_package)
        preloads += _add_shims(repaired, shims)
        out = args.wheel_dir / repaired.path.name
        if out.is_dir():
            msg = f"{out} is a directory, where the repaired wheel would go; remove it or pass another -w"
            raise UsageError(msg)
        replaces = out.exists()
        write_wheel(repaired, out)

    print(f"libwrap repair: {args.wheel.name}")
    for soname in sorted(needs.users):
        if soname in needs.provided:
            p = needs.provided[soname]
            print(
                f"  {soname:32} excluded  provided by {p.distribution} {p.version} ({p.origin}); requires {p.requirement}"
            )
        elif soname in needs.policy:
            print(f"  {soname:32} allowed by the manylinux policy")
        elif soname in needs.inside:
            print(f"  {soname:32} in the wheel")
        else:
            print(f"  {soname:32} grafted   {_grafted(repaired, soname) or '(by auditwheel)'}")
    for line in dropped:
        print(line)
    for requirement in added:
        print(f"  Requires-Dist added: {requirement}")
    for path in preloads:
        print(f"  {'import of the preload added' if path.endswith('__init__.py') else 'preload written'}: {path}")
    print(f"  size: {args.wheel.stat().st_size:,} B -> {out.stat().st_size:,} B")
    # auditwheel and pip wheel replace an existing wheel of that name too; say so rather than stop
    print(f"  wrote {out}" + (" (replacing the wheel that was there)" if replaces else ""))
    return 0
