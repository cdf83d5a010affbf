"""The composite GitHub Action (action.yml): its shape, and its run steps run locally on samples.

The steps run with bash as GitHub runs them (`bash -e -o pipefail`), with the inputs set in their
`env`, a GITHUB_OUTPUT file, and the installed `autoinvoke` standing in for the install step (the
wheel that step builds is checked by tests/project/test_packaging.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from repository import REPO

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
BIN = Path(sys.executable).parent
EXPRESSION = re.compile(r"\$\{\{\s*(inputs|steps)\.([\w-]+)(?:\.outputs\.([\w-]+))?\s*\}\}")


def step(name: str) -> dict[str, Any]:
    return next(s for s in STEPS if s["name"] == name)


def defaults() -> dict[str, str]:
    return {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}


def check_supports(option: str) -> bool:
    command = [str(BIN / "autoinvoke"), "check", "--help"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return option in result.stdout


def run_step(
    name: str, inputs: dict[str, str], outputs: dict[str, str], workdir: Path
) -> subprocess.CompletedProcess[str]:
    """Run one `run:` step with its env expressions evaluated; its GITHUB_OUTPUT lines go into `outputs`."""
    spec = step(name)

    def evaluate(text: str) -> str:
        def value(match: re.Match[str]) -> str:
            kind, key, output = match.groups()
            return inputs[key] if kind == "inputs" else outputs.get(output or "", "")

        return EXPRESSION.sub(value, text)

    github_output = workdir / "github_output"
    github_output.write_text("", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update({key: evaluate(str(value)) for key, value in spec.get("env", {}).items()})
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", GITHUB_OUTPUT=str(github_output), NO_COLOR="1")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", spec["run"]],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in github_output.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        outputs[key] = value
    return result


def test_the_action_is_composite_with_the_documented_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {
        "templates", "fail-on", "require-transform", "sarif-file", "upload-sarif", "python-version",
    }  # fmt: skip
    uses = [s.get("uses", "") for s in STEPS]
    assert uses[0].startswith("actions/setup-python@")
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert '"$ACTION_PATH"' in step("Install autoinvoke")["run"]
    assert step("Install autoinvoke")["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert "--format sarif" in step("autoinvoke check")["run"]
    assert all(s.get("shell") == "bash" for s in STEPS if "run" in s)


def test_the_documented_inputs_match_the_recipe() -> None:
    recipe = (REPO / "docs" / "cli" / "recipes.md").read_text(encoding="utf-8")
    for name, spec in ACTION["inputs"].items():
        shown = spec.get("default", "") or "empty"
        assert f"| `{name}` | `{shown}` |" in recipe or f"| `{name}` | {shown} |" in recipe, name


@pytest.mark.parametrize(
    ("sample", "fail_on", "expected"),
    [
        ("seed", "", "0"),  # a clean template passes
        ("function-url", "", "1"),  # AIP160 blocks enforce mode
        ("sam-forms", "", "0"),  # two AIP130 warnings do not block ...
        ("sam-forms", "warning", "1"),  # ... unless fail-on names warnings
    ],
)
@pytest.mark.parametrize("require_transform", ["true", "false"])
def test_run_steps_on_a_sample(
    sample: str, fail_on: str, expected: str, require_transform: str, tmp_path: Path
) -> None:
    if require_transform == "true" and not check_supports("--require-transform"):
        pytest.skip("this autoinvoke has no check --require-transform yet")
    if fail_on and not check_supports("--fail-on"):
        pytest.skip("this autoinvoke has no check --fail-on yet")
    shutil.copytree(REPO / "samples" / sample, tmp_path / sample)
    inputs = defaults() | {
        "templates": f"{sample}/template.yaml",
        "fail-on": fail_on,
        "require-transform": require_transform,
    }
    outputs: dict[str, str] = {}

    check = run_step("autoinvoke check", inputs, outputs, tmp_path)
    assert check.returncode == 0, check.stderr  # a failing template still lets the upload run
    assert outputs["exit-status"] == expected
    sarif = json.loads((tmp_path / inputs["sarif-file"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert sample in check.stdout  # the text report for the job's log

    final = run_step("Fail when a template fails the check", inputs, outputs, tmp_path)
    assert final.returncode == int(expected)


def test_a_template_that_does_not_parse_stops_the_job(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("Resources: [\n", encoding="utf-8")
    inputs = defaults() | {"templates": "broken.yaml", "require-transform": "false"}
    outputs: dict[str, str] = {}
    check = run_step("autoinvoke check", inputs, outputs, tmp_path)
    assert outputs["exit-status"] == "2"
    assert check.returncode == 2
