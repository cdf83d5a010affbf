"""What the macro tells people: the report in Metadata, the failure message, the log line."""

from __future__ import annotations

from .findings import Finding
from .model import Counts, Permission
from .options import Mode, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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


def report_metadata(
    options: Options,
    counts: Counts,
    added: list[Permission],
    findings: list[Finding],
    declared: list[Permission] | None = None,
) -> dict[str, Any]:
    """The report in the output's Metadata; `findings` sorted, as the result lists them. `added`: the
    permissions for callers of the template; `declared`: those its AllowCallers add, listed apart."""
    report: dict[str, Any] = {
        "Mode": options.mode.value,
        "Grants": counts.grants,
        "PermissionsAdded" if options.mode is not Mode.AUDIT else "PermissionsPlanned": counts.added,
        "PermissionsKept": counts.kept,
        "Findings": counts.by_severity,
    }
    if counts.suppressed:
        report["FindingsSuppressed"] = counts.suppressed
    if options.raised_from is not None:
        report["ModeRaisedFrom"] = options.raised_from.value
    if added:
        report["Permissions"] = [
            f"{p.logical_id}: {p.callee.label} <- {p.principal.label}" for p in added[:MAX_REPORTED_FINDINGS]
        ]
    if declared:
        report["DeclaredCallers"] = [
            f"{p.logical_id}: {p.callee.label} <- {p.callers[0]}" for p in declared[:MAX_REPORTED_FINDINGS]
        ]
    if findings:
        report["Items"] = [f.as_dict() for f in findings[:MAX_REPORTED_FINDINGS]]
        if len(findings) > MAX_REPORTED_FINDINGS:
            report["ItemsOmitted"] = len(findings) - MAX_REPORTED_FINDINGS
    return report


def log_line(**fields: Any) -> str:
    """One structured line; callers pass counts and identifiers, never the fragment or parameter values."""
    import json  # here: the macro's runtime has it loaded; `autoinvoke check` of YAML never needs it

    return json.dumps(fields, sort_keys=True, separators=(",", ":"))
