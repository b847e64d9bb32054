"""Sphinx configuration of libwrap's documentation: built in CI with warnings as errors
(sphinx-build -W --keep-going -b html docs docs/_build/html)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "generator"))

project = "libwrap"
author = "the libwrap developers"
copyright = "the libwrap developers"  # Sphinx reads this name
extensions = ["myst_parser"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "reference/_options.md"]
html_theme = "furo"
html_title = "libwrap"
suppress_warnings = ["myst.header"]


def write_generated(_app: Any) -> None:
    """The options table, from libwrap's own declarations (libwrap.spec), before Sphinx reads the pages."""
    from libwrap.spec import options_table

    generated = HERE / "reference" / "_options.md"
    text = options_table()
    if not generated.exists() or generated.read_text(encoding="utf-8") != text:
        generated.write_text(text, encoding="utf-8")


def setup(app: Any) -> None:
    app.connect("builder-inited", write_generated)
