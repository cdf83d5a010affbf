"""`python -m build` makes a wheel and an sdist that pass `twine check`, with the metadata PyPI
shows, and a wheel that holds the package only (no tests, no samples)."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from auto_invoke_permission import PROJECT_URL, __version__
from repository import REPO

pytest.importorskip("build", reason="make install-dev installs build")
pytest.importorskip("twine", reason="make install-dev installs twine")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a copy, so the build's own files (build/, egg-info) never touch the checkout."""
    root = tmp_path_factory.mktemp("package")
    source = root / "source"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "site", "__pycache__", "*.egg-info", ".*_cache"
    )  # fmt: skip
    shutil.copytree(REPO, source, ignore=ignore)
    out = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    return out


def wheel(dist: Path) -> Path:
    return next(dist.glob("*.whl"))


def test_twine_accepts_both(dist: Path) -> None:
    files = sorted(str(p) for p in dist.iterdir())
    assert sorted(Path(f).suffix for f in files) == [".gz", ".whl"]
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wheel_holds_the_package_only(dist: Path) -> None:
    names = zipfile.ZipFile(wheel(dist)).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"auto_invoke_permission", f"autoinvoke-{__version__}.dist-info"}
    assert "auto_invoke_permission/py.typed" in names
    assert "auto_invoke_permission/handler.py" in names
    assert not any(name.startswith(("tests/", "samples/", "docs/")) for name in names)


def test_the_metadata_pypi_shows(dist: Path) -> None:
    archive = zipfile.ZipFile(wheel(dist))
    metadata = email.message_from_string(
        archive.read(f"autoinvoke-{__version__}.dist-info/METADATA").decode("utf-8")
    )
    assert metadata["Name"] == "autoinvoke"
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "MIT-0"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "Programming Language :: Python :: 3.13" in metadata.get_all("Classifier", [])
    assert any(url.endswith(PROJECT_URL) for url in metadata.get_all("Project-URL", []))
    assert "cloudformation" in (metadata["Keywords"] or "")
    assert str(metadata.get_payload()).startswith("# AutoInvokePermission")  # the README
    entry_points = archive.read(f"autoinvoke-{__version__}.dist-info/entry_points.txt").decode("utf-8")
    assert "autoinvoke = auto_invoke_permission.cli.console:run" in entry_points
