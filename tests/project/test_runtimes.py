"""The Lambda artifact on the interpreters Lambda runs (python3.13 and newer), where this machine has them:
the artifact macro/Makefile builds, in a bare interpreter (`-S`, standard library only), gives the
golden seed output exactly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from corpus_support import event as macro_event
from corpus_support import without_transform
from package_imports import make_list
from repository import REPO

ROOT = REPO
RUNNER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from auto_invoke_permission.handler import handler
event = json.load(sys.stdin)
sys.stdout.write(json.dumps(handler(event, None)))
"""
MINORS = (13, 14, 15)


def find(minor: int) -> str | None:
    """python3.N on PATH, or in a pyenv install (whose shims run only the selected version)."""
    candidates = [shutil.which(f"python3.{minor}")]
    candidates += [
        str(p) for p in sorted((Path.home() / ".pyenv" / "versions").glob(f"3.{minor}.*/bin/python3"))
    ]
    for candidate in candidates:
        if (
            candidate
            and subprocess.run([candidate, "-c", "0"], check=False, capture_output=True).returncode == 0
        ):
            return candidate
    return None


@pytest.mark.parametrize("minor", MINORS, ids=lambda m: f"python3.{m}")
def test_seed_on_lambda_runtime_interpreter(minor: int, tmp_path: Path) -> None:
    # the artifact as macro/Makefile builds it (sources only): its allow-list holds every module the
    # handler imports, and nothing outside the standard library is needed
    interpreter = find(minor)
    if interpreter is None:
        pytest.skip(f"python3.{minor} is not installed here")
    from auto_invoke_permission.cli.template_io import load_template

    build_artifact(tmp_path, None)
    template = load_template(str(ROOT / "samples" / "seed" / "template.yaml"))
    event = macro_event(without_transform(template), "golden")
    done = subprocess.run(
        [interpreter, "-S", "-c", RUNNER, str(tmp_path)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    response = json.loads(done.stdout)
    assert response["status"] == "success"
    assert response["fragment"] == json.loads((ROOT / "samples" / "seed" / "expected.json").read_text())


def build_artifact(tmp_path: Path, runtime: str | None) -> Path:
    """macro/Makefile's build-MacroFunction, as `sam build` runs it."""
    env = {**os.environ, "ARTIFACTS_DIR": str(tmp_path)}
    if runtime is not None:
        env["PYTHON_RUNTIME"] = runtime
    else:
        env["PYTHON_RUNTIME"] = "no-such-python"
    subprocess.run(
        ["make", "-s", "-C", str(ROOT / "macro"), "build-MacroFunction", f"ARTIFACTS_DIR={tmp_path}"],
        env=env,
        check=True,
        capture_output=True,
    )
    return tmp_path / "auto_invoke_permission"


def test_artifact_is_the_allow_list(tmp_path: Path) -> None:
    package = build_artifact(tmp_path, None)
    shipped = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    assert shipped == make_list("MACRO_MODULES")  # no hook (it needs PyYAML: build-HookFunction), no CLI
    assert not list(package.rglob("*.pyc"))  # no python3.13: sources only


def test_artifact_bytecode_is_what_python313_loads(tmp_path: Path) -> None:
    runtime = find(13)
    if runtime is None:
        pytest.skip("python3.13 is not installed here")
    package = build_artifact(tmp_path, runtime)
    compiled = sorted(p.name for p in package.rglob("*.cpython-313.pyc"))
    sources = sorted(p.stem + ".cpython-313.pyc" for p in package.rglob("*.py"))
    assert compiled == sources
    # The shipped bytecode is what runs: with the sources replaced by code that refuses to run, the
    # handler still imports (unchecked hash-based pycs are never compared with their sources).
    for source in package.rglob("*.py"):
        source.write_text("raise ImportError('compiled from source')\n")
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import auto_invoke_permission.handler"
    command = [runtime, "-S", "-B", "-c", probe, str(tmp_path)]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
