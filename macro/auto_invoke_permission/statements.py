"""IAM policy documents and statements: the matching rules of aws-facts.md section 6."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from .conditions import MAX_IF_DEPTH, NO_CONDITIONS, CondSet, UndefinedCondition, if_branches
from .findings import FindingCode
from .model import json_kind
from .resolver import Resolver, Unresolved, literal, unknown_parameter

INVOKE_ACTION = "lambda:invokefunction"


def glob_match(pattern: str, text: str) -> bool:
    """IAM glob (`*` any run, `?` one character) without regular expressions.

    Greedy with a single backtrack point: O(len(pattern) * len(text)) at worst, with
    no exponential blow-up on patterns such as `*a*a*a...b`.
    """
    p = t = 0
    star = -1
    mark = 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star = p
            mark = t
            p += 1
        elif star != -1:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


_ACTION_VERDICTS: dict[str, bool] = {}


def action_allows_invoke(action: str) -> bool:
    """Whether an action (IAM glob, any case) covers lambda:InvokeFunction; remembered per spelling."""
    verdict = _ACTION_VERDICTS.get(action)
    if verdict is None:
        verdict = glob_match(action.lower(), INVOKE_ACTION)
        if len(_ACTION_VERDICTS) < 4096:  # bounded: templates are hostile input too
            _ACTION_VERDICTS[action] = verdict
    return verdict


class Statement(NamedTuple):
    node: Mapping[str, Any]
    path: str
    conditions: CondSet  # Fn::If branches the statement sits in


class Problem(NamedTuple):
    """A statement or document shape IAM would reject (finding AIP103), or one that cannot be read."""

    path: str
    message: str
    code: FindingCode = "AIP103"  # AIP116: an Fn::If on a condition that is not defined


def statements(document: Any, path: str, resolver: Resolver) -> Iterator[Statement | Problem]:
    """The statements of a policy document, splitting Fn::If at document and statement level."""
    for doc, conds in if_branches(document, resolver.conditions):
        if doc is None:
            continue
        if isinstance(doc, UndefinedCondition):
            yield Problem(path, f"cannot read the policy: {doc.reason}", doc.code)
            continue
        if not isinstance(doc, dict):
            yield Problem(path, "the policy document is not a mapping")
            continue
        if "Fn::If" in doc:
            yield Problem(path, f"Fn::If nested deeper than {MAX_IF_DEPTH} levels")
            continue
        body = doc.get("Statement")
        if body is None:
            yield Problem(path, "the policy document has no Statement")
            continue
        base = f"{path}.Statement"
        # `Statement: !If [C, [...], [...]]`: each list under its branch
        for listed, lconds in if_branches(body, resolver.conditions, conds):
            if listed is None:
                continue
            if isinstance(listed, UndefinedCondition):
                yield Problem(base, f"cannot read the statements: {listed.reason}", listed.code)
                continue
            items = listed if isinstance(listed, list) else [listed]
            for index, item in enumerate(items):
                where = f"{base}[{index}]" if isinstance(listed, list) else base
                yield from statement_items(item, where, lconds, resolver.conditions)


def statement_items(
    item: Any, path: str, conds: CondSet, conditions: Mapping[str, Any] | None
) -> Iterator[Statement | Problem]:
    """One entry of a document's Statement list, split on Fn::If (`conditions`: the template's)."""
    for stmt, sconds in if_branches(item, conditions, conds):
        if stmt is None:
            continue
        if isinstance(stmt, UndefinedCondition):
            yield Problem(path, f"cannot read the statement: {stmt.reason}", stmt.code)
            continue
        if not isinstance(stmt, dict):
            yield Problem(path, f"the statement is {json_kind(stmt)}, not a mapping")
            continue
        if "Fn::If" in stmt:
            yield Problem(path, f"Fn::If nested deeper than {MAX_IF_DEPTH} levels")
            continue
        effect = stmt.get("Effect")
        if not (isinstance(effect, dict) and "Fn::If" in effect):
            yield Statement(stmt, path, sconds)
            continue
        # `Effect: !If [Lock, Deny, Allow]`: one statement per branch, under its condition
        for chosen, econds in if_branches(effect, conditions, sconds):
            if isinstance(chosen, UndefinedCondition):
                yield Problem(f"{path}.Effect", f"cannot read the Effect: {chosen.reason}", chosen.code)
                continue
            yield Statement({**stmt, "Effect": chosen}, path, econds)


class InvokeStatement(NamedTuple):
    """A statement that allows or denies lambda:InvokeFunction, with its resources."""

    effect: str  # "Allow" | "Deny"
    resources: Any  # the Resource node, or the NotResource node when not_resource
    not_resource: bool
    has_condition: bool
    resource_path: str
    # Allow: the alternatives (Fn::If branches) under which the action covers invoke; () never.
    action_conditions: tuple[CondSet, ...] = (NO_CONDITIONS,)


ALWAYS: tuple[CondSet, ...] = (NO_CONDITIONS,)


def invoke_statement(stmt: Statement, resolver: Resolver) -> InvokeStatement | Problem | None:
    """Whether a statement concerns lambda:InvokeFunction; None when it does not."""
    node = stmt.node
    effect = node.get("Effect")
    if effect not in ("Allow", "Deny"):
        return Problem(stmt.path + ".Effect", f"Effect is {effect!r}; IAM accepts Allow or Deny")
    # Under-approximate an Allow (never grant more), over-approximate a Deny (never keep too much).
    deny = effect == "Deny"
    if "Action" in node:
        matched = _actions_match(node["Action"], resolver)
        if isinstance(matched, Problem):
            return Problem(stmt.path + ".Action", matched.message)
        if not matched:
            return None
        alternatives = ALWAYS if deny else matched
    elif "NotAction" in node:
        matched = _actions_match(node["NotAction"], resolver)
        if isinstance(matched, Problem):
            return Problem(stmt.path + ".NotAction", matched.message)
        if NO_CONDITIONS in matched or (matched and not deny):
            return None  # invoke is (or may be) among the actions left out
        alternatives = ALWAYS
    else:
        return Problem(stmt.path, "the statement has neither Action nor NotAction")
    has_condition = "Condition" in node
    if "NotResource" in node:
        return InvokeStatement(
            effect, node["NotResource"], True, has_condition, stmt.path + ".NotResource", alternatives
        )
    if "Resource" not in node:
        return Problem(stmt.path, "the statement has neither Resource nor NotResource")
    return InvokeStatement(
        effect, node["Resource"], False, has_condition, stmt.path + ".Resource", alternatives
    )


def _actions_match(node: Any, resolver: Resolver) -> tuple[CondSet, ...] | Problem:
    """The conditions under which an action (glob, any case) covers lambda:InvokeFunction; () never."""
    if isinstance(node, str):
        return ALWAYS if action_allows_invoke(node) else ()
    if isinstance(node, list) and all(isinstance(a, str) for a in node):
        return ALWAYS if any(action_allows_invoke(a) for a in node) else ()
    if not isinstance(node, list | dict):
        return Problem("", f"the action is {json_kind(node)}, not a string")
    found: set[CondSet] = set()
    unreadable: Unresolved | None = None
    for value, conds in resolver.strings(node):
        if isinstance(value, Unresolved) or unknown_parameter(value) is not None:
            # grants nothing we can mirror; said below unless invoke is granted anyway
            unreadable = value if isinstance(value, Unresolved) else unknown_parameter(value)
            continue
        text = literal(value)
        if text is not None and action_allows_invoke(text):
            if not conds:
                return ALWAYS
            found.add(conds)
    if not found and unreadable is not None:
        return Problem("", f"the action cannot be read: {unreadable.reason}")
    return tuple(sorted(found, key=sorted))
