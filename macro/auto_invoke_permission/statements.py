"""IAM policy documents and statements: the matching rules of docs/design/aws-facts.md section 6."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from .conditions import MAX_IF_DEPTH, NO_CONDITIONS, CondSet, UndefinedCondition, and_conditions, if_branches
from .findings import FindingCode
from .memo import Memo
from .model import json_kind
from .paths import TemplatePath
from .records import Record
from .resolver import Resolver, Sym, Token, Unresolved, literal, unknown_parameter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INVOKE_ACTION = "lambda:invokefunction"
URL_ACTION = "lambda:invokefunctionurl"  # calls through a function URL
# (docs/design/aws-facts-integrations.md section 2)


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


def _any_pattern(patterns: Any, text: str, fold: bool) -> bool:
    """Whether one of the patterns (a string or a list) matches `text`; `fold`: any case (actions)."""
    items = patterns if isinstance(patterns, list) else [patterns]
    subject = text.lower() if fold else text
    return any(isinstance(p, str) and glob_match(p.lower() if fold else p, subject) for p in items)


def covers_call(stmt: Mapping[str, Any], action: str, resource: str) -> bool:
    """Whether a deployed statement's Action (or NotAction) and Resource (or NotResource) cover one
    concrete call: actions in any case, resources case-sensitive, `*` and `?` across the whole ARN. A
    resource policy's statement may leave Resource implicit. Conditions are not looked at."""
    if "Action" in stmt:
        if not _any_pattern(stmt["Action"], action, fold=True):
            return False
    elif "NotAction" not in stmt or _any_pattern(stmt["NotAction"], action, fold=True):
        return False
    if "Resource" in stmt:
        return _any_pattern(stmt["Resource"], resource, fold=False)
    if "NotResource" in stmt:
        return not _any_pattern(stmt["NotResource"], resource, fold=False)
    return "Principal" in stmt


# Whether an action (IAM glob, any case) covers lambda:InvokeFunction (lambda:InvokeFunctionUrl),
# remembered per spelling: a look-up, not a call, once a spelling is known (bounded: templates are
# hostile input too)
_MAX_VERDICTS = 4096
_ACTION_VERDICTS: Memo[str, bool] = Memo(
    lambda action: glob_match(action.lower(), INVOKE_ACTION), _MAX_VERDICTS
)
_URL_ACTION_VERDICTS: Memo[str, bool] = Memo(
    lambda action: glob_match(action.lower(), URL_ACTION), _MAX_VERDICTS
)


def action_allows_invoke(action: str) -> bool:
    """Whether an action (IAM glob, any case) covers lambda:InvokeFunction; remembered per spelling."""
    return _ACTION_VERDICTS[action]


def literal_actions_allow_invoke(action: Any) -> bool | None:
    """Whether a literal Action (a string, or a list of strings) covers lambda:InvokeFunction; None
    for any other shape (an intrinsic, Fn::If, a number...), which `invoke_statement` reads."""
    verdicts = _ACTION_VERDICTS
    if isinstance(action, str):
        return verdicts[action]
    if not isinstance(action, list):
        return None
    found = False
    for item in action:
        if not isinstance(item, str):
            return None
        if not found:
            found = verdicts[item]
    return found


def action_allows_url_invoke(action: str) -> bool:
    """Whether an action (IAM glob, any case) covers lambda:InvokeFunctionUrl; remembered per spelling."""
    return _URL_ACTION_VERDICTS[action]


class Statement(Record):
    node: Mapping[str, Any]
    path: str
    conditions: CondSet  # Fn::If branches the statement sits in


class Problem(Record):
    """A statement or document shape IAM would reject (finding AIP103), or one that cannot be read."""

    path: str
    message: str
    code: FindingCode = "AIP103"  # AIP116: an Fn::If on a condition that is not defined
    # a document that cannot be read may hold a Deny: the reader then denies the role everything
    may_deny: bool = False


_TEXT_INTRINSICS = ("Fn::Sub", "Fn::Join")
# stands for a token while the JSON text is parsed: private-use characters, never in a template's JSON
_OPEN, _CLOSE = "\ue000", "\ue001"
# compiled on first use (`re` caches it): compiling at import slowed the cold start, `make bench` (d)
_PLACEHOLDER = _OPEN + r"(\d+)" + _CLOSE


def is_text_document(document: Any) -> bool:
    """A policy document written as JSON text: a string, or an Fn::Sub / Fn::Join that builds one
    (the CloudFormation schema accepts a string for PolicyDocument)."""
    return isinstance(document, str) or (
        isinstance(document, dict) and len(document) == 1 and next(iter(document)) in _TEXT_INTRINSICS
    )


