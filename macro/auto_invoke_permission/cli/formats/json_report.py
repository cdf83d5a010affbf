"""`autoinvoke check --format json`: one object, camelCase keys (the one key style of every JSON
output of the CLI)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ...api import CheckedTemplate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def render_json(checked: Sequence[CheckedTemplate]) -> str:
    templates: list[dict[str, Any]] = []
    for template in checked:
        findings = []
        for located in template.findings:
            item: dict[str, Any] = dict(located.finding.as_dict())
            item["line"] = located.line
            item["column"] = located.column
            item["blocksEnforce"] = located.finding.blocks_enforce
            item["suppressed"] = located.suppressed
            findings.append(item)
        templates.append(
            {
                "path": template.path,
                "passed": template.passed,
                "problems": list(template.problems),
                "blocking": len(template.blocking),
                "findings": findings,
                "listsMacro": template.listed,
                "hookFailures": list(template.gate_failures),
            }
        )
    return json.dumps({"passed": all(t.passed for t in checked), "templates": templates}, indent=2) + "\n"
