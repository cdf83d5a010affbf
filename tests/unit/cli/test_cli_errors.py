"""The CLI's own errors: each one line on stderr with the exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from auto_invoke_permission.cli.main import main
from snippets import PLACE

TOPIC = "Resources:\n  T: {Type: AWS::SNS::Topic}\n"
LOUD = "Transform: AutoInvokePermission\nMetadata:\n  AutoInvokePermission: {Mode: loud}\n" + TOPIC
LOUD_PROBLEM = (
    "AutoInvokePermission: 1 problem: 1) Metadata.AutoInvokePermission: option Mode has value 'loud'; "
    "allowed values: audit, inject, enforce\n"
)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("a/t.yaml", "b/t.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(TOPIC, encoding="utf-8")
    (tmp_path / "loud.yaml").write_text(LOUD, encoding="utf-8")
    return tmp_path


def errors(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "ran it anyway" not in line]


@pytest.mark.usefixtures("here")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("transform", "a/t.yaml", "--config-file", "missing.toml"),
            "autoinvoke transform: error: --config-file missing.toml: no such file",
        ),
        (
            ("transform", "a/t.yaml", "b/t.yaml", "-o", "out"),
            "autoinvoke transform: error: b/t.yaml and a/t.yaml would both be written to out/t.yaml",
        ),
        (
            ("transform", "a/t.yaml", "-o", "missing/dir/out.yaml"),
            "autoinvoke transform: error: cannot write missing/dir/out.yaml: No such file or directory",
        ),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    assert main([*argv, *PLACE]) == 2
    assert errors(capsys) == [message]


@pytest.mark.usefixtures("here")
def test_check_reports_an_unreadable_file_and_still_checks_the_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "a/t.yaml", "missing.yaml", *PLACE]) == 2
    captured = capsys.readouterr()
    assert captured.out == "a/t.yaml: passes enforce mode (no findings)\n"
    assert captured.err == "missing.yaml: cannot read the template: No such file or directory\n"


@pytest.mark.usefixtures("here")
@pytest.mark.parametrize("command", ["expand", "graph"])
def test_an_invalid_option_is_the_macro_failure_message(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert main([command, "loud.yaml", *PLACE]) == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", LOUD_PROBLEM)


def test_a_project_format_that_check_does_not_know(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / ".autoinvoke.toml").write_text("format = 'html'\n", encoding="utf-8")
    assert main(["check", "a/t.yaml", *PLACE]) == 2
    (line,) = errors(capsys)
    assert line.startswith("autoinvoke check: error: format 'html' is not one of text, json, sarif, junit")


def test_hook_of_a_file_that_is_not_utf8(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "latin1.yaml").write_bytes(b"Resources: {}\n# caf\xe9\n")
    assert main(["hook", "latin1.yaml", *PLACE]) == 2
    assert errors(capsys) == ["autoinvoke hook: error: latin1.yaml: not UTF-8 text (byte 19)"]


@pytest.mark.usefixtures("here")
def test_hook_event_needs_an_http_payload_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hook-event", "a/t.yaml", "--payload-url", "s3://bucket/key", *PLACE]) == 2
    assert errors(capsys) == [
        "autoinvoke hook-event: error: --payload-url 's3://bucket/key' is not an http(s) URL"
    ]
