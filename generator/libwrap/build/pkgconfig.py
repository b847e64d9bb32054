"""pkg-config files in a provider wheel: every ``.pc`` the library installed, made relocatable.

Each file keeps what its library wrote (``Requires: libxml-2.0``, OpenBLAS's ``openblas_config``,
``Cflags: -I${includedir}/libxml2``...); only the paths change, to ones relative to ``${pcfiledir}``,
so the file stays valid wherever the wheel is installed. A library that installs none gets one
written from what the build knows.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion

from ..errors import StageError
from ..sources import resolve_inside
from ..versions import release

__all__ = ["PC_DIRS", "PcFile", "check_version", "generated", "installed", "primary_pc", "relocate"]

#: Where installs put .pc files, relative to the prefix.
PC_DIRS = ("lib/pkgconfig", "lib64/pkgconfig", "share/pkgconfig")
_VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\s*=(.*)$")
_FIELD = re.compile(r"^([A-Za-z.]+)\s*:(.*)$")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")
#: The longest a value may grow by expanding variables (a real one is a few hundred characters).
MAX_EXPANDED = 65536
HEADER = "# Relocatable: every path is relative to this file, wherever the {package} wheel is installed.\n"


class _TooLong(Exception):
    pass


@dataclass(frozen=True)
class PcFile:
    """One installed .pc file: its module name (the file's stem) and text."""

    name: str
    text: str

    def field(self, key: str) -> str:
        """The value of a field (``Version``, ``Requires``...), variables not expanded; "" if absent."""
        for line in self.text.splitlines():
            match = _FIELD.match(line.strip())
            if match and match[1].lower() == key.lower():
                return match[2].strip()
        return ""

    @functools.cached_property
    def _variables(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for line in self.text.splitlines():
            match = _VARIABLE.match(line.strip())
            if match:
                found.setdefault(match[1], match[2].strip())
        return found

    def variable(self, key: str) -> str:
        return self._variables.get(key, "")

    def expand(self, value: str) -> str:
        """VALUE with this file's ``${var}`` references expanded."""
        for _ in range(5):
            size = len(value)

            def substitute(match: re.Match[str]) -> str:
                nonlocal size
                text = self.variable(match[1])
                size += len(text)
                if size > MAX_EXPANDED:  # a=${a}${a}... doubles at each round: a hostile file must not exhaust memory
                    raise _TooLong
                return text

            try:
                expanded = _REFERENCE.sub(substitute, value)
            except _TooLong:
                break
            if expanded == value:
                break
            value = expanded
        return value

    @property
    def version(self) -> str:
        """``Version:`` with ``${var}`` references expanded (OpenBLAS writes ``Version: ${version}``)."""
        return self.expand(self.field("Version"))

    def libraries(self) -> list[str]:
        """The ``-l`` names ``Libs`` gives, variables expanded."""
        return [token[2:] for token in self.expand(self.field("Libs")).split() if token.startswith("-l")]

    def requires(self) -> list[str]:
        """Module names in ``Requires`` and ``Requires.private``, without version constraints."""
        names = []
        for key in ("Requires", "Requires.private"):
            for item in re.split(r"[,\s]+(?![<>=!])", self.field(key)):
                name = re.split(r"\s*[<>=!]", item.strip(), maxsplit=1)[0]
                if name and not name[0].isdigit():
                    names.append(name)
        return names


def installed(prefix: Path) -> list[PcFile]:
    """Every .pc file under PREFIX's pkg-config directories, by module name."""
    found: dict[str, PcFile] = {}
    for directory in PC_DIRS:
        for path in sorted((prefix / directory).glob("*.pc")):
            real = resolve_inside(prefix, path)  # a link to the build machine's own .pc must not ship
            if path.stem not in found and real.is_file():
                found[path.stem] = PcFile(path.stem, real.read_text(encoding="utf-8", errors="replace"))
    return list(found.values())


def relocate(
    pc: PcFile,
    package: str,
    prefix: Path,
    include_subdir: str = "",
    requires: Sequence[str] = (),
    foreign: Sequence[Path] = (),
    link_name: str = "",
    shipped: Collection[str] = (),
) -> str:
    """PC's text with the build prefix replaced by ``${pcfiledir}/../..`` (the wheel's ``<package>/``).

    With INCLUDE_SUBDIR the wheel's include/ is the install's include/<subdir>, so references to that
    directory lose the subdirectory. REQUIRES are modules (other providers' .pc) added to
    ``Requires.private`` when the file names them nowhere: their flags reach the compiler, while
    consumers link only what the library's authors made public. When ``Libs`` names none of the
    libraries the wheel SHIPPED (OpenBLAS's Makefile writes ``-lopenblas64_64_`` for an ILP64 build
    with a name suffix), it becomes ``-L${prefix}/lib -l<LINK_NAME>``. Flags naming a path under FOREIGN (those
    providers' directories in the build environment) are dropped: ``Requires`` brings the right ones."""
    build_prefix = str(prefix).rstrip("/")
    missing = [name for name in requires if name not in pc.requires()]
    lines = [HEADER.format(package=package).rstrip("\n"), "prefix=${pcfiledir}/../.."]
    saw_requires = False
    for raw in pc.text.splitlines():
        line = raw.rstrip()
        variable = _VARIABLE.match(line.strip())
        if variable and variable[1] == "prefix":
            continue  # replaced by the line above
        if build_prefix:  # the root as prefix: "" would be found between every two characters
            line = line.replace(build_prefix, "${prefix}")
        if foreign and not variable:
            line = " ".join(t for t in line.split(" ") if not any(str(root) in t for root in foreign))
        if include_subdir:
            sub = include_subdir.strip("/")
            line = line.replace("${prefix}/include/" + sub, "${prefix}/include")
            line = line.replace("${includedir}/" + sub, "${includedir}")
        field = _FIELD.match(line.strip())
        if field and field[1].lower() == "libs" and link_name and not set(pc.libraries()) & set(shipped):
            line = f"Libs: -L${{prefix}}/lib -l{link_name}"
        if field and field[1].lower() == "requires.private" and missing:
            saw_requires = True
            line = f"Requires.private: {', '.join([v for v in (field[2].strip(),) if v] + missing)}"
        lines.append(line)
    if missing and not saw_requires:
        lines.append(f"Requires.private: {', '.join(missing)}")
    return "\n".join(lines) + "\n"


def generated(
    package: str,
    name: str,
    version: str,
    library: str,
    link_name: str,
    requires: Sequence[str] = (),
) -> str:
    """A .pc file for a library that installs none."""
    return (
        HEADER.format(package=package) + "prefix=${pcfiledir}/../..\n"
        "libdir=${prefix}/lib\n"
        "includedir=${prefix}/include\n\n"
        f"Name: {name}\n"
        f"Description: {library} from the {package} Python package (import {package} before loading code linked to it)\n"
        f"URL: https://pypi.org/project/{package}/\n"
        f"Version: {version}\n" + (f"Requires: {', '.join(requires)}\n" if requires else "") + ""
        f"Libs: -L${{libdir}} -l{link_name}\n"
        "Cflags: -I${includedir}\n"
    )


def primary_pc(pcs: Sequence[PcFile], pkgconfig_name: str) -> PcFile | None:
    """The library's own .pc file: NAME.pc, else the only one the install has."""
    chosen = [pc for pc in pcs if pc.name == pkgconfig_name] or (list(pcs) if len(pcs) == 1 else [])
    return chosen[0] if chosen else None


def check_version(
    pcs: Sequence[PcFile], version: str, pkgconfig_name: str, pc_version: str = "", source_release: str | None = None
) -> None:
    """Stop when the library built says it is another release than the wheel claims.

    Some libraries number their .pc by design otherwise (FreeType 2.12.1's freetype2.pc says 24.3.18,
    its libtool version): PC_VERSION declares that number. SOURCE_RELEASE, the release the source's name
    or build files state, tells which of the two is wrong, so the message names the right fix."""
    pc = primary_pc(pcs, pkgconfig_name)
    text = pc.version if pc else ""
    if not pc or not text:
        return
    if pc_version:
        if text != pc_version:
            msg = (
                f"the library's {pc.name}.pc says version {text}, but pkgconfig-version says {pc_version}; "
                f'set pkgconfig-version = "{text}" in [tool.libwrap], or build the release it was made for'
            )
            raise StageError(msg)
        return
    try:
        same = release(text) == release(version)
    except InvalidVersion:
        return  # not a PEP 440 version: nothing to compare it with
    if same:
        return
    declare = f'pkgconfig-version = "{text}" in [tool.libwrap] (libwrap new --pkgconfig-version {text})'
    if source_release is not None and release(source_release) == release(version):
        msg = (
            f"the library's {pc.name}.pc says version {text}, but the source is release {version} (its name or "
            f"build files say so): that .pc numbers its versions another way; declare it with {declare}"
        )
    else:
        msg = (
            f"the library's {pc.name}.pc says version {text}, but the provider claims {version}; if the source is "
            f"release {text}, set the project's version to it (libwrap new --version {text}); if the .pc numbers "
            f"its versions another way, declare it with {declare}"
        )
    raise StageError(msg)
