"""What this deploy's parameter values may decide, and what they must not.

The processed template can be applied later with other values without the macro running again (a
parameter-only update), so the permissions never depend on this deploy's values: they are built
from a reading where every parameter is a symbol and every condition on a parameter stays open,
each permission carrying its conditions for CloudFormation to decide at every deploy. The deploy's
values decide only which findings apply now (docs/guide/parameter-values.md).

Where a grant matches a template function only with this deploy's values (`function:${Name}` with
Name equal to a function's name, an alias whose Name is a parameter), its permission carries a
generated condition per parameter, `Fn::Equals [{Ref: P}, value]`; where none can be written, the
grant gets no permission and AIP128 says so. A value CloudFormation would reject is AIP119.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

from .conditions import and_conditions
from .findings import Finding, FindingCode
from .model import Grant
from .paths import TemplatePath
from .permissions import short_hash
from .records import Record
from .resolver import Resolver, Sym, Token, concat
from .sources import PolicyDocument
from .template import LAMBDA_ALIAS, TemplateIndex, alnum, properties

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeGuard

PRODUCES: frozenset[FindingCode] = frozenset({"AIP119", "AIP128"})

MAX_CONDITION_NAME = 255
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # what json.dumps escapes with ensure_ascii=False
MAX_PROBES = 16  # readings with one parameter's value: each is a reading of the whole template
_SUB_NAME = re.compile(r"\$\{([^}!.]+)\}")


# ------------------------------------------------------------ constraints (AIP119)
def constraint_findings(parameters: Mapping[str, Any], resolver: Resolver) -> list[Finding]:
    """AIP119 for each known parameter value that CloudFormation would reject: outside AllowedValues,
    not matching AllowedPattern, outside MinLength/MaxLength or MinValue/MaxValue."""
    findings = []
    for name in sorted(resolver.values):
        decl = parameters.get(name)
        if not isinstance(decl, dict):
            continue
        value = resolver.values[name]
        items = value if isinstance(value, list) else [value]
        for item in items:
            problem = _violation(decl, str(item))
            if problem is not None:
                message = (
                    f"parameter {name}'s value {str(item)!r} {problem}: CloudFormation rejects the deploy"
                )
                findings.append(Finding("AIP119", name, name, message))
                break
    return findings


def _violation(decl: Mapping[str, Any], text: str) -> str | None:
    """How a value breaks its parameter's constraints, or None."""
    allowed = decl.get("AllowedValues")
    if isinstance(allowed, list) and allowed and text not in [_scalar_text(a) for a in allowed]:
        return "is not one of its AllowedValues"
    pattern = decl.get("AllowedPattern")
    if isinstance(pattern, str) and not _full_match(pattern, text):
        return f"does not match its AllowedPattern {pattern!r}"
    return _length_violation(decl, text) or _number_violation(decl, text)


def _full_match(pattern: str, text: str) -> bool:
    """CloudFormation matches AllowedPattern against the whole value (Java regular expressions):
    a pattern Python cannot compile is not judged."""
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return True


def _length_violation(decl: Mapping[str, Any], text: str) -> str | None:
    low, high = _number(decl.get("MinLength")), _number(decl.get("MaxLength"))
    if low is not None and len(text) < low:
        return f"is shorter than its MinLength {decl['MinLength']}"
    if high is not None and len(text) > high:
        return f"is longer than its MaxLength {decl['MaxLength']}"
    return None


def _number_violation(decl: Mapping[str, Any], text: str) -> str | None:
    if decl.get("Type") != "Number" and "MinValue" not in decl and "MaxValue" not in decl:
        return None
    value = _number(text)
    if value is None:
        return "is not a number" if decl.get("Type") == "Number" else None
    low, high = _number(decl.get("MinValue")), _number(decl.get("MaxValue"))
    if low is not None and value < low:
        return f"is below its MinValue {decl['MinValue']}"
    if high is not None and value > high:
        return f"is above its MaxValue {decl['MaxValue']}"
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------- grants that depend on a value
class ValueGrants(Record):
    """The grants of the every-value reading, plus those that match only with this deploy's values
    (under generated conditions); the generated Conditions; AIP128 for those left without."""

    grants: list[Grant]
    conditions: dict[str, Any]
    findings: list[Finding]


def grant_key(grant: Grant) -> tuple[Any, ...]:
    return (grant.principal.key, grant.callee.function, grant.callee.alias, grant.kind.infix, grant.path)


Probe = tuple[str, str]  # (parameter, value)


