"""The pre-commit hook, run by pre-commit itself in a temporary git repository.

The hook is this repository's `.pre-commit-hooks.yaml` entry as it is (files, types), in a
`repo: local` config with `language: system` and the installed `autoinvoke` as its entry: the
same selection and arguments as for users, with no network (a `language: python` hook would
make pre-commit build a virtualenv and install the package and its dependencies).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from repository import REPO
from snippets import SAM_CALLER_STATEMENTS, WILDCARD

ROOT = REPO
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
AUTOINVOKE = Path(sys.executable).with_name("autoinvoke")

pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")

# Clean with Stage=prod (the grant names callee-prod, a function of the template); without a
# value for Stage, the callee cannot be known (AIP115, which blocks enforce mode).
STAGED = (
    """\
Transform: [AutoInvokePermission, AWS::Serverless-2016-10-31]
Parameters:
  Stage: {Type: String}
Resources:
"""
    + SAM_CALLER_STATEMENTS
    + """\
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:callee-${Stage}
  Callee:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: callee-prod, Runtime: python3.13, Handler: app.handler, CodeUri: src/}
"""
)

OTHER_FILES = {
    "deploy/values.template.yaml": "replicas: 3\nimage: {tag: latest}\n",  # Helm values, by name a template
    ".github/workflows/ci.yml": "on: [push]\njobs: {test: {runs-on: ubuntu-latest, steps: []}}\n",
    "playbook.yml": "- hosts: all\n  tasks: []\n",  # a list: not a template either
    "package.json": '{"name": "app", "version": "1.0.0"}\n',
    "README.md": "# app\n",
}


def hook_config(args: list[str]) -> str:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local: dict[str, Any] = {**hook, "language": "system", "entry": f"{AUTOINVOKE} check", "args": args}
    text: str = yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}, sort_keys=False)
    return text


def repository(tmp_path: Path, files: dict[str, str], args: list[str]) -> Path:
    repo = tmp_path / "repo"
    for name, text in {**files, ".pre-commit-config.yaml": hook_config(args)}.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    return repo


def pre_commit(repo: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRE_COMMIT", "GIT_"))}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "cache")  # no user cache, nothing fetched
    return subprocess.run(
        [PRE_COMMIT, "run", "--all-files", "--verbose", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_hook_fails_on_the_template_that_blocks_and_skips_other_yaml(tmp_path: Path) -> None:
    files = {"stacks/staged.yaml": STAGED, "deploy/api.yaml": WILDCARD, **OTHER_FILES}
    done = pre_commit(repository(tmp_path, files, ["--parameter", "Stage=prod"]), tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "deploy/api.yaml: fails enforce mode: 1 of 1 finding blocks" in out
    assert "stacks/staged.yaml: passes enforce mode (no findings)" in out  # --parameter reached it
    for name in ("deploy/values.template.yaml", ".github/workflows/ci.yml", "playbook.yml", "package.json"):
        assert f"skipped {name}: not a template" in out, name
    assert "README.md" not in out  # not YAML or JSON: never passed to the hook


def test_hook_passes_when_every_template_passes(tmp_path: Path) -> None:
    files = {"stacks/staged.yaml": STAGED, **OTHER_FILES}
    done = pre_commit(repository(tmp_path, files, ["--parameter", "Stage=prod"]), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hook_args_matter(tmp_path: Path) -> None:
    # without the documented `args: [--parameter, Stage=prod]`, Stage has no value: AIP115 blocks
    done = pre_commit(repository(tmp_path, {"stacks/staged.yaml": STAGED}, []), tmp_path)
    assert done.returncode == 1
    assert "AIP115" in done.stdout
