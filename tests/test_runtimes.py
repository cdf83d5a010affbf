"""The Lambda path on the interpreters Lambda runs (python3.13 and newer), where this machine has them:
a bare interpreter (`-S`, standard library and `macro/` only) gives the golden seed output exactly."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
def test_seed_on_lambda_runtime_interpreter(minor: int) -> None:
    interpreter = find(minor)
    if interpreter is None:
        pytest.skip(f"python3.{minor} is not installed here")
    from auto_invoke_permission.cli.template_io import load_template

    template = load_template(str(ROOT / "samples" / "seed" / "template.yaml"))
    fragment = {k: v for k, v in template.items() if k != "Transform"}
    event = {
        "region": "us-east-1",
        "accountId": "123456789012",
        "fragment": fragment,
        "transformId": "123456789012::AutoInvokePermission",
        "params": {},
        "requestId": "golden",
        "templateParameterValues": {},
    }
    done = subprocess.run(
        [interpreter, "-S", "-c", RUNNER, str(ROOT / "macro")],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    response = json.loads(done.stdout)
    assert response["status"] == "success"
    assert response["fragment"] == json.loads((ROOT / "samples" / "seed" / "expected.json").read_text())
