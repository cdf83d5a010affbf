"""`cfn-lint --append-rules auto_invoke_permission.cfnlint`: the AIP findings as cfn-lint matches.

cfn-lint itself runs, as a user would run it; its matches (rule id, line) must be exactly
the findings `autoinvoke check` reports, mapped to the rule ids (AIP110 -> W9110).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission.cfnlint import rule_id
from auto_invoke_permission.cli.main import main
from auto_invoke_permission.findings import FindingCode
from repository import REPO

ROOT = REPO
SAMPLES = sorted(ROOT.glob("samples/*/template.yaml"))
CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def cfn_lint(*argv: str, cwd: Path = ROOT) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [str(CFN_LINT), "--format", "json", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    assert done.returncode in (0, 2, 4, 6, 8, 10, 12, 14), done.stderr  # lint results, not a crash
    matches: list[dict[str, Any]] = json.loads(done.stdout)
    return matches


def ours(matches: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted(
        (m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"])
        for m in matches
        if m["Rule"]["Id"][1:2] == "9"
    )


def checked(path: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, int]]:
    main(["check", str(path), "--format", "json", "--region", "us-east-1", "--account-id", "123456789012"])
    (template,) = json.loads(capsys.readouterr().out)["templates"]
    return sorted((rule_id(f["code"]), f["line"]) for f in template["findings"])


@pytest.mark.parametrize("path", SAMPLES, ids=[p.parent.name for p in SAMPLES])
def test_matches_are_the_check_findings(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # cfn-lint shows informational matches (I9xxx: AIP113, AIP124, ...) only when asked to
    matches = cfn_lint(
        "--include-checks", "I", "--append-rules", "auto_invoke_permission.cfnlint", "--", str(path)
    )
    assert ours(matches) == checked(path, capsys)


def test_golden_matches_with_columns() -> None:
    path = ROOT / "samples" / "cloudformation-roles" / "template.yaml"
    matches = cfn_lint("--append-rules", "auto_invoke_permission.cfnlint", "--", str(path))
    found = sorted(
        (
            m["Rule"]["Id"],
            m["Location"]["Start"]["LineNumber"],
            m["Location"]["Start"]["ColumnNumber"],
            m["Level"],
        )
        for m in matches
        if m["Rule"]["Id"][1:2] == "9"
    )
    assert found == [("W9110", 38, 17, "Warning"), ("W9111", 39, 17, "Warning")]


def test_rules_from_a_cfnlintrc(tmp_path: Path) -> None:
    (tmp_path / ".cfnlintrc").write_text(
        "append_rules:\n  - auto_invoke_permission.cfnlint\n", encoding="utf-8"
    )
    template = tmp_path / "template.yaml"
    template.write_text((ROOT / "samples" / "sam-forms" / "template.yaml").read_text(encoding="utf-8"))
    # AUDIT (line 29) is granted only under IsProd, false with the default Stage
    assert ours(cfn_lint("template.yaml", cwd=tmp_path)) == [("W9130", 29), ("W9130", 30)]


def test_a_template_that_fails_as_a_whole_is_e9000(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Metadata:\n  AutoInvokePermission: {Mode: loud}\nResources:\n  Topic: {Type: AWS::SNS::Topic}\n",
        encoding="utf-8",
    )
    matches = cfn_lint("--append-rules", "auto_invoke_permission.cfnlint", "--", str(template))
    assert [m["Rule"]["Id"] for m in matches if m["Rule"]["Id"][1:2] == "9"] == ["E9000"]


@pytest.mark.parametrize(
    ("code", "rule"),
    [("AIP101", "E9101"), ("AIP110", "W9110"), ("AIP113", "I9113"), ("AIP150", "E9150")],
)
def test_rule_ids(code: FindingCode, rule: str) -> None:
    assert rule_id(code) == rule
