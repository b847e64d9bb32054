"""The PEP 517 backend of provider projects: scikit-build-core's, then the licence files named in METADATA.

The library's licence files come from its source or install prefix at build time (libwrap's CMake
functions install them into the wheel's ``.dist-info/licenses/``), so scikit-build-core, which lists
only the licence files of the project directory, writes a METADATA that names none of them. After
scikit-build-core has built the wheel, ``build_wheel`` names each in a ``License-File`` field (core
metadata 2.4, PEP 639), so tools that read METADATA see them. There is no
``prepare_metadata_for_build_wheel``: a METADATA prepared before the build could not name those files,
and PEP 517 wants the wheel's metadata to equal a prepared one.
"""

from __future__ import annotations

import re
from pathlib import Path

from scikit_build_core import build as _skbuild

from ..wheelfile import read_wheel, write_wheel

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "name_license_files",
]

get_requires_for_build_sdist = _skbuild.get_requires_for_build_sdist
get_requires_for_build_wheel = _skbuild.get_requires_for_build_wheel
get_requires_for_build_editable = _skbuild.get_requires_for_build_editable
build_sdist = _skbuild.build_sdist

# PEP 639: License-File needs core metadata 2.4.
_LICENSE_FILE_VERSION = (2, 4)


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, list[str] | str] | None = None,
    metadata_directory: str | None = None,
) -> str:
    name = _skbuild.build_wheel(wheel_directory, config_settings, metadata_directory)
    name_license_files(Path(wheel_directory) / name)
    return name


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, list[str] | str] | None = None,
    metadata_directory: str | None = None,
) -> str:
    name = _skbuild.build_editable(wheel_directory, config_settings, metadata_directory)
    name_license_files(Path(wheel_directory) / name)
    return name


def with_license_files(metadata: str, paths: list[str]) -> str:
    """METADATA text with a ``License-File`` field for each of PATHS it lacks, at metadata 2.4 or later."""
    head, sep, body = metadata.partition("\n\n")
    present = set(re.findall(r"^License-File:\s*(.+?)\s*$", head, flags=re.MULTILINE))
    lines = head.splitlines()
    lines += [f"License-File: {path}" for path in paths if path not in present]
    match = re.match(r"Metadata-Version:\s*(\d+)\.(\d+)", lines[0]) if lines else None
    if match and (int(match[1]), int(match[2])) < _LICENSE_FILE_VERSION:
        lines[0] = "Metadata-Version: {}.{}".format(*_LICENSE_FILE_VERSION)
    return "\n".join(lines) + "\n" + (sep[1:] + body if sep else "")


def name_license_files(path: Path) -> None:
    """Rewrite the wheel at PATH so that METADATA names every file under ``.dist-info/licenses/``."""
    wheel = read_wheel(path)
    prefix = f"{wheel.dist_info}/licenses/"
    paths = sorted(name.removeprefix(prefix) for name in wheel.members if name.startswith(prefix))
    metadata = wheel.metadata
    updated = with_license_files(metadata, paths)
    if updated != metadata:
        wheel.members[f"{wheel.dist_info}/METADATA"] = updated.encode("utf-8")
        write_wheel(wheel, path)
