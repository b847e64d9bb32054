"""``python -m openblas --cflags --libs ...``: print what build scripts need, on one line."""

from __future__ import annotations

import sys

from ._libwrap import main

if __name__ == "__main__":
    sys.exit(main())
