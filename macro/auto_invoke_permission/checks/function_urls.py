"""Function URLs (docs/design/aws-facts-integrations.md section 2): a URL grant without
lambda:InvokeFunction (AIP160), a
hand-written URL permission without its partner (AIP161), a public URL on a function others call
(AIP162), an Environment that names a URL its caller may not call (AIP163), or may call with
lambda:InvokeFunction only (AIP165). AIP164 (a URL grant on the form without the URL) is said by
`grants`, which sees every statement."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ..findings import Finding
from ..model import URL, CalleeForm, RoleKey
from ..paths import TemplatePath
from ..permissions import permission_forms
from ..resolver import sym_text
from ..statements import INVOKE_ACTION, URL_ACTION
from ..template import LAMBDA_PERMISSION, TemplateIndex, own_metadata, properties
from ..urls import AWS_IAM, NONE, FunctionUrl
from . import Check, Facts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 20
_SUB_URL = re.compile(r"\$\{([A-Za-z0-9]+)\.FunctionUrl\}")


def function_url_findings(facts: Facts) -> list[Finding]:
    if not facts.urls and not facts.template.of_type.get(LAMBDA_PERMISSION):
        return []
    findings = _url_without_invoke(facts) + _public_url_called(facts) + _environment_urls(facts)
    return findings + _permission_partners(facts)


def _url_without_invoke(facts: Facts) -> list[Finding]:
    """AIP160: lambda:InvokeFunctionUrl on an AWS_IAM URL, and no lambda:InvokeFunction on it."""
    invoke = {(g.principal.key, g.callee) for g in facts.grants if g.kind is not URL}
    findings = []
    seen: set[tuple[RoleKey, CalleeForm]] = set()
    for grant in facts.grants:
        pair = (grant.principal.key, grant.callee)
        if grant.kind is not URL or pair in invoke or pair in facts.covered or pair in seen:
            continue
        seen.add(pair)
        form = grant.callee
        resource = _yaml_flow(form.function_name_expression())
        message = (
            f"{grant.principal.label} may call the function URL of {form.label} "
            "(lambda:InvokeFunctionUrl) but has no lambda:InvokeFunction on it: calls through the URL "
            "are denied since 2026-11-01. Add to its policy: {Effect: Allow, Action: "
            f"lambda:InvokeFunction, Resource: {resource}, Condition: "
            "{Bool: {lambda:InvokedViaFunctionUrl: 'true'}}} (the Condition is optional: without it "
            "the role may invoke the function by any means)"
        )
        findings.append(Finding.at("AIP160", grant.path, message))
    return findings


def _yaml_flow(expression: dict[str, Any]) -> str:
    """`!GetAtt F.Arn` or `!Ref Alias`, as a template spells it."""
    if "Ref" in expression:
        return f"!Ref {expression['Ref']}"
    function, attribute = expression["Fn::GetAtt"]
    return f"!GetAtt {function}.{attribute}"


def _public_url_called(facts: Facts) -> list[Finding]:
    """AIP162: an AuthType NONE URL on a function that other functions of the template call."""
    findings = []
    index = facts.template
    for url in facts.urls:
        if url.auth_type != NONE:
            continue
        fid = url.form.function
        callers = sorted(
            {
                caller
                for g in facts.grants
                if g.callee.function == fid
                for caller in index.roles[g.principal.key].callers
                if caller != fid
            }
        )
        if callers:
            message = (
                f"{url.logical_id} has AuthType NONE: the URL of {url.form.label} is public, and "
                f"{', '.join(callers)} call {fid} from this template"
            )
            findings.append(Finding.at("AIP162", url.path, message))
    return findings


def _environment_urls(facts: Facts) -> list[Finding]:
    """AIP163: a caller's Environment names a callee's URL, and its role grants neither action."""
    index = facts.template
    by_name: dict[str, list[FunctionUrl]] = {}
    for url in facts.urls:
        by_name.setdefault(url.logical_id, []).append(url)
        by_name.setdefault(url.form.function, []).append(url)
    if not by_name:
        return []
    invoke = {(g.principal.key, g.callee) for g in facts.grants if g.kind is not URL}
    findings = []
    for fid in sorted(index.function_roles):
        env = index.functions[fid].properties.get("Environment")
        variables = env.get("Variables") if isinstance(env, dict) else None
        roles = [key for key, _ in index.function_roles[fid]]
        if not isinstance(variables, dict) or not roles:
            continue
        for var in sorted(variables, key=str):
            for name in sorted(set(_url_references(variables[var]))):
                for url in by_name.get(name, ()):
                    if url.form.function != fid:
                        findings.extend(_url_access(facts, invoke, (fid, str(var)), roles, url))
    return findings


def _url_access(
    facts: Facts,
    invoke: set[tuple[RoleKey, CalleeForm]],
    where: tuple[str, str],
    roles: list[RoleKey],
    url: FunctionUrl,
) -> list[Finding]:
    """AIP163 when a role of the caller whose Environment variable (`where`: function, variable)
    names `url` may call neither action on its form; AIP165 when one may call lambda:InvokeFunction
    but not lambda:InvokeFunctionUrl on an AWS_IAM URL. `invoke`: the grants that are not URL grants."""
    form = url.form
    fid, var = where
    path = TemplatePath.of(fid, "Properties", "Environment", "Variables", var)
    may_invoke = [(key, form) in facts.covered or (key, form) in invoke for key in roles]
    may_call_url = [(key, form) in facts.url_action_covered for key in roles]
    named = [(key, form) in facts.url_covered for key in roles]
    if not all(map(any, zip(may_invoke, may_call_url, named, strict=True))):
        message = (
            f"{var} names the function URL of {form.label} ({url.logical_id}), and "
            f"{fid}'s role grants neither lambda:InvokeFunctionUrl nor lambda:InvokeFunction on it"
        )
        return [Finding.at("AIP163", path, message)]
    invoke_only = [a and not b for a, b in zip(may_invoke, may_call_url, strict=True)]
    if url.auth_type != AWS_IAM or not any(invoke_only):
        return []
    message = (
        f"{var} names the AWS_IAM function URL of {form.label} ({url.logical_id}), and {fid}'s role "
        "may call lambda:InvokeFunction on it but not lambda:InvokeFunctionUrl: every call through the "
        "URL is denied. Add to its policy: {Effect: Allow, Action: lambda:InvokeFunctionUrl, "
        f"Resource: {_yaml_flow(form.function_name_expression())}}}"
    )
    return [Finding.at("AIP165", path, message)]


def _url_references(node: Any, depth: int = 0) -> Iterator[str]:
    """The logical IDs whose FunctionUrl an environment value reads (`!GetAtt X.FunctionUrl`, Sub)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            yield from _url_references(item, depth + 1)
        return
    if not isinstance(node, dict):
        return
    getatt = node.get("Fn::GetAtt")
    if isinstance(getatt, str):
        getatt = getatt.split(".", 1)
    if (
        isinstance(getatt, list)
        and len(getatt) == 2
        and getatt[1] == "FunctionUrl"
        and isinstance(getatt[0], str)
    ):
        yield getatt[0]
        return
    sub = node.get("Fn::Sub")
    text = sub[0] if isinstance(sub, list) and sub else sub
    if isinstance(text, str):
        yield from _SUB_URL.findall(text)
    for child in node.values():
        yield from _url_references(child, depth + 1)