def merge(
    now: list[Grant],
    every: list[Grant],
    template: Mapping[str, Any],
    every_index: TemplateIndex,
    now_resolver: Resolver,
    visible: Mapping[str, Any] | None,
    probed: Sequence[tuple[Probe, list[Grant]]] = (),
    live: Collection[tuple[Any, ...]] = (),
) -> ValueGrants:
    """`every` (read with every parameter a symbol); each grant of a probe (read with one parameter's
    value) that `every` lacks, under `Fn::Equals` on that value; and each grant of `now` (read with
    this deploy's values) that `every` lacks, under a generated condition on the parameters its
    match reads. AIP128 only for the grants that exist with this deploy's values (`live`)."""
    known = {grant_key(g) for g in every}
    out = list(every)
    generated: dict[str, Any] = {}
    findings: list[Finding] = []
    namer = _Namer(template, visible)
    for (parameter, value), grants in probed:
        name, definition = namer.name(parameter, value)
        for grant in grants:
            if grant_key(grant) not in known and not _unwritable(grant, every_index, visible):
                generated[name] = definition
                out.append(grant.with_conditions(and_conditions(grant.conditions, frozenset({(name, True)}))))
    for grant in now:
        if grant_key(grant) in known:
            continue
        why = _unwritable(grant, every_index, visible)
        names = None if why else _conditions_for(grant, template, every_index, now_resolver, namer)
        if names is None:
            if grant_key(grant) not in live:
                continue  # under a condition this deploy's values decide false: no finding now
            why = why or "its match reads no parameter whose value a condition can compare"
            message = (
                f"{grant.principal.label} -> {grant.callee.label} matches only with this deploy's "
                f"parameter values, and {why}: no permission added"
            )
            findings.append(Finding.at("AIP128", grant.path, message))
            continue
        for name, definition in names:
            generated[name] = definition
        literals = frozenset((name, True) for name, _ in names)
        out.append(grant.with_conditions(and_conditions(grant.conditions, literals)))
    return ValueGrants(out, generated, findings)


def probes(
    documents: Iterable[PolicyDocument], index: TemplateIndex, values: Mapping[str, Any]
) -> list[Probe]:
    """The (parameter, value) pairs that make a grant's Resource name a callee form of the template,
    one parameter at a time: `function:${Name}` and a function named `worker` give (Name, worker);
    a function named `!Ref Name` and a grant on `function:worker` too. Only parameters with a known
    value now (the others stay unknown), never their value now (this deploy's reading has it), at
    most MAX_PROBES."""
    if not values:
        return []
    resolver = index.resolver
    callees = set(_callee_syms(index))
    # with no callee pattern, a grant matters only as a pattern on a parameter with a value, and its
    # Resource then names that parameter (a Ref, or `${Name}` in a Sub): the others are not resolved
    named = None if any(_split_at_parameter(c) for c in callees) else tuple(values)
    grants = {sym for doc in documents for sym in _resource_syms(doc.document, resolver, named)}
    found: set[Probe] = set()
    # a pattern has exactly one parameter, a target none: only such pairs can solve
    for patterns, targets in ((grants, callees), (callees, grants)):
        split = [s for s in map(_split_at_parameter, patterns) if s is not None]
        bodies = [_atoms(t) for t in targets if not any(map(_is_parameter, t))]
        for name, head, tail in split:
            for body in bodies:
                value = _middle(head, tail, body)
                if value is not None and name in values and str(values[name]) != value:
                    found.add((name, value))
    return sorted(found)[:MAX_PROBES]


def _resource_syms(document: Any, resolver: Resolver, named: Sequence[str] | None = None) -> Iterator[Sym]:
    """Every string a `Resource` of a policy document can stand for; with `named`, only of a
    Resource where one of those names is written."""
    if named is not None and not _written_in(document, named):
        return
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            resource = node.get("Resource")
            if "Resource" in node and (named is None or _mentions(resource, named)):
                yield from (v for v, _ in resolver.strings(resource) if isinstance(v, tuple))
            stack.extend(v for k, v in node.items() if k != "Resource")
        elif isinstance(node, list):
            stack.extend(node)


