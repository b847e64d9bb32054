"""The real build path (pip wheel, scikit-build-core, Libwrap.cmake, python -m libwrap.stage) given a
hostile source tarball: it stops with the one line the corpus names, and nothing lands outside."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from libwrap.render import generate_project
from libwrap.spec import ProviderSpec

from ..helpers import FIXTURES, WRAPDEMO, failing_wheel_build

pytestmark = pytest.mark.slow


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"" for p in sorted(root.rglob("*"))}


def test_a_provider_build_refuses_a_tarball_whose_link_leads_out(tmp_path: Path) -> None:
    """Regression (issue 18, item 1): file(ARCHIVE_EXTRACT) built this with exit 0 and wrote OUTSIDE/file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    tarball = tmp_path / "wrapdemo-1.2.3.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(FIXTURES / "wrapdemo", arcname="wrapdemo-1.2.3")  # a source that builds, but for this
        link = tarfile.TarInfo("wrapdemo-1.2.3/link")
        link.type, link.linkname = tarfile.SYMTYPE, str(outside)
        tar.addfile(link)
        member = tarfile.TarInfo("wrapdemo-1.2.3/link/file")
        member.size = 6
        tar.addfile(member, io.BytesIO(b"pwned\n"))
    spec = ProviderSpec(name="wrapdemo", source=str(FIXTURES / "wrapdemo"), **WRAPDEMO)  # type: ignore[arg-type]
    project = generate_project(spec, tmp_path / "project")
    before = snapshot(project)
    output = failing_wheel_build(project, tmp_path / "dist", f"cmake.define.LIBWRAP_SOURCE={tarball}")
    line = (
        f"libwrap: archive {tarball.name}: member 'wrapdemo-1.2.3/link' links to {str(outside)!r}, outside the "
        "archive; refusing to extract it (get the source from its publisher, or unpack and check it yourself)"
    )
    assert line in output
    assert "libwrap: the provider build stopped" in output  # the build's own step names what failed
    assert list(outside.iterdir()) == []
    assert snapshot(project) == before
    assert {p.name for p in tmp_path.iterdir()} <= {"dist", "outside", "project", tarball.name}