def _permission_partners(facts: Facts) -> list[Finding]:
    """AIP161: a hand-written InvokeFunctionUrl permission without the InvokeFunction one for the same
    function and principal, or an InvokedViaFunctionUrl one without the InvokeFunctionUrl one."""
    index, classifier = facts.template, facts.classifier
    url_perms: dict[tuple[str, str], str] = {}
    invoke_perms: set[tuple[str, str]] = set()
    via_perms: dict[tuple[str, str], str] = {}
    for rid in index.of_type.get(LAMBDA_PERMISSION, ()):
        resource = index.resources[rid]
        props = properties(resource)
        action = props.get("Action")
        if not isinstance(action, str) or _added_by_the_macro(resource):
            continue  # the macro's own (a rerun): AIP160 already speaks for the missing grant
        action = action.lower()
        for pair in _pairs(index, classifier, props):
            if action == URL_ACTION:
                url_perms.setdefault(pair, rid)
            elif action == INVOKE_ACTION:
                invoke_perms.add(pair)
                if props.get("InvokedViaFunctionUrl") in (True, "true", "True"):
                    via_perms.setdefault(pair, rid)
    findings = []
    for pair, rid in url_perms.items():
        if pair not in invoke_perms:
            message = (
                f"{rid} allows lambda:InvokeFunctionUrl on {pair[0]} for {pair[1]}, and no permission allows "
                "it lambda:InvokeFunction: calls through the URL are denied"
            )
            findings.append(Finding.at("AIP161", TemplatePath.of(rid, "Properties", "Action"), message))
    for pair, rid in via_perms.items():
        if pair not in url_perms:
            message = (
                f"{rid} allows lambda:InvokeFunction through the URL of {pair[0]} for {pair[1]}, and no "
                "permission allows it lambda:InvokeFunctionUrl"
            )
            findings.append(
                Finding.at("AIP161", TemplatePath.of(rid, "Properties", "InvokedViaFunctionUrl"), message)
            )
    return findings


def _added_by_the_macro(resource: Mapping[str, Any]) -> bool:
    own = own_metadata(resource)
    return own is not None and "Grants" in own


def _pairs(index: TemplateIndex, classifier: Any, props: Any) -> list[tuple[str, str]]:
    """(callee, principal) of a permission: the callee form's label where it names one of the
    template, else its FunctionName as written; the principal as written."""
    principal = index.resolver.scalar(props.get("Principal"))
    who = sym_text(principal) if isinstance(principal, tuple) else "?"
    key = index.principal_key_of(props.get("Principal"))
    if key is not None:
        who = str(key)
    forms = permission_forms(index, classifier, props.get("FunctionName"))
    if forms:
        return [(form.label, who) for form in forms]
    name = index.resolver.scalar(props.get("FunctionName"))
    return [(sym_text(name) if isinstance(name, tuple) else "?", who)]


CHECK = Check(frozenset({"AIP160", "AIP161", "AIP162", "AIP163", "AIP165"}), function_url_findings)
