"""`autoinvoke check --format sarif` against the official SARIF 2.1.0 JSON schema.

tests/data/sarif-schema-2.1.0.json is the OASIS schema (2.1.0 errata 01,
oasis-tcs/sarif-spec `Schemata/sarif-schema-2.1.0.json`), kept here so the test
runs offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from auto_invoke_permission.cli.main import main
from auto_invoke_permission.findings import CODES

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

TEMPLATE = """\
Resources:
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      Policies:
        - Statement:
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: '*'
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !Ref Callee
  Callee:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.13, Handler: app.handler, CodeUri: src/}
"""


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
    assert [r["id"] for r in rules] == list(CODES)
    aip101 = rules[list(CODES).index("AIP101")]
    assert aip101["name"] == "FunctionNameWhereIamNeedsAnArn"
    assert aip101["shortDescription"]["text"] == CODES["AIP101"].title
    assert aip101["fullDescription"]["text"] == CODES["AIP101"].explanation
    assert aip101["help"]["text"] == CODES["AIP101"].fix
    assert aip101["defaultConfiguration"]["level"] == "error"
    assert rules[list(CODES).index("AIP113")]["defaultConfiguration"]["level"] == "note"

    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"AIP101", "AIP110"}
    wildcard = by_rule["AIP110"]
    assert wildcard["level"] == "warning"
    assert rules[wildcard["ruleIndex"]]["id"] == "AIP110"
    (location,) = wildcard["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == (tmp_path / "t0.yaml").as_uri()
    assert location["physicalLocation"]["region"]["startLine"] == 12  # the `Resource: '*'` line
    (logical,) = location["logicalLocations"]
    assert logical["fullyQualifiedName"] == "Caller.Properties.Policies[0].Statement[0].Resource"
    assert logical["name"] == "Caller"
    assert by_rule["AIP101"]["level"] == "error"
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


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
        (tmp_path / "t1.yaml").as_uri(),
        (tmp_path / "t2.yaml").as_uri(),
    ]
    assert "Resources.A must be a mapping" in notes[0]["message"]["text"]
    assert "duplicate key 'A'" in notes[1]["message"]["text"]
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"AIP101", "AIP110"}


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
