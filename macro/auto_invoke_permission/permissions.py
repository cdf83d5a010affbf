"""The one place that builds AWS::Lambda::Permission resources and their Conditions.

Logical IDs: `<Callee or alias><InvokeFrom><role>`, a function of (callee form,
principal) only. Changing this scheme replaces the permission in every
deployed stack, so it must stay stable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from .model import CalleeForm, Permission, Principal
from .resolver import CondLit, CondSet, contradictory

MAX_LOGICAL_ID = 255
MAX_CONDITION_OPERANDS = 10
ACTION = "lambda:InvokeFunction"


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8].upper()


def group_key(callee: CalleeForm, principal: Principal) -> str:
    return f"{callee.function}|{callee.alias or ''}|{principal.key}"


def logical_id(callee: CalleeForm, principal: Principal, taken: Mapping[str, Any] | set[str]) -> str:
    """Readable, alphanumeric, at most 255 characters, never one that is taken."""
    base = f"{callee.alias or callee.function}InvokeFrom{principal.label}"
    if len(base) > MAX_LOGICAL_ID:
        base = base[: MAX_LOGICAL_ID - 8] + short_hash(group_key(callee, principal))
    if base not in taken:
        return base
    salt = 0
    while True:
        suffix = short_hash(f"{group_key(callee, principal)}#{salt}")
        candidate = base[: MAX_LOGICAL_ID - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        salt += 1


# ------------------------------------------------------------------ conditions
def simplify(terms: Iterable[CondSet]) -> list[CondSet] | None:
    """Disjunction of conjunctions, minus contradictions and absorbed terms.

    Returns None when no term can be true (the permission must not exist), and
    [frozenset()] when one term is always true.
    """
    live = sorted({t for t in terms if not contradictory(t)}, key=lambda t: (len(t), sorted(t)))
    kept: list[CondSet] = []
    for term in live:
        if not any(k <= term for k in kept):
            kept.append(term)
    return kept or None


def _literal(lit: CondLit) -> dict[str, Any]:
    name, truth = lit
    ref = {"Condition": name}
    return ref if truth else {"Fn::Not": [ref]}


def _combine(op: str, items: list[Any]) -> Any:
    if len(items) == 1:
        return items[0]
    if len(items) <= MAX_CONDITION_OPERANDS:
        return {op: items}
    chunks = [items[i : i + MAX_CONDITION_OPERANDS] for i in range(0, len(items), MAX_CONDITION_OPERANDS)]
    return _combine(op, [_combine(op, chunk) for chunk in chunks])


def condition_expression(common: CondSet, alternatives: list[CondSet]) -> Any | None:
    """`common AND (alt1 OR alt2 ...)` as a CloudFormation condition; None when always true."""
    rest = [t - common for t in alternatives]
    operands = [_literal(lit) for lit in sorted(common)]
    if rest and all(rest):
        ors = [_combine("Fn::And", [_literal(lit) for lit in sorted(t)]) for t in rest]
        ors.sort(key=lambda x: json.dumps(x, sort_keys=True))
        operands.append(_combine("Fn::Or", ors))
    if not operands:
        return None
    if len(operands) == 1 and "Fn::Not" not in operands[0] and set(operands[0]) == {"Condition"}:
        return operands[0]
    if len(operands) == 1 and set(operands[0]) & {"Fn::Not", "Fn::Or", "Fn::And"}:
        return operands[0]
    return _combine("Fn::And", operands)


def permission_resource(permission: Permission) -> dict[str, Any]:
    resource: dict[str, Any] = {"Type": "AWS::Lambda::Permission"}
    if permission.condition:
        resource["Condition"] = permission.condition
    resource["Metadata"] = {
        "AutoInvokePermission": {"Callers": list(permission.callers), "Grants": list(permission.grants)}
    }
    resource["Properties"] = {
        "Action": ACTION,
        "FunctionName": permission.callee.function_name_expression(),
        "Principal": permission.principal.expression,
    }
    return resource
