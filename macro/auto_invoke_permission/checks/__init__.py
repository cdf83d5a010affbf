"""Checks that change nothing (docs/design/behaviour.md section 6): one module per check, each declaring its
`CHECK` (the codes it reports and its function); `registered` is the one list the core runs."""

from __future__ import annotations

from collections.abc import Callable

from ..findings import Finding, FindingCode
from ..model import CalleeForm, Grant, RoleKey
from ..records import Record
from ..targets import TargetClassifier
from ..template import TemplateIndex
from ..urls import FunctionUrl


class Facts(Record):
    """What the checks read, once the grants are known (after the Denies)."""

    template: TemplateIndex
    classifier: TargetClassifier
    grants: list[Grant]
    covered: set[tuple[RoleKey, CalleeForm]]  # (principal key, callee form) an identity policy allows
    urls: list[FunctionUrl] = []  # the template's function URLs
    # (principal key, callee form) a lambda:InvokeFunctionUrl or InvokedViaFunctionUrl grant names
    url_covered: frozenset[tuple[RoleKey, CalleeForm]] = frozenset()
    # (principal key, callee form) a statement allowing lambda:InvokeFunctionUrl names
    url_action_covered: frozenset[tuple[RoleKey, CalleeForm]] = frozenset()


class Check(Record):
    """A check that changes nothing: the codes it may report, and the function that reports them."""

    produces: frozenset[FindingCode]
    run: Callable[[Facts], list[Finding]]


def registered() -> tuple[Check, ...]:
    """Every check, in the order they run. Imported on first use, as the modules import this package
    (and the handler's cold import stays small: `make bench` (d))."""
    from . import boundaries, environment, function_urls

    return (boundaries.CHECK, environment.CHECK, function_urls.CHECK)


def run_all(facts: Facts) -> list[Finding]:
    findings: list[Finding] = []
    for check in registered():
        findings.extend(check.run(facts))
    return findings
