"""`autoinvoke check --format sarif`: SARIF 2.1.0 for code-scanning tools.

One run; the rules are the finding codes (`findings.CODES`) plus AIP000, a
template that could not be analyzed as a whole (a parse error, an invalid
option, a limit such as AIP150 that fails the transform). Each result points at
the template by a URI relative to the repository root (`%SRCROOT%`: the git
top-level of the first template, else the current directory), never `../` nor
`file:///`, so code scanning can show it on the file. A template that fails
is both a tool execution notification and a result, so the failure shows in
code scanning too.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from urllib.parse import quote

from ... import PROJECT_URL, __version__
from ...api import CheckedTemplate, LocatedFinding
from ...findings import CODES, Code, Severity
from ...suppressions import EXTERNAL_IGNORE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
# The README section each rule's help links to: one table has every code.
HELP_URI = f"{PROJECT_URL}#findings"
FAILED_RULE_ID = "AIP000"
FAILED_HELP_URI = f"{PROJECT_URL}#the-cli-autoinvoke"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULE_INDEX: dict[str, int] = {code: i for i, code in enumerate(CODES)}


def sarif_log(checked: Sequence[CheckedTemplate], cwd: str | None = None) -> dict[str, Any]:
    roots = _Roots(Path(cwd or os.getcwd()), [t.path for t in checked])
    results = [_result(roots, t.path, f) for t in checked for f in t.findings]
    results += [
        _failure_result(roots, t.path, problem, behind) for t in checked for problem, behind in t.failures
    ]
    results += [_failure_result(roots, t.path, failure) for t in checked for failure in t.gate_failures]
    notifications = [_notification(roots, t.path, problem) for t in checked for problem in t.problems]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "autoinvoke",
                        "version": __version__,
                        "informationUri": PROJECT_URL,
                        "rules": [*(_rule(code) for code in CODES.values()), _failed_rule()],
                    }
                },
                "originalUriBaseIds": roots.base_ids(),
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
        "helpUri": HELP_URI,
        "defaultConfiguration": {"level": _LEVELS[code.severity]},
        "properties": {"blocksEnforce": code.blocks_enforce},
    }


def _finding_location(roots: _Roots, path: str, located: LocatedFinding) -> dict[str, Any]:
    """Where a finding is: its line and column in the template, and its resource and path."""
    finding = located.finding
    return {
        "physicalLocation": {
            "artifactLocation": roots.artifact(path),
            "region": {"startLine": located.line, "startColumn": located.column},
        },
        "logicalLocations": [
            {"name": finding.resource, "fullyQualifiedName": finding.path, "kind": "resource"}
        ],
    }


def _failed_rule() -> dict[str, Any]:
    return {
        "id": FAILED_RULE_ID,
        "name": "TemplateNotAnalyzed",
        "shortDescription": {"text": "Template cannot be analyzed"},
        "fullDescription": {
            "text": "The template fails as a whole: it does not parse, an option is invalid, or the "
            "transform would fail (a limit such as AIP150). The macro would refuse it."
        },
        "help": {"text": "Fix the problem in the message; `autoinvoke check` says the same in text."},
        "helpUri": FAILED_HELP_URI,
        "defaultConfiguration": {"level": "error"},
        "properties": {"blocksEnforce": True},
    }


def _rule_name(title: str) -> str:
    """`Function name where IAM needs an ARN` -> `FunctionNameWhereIamNeedsAnArn`."""
    return "".join(word[:1].upper() + word[1:].lower() for word in re.findall(r"[A-Za-z0-9]+", title))


def _result(roots: _Roots, path: str, located: LocatedFinding) -> dict[str, Any]:
    finding = located.finding
    # A fingerprint that survives edits above the finding: the code and the path in the template.
    fingerprint = hashlib.sha256(f"{finding.code}|{finding.path}".encode()).hexdigest()[:32]
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": _RULE_INDEX[finding.code],
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [_finding_location(roots, path, located)],
        "partialFingerprints": {"autoinvokeFindingPath/v1": fingerprint},
        "properties": {"blocksEnforce": finding.blocks_enforce},
    }
    if finding.suppressed:
        # in the template (an Ignore in Metadata or the Fn::Transform Parameters), or outside it
        # (--ignore, the project file's `ignore`)
        external = finding.suppressed_by == EXTERNAL_IGNORE
        result["suppressions"] = [
            {
                "kind": "external" if external else "inSource",
                "justification": f"accepted by {'autoinvoke ' if external else ''}{finding.suppressed_by}",
            }
        ]
    return result


def _failure_result(
    roots: _Roots, path: str, problem: str, behind: LocatedFinding | None = None
) -> dict[str, Any]:
    """The template as a whole fails: an AIP000 result, or the code of the finding behind the
    failure (a limit such as AIP150), at that finding's place in the template."""
    rule_id = behind.finding.code if behind is not None else FAILED_RULE_ID
    fingerprint = hashlib.sha256(f"{rule_id}|{problem}".encode()).hexdigest()[:32]
    location: dict[str, Any] = {"physicalLocation": _physical(roots, path, problem)}
    if behind is not None:
        location = _finding_location(roots, path, behind)
    return {
        "ruleId": rule_id,
        "ruleIndex": _RULE_INDEX.get(rule_id, len(CODES)),
        "level": "error",
        "message": {"text": problem},
        "locations": [location],
        "partialFingerprints": {"autoinvokeFindingPath/v1": fingerprint},
        "properties": {"blocksEnforce": True},
    }


def _notification(roots: _Roots, path: str, problem: str) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": problem},
        "locations": [{"physicalLocation": _physical(roots, path, problem)}],
    }


def _physical(roots: _Roots, path: str, problem: str) -> dict[str, Any]:
    """The template, and the line (and column) a parse error names as `path:LINE:COL: ...`."""
    physical: dict[str, Any] = {"artifactLocation": roots.artifact(path)}
    where = re.match(re.escape(path) + r":(\d+)(?::(\d+))?:", problem)
    if where is not None:
        region = {"startLine": max(int(where.group(1)), 1)}
        if where.group(2) is not None:
            region["startColumn"] = max(int(where.group(2)), 1)
        physical["region"] = region
    return physical


class _Roots:
    """The roots artifact URIs are relative to: %SRCROOT% first, then one per other repository."""

    def __init__(self, cwd: Path, paths: Sequence[str]) -> None:
        self.cwd = cwd
        first = (cwd / paths[0]).resolve() if paths else cwd
        self.roots: dict[str, Path] = {SRCROOT: _git_top_level(first.parent) or cwd.resolve()}

    def artifact(self, path: str) -> dict[str, str]:
        absolute = (self.cwd / path).resolve()
        for base_id, root in self.roots.items():
            if absolute.is_relative_to(root):
                return {"uri": _uri(absolute.relative_to(root)), "uriBaseId": base_id}
        root = _git_top_level(absolute.parent) or absolute.parent
        base_id = f"ROOT{len(self.roots)}"
        self.roots[base_id] = root
        return {"uri": _uri(absolute.relative_to(root)), "uriBaseId": base_id}

    def base_ids(self) -> dict[str, Any]:
        return {base_id: {"uri": root.as_uri().rstrip("/") + "/"} for base_id, root in self.roots.items()}


def _uri(relative: Path) -> str:
    return quote(relative.as_posix())


@cache
def _git_top_level(directory: Path) -> Path | None:
    """The repository the directory is in, as git says; None outside one or without git."""
    try:
        found = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    top = found.stdout.strip()
    return Path(top).resolve() if found.returncode == 0 and top else None
