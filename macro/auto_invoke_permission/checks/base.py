"""The shape of a check: what it reads, and the record that registers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..findings import Finding, FindingCode
from ..model import CalleeForm, Grant
from ..targets import TargetClassifier
from ..template import TemplateIndex


class Facts(NamedTuple):
    """What the checks read, once the grants are known (after the Denies)."""

    template: TemplateIndex
    classifier: TargetClassifier
    grants: list[Grant]
    covered: set[tuple[str, CalleeForm]]  # (principal key, callee form) an identity policy allows


class Check(NamedTuple):
    """A check that changes nothing: the codes it may report, and the function that reports them."""

    produces: frozenset[FindingCode]
    run: Callable[[Facts], list[Finding]]
