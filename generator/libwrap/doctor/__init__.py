"""The machinery under ``libwrap doctor`` (the command itself is ``libwrap.commands.doctor``): every
native library a process maps, who ships each, and every library it holds twice under different names
(NumPy's and SciPy's OpenBLAS, their libgfortran...).

Pure functions over text and files, one module each: ``names`` (which library a file name is, its
family), ``owners`` (the distribution or system package that ships a file), ``libraries`` (the
libraries among a set of files, read through ``libwrap.elf``), ``conflicts`` (the copies of one
family), ``reports`` (the ``Report``, as text and JSON). Around them, ``processes`` reads what a
process maps from ``/proc`` and samples a process tree while it runs, and ``run`` runs a command with
the exit hook (``runtime/doctor_hook.py``) that reports from inside every Python process of it.

In-process use: ``libwrap.doctor.mapped_libraries()``, ``libwrap.doctor.report()`` and
``libwrap.doctor.installed(paths)``.
"""

from __future__ import annotations

from .conflicts import Conflict
from .libraries import Extension, Library
from .processes import Process
from .reports import Report, installed, mapped_libraries, report

__all__ = ["Conflict", "Extension", "Library", "Process", "Report", "installed", "mapped_libraries", "report"]
