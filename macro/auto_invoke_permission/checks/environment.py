"""A caller's Environment names a callee it has no grant for (AIP130), or names the alias while the
grant covers only the unqualified ARN (AIP131)."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, FindingCode
from ..model import CalleeForm, RoleKey
from ..paths import TemplatePath
from ..resolver import Token
from ..targets import TargetClassifier
from ..template import TemplateIndex
from . import Check, Facts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 20


def environment_references(facts: Facts) -> list[Finding]:
    index, covered = facts.template, facts.covered
    findings: list[Finding] = []
    functions, skipped = index.functions, index.skipped
    for fid, roles in index.function_roles.items():  # by logical ID, in sorted order
        if not roles:
            continue
        env = functions[fid].properties.get("Environment")
        variables = env.get("Variables") if isinstance(env, dict) else None
        if not isinstance(variables, dict):
            continue
        for var in sorted(variables, key=str) if len(variables) > 1 else variables:
            value = variables[var]
            if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Ref"), str):
                direct = _ref_form(index, value["Ref"])  # the commonest shape, without the resolver
                forms = [direct] if direct is not None else []
            elif isinstance(value, (dict, list)):
                forms = sorted(set(_callees(facts.classifier, value)), key=lambda f: f.label)
            else:
                continue  # a literal: names nothing of the template
            for form in forms:
                function = form.function
                if function == fid or function in skipped or _allowed(covered, roles, form):
                    continue
                path = TemplatePath.of(fid, "Properties", "Environment", "Variables", var)
                unqualified = functions[function].form
                if form.alias is not None and _allowed(covered, roles, unqualified):
                    findings.append(
                        Finding.at(
                            "AIP131",
                            path,
                            f"{var} names alias {form.label}; {fid}'s grant covers only the unqualified "
                            f"{form.function}",
                        )
                    )
                else:
                    findings.append(
                        Finding.at(
                            "AIP130",
                            path,
                            f"{var} names {form.label}, and {fid} has no invoke grant for it",
                        )
                    )
    return findings


CHECK = Check(frozenset({"AIP130", "AIP131"}), environment_references)


def _allowed(
    covered: set[tuple[RoleKey, CalleeForm]], roles: list[tuple[RoleKey, Any]], form: CalleeForm
) -> bool:
    """Whether every role the function can run as (`roles`: the index's (role key, conditions)
    pairs) may invoke `form`."""
    for key, _ in roles:  # noqa: SIM110 - a plain loop: all() would build a generator for every check
        if (key, form) not in covered:
            return False
    return True


def _callees(classifier: TargetClassifier, node: Any, depth: int = 0) -> Iterator[CalleeForm]:
    """Functions and aliases an environment value refers to (Ref, GetAtt .Arn, Sub), in any Fn::If branch.
    A value that is a function ARN is read as a grant's Resource is (`${F.Arn}:live` is the alias);
    any other value names the functions of the tokens in it (`https://${F}...`)."""
    if depth > MAX_DEPTH:
        return
    index = classifier.index
    if isinstance(node, list):
        for item in node:
            yield from _callees(classifier, item, depth + 1)
        return
    if not isinstance(node, dict):
        return
    if len(node) == 1 and next(iter(node)) in ("Ref", "Fn::GetAtt", "Fn::Sub"):
        for value, _ in index.resolver.strings(node):
            if not isinstance(value, tuple):
                continue
            target = classifier.classify(value) if value else None
            if target is not None and (target.forms or target.code in _NOT_A_FUNCTION_FORM):
                yield from (form for form, _ in target.forms)
                continue
            for part in value:
                if isinstance(part, Token):
                    form = _form(index, part)
                    if form is not None:
                        yield form
        return
    for child in node.values():
        yield from _callees(classifier, child, depth + 1)


# a function ARN naming no callee form: a version, an alias or qualifier the template lacks
_NOT_A_FUNCTION_FORM: frozenset[FindingCode | None] = frozenset({"AIP122", "AIP123", "AIP124"})


def _form(index: TemplateIndex, token: Token) -> CalleeForm | None:
    if token.kind == "ref":
        return _ref_form(index, token.name)
    if token.name in index.functions and token.attr == "Arn":
        return index.functions[token.name].form
    return None


def _ref_form(index: TemplateIndex, name: str) -> CalleeForm | None:
    """The function (its name) or alias (its ARN) that `Ref name` stands for."""
    fn = index.functions.get(name)
    if fn is not None:
        return fn.form
    if name in index.alias_ids:
        fid, alias = index.alias_ids[name]
        return alias.form(fid)
    return None
