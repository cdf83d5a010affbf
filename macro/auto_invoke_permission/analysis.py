"""The working state of one run, shared by the grant reader and the permission builder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .findings import Finding
from .model import CalleeForm, EdgeStatus, Grant, Principal, RawEdge, RoleKey
from .options import Options
from .targets import TargetClassifier
from .template import TemplateIndex


class Analysis:
    """What one run has found so far: grants, denies, findings, edges, new conditions."""

    def __init__(self, index: TemplateIndex, classifier: TargetClassifier, options: Options) -> None:
        self.index = index
        self.classifier = classifier
        self.options = options
        self.findings: list[Finding] = list(index.findings)
        self.grants: list[Grant] = []
        self.denied: dict[RoleKey, set[CalleeForm] | None] = {}  # None: everything
        self.denied_except: dict[RoleKey, list[set[CalleeForm]]] = {}  # Deny with NotResource: all but these
        self.edges: list[RawEdge] = []
        self.grant_count = 0
        self.new_conditions: dict[str, Any] = {}  # combined conditions to add
        self.covered: set[tuple[RoleKey, CalleeForm]] = set()  # what identity policies allow

    def find(self, code: str, path: str, message: str) -> None:
        self.findings.append(Finding(code, path.split(".", 1)[0], path, message))

    def edge(
        self, callers: Iterable[str], principal: Principal, target: str, status: EdgeStatus, path: str
    ) -> None:
        """An edge for `autoinvoke graph`, kept as it is given: only the graph turns it into an `Edge`."""
        self.edges.append((callers, principal.label, target, status, path))
