"""What the macro tells people: the report in Metadata, the failure message, the log line."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .model import TransformResult
from .options import Mode

MESSAGE_PREFIX = "AutoInvokePermission:"
MAX_LISTED_PROBLEMS = 10
MAX_MESSAGE_CHARS = 3500
MAX_REPORTED_FINDINGS = 50


def failure_message(problems: list[str]) -> str:
    """`AutoInvokePermission: N problems: 1) ... 2) ... and K more`, never empty, bounded in size."""
    problems = problems or ["unknown problem"]
    count = len(problems)
    head = f"{MESSAGE_PREFIX} {count} problem{'s' if count != 1 else ''}: "
    listed: list[str] = []
    used = len(head)
    for i, problem in enumerate(problems[:MAX_LISTED_PROBLEMS], 1):
        item = f"{i}) {problem}"
        if used + len(item) > MAX_MESSAGE_CHARS and listed:
            break
        listed.append(item[: MAX_MESSAGE_CHARS - len(head)])
        used += len(item) + 1
    rest = count - len(listed)
    return head + " ".join(listed) + (f" ... and {rest} more" if rest else "")


def report_metadata(result: TransformResult) -> dict[str, Any]:
    severities = Counter(f.severity.value for f in result.findings)
    added = result.added
    report: dict[str, Any] = {
        "Mode": result.options.mode.value,
        "Grants": result.grant_count,
        "PermissionsAdded" if result.options.mode is not Mode.AUDIT else "PermissionsPlanned": len(added),
        "PermissionsKept": len(result.permissions) - len(added),
        "Findings": {s: severities.get(s, 0) for s in ("error", "warning", "info")},
    }
    if result.options.raised_from is not None:
        report["ModeRaisedFrom"] = result.options.raised_from.value
    if added:
        report["Permissions"] = [
            f"{p.logical_id}: {p.callee.label} <- {p.principal.label}" for p in added[:MAX_REPORTED_FINDINGS]
        ]
    if result.findings:
        report["Items"] = [f.as_dict() for f in result.findings[:MAX_REPORTED_FINDINGS]]
        if len(result.findings) > MAX_REPORTED_FINDINGS:
            report["ItemsOmitted"] = len(result.findings) - MAX_REPORTED_FINDINGS
    return report


def log_line(**fields: Any) -> str:
    """One structured line; callers pass counts and identifiers, never the fragment or parameter values."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))
