"""`autoinvoke check --format sarif`: SARIF 2.1.0 for code-scanning tools.

One run; the rules are the finding codes (`findings.CODES`), each result
points at the template file and the line of the finding's path, and names
that path as a logical location. A template that could not be analyzed is a
tool execution notification, not a result: it has no rule.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..findings import CODES, Code, Severity
from .check import CheckedTemplate, LocatedFinding

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULE_INDEX = {code: i for i, code in enumerate(CODES)}


def sarif_log(checked: Sequence[CheckedTemplate]) -> dict[str, Any]:
    results = [_result(t.path, f) for t in checked for f in t.findings]
    notifications = [_notification(t.path, problem) for t in checked for problem in t.problems]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "autoinvoke",
                        "version": __version__,
                        "rules": [_rule(code) for code in CODES.values()],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }


def _rule(code: Code) -> dict[str, Any]:
    return {
        "id": code.code,
        "name": _rule_name(code.title),
        "shortDescription": {"text": code.title},
        "fullDescription": {"text": code.explanation},
        "help": {"text": code.fix},
        "defaultConfiguration": {"level": _LEVELS[code.severity]},
        "properties": {"blocksEnforce": code.blocks_enforce},
    }


def _rule_name(title: str) -> str:
    """`Function name where IAM needs an ARN` -> `FunctionNameWhereIamNeedsAnArn`."""
    return "".join(word[:1].upper() + word[1:].lower() for word in re.findall(r"[A-Za-z0-9]+", title))


def _result(path: str, located: LocatedFinding) -> dict[str, Any]:
    finding = located.finding
    text = finding.message
    # A fingerprint that survives edits above the finding: the code and the path in the template.
    fingerprint = hashlib.sha256(f"{finding.code}|{finding.path}".encode()).hexdigest()[:32]
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": _RULE_INDEX[finding.code],
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(path)},
                    "region": {"startLine": located.line},
                },
                "logicalLocations": [
                    {"name": finding.resource, "fullyQualifiedName": finding.path, "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {"autoinvokeFindingPath/v1": fingerprint},
        "properties": {"blocksEnforce": finding.blocks_enforce},
    }
    if located.suppressed:  # accepted on the command line or in the project file: not in the template
        result["suppressions"] = [{"kind": "external", "justification": "autoinvoke --ignore"}]
    return result


def _notification(path: str, problem: str) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": problem},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(path)}}}],
    }


def artifact_uri(path: str) -> str:
    """A relative path stays relative (code scanning resolves it in the repository); absolute: file URI."""
    if os.path.isabs(path):
        return Path(path).as_uri()
    return quote(PurePath(path).as_posix())
