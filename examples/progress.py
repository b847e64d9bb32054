"""Run a long build and show its own progress, not silence nor its thousands of lines.

    python progress.py LOG -- COMMAND [ARG...]

COMMAND's whole output goes to LOG. The screen gets the build's progress as the build reports it
(``[ 45%]`` from CMake and make, ``[123/456]`` from ninja and meson), libwrap's own lines, and
scikit-build-core's; on a terminal the progress line is rewritten in place, in a log (CI) a line is
printed at each tenth of the way and at least once a minute. When COMMAND fails, the last lines of
LOG follow, and the exit status is COMMAND's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

PERCENT = re.compile(r"^\s*\[\s*(\d{1,3})%\]\s*(.*)")
COUNT = re.compile(r"^\s*\[(\d+)/(\d+)\]\s*(.*)")
SHOWN = ("libwrap", "***", "ERROR", "error:", "Successfully built", "Created wheel")
TAIL = 40


class Progress:
    """Where the build is, printed so that a person watching or a CI log reading it can tell."""

    def __init__(self, *, terminal: bool) -> None:
        self.terminal = terminal
        self.decile = -1
        self.printed_at = time.monotonic()
        self.pending = False  # a progress line is on screen without its newline

    def fraction(self, line: str) -> tuple[float, str] | None:
        match = PERCENT.match(line)
        if match:
            return min(int(match[1]), 100) / 100, match[2]
        match = COUNT.match(line)
        if match and int(match[2]) > 0:
            return min(int(match[1]) / int(match[2]), 1.0), match[3]
        return None

    def show(self, line: str) -> None:
        found = self.fraction(line)
        if found is not None:
            self.step(*found)
        elif line.strip().removeprefix("-- ").startswith(SHOWN):  # CMake's message(STATUS) adds "-- "
            self.say("  " + line.strip())

    def step(self, fraction: float, what: str) -> None:
        text = f"   [{fraction:4.0%}] {what}"
        if self.terminal:
            width = shutil.get_terminal_size().columns - 1
            sys.stdout.write("\r" + text[:width].ljust(width))
            sys.stdout.flush()
            self.pending = True
            return
        decile = int(fraction * 10)
        if decile != self.decile or time.monotonic() - self.printed_at > 60:
            self.decile = decile
            self.say(text[:160])

    def say(self, text: str) -> None:
        if self.pending:
            sys.stdout.write("\n")
            self.pending = False
        print(text, flush=True)
        self.printed_at = time.monotonic()

    def done(self) -> None:
        if self.pending:
            sys.stdout.write("\n")
            self.pending = False


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    log, command = Path(argv[0]), argv[2:]
    log.parent.mkdir(parents=True, exist_ok=True)
    progress = Progress(terminal=sys.stdout.isatty() and os.environ.get("CI") is None)
    tail: deque[str] = deque(maxlen=TAIL)
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            tail.append(line)
            progress.show(line)
        status = proc.wait()
    progress.done()
    if status != 0:
        print(f"   failed (exit {status}); the last {len(tail)} lines of {log}:", file=sys.stderr)
        sys.stderr.writelines(f"   | {line}" for line in tail)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