def _written_in(document: Any, names: Sequence[str]) -> bool:
    """Whether one of `names` may be written in the document: a search of its JSON text (only `"`,
    `\\` and control characters are escaped there); True when it is not JSON data."""
    if any(_JSON_ESCAPED.search(name) for name in names):
        return True
    try:
        text = json.dumps(document, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # not JSON data: walked as it is
        return True
    return any(name in text for name in names)


def _mentions(node: Any, names: Sequence[str]) -> bool:
    """Whether a string of `node` (a key or a value, at any depth) holds one of `names`."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(name in item for name in names):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _callee_syms(index: TemplateIndex) -> list[Sym]:
    """The ARNs of every callee form: each function by `GetAtt .Arn` and by each name it has, and
    through each alias (by its Name as written, a parameter kept as a symbol)."""
    resolver = index.resolver
    prefix = f"arn:{resolver.partition}:lambda:{resolver.region}:{resolver.account_id}:function:"
    out: list[Sym] = []
    for fid, fn in index.functions.items():
        bases: list[Sym] = [(Token("getatt", fid, "Arn"),)]
        bases += [concat([prefix, *name]) for name, _ in fn.names if name != (Token("ref", fid),)]
        qualifiers = [_alias_sym(index, alias.logical_id, alias.name) for alias in fn.aliases]
        out += bases + [concat([*base, ":", *q]) for base in bases for q in qualifiers]
    return out


def _alias_sym(index: TemplateIndex, logical_id: str, name: str) -> Sym:
    resource = index.resources.get(logical_id)
    if isinstance(resource, dict) and resource.get("Type") == LAMBDA_ALIAS:
        value = index.resolver.scalar(properties(resource).get("Name"))
        if isinstance(value, tuple):
            return value
    return (name,)


def _atoms(sym: Sym) -> list[str | Token]:
    """A symbolic string as characters and tokens."""
    out: list[str | Token] = []
    for part in sym:
        out.extend(part) if isinstance(part, str) else out.append(part)
    return out


def _is_parameter(part: str | Token) -> TypeGuard[Token]:
    return isinstance(part, Token) and part.kind == "param"


def _split_at_parameter(pattern: Sym) -> tuple[str, list[str | Token], list[str | Token]] | None:
    """The one parameter of `pattern`, and the atoms before and after it; None unless exactly one."""
    found = [(i, part) for i, part in enumerate(pattern) if _is_parameter(part)]
    if len(found) != 1:
        return None
    at, parameter = found[0]
    return parameter.name, _atoms(pattern[:at]), _atoms(pattern[at + 1 :])


def _middle(head: list[str | Token], tail: list[str | Token], body: list[str | Token]) -> str | None:
    """The string that makes head + it + tail the atoms `body`, if there is one (no token in it)."""
    if len(body) <= len(head) + len(tail) or body[: len(head)] != head:
        return None
    if tail and body[len(body) - len(tail) :] != tail:
        return None
    middle = [a for a in body[len(head) : len(body) - len(tail)] if isinstance(a, str)]
    if len(middle) != len(body) - len(head) - len(tail):  # a token in it
        return None
    return "".join(middle)


def _unwritable(grant: Grant, index: TemplateIndex, visible: Mapping[str, Any] | None) -> str:
    """Why no generated condition can carry the grant: "" when one can."""
    if visible is None:
        return "Conditions is not visible"
    if grant.principal.key not in index.roles:
        return "its caller's role is named by a parameter value"
    callee = grant.callee
    if callee.function not in index.functions or (callee.alias and callee.alias not in index.alias_ids):
        return "its callee is named by a parameter value"
    return ""


def _conditions_for(
    grant: Grant, template: Mapping[str, Any], index: TemplateIndex, resolver: Resolver, namer: _Namer
) -> list[tuple[str, Any]] | None:
    """(name, Fn::Equals) per known parameter the grant's match reads; None when there is none or
    one has a list value (a condition compares strings)."""
    read: set[str] = set(_parameters_in(_at_path(template, TemplatePath.parse(grant.path)), resolver))
    read.update(_parameters_in(_callee_nodes(grant, index), resolver))
    if not read or any(resolver.parameter_list(p) is not None for p in read):
        return None
    return [namer.name(p, str(resolver.values[p])) for p in sorted(read)]


def _callee_nodes(grant: Grant, index: TemplateIndex) -> list[Any]:
    """What names the callee: its FunctionName, and its alias's Name."""
    fn = index.functions[grant.callee.function]
    nodes = [fn.properties.get("FunctionName"), fn.properties.get("AutoPublishAlias")]
    alias = index.resources.get(grant.callee.alias or "")
    if isinstance(alias, dict) and alias.get("Type") == LAMBDA_ALIAS:
        nodes.append(properties(alias).get("Name"))
    return nodes


def _at_path(template: Mapping[str, Any], path: TemplatePath) -> Any:
    """The node a finding path names ("Caller.Properties.Policies[0].Statement[1]"), or the nearest
    node above it that exists: the whole resource at worst."""
    resources = template.get("Resources")
    node: Any = resources if isinstance(resources, dict) else template
    for _, _, child in path.steps(node):
        if child is None:
            break
        node = child
    return node


def _parameters_in(node: Any, resolver: Resolver) -> Iterator[str]:
    """The parameters with a known value that a node refers to (`Ref`, `${Name}` in `Fn::Sub`)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("Ref")
            if isinstance(ref, str) and ref in resolver.values:
                yield ref
            sub = item.get("Fn::Sub")
            text = sub[0] if isinstance(sub, list) and sub else sub
            if isinstance(text, str):
                yield from (n.strip() for n in _SUB_NAME.findall(text) if n.strip() in resolver.values)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class _Namer:
    """Deterministic names for the generated conditions, none taken by the template for anything else."""

    __slots__ = ("taken",)

    def __init__(self, template: Mapping[str, Any], visible: Mapping[str, Any] | None) -> None:
        self.taken: dict[str, Any] = dict(visible or {})
        for section in ("Resources", "Parameters", "Outputs", "Mappings"):
            names = template.get(section)
            if isinstance(names, dict):
                self.taken.update(dict.fromkeys(map(str, names)))

    def name(self, parameter: str, value: str) -> tuple[str, Any]:
        definition = {"Fn::Equals": [{"Ref": parameter}, value]}
        stem = f"AutoInvoke{alnum(parameter)}Is"[: MAX_CONDITION_NAME - 16]
        name = stem + short_hash(f"{parameter}={value}")
        while name in self.taken and self.taken[name] != definition:
            name = stem + short_hash(name)
        self.taken[name] = definition
        return name, definition
