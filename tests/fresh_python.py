"""Python code run in a fresh interpreter: for what only a new process shows (the modules an import
or a command loads, the collector's state at exit, a cache seeded before an import)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_python(code: str, *args: str, cwd: Path | None = None) -> str:
    """The standard output of `python -c code args...` (this interpreter, in `cwd`); fails the test
    with the child's error when it exits non-zero."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout
