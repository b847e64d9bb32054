"""examples/ never drifts from the template: re-rendering must reproduce it byte for byte."""

from __future__ import annotations

import filecmp
from pathlib import Path

from libwrap.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


# What linters and Python leave next to the sources; never part of a render.
CACHES = {".ruff_cache", ".mypy_cache", "__pycache__"}


def tree(root: Path) -> dict[str, bytes]:
    files = (p for p in sorted(root.rglob("*")) if p.is_file() and not CACHES & set(p.relative_to(root).parts))
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_openblas_provider_is_what_libwrap_new_renders(tmp_path: Path) -> None:
    assert main(["new", "openblas", "--no-input", "-o", str(tmp_path)]) == 0
    rendered, committed = tree(tmp_path / "openblas"), tree(EXAMPLES / "openblas" / "provider")
    assert sorted(rendered) == sorted(committed)
    changed = [name for name in rendered if rendered[name] != committed[name]]
    fix = "libwrap new openblas --no-input -o /tmp/x && rm -r examples/openblas/provider && mv /tmp/x/openblas examples/openblas/provider"
    assert changed == [], f"{changed} differ; re-render with: {fix}"


def test_both_consumers_share_one_extension_source() -> None:
    """The meson consumer is the CMake one built another way: same C++ source."""
    openblas = EXAMPLES / "openblas"
    assert filecmp.cmp(
        openblas / "consumer-cmake/src/_dgemm.cpp", openblas / "consumer-meson/src/_dgemm.cpp", shallow=False
    )
