"""`autoinvoke check --format sarif` against the official SARIF 2.1.0 JSON schema.

tests/data/sarif-schema-2.1.0.json is the OASIS schema (2.1.0 errata 01,
oasis-tcs/sarif-spec `Schemata/sarif-schema-2.1.0.json`), kept here so the test
runs offline.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from auto_invoke_permission.cli.formats.sarif import FAILED_HELP_URI, HELP_URI
from auto_invoke_permission.cli.main import main
from auto_invoke_permission.findings import CODES
from repository import DATA
from snippets import SAM_CALLEE, SAM_CALLER_STATEMENTS

SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

TEMPLATE = (
    "Resources:\n"
    + SAM_CALLER_STATEMENTS
    + """\
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: '*'
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !Ref Callee
"""
    + SAM_CALLEE
)


def sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str], *templates: str) -> tuple[int, dict[str, Any]]:
    paths = []
    for i, text in enumerate(templates):
        path = tmp_path / f"t{i}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    code = main(
        ["check", *paths, "--format", "sarif", "--region", "us-east-1", "--account-id", "123456789012"]
    )
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    return code, log


def test_findings_as_sarif_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, log = sarif(tmp_path, capsys, TEMPLATE)
    assert code == 1
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "autoinvoke"
    rules = driver["rules"]
    assert_rules_are_the_codes(rules)

    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"AIP101", "AIP110"}
    wildcard = by_rule["AIP110"]
    assert wildcard["level"] == "warning"
    assert rules[wildcard["ruleIndex"]]["id"] == "AIP110"
    (location,) = wildcard["locations"]
    assert_wildcard_location(location, run, tmp_path)
    assert by_rule["AIP101"]["level"] == "error"
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def assert_rules_are_the_codes(rules: list[dict[str, Any]]) -> None:
    """One rule per code of `CODES`, in its order, plus AIP000, each with the code's texts."""
    assert [r["id"] for r in rules] == [*CODES, "AIP000"]
    aip101 = rules[list(CODES).index("AIP101")]
    assert aip101["name"] == "FunctionNameWhereIamNeedsAnArn"
    assert aip101["shortDescription"]["text"] == CODES["AIP101"].title
    assert aip101["fullDescription"]["text"] == CODES["AIP101"].explanation
    assert aip101["help"]["text"] == CODES["AIP101"].fix
    assert aip101["defaultConfiguration"]["level"] == "error"
    assert rules[list(CODES).index("AIP113")]["defaultConfiguration"]["level"] == "note"
    assert {r["helpUri"] for r in rules} == {HELP_URI, FAILED_HELP_URI}


def assert_wildcard_location(location: dict[str, Any], run: dict[str, Any], tmp_path: Path) -> None:
    """The AIP110 result points at the `Resource: '*'` line of t0.yaml and at its template path."""
    # tmp_path is no repository, nor under the current directory: its own directory is the root
    artifact = location["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "t0.yaml", "uriBaseId": artifact["uriBaseId"]}
    assert run["originalUriBaseIds"][artifact["uriBaseId"]] == {"uri": tmp_path.resolve().as_uri() + "/"}
    assert location["physicalLocation"]["region"]["startLine"] == 12  # the `Resource: '*'` line
    (logical,) = location["logicalLocations"]
    assert logical["fullyQualifiedName"] == "Caller.Properties.Policies[0].Statement[0].Resource"
    assert logical["name"] == "Caller"


def test_clean_template_has_no_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = TEMPLATE.replace("Resource: '*'", "Resource: !GetAtt Callee.Arn").replace(
        "Resource: !Ref Callee", "Resource: !GetAtt Callee.Arn"
    )
    code, log = sarif(tmp_path, capsys, clean)
    assert code == 0
    assert log["runs"][0]["results"] == []


def test_templates_that_cannot_be_analyzed_are_notifications(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, log = sarif(tmp_path, capsys, TEMPLATE, "Resources:\n  A: 5\n", "Resources:\n  A: 1\n  A: 2\n")
    assert code == 2  # the parse error wins
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == [
        "t1.yaml",
        "t2.yaml",
    ]
    assert "Resources.A must be a mapping" in notes[0]["message"]["text"]
    assert "duplicate key 'A'" in notes[1]["message"]["text"]
    # the parse error points at its line
    assert notes[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    # each failing template is a result too, so code scanning shows it
    results = log["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["AIP000", "AIP000", "AIP101", "AIP110"]
    failed = [r for r in results if r["ruleId"] == "AIP000"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in failed] == [
        "t1.yaml",
        "t2.yaml",
    ]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_relative_paths_stay_relative(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "my template.yaml").write_text(TEMPLATE, encoding="utf-8")
    main(["check", "stacks/my template.yaml", "--format", "sarif", "--account-id", "123456789012"])
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]
    }
    assert uris == {"stacks/my%20template.yaml"}


def git_repository(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_uris_are_relative_to_the_repository_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = git_repository(tmp_path / "repo")
    (repo / "stacks").mkdir()
    template = repo / "stacks" / "api.yaml"
    template.write_text(TEMPLATE, encoding="utf-8")
    other = tmp_path / "elsewhere.yaml"  # outside the repository: a root of its own
    other.write_text(TEMPLATE, encoding="utf-8")
    monkeypatch.chdir(repo / "stacks")
    for argv in (["api.yaml", "../../elsewhere.yaml"], [str(template), str(other)]):
        main(["check", *argv, "--format", "sarif", "--account-id", "123456789012"])
        log = json.loads(capsys.readouterr().out)
        jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
        (run,) = log["runs"]
        artifacts = {
            json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"], sort_keys=True)
            for r in run["results"]
        }
        assert artifacts == {
            json.dumps({"uri": "stacks/api.yaml", "uriBaseId": "%SRCROOT%"}, sort_keys=True),
            json.dumps({"uri": "elsewhere.yaml", "uriBaseId": "ROOT1"}, sort_keys=True),
        }
        assert run["originalUriBaseIds"] == {
            "%SRCROOT%": {"uri": repo.resolve().as_uri() + "/"},
            "ROOT1": {"uri": tmp_path.resolve().as_uri() + "/"},
        }
        text = json.dumps(run["results"])
        assert "../" not in text and "file://" not in text


def test_a_limit_failure_is_a_result_of_its_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 300 functions that each invoke the next: 600 resources once the permissions are added
    resources: dict[str, Any] = {}
    for i in range(300):
        resources[f"F{i}"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.13",
                "Handler": "a.h",
                "CodeUri": "src/",
                "Policies": [
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "lambda:InvokeFunction",
                                "Resource": {"Fn::GetAtt": [f"F{(i + 1) % 300}", "Arn"]},
                            }
                        ]
                    }
                ],
            },
        }
    code, log = sarif(tmp_path, capsys, json.dumps({"Resources": resources}))
    assert code == 1
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "AIP150"
    assert result["level"] == "error"
