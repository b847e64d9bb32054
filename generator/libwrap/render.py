"""Render the provider template: one ``generate_project()`` for the CLI, the docs and the tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ._version import __version__ as libwrap_version
from .errors import UsageError
from .spec import ProviderSpec

__all__ = ["check_target", "generate_project", "template_dir"]


def template_dir() -> Path:
    """The cookiecutter template: inside the installed package, or at the top of a checkout."""
    packaged = Path(__file__).parent / "template"
    if (packaged / "cookiecutter.json").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "template"
    if (checkout / "cookiecutter.json").is_file():
        return checkout
    msg = "libwrap's provider template is missing; reinstall libwrap"
    raise UsageError(msg)


def check_target(name: str, output_dir: Path, *, force: bool) -> Path:
    """Where the project will go; refuses a non-empty directory unless ``force``."""
    target = output_dir / name
    if output_dir.exists() and not output_dir.is_dir():
        msg = f"output {output_dir} is a file; pass -o with a directory"
        raise UsageError(msg)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        msg = f"{target} exists and is not a directory; remove it or pass another -o"
        raise UsageError(msg)
    if target.is_dir() and any(target.iterdir()) and not force:
        msg = f"directory {target} is not empty; pass --force to overwrite it"
        raise UsageError(msg)
    return target


def generate_project(spec: ProviderSpec, output_dir: Path, *, force: bool = False) -> Path:
    """Validate SPEC, render the template into OUTPUT_DIR/NAME and return that path.

    Nothing is written unless every check passes; the project is rendered next to its
    destination first, so a failure never leaves half a project behind.
    """
    from cookiecutter.generate import generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config

    spec.validate()
    target = check_target(spec.name, output_dir, force=force)
    template = template_dir()
    # The lower-level cookiecutter API: the high-level one also writes a replay file into $HOME.
    context = generate_context(str(template / "cookiecutter.json"), extra_context=spec.context(libwrap_version))
    context["cookiecutter"] = prompt_for_config(context, no_input=True)
    context["cookiecutter"]["_template"] = str(template)
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=f".{spec.name}-") as staging:
        rendered = Path(generate_files(repo_dir=str(template), context=context, output_dir=staging))
        if target.is_dir():
            shutil.rmtree(target)
        rendered.rename(target)
    return target
