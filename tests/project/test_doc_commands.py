"""Every shell command shown in the README, CONTRIBUTING.md and docs/ runs verbatim.

Each fenced ```bash / ```sh / ```console block runs in a fresh copy of the repository, with the
installed `autoinvoke` (and cfn-lint, make) on PATH and no AWS settings, and must end with the
exit status its `<!-- exit: N -->` marker names (0 by default). Blocks marked
`<!-- needs: aws -->`, `needs: network`, `needs: suite` or `needs: minutes` are listed, not run
(see tests/project/doc_blocks.py); a test keeps that marker honest.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from doc_blocks import NEEDS, ShellBlock, all_blocks
from repository import REPO

BLOCKS = all_blocks()
OFFLINE = [block for block in BLOCKS if not block.needs]
NOT_RUN = [block for block in BLOCKS if block.needs]
BIN = Path(sys.executable).parent
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "site", "build", "dist", "__pycache__", "*.egg-info", ".pytest_cache",
    ".mypy_cache", ".ruff_cache", ".hypothesis", ".aws-sam", ".coverage", "cdk.out",
)  # fmt: skip
# What a block marked `needs: aws` must contain: a call to AWS (or a tool that makes one).
AWS_COMMANDS = (
    "aws ", "org/package.sh", "sam build", "sam deploy", "sam logs", "sam package", "sam publish",
    "sam delete",
)  # fmt: skip
# Options of `autoinvoke check` that a block may show before the installed CLI has them.
NEWER_CHECK_OPTIONS = ("--require-transform", "--fail-on", "--template-file", " -t ", " -q")


@functools.cache
def check_help() -> str:
    result = subprocess.run(
        [str(BIN / "autoinvoke"), "check", "--help"], capture_output=True, text=True, check=False
    )
    return result.stdout


def environment(workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    # `make demo` in the copy uses the repository's .venv as it is: never reinstall into it.
    env["MAKEFLAGS"] = "-o .venv/.installed -o .venv/.installed-dev"
    env["PWD"] = str(workdir)
    return env


def repository_copy(tmp_path: Path) -> Path:
    workdir = tmp_path / "repo"
    shutil.copytree(REPO, workdir, ignore=COPY_IGNORE)
    venv = REPO / ".venv"
    if venv.is_dir():
        (workdir / ".venv").symlink_to(venv, target_is_directory=True)
    return workdir


def unsupported_option(block: ShellBlock) -> str:
    script = f" {block.script()} "
    return next(
        (option for option in NEWER_CHECK_OPTIONS if option in script and option.strip() not in check_help()),
        "",
    )


def test_the_docs_show_commands() -> None:
    assert len(OFFLINE) >= 10
    assert {block.path.name for block in OFFLINE} >= {"README.md", "recipes.md", "reference.md"}


@pytest.mark.parametrize("block", NOT_RUN, ids=lambda block: block.name)
def test_a_block_not_run_says_why(block: ShellBlock) -> None:
    assert block.needs in NEEDS, f"{block.name}: unknown marker needs: {block.needs}"
    script = block.script()
    if block.needs == "aws":
        assert any(command in script for command in AWS_COMMANDS), f"{block.name} makes no AWS call"
    if block.needs == "network":
        assert "pip install" in script or "git " in script, f"{block.name} downloads nothing"
    if block.needs == "suite":
        assert "make test" in script, f"{block.name} does not run the suite"
    if block.needs == "minutes":
        assert "bench" in script, f"{block.name} runs no benchmark"


@pytest.mark.parametrize("block", OFFLINE, ids=lambda block: block.name)
def test_block_runs_verbatim(block: ShellBlock, tmp_path: Path) -> None:
    option = unsupported_option(block)
    if option:
        pytest.skip(f"this autoinvoke has no {option.strip()} yet")
    if "make " in block.script() and not (REPO / ".venv" / ".installed").exists():
        pytest.skip("make targets need the repository's .venv (make install)")
    workdir = repository_copy(tmp_path)
    shell = ["bash", "-e", "-o", "pipefail", "-c"] if block.exit_status == 0 else ["bash", "-c"]
    result = subprocess.run(
        [*shell, block.script()],
        cwd=workdir,
        env=environment(workdir),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )
    assert result.returncode == block.exit_status, (
        f"{block.name} ended with {result.returncode}, not {block.exit_status}\n"
        f"--- script\n{block.script()}\n--- stdout\n{result.stdout[-3000:]}\n"
        f"--- stderr\n{result.stderr[-3000:]}"
    )
