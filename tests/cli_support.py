"""What the CLI's tests share: the capture type, the AWS settings a test clears, and one CLI run."""

from __future__ import annotations

import pytest
from auto_invoke_permission.cli.main import main

Capture = pytest.CaptureFixture[str]

# The environment that would give the CLI a region, an account or a profile: cleared by the CLI tests.
AWS_SETTINGS = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCOUNT_ID", "AWS_PROFILE")


def clear_aws_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AWS_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def run_cli(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    """`autoinvoke ARGV` in this process: its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
