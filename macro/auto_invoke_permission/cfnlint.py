"""cfn-lint rules: every AutoInvokePermission finding as a cfn-lint match, at its line.

    cfn-lint --append-rules auto_invoke_permission.cfnlint template.yaml

cfn-lint's `--append-rules` takes a directory or an importable module and loads every
subclass of `CloudFormationLintRule` that the module holds (`Rules.create_from_module`,
`helpers.create_rules`). This module holds one rule per finding code, made from the code
table, so the ids stay in step with it. Rule ids: the severity letter cfn-lint reads
(E error, W warning, I informational) and 9 followed by the code's digits: AIP101 (error) is
E9101, AIP110 (warning) W9110, AIP113 (info) I9113; E9000 is a template that cannot be
analyzed at all (an invalid option, a limit such as AIP150). Select or ignore them like
any cfn-lint rule (`--ignore-checks W9110`).

The template a rule sees depends on the cfn-lint version (docs/design/aws-facts-integrations.md section 4):
1.54
and later hand over the raw SAM template with Globals merged; older versions the template
after SAM. The core analyzes either, as the macro does in either Transform order. The
analysis runs once per template, not once per rule.

Not on the macro's Lambda path: it imports cfn-lint, and macro/Makefile leaves it out of the
artifact.
"""

from __future__ import annotations

import os

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from . import PROJECT_URL
from .api import CheckedTemplate, CheckRequest, Place, check
from .findings import CODES, FindingCode, Severity
from .model import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from .offline.template_read import template_path, to_plain

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

_LETTERS = {Severity.ERROR: "E", Severity.WARNING: "W", Severity.INFO: "I"}
FAILED_RULE_ID = "E9000"
SOURCE_URL = f"{PROJECT_URL}#findings"


def rule_id(code: FindingCode) -> str:
    """`AIP110` -> `W9110`: cfn-lint takes the severity from the first letter."""
    return f"{_LETTERS[CODES[code].severity]}9{code.removeprefix('AIP')}"


class _Analysis:
    """The last template checked and its result: every rule asks, one analysis runs."""

    key: tuple[str, int] | None = None
    result: CheckedTemplate | None = None

    @classmethod
    def of(cls, cfn: Any) -> CheckedTemplate:
        key = (str(cfn.filename), id(cfn.template))
        if cls.key != key or cls.result is None:
            cls.key, cls.result = key, _check(cfn)
        return cls.result


def _check(cfn: Any) -> CheckedTemplate:
    """The library's check of the template cfn-lint hands over (its transforms already run)."""
    regions = getattr(cfn, "regions", None) or [DEFAULT_REGION]
    place = Place(regions[0], os.environ.get("AWS_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID)
    request = CheckRequest(to_plain(cfn.template), name=str(cfn.filename), place=place, run_transforms=False)
    return check(request)


class TemplateNotAnalyzed(CloudFormationLintRule):  # type: ignore[misc]
    """E9000: the template fails as a whole, as the macro would refuse it."""

    id = FAILED_RULE_ID
    shortdesc = "AutoInvokePermission cannot analyze the template"
    description = "The template fails as a whole: an invalid option, or a limit such as AIP150."
    source_url = SOURCE_URL
    tags: ClassVar[list[str]] = ["autoinvoke"]

    def match(self, cfn: Any) -> list[Any]:
        return [RuleMatch([], f"AutoInvokePermission: {p}") for p in _Analysis.of(cfn).problems]


def _finding_rules() -> dict[str, type[CloudFormationLintRule]]:
    """One rule class per finding code. The base class stays local: in the module's namespace
    cfn-lint would load it too, as a rule with an empty id."""

    class _FindingRule(CloudFormationLintRule):  # type: ignore[misc]
        """One finding code as a cfn-lint rule; subclasses set `code`."""

        code: ClassVar[str] = ""
        tags: ClassVar[list[str]] = ["autoinvoke", "lambda", "iam"]

        def match(self, cfn: Any) -> list[Any]:
            matches = []
            for located in _Analysis.of(cfn).findings:
                finding = located.finding
                if finding.code == self.code and not finding.suppressed:  # accepted by an Ignore
                    path = template_path(cfn.template, finding.template_path)
                    matches.append(RuleMatch(path, f"{finding.code} {finding.path}: {finding.message}"))
            return matches

    rules: dict[str, type[CloudFormationLintRule]] = {}
    for code in CODES.values():
        attributes = {
            "id": rule_id(code.code),
            "code": code.code,
            "shortdesc": f"{code.code} {code.title}",
            "description": f"{code.explanation} Fix: {code.fix}",
            "source_url": SOURCE_URL,
            "__doc__": f"{code.code}: {code.title}.",
            "__module__": __name__,
        }
        name = f"{code.code}Rule"
        rules[name] = type(name, (_FindingRule,), attributes)
    return rules


# The rules cfn-lint finds in this module (`inspect.getmembers`): one per code, and E9000.
globals().update(_finding_rules())
