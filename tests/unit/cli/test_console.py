"""The `autoinvoke` console script: `main`'s exit code and output, with the collector out of the way."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from auto_invoke_permission.cli.console import YOUNG_COLLECTION_THRESHOLD
from fresh_python import run_python
from repository import REPO
from snippets import WILDCARD

# runs the console script's function in a fresh interpreter; prints its exit code and the collector's
# state as the process would exit with it
_SCRIPT = """\
import gc, sys
from auto_invoke_permission.cli.console import run
sys.argv = ["autoinvoke", *sys.argv[1:]]
try:
    run()
except SystemExit as stop:
    print("exit", stop.code, gc.isenabled(), gc.get_threshold()[0], gc.get_freeze_count() > 0)
"""


def _run_console(directory: Path, *args: str) -> list[str]:
    return run_python(_SCRIPT, *args, cwd=directory).splitlines()


def test_the_installed_script_is_the_console_run() -> None:
    with (REPO / "pyproject.toml").open("rb") as handle:
        scripts = tomllib.load(handle)["project"]["scripts"]
    assert scripts == {"autoinvoke": "auto_invoke_permission.cli.console:run"}


def test_exits_with_mains_code_and_output(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(WILDCARD, encoding="utf-8")
    args = ("check", "t.yaml", "--region", "us-east-1", "--account-id", "123456789012")
    lines = _run_console(tmp_path, *args)
    in_process = subprocess.run(
        [sys.executable, "-m", "auto_invoke_permission.cli.main", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert in_process.returncode == 1
    assert lines[:-1] == in_process.stdout.splitlines()
    # it ends with the collector running (young collections less often) and what is left frozen
    assert lines[-1] == f"exit 1 True {YOUNG_COLLECTION_THRESHOLD} True"
