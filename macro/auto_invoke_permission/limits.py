"""CloudFormation's and Lambda's hard limits on what the macro adds (docs/design/aws-facts.md sections 3
and 7)."""

from __future__ import annotations

from collections import Counter

from .findings import Finding, FindingCode
from .model import CalleeForm, Permission
from .paths import TemplatePath
from .template import TemplateIndex

PRODUCES: frozenset[FindingCode] = frozenset({"AIP150", "AIP151"})

MAX_RESOURCES = 500
MAX_POLICY_BYTES = 20 * 1024
# Size of one statement as Lambda stores it, without the variable parts: Sid prefix, Effect,
# Principal, Action, Resource keys and punctuation, the fixed parts of the two ARNs.
STATEMENT_OVERHEAD = 190
CONDITION_OVERHEAD = 40  # `"Condition":{"StringEquals":{"aws:":""}}` and the like, per entry
NAME_ALLOWANCE = 64  # a role name and a function name are at most 64 characters
_UNNAMED_ID = "x" * 40  # the length assumed for a permission already in the template (no ID recorded)


def statement_bytes(permission: Permission) -> int:
    """Estimate of the statement's size in the callee's resource policy (physical names are not known)."""
    alias = len(permission.callee.alias_name or "") + 1 if permission.callee.alias_name else 0
    # each further property becomes a Condition entry: `"StringEquals":{"aws:PrincipalOrgID":"o-..."}`
    extra = permission.extra
    conditions = sum(CONDITION_OVERHEAD + len(key) + len(str(value)) for key, value in extra) if extra else 0
    return (
        STATEMENT_OVERHEAD
        + len(permission.logical_id or _UNNAMED_ID)
        + 2 * NAME_ALLOWANCE
        + alias
        + conditions
    )


def check(index: TemplateIndex, permissions: list[Permission], added: list[Permission]) -> list[Finding]:
    """`added`: the permissions of `permissions` the macro adds (the others are in the template).
    A template over a limit cannot deploy: the core fails the run on any of these findings."""
    total = len(index.resources) + len(added)
    if total > MAX_RESOURCES:
        per_callee = Counter(p.callee.function for p in added).most_common(5)
        top = ", ".join(f"{name} {count}" for name, count in per_callee)
        message = (
            f"the processed template would have {total} resources ({len(index.resources)} in the "
            f"template + {len(added)} permissions); CloudFormation allows {MAX_RESOURCES}. "
            f"Most permissions per callee: {top}"
        )
        return [Finding.at("AIP150", TemplatePath.of("Resources"), message)]
    if _under_policy_limit_by_bound(permissions):  # the commonest case: no estimate per statement
        return []
    sizes: dict[CalleeForm, int] = {}
    for p in permissions:
        sizes[p.callee] = sizes.get(p.callee, 0) + statement_bytes(p)
    over = [callee for callee, size in sizes.items() if size > MAX_POLICY_BYTES]
    problems: list[Finding] = []
    for callee in sorted(over, key=lambda c: c.label):
        label = callee.label
        contributors: Counter[str] = Counter()
        for p in permissions:
            if p.callee == callee:
                contributors[p.principal.label] += statement_bytes(p)
        top = ", ".join(f"{who} ~{n} bytes" for who, n in contributors.most_common(5))
        message = (
            f"the resource policy of {label} would be about {sizes[callee]} bytes with "
            f"{sum(1 for p in permissions if p.callee.label == label)} statements; Lambda allows "
            f"{MAX_POLICY_BYTES}. Largest contributors: {top}"
        )
        problems.append(Finding("AIP151", callee.function, callee.function, message))
    return problems


def _under_policy_limit_by_bound(permissions: list[Permission]) -> bool:
    """Whether no callee's resource policy can reach MAX_POLICY_BYTES, by a bound alone: as many
    statements as the most numerous callee has, each as large as the largest can be. Read only for
    plain permissions (no alias, no further property), whose statements differ in the logical ID."""
    longest_id = len(_UNNAMED_ID)
    # counted per function: its string hash is kept, a form's is computed at each look-up; with
    # several forms of one function (never here: no alias) the bound would only be higher
    per_function: dict[str, int] = {}
    for p in permissions:  # one plain loop: it runs for every permission of every template
        callee = p.callee
        if p.extra or callee.alias_name:
            return False
        if len(p.logical_id) > longest_id:  # noqa: PLR1730 - a comparison, not a call per permission
            longest_id = len(p.logical_id)
        function = callee.function
        per_function[function] = per_function.get(function, 0) + 1
    most = max(per_function.values(), default=0)
    return most * (STATEMENT_OVERHEAD + longest_id + 2 * NAME_ALLOWANCE) <= MAX_POLICY_BYTES