def text_documents(document: Any, path: str, resolver: Resolver) -> Iterator[tuple[Any, CondSet] | Problem]:
    """The documents JSON text stands for, with the conditions of each (Fn::If inside an Fn::Sub).
    Tokens (`${Worker.Arn}`) inside JSON strings become Fn::Join expressions the reader resolves."""
    import json  # here: only a policy written as JSON text needs it (`check` of YAML imports it not)

    branches: list[tuple[Any, CondSet]]
    if isinstance(document, str):
        branches = [((document,), NO_CONDITIONS)]
    else:
        branches = list(resolver.strings(document))
    for value, conds in branches:
        if isinstance(value, Unresolved):
            message = f"cannot read the policy document: {value.reason}"
            yield Problem(path, message, value.code, may_deny=True)
            continue
        text = literal(value)
        if text is not None:
            try:
                yield json.loads(text), conds
            except ValueError as e:
                yield Problem(path, f"the policy document is not valid JSON: {e}")
            continue
        decoded = _decode_with_tokens(value)
        missing = unknown_parameter(value) if decoded is None else None
        if missing is not None:  # a parameter without a value may splice in any statement, a Deny too
            yield Problem(path, f"cannot read the policy document: {missing.reason}", "AIP115", may_deny=True)
        elif decoded is None:
            message = "the policy document's JSON text has values not known until deploy in its structure"
            yield Problem(path, message, "AIP116", may_deny=_may_deny(value, resolver))
        else:
            yield decoded, conds


def _may_deny(value: Sym, resolver: Resolver) -> bool:
    """Whether JSON text with tokens in its structure may hold a Deny: its literal text says Deny, or a
    parameter's value (which can be whole statements) is spliced in. Resource names, ARNs and pseudo
    parameters in the structure make no statement."""
    return any(
        "deny" in p.lower()
        if isinstance(p, str)
        else p.kind in ("ref", "param") and p.name not in resolver.resources
        for p in value
    )


def _no_token_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if any(_OPEN in key for key, _ in pairs):
        raise ValueError("a token as a key")
    return dict(pairs)


def _decode_with_tokens(value: Sym) -> Any:
    """JSON text with tokens, parsed with each token inside a JSON string value; None when one is
    elsewhere (the structure itself is not known until deploy)."""
    import json

    tokens = [p for p in value if isinstance(p, Token)]
    text = "".join(p if isinstance(p, str) else f"{_OPEN}{p}{_CLOSE}" for p in _numbered(value))
    try:
        parsed = json.loads(text, object_pairs_hook=_no_token_keys)
    except ValueError:
        return None
    return _with_tokens(parsed, tokens)


def _numbered(value: Sym) -> list[str | int]:
    """The parts of a symbolic string, each token replaced by its position among the tokens."""
    out: list[str | int] = []
    count = 0
    for p in value:
        if isinstance(p, str):
            out.append(p)
        else:
            out.append(count)
            count += 1
    return out


def _with_tokens(node: Any, tokens: list[Token]) -> Any:
    """A decoded JSON value with its placeholders back as intrinsics (`Fn::Join` of text and tokens)."""
    if isinstance(node, str):
        pieces = re.split(_PLACEHOLDER, node)
        if len(pieces) == 1:
            return node
        parts = [
            piece if i % 2 == 0 else token_expression(tokens[int(piece)]) for i, piece in enumerate(pieces)
        ]
        return {"Fn::Join": ["", [p for p in parts if p != ""]]}
    if isinstance(node, list):
        return [_with_tokens(item, tokens) for item in node]
    if isinstance(node, dict):
        return {key: _with_tokens(item, tokens) for key, item in node.items()}
    return node


def token_expression(token: Token) -> dict[str, Any]:
    """The intrinsic a token stands for."""
    if token.kind == "getatt":
        return {"Fn::GetAtt": [token.name, token.attr]}
    return {"Ref": token.name}


