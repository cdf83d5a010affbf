"""`autoinvoke hook`'s text: the hook's status, message and annotations."""

from __future__ import annotations

from ...hook.policy import HookDecision
from .written import as_written


def render_decision(decision: HookDecision) -> str:
    """Status (and error code), the message, then one line per annotation with its remediation."""
    status = decision.status + (f" ({decision.error_code})" if decision.error_code else "")
    lines = [status, as_written(decision.message)]
    if decision.annotations:
        lines.append("annotations:")
    for annotation in decision.annotations:
        message = as_written(annotation.message)
        lines.append(f"  {annotation.status} {annotation.severity} {annotation.name}: {message}")
        if annotation.status == "FAILED":
            lines.append(f"    fix: {annotation.remediation}")
    return "\n".join(lines) + "\n"
