"""``libwrap repair WHEEL``: auditwheel repair that excludes what other wheels provide, then declares
and preloads those providers (the machinery: ``libwrap.consumer.repair``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .options import add_provider_option

if TYPE_CHECKING:
    from ..consumer.repair import RepairReport

__all__ = ["HELP", "configure_parser", "declaration_lines", "execute", "report_lines"]

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


def report_lines(report: RepairReport) -> list[str]:
    """What ``libwrap repair`` prints about REPORT, one line each."""
    lines = [f"libwrap repair: {report.wheel.name}"]
    for library in report.libraries:
        soname, provider = library.soname, library.provider
        if provider is not None:
            lines.append(
                f"  {soname:32} excluded  provided by {provider.distribution} {provider.version} "
                f"({provider.origin}); requires {provider.requirement}"
            )
        elif library.fate == "policy":
            lines.append(f"  {soname:32} allowed by the manylinux policy")
        elif library.fate == "inside":
            lines.append(f"  {soname:32} in the wheel")
        else:
            lines.append(f"  {soname:32} grafted   {library.grafted or '(by auditwheel)'}")
    lines += [f"  search path dropped: {d.member} {d.tag} {d.entry!r} ({d.why.split(',')[0]})" for d in report.dropped]
    lines += declaration_lines(report)
    for path in report.preloads:
        lines.append(
            f"  {'import of the preload added' if path.endswith('__init__.py') else 'preload written'}: {path}"
        )
    lines.append(f"  size: {report.size_before:,} B -> {report.size_after:,} B")
    # auditwheel and pip wheel replace an existing wheel of that name too; say so rather than stop
    lines.append(f"  wrote {report.output}" + (" (replacing the wheel that was there)" if report.replaced else ""))
    return lines


def declaration_lines(report: RepairReport) -> list[str]:
    """What repair says of the Requires-Dist lines: each it verified, each it added and, for those, how
    the project declares them when it builds, so that its sdist says what its wheels require."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    ranges = {p.key: p.requirement for p in (lib.provider for lib in report.libraries) if p is not None}
    lines = [
        f"  Requires-Dist verified: {line} (declared by the wheel, within {ranges.get(key, 'its range')})"
        for line in report.verified
        for key in [str(canonicalize_name(Requirement(line).name))]
    ]
    if not report.requirements:
        return lines
    dynamic = "; METADATA marks Requires-Dist Dynamic" if report.dynamic else ""
    lines += [f"  Requires-Dist added: {requirement}{dynamic}" for requirement in report.requirements]
    names = ", ".join(f'"{Requirement(r).name}"' for r in report.requirements)
    quoted = ", ".join(f'"{r}"' for r in report.requirements)
    lines.append(
        "  only the wheel says so, not the sdist it was built from: declare it in the project, "
        f"[project] dependencies = [{quoted}] and the same range in build-system.requires"
    )
    if report.generator.startswith("scikit-build-core"):
        lines.append(
            '  or, with scikit-build-core, dynamic = ["dependencies"] and [[tool.dynamic-metadata]] '
            f'provider = "libwrap", providers = [{names}] (libwrap in build-system.requires)'
        )
    return lines


def execute(args: argparse.Namespace) -> int:
    from ..consumer.repair import repair
    from ..providers import ProviderIndex

    report = repair(args.wheel, args.wheel_dir, ProviderIndex(args.provider), plat=args.plat, strip=args.strip)
    for line in report_lines(report):
        print(line)
    return 0