def statements(
    document: Any, path: TemplatePath, resolver: Resolver, outer: CondSet | None = None
) -> Iterator[Statement | Problem]:
    """The statements of a policy document, splitting Fn::If at document and statement level; a
    document written as JSON text is decoded first (`outer`: the conditions of the text a decoded
    document came from; its JSON is never decoded again, as CloudFormation does not)."""
    text = str(path)
    for doc, conds in if_branches(document, resolver.conditions, outer or NO_CONDITIONS):
        if doc is None:
            continue
        if outer is None and is_text_document(doc):
            for decoded in text_documents(doc, text, resolver):
                if isinstance(decoded, Problem):
                    yield decoded
                else:
                    yield from statements(decoded[0], path, resolver, and_conditions(conds, decoded[1]))
            continue
        if isinstance(doc, UndefinedCondition):
            yield Problem(text, f"cannot read the policy: {doc.reason}", doc.code)
            continue
        if not isinstance(doc, dict):
            yield Problem(text, "the policy document is not a mapping")
            continue
        if "Fn::If" in doc:
            yield Problem(text, f"Fn::If nested deeper than {MAX_IF_DEPTH} levels")
            continue
        body = doc.get("Statement")
        if body is None:
            yield Problem(text, "the policy document has no Statement")
            continue
        base = path / "Statement"
        # `Statement: !If [C, [...], [...]]`: each list under its branch
        for listed, lconds in if_branches(body, resolver.conditions, conds):
            if listed is None:
                continue
            if isinstance(listed, UndefinedCondition):
                yield Problem(str(base), f"cannot read the statements: {listed.reason}", listed.code)
                continue
            items = listed if isinstance(listed, list) else [listed]
            for index, item in enumerate(items):
                where = base / index if isinstance(listed, list) else base
                yield from statement_items(item, str(where), lconds, resolver.conditions)


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


class InvokeStatement(Record):
    """A statement that allows or denies lambda:InvokeFunction, with its resources."""

    effect: str  # "Allow" | "Deny"
    resources: Any  # the Resource node, or the NotResource node when not_resource
    not_resource: bool
    has_condition: bool
    path: str  # the statement's
    # Allow: the alternatives (Fn::If branches) under which the action covers invoke; () never.
    action_conditions: tuple[CondSet, ...] = (NO_CONDITIONS,)

    @property
    def resource_path(self) -> str:
        """Where its Resource (or NotResource) is."""
        return self.path + (".NotResource" if self.not_resource else ".Resource")


ALWAYS: tuple[CondSet, ...] = (NO_CONDITIONS,)


def invoke_statement(
    stmt: Statement, resolver: Resolver, url: bool = False
) -> InvokeStatement | Problem | None:
    """Whether a statement concerns lambda:InvokeFunction (`url`: lambda:InvokeFunctionUrl); None
    when it does not."""
    node = stmt.node
    effect = node.get("Effect")
    if effect not in ("Allow", "Deny"):
        return Problem(stmt.path + ".Effect", f"Effect is {effect!r}; IAM accepts Allow or Deny")
    # Under-approximate an Allow (never grant more), over-approximate a Deny (never keep too much).
    deny = effect == "Deny"
    if "Action" in node:
        matched = _actions_match(node["Action"], resolver, url)
        if isinstance(matched, Problem):
            return Problem(stmt.path + ".Action", matched.message)
        if not matched:
            return None
        alternatives = ALWAYS if deny else matched
    elif "NotAction" in node:
        matched = _actions_match(node["NotAction"], resolver, url)
        if isinstance(matched, Problem):
            return Problem(stmt.path + ".NotAction", matched.message)
        if NO_CONDITIONS in matched or (matched and not deny):
            return None  # invoke is (or may be) among the actions left out
        alternatives = ALWAYS
    else:
        return Problem(stmt.path, "the statement has neither Action nor NotAction")
    has_condition = "Condition" in node
    if "NotResource" in node:
        return InvokeStatement(effect, node["NotResource"], True, has_condition, stmt.path, alternatives)
    if "Resource" not in node:
        return Problem(stmt.path, "the statement has neither Resource nor NotResource")
    return InvokeStatement(effect, node["Resource"], False, has_condition, stmt.path, alternatives)


def _actions_match(node: Any, resolver: Resolver, url: bool = False) -> tuple[CondSet, ...] | Problem:
    """The conditions under which an action (glob, any case) covers lambda:InvokeFunction
    (`url`: lambda:InvokeFunctionUrl); () never."""
    allows = action_allows_url_invoke if url else action_allows_invoke
    if isinstance(node, str):
        return ALWAYS if allows(node) else ()
    if isinstance(node, list) and all(isinstance(a, str) for a in node):
        return ALWAYS if any(allows(a) for a in node) else ()
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
        if text is not None and allows(text):
            if not conds:
                return ALWAYS
            found.add(conds)
    if not found and unreadable is not None:
        return Problem("", f"the action cannot be read: {unreadable.reason}")
    return tuple(sorted(found, key=sorted))
