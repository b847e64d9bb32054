"""Running what ``libwrap doctor`` inspects: a command with the exit hook (``runtime/doctor_hook.py``)
first on its ``PYTHONPATH`` and its process tree sampled while it runs (``run_command``), the driver
that imports modules in a fresh interpreter (``import_command``), and an interpreter's ``sys.path``."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import UsageError
from ..runtime import doctor_hook
from .processes import Process, Sampler, parse_maps, read_text

__all__ = ["Run", "import_command", "python_sys_path", "run_command"]

# exit status of the import driver when a module fails: the error is in a file, not guessed from stderr
_IMPORT_FAILED = 97
_IMPORT_ERROR_ENV = "LIBWRAP_DOCTOR_IMPORT_ERROR"
_SAMPLE_SECONDS = 0.05

_DRIVER = """\
import importlib, os, sys
for _name in {modules!r}:
    try:
        importlib.import_module(_name)
    except BaseException as _exc:
        with open(os.environ[{env!r}], "w", encoding="utf-8") as _f:
            _f.write(_name + "\\n" + type(_exc).__name__ + ": " + str(_exc))
        sys.exit({status})
"""


@dataclasses.dataclass(frozen=True)
class Run:
    """What running a command left: its processes, its exit status, the sys.path its Pythons had."""

    processes: list[Process]
    status: int
    sys_path: list[str]
    import_error: str | None = None


def _hook_source() -> str:
    return Path(doctor_hook.__file__).read_text(encoding="utf-8")


def _resolve_program(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        where = "" if os.sep in program else " on PATH"
        msg = f"{program}: no such command{where} (or it is not executable); check its name or give its full path"
        raise UsageError(msg)
    return found


def _read_reports(reports: Path) -> tuple[dict[int, Process], list[str]]:
    """The processes whose hook reported into REPORTS at exit, by pid, and the sys.path each had."""
    reported: dict[int, Process] = {}
    sys_path: list[str] = []
    for report_file in sorted(reports.glob("*.json")):
        try:
            data = json.loads(report_file.read_text(encoding="ascii"))
            pid = int(data["pid"])
            maps = str(data["maps"])
            argv_seen = tuple(str(a) for a in data.get("argv") or ())
            exe = str(data["exe"]) if data.get("exe") else None
            sys_path += [str(p) for p in data.get("path") or () if isinstance(p, str)]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        reported[pid] = Process(pid, argv_seen, exe, "exit report", parse_maps(maps))
    return reported, sys_path


def run_command(argv: Sequence[str], *, stdout_to_stderr: bool = False, env: Mapping[str, str] | None = None) -> Run:
    """Run ARGV with the exit hook on PYTHONPATH and sample its process tree while it runs."""
    program = _resolve_program(argv[0])
    with tempfile.TemporaryDirectory(prefix="libwrap-doctor-") as tmp:
        hook, reports = Path(tmp, "hook"), Path(tmp, "reports")
        hook.mkdir()
        reports.mkdir()
        (hook / "sitecustomize.py").write_text(_hook_source(), encoding="utf-8")
        error_file = Path(tmp, "import-error")
        environment = dict(os.environ if env is None else env)
        old = environment.get("PYTHONPATH")
        environment["PYTHONPATH"] = str(hook) + (os.pathsep + old if old else "")
        environment[doctor_hook.ENV] = str(reports)
        environment[_IMPORT_ERROR_ENV] = str(error_file)
        try:
            child = subprocess.Popen([program, *argv[1:]], env=environment, stdout=2 if stdout_to_stderr else None)
        except OSError as exc:
            msg = f"{argv[0]}: cannot run it ({exc.strerror}); check that it is a program for this machine"
            raise UsageError(msg) from None
        sampler = Sampler(child.pid, reports)
        status: int | None = None
        while status is None:
            sampler.sample()
            try:
                status = child.wait(timeout=_SAMPLE_SECONDS)
            except subprocess.TimeoutExpired:
                continue
            except KeyboardInterrupt:
                # the command got the interrupt too: report what it mapped once it is gone
                status = child.wait()
        reported, sys_path = _read_reports(reports)
        import_error = read_text(str(error_file)) if status == _IMPORT_FAILED else None
    sampled = [p for p in sampler.processes() if p.pid not in reported and p.mapped.paths]
    processes = sorted([*reported.values(), *sampled], key=lambda p: (p.pid, p.source))
    return Run(processes, status, list(dict.fromkeys(sys_path)), import_error)


def import_command(python: str, modules: Sequence[str]) -> list[str]:
    """A command that imports MODULES in a fresh PYTHON, saying which one failed and why."""
    return [python, "-c", _DRIVER.format(modules=list(modules), env=_IMPORT_ERROR_ENV, status=_IMPORT_FAILED)]


def python_sys_path(python: str) -> list[str]:
    """The sys.path of the interpreter PYTHON, asked of it (it imports nothing but site)."""
    proc = subprocess.run(
        [python, "-c", "import json, sys; print(json.dumps(sys.path))"], capture_output=True, text=True, check=False
    )
    try:
        found = json.loads(proc.stdout)
    except ValueError:
        found = None
    if proc.returncode != 0 or not isinstance(found, list):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        msg = f"--python {python} does not run as a Python interpreter ({last}); give the path of one"
        raise UsageError(msg)
    return [str(p) for p in found]
