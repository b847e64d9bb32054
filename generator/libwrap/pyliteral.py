"""Python literals in the house style (double quotes, as ruff format writes them), for the Python
source libwrap writes into other projects: rendered templates and ``_distributor_init.py``."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["python_literal"]


def python_literal(value: Any) -> str:
    """A literal for strings, numbers, booleans and (nested) tuples of them."""
    if isinstance(value, tuple):
        items = [python_literal(item) for item in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, (bool, int)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)
