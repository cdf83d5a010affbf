"""The records the core works with: callers, grants, callee forms, permissions, edges.

Values that are compared or used as keys (`CalleeForm`, `Edge`) are named tuples (`records.Record`).
Records made and read for every grant or permission (`Principal`, `Grant`, `Permission`) are slotted
classes: a slot reads about twice as fast as a `NamedTuple` field under CPython 3.13, the Lambda runtime.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .conditions import CondSet
from .findings import EdgeStatus, Finding, Severity
from .options import Mode, Options
from .records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def json_kind(value: Any) -> str:
    """What a template value is, with its article, for messages: `an integer`, `a list`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


# the permission properties that make a permission one for calls through a function URL
_URL_KEYS = ("FunctionUrlAuthType", "InvokedViaFunctionUrl")


class CalleeForm(Record):
    """A function of the template, unqualified (alias None) or through one alias."""

    function: str
    alias: str | None = None  # logical ID of the alias (AWS::Lambda::Alias or SAM's <F>Alias<name>)
    alias_name: str | None = None

    @property
    def label(self) -> str:
        return self.function if self.alias is None else f"{self.function}:{self.alias_name}"

    def function_name_expression(self) -> dict[str, Any]:
        if self.alias is None:
            return {"Fn::GetAtt": [self.function, "Arn"]}
        return {"Ref": self.alias}


class RoleKey(Record):
    """Which role a caller runs as: equal keys are the same role. A role of the template (SAM's
    generated ones included) is keyed by its logical ID; any other by the text of its ARN expression."""

    in_template: bool  # first: roles outside the template sort before the template's own
    name: str  # the logical ID, or the ARN's text (`?<function>` when it cannot be resolved)

    @classmethod
    def template(cls, logical_id: str) -> RoleKey:
        return cls(True, logical_id)

    @classmethod
    def outside(cls, arn_text: str) -> RoleKey:
        return cls(False, arn_text)

    def __str__(self) -> str:
        # the spelling logical IDs hash (`permissions.group_key`): changing it replaces permissions
        return ("role:" if self.in_template else "arn:") + self.name


class Principal:
    """A caller's execution role. `key` is canonical: equal keys are the same role."""

    __slots__ = ("expression", "key", "label", "role")

    def __init__(self, key: RoleKey, expression: Any, label: str, role: str | None = None) -> None:
        self.key = key
        self.expression = expression  # as the caller's Role spells it: the permission's Principal
        self.label = label  # alphanumeric, for logical IDs
        self.role = role  # logical ID of the role (template or SAM-generated)

    def __repr__(self) -> str:
        return f"Principal({self.key!r})"


INVOKE_FUNCTION = "lambda:InvokeFunction"
# Where a template is deployed when nothing says: the documentation account and the first region.
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_MACRO_NAME = "AutoInvokePermission"  # the name template.yaml registers the macro under
INVOKE_FUNCTION_URL = "lambda:InvokeFunctionUrl"


class PermissionKind(Record):
    """What a grant allows and the permission that mirrors it: its Action, its further properties
    (`Permission.extra`), and the word of its logical ID (`<Callee><infix>From<Role>`)."""

    action: str
    extra: tuple[tuple[str, Any], ...]
    infix: str


# lambda:InvokeFunction, any way of calling: today's permission, its logical IDs unchanged
DIRECT = PermissionKind(INVOKE_FUNCTION, (), "Invoke")
# lambda:InvokeFunctionUrl on a function URL with AuthType AWS_IAM
URL = PermissionKind(INVOKE_FUNCTION_URL, (("FunctionUrlAuthType", "AWS_IAM"),), "InvokeUrl")
# lambda:InvokeFunction under `Bool lambda:InvokedViaFunctionUrl: true`: calls through the URL only
VIA_URL = PermissionKind(INVOKE_FUNCTION, (("InvokedViaFunctionUrl", True),), "InvokeViaUrl")


class Grant:
    """One Allow statement, reachable from a principal, that lets it invoke a callee form."""

    __slots__ = ("callee", "conditions", "kind", "path", "principal")

    def __init__(
        self,
        principal: Principal,
        callee: CalleeForm,
        path: str,
        conditions: CondSet,
        kind: PermissionKind = DIRECT,
    ) -> None:
        self.principal = principal
        self.callee = callee
        self.path = path  # where the statement is: "Caller.Properties.Policies[0].Statement[1]"
        self.conditions = conditions  # the policy resource's Condition and the Fn::If branches it sits in
        self.kind = kind

    def with_conditions(self, conditions: CondSet) -> Grant:
        return Grant(self.principal, self.callee, self.path, conditions, self.kind)

    def __repr__(self) -> str:
        return (
            f"Grant({self.principal.label} -> {self.callee.label} at {self.path}, {sorted(self.conditions)})"
        )


class Edge(Record):
    """Who invokes whom, for `autoinvoke graph`: one per (callers, target, status)."""

    callers: tuple[str, ...]
    principal: str
    target: str
    status: EdgeStatus
    path: str
    url: bool = False  # a permission for calls through the callee's function URL


# what the core records per edge: (callers in any order, with repeats), principal label, target, status, path
RawEdge = tuple[Iterable[str], str, str, EdgeStatus, str]


class Permission:
    """One AWS::Lambda::Permission: added by the macro, or already in the template (`existing`)."""

    __slots__ = (
        "action",
        "callee",
        "callers",
        "condition",
        "existing",
        "extra",
        "grants",
        "logical_id",
        "principal",
    )

    def __init__(
        self,
        logical_id: str,  # "" when existing
        callee: CalleeForm,
        principal: Principal,
        callers: tuple[str, ...],
        grants: tuple[str, ...],  # paths of the statements it mirrors
        condition: str | None,
        existing: bool,  # already in the template: nothing added
        action: str = INVOKE_FUNCTION,
        extra: tuple[tuple[str, Any], ...] = (),  # further properties, in output order
    ) -> None:
        self.logical_id = logical_id
        self.callee = callee
        self.principal = principal
        self.callers = callers
        self.grants = grants
        self.condition = condition
        self.existing = existing
        self.action = action
        self.extra = extra

    def __repr__(self) -> str:
        return f"Permission({self.logical_id or '(existing)'}: {self.callee.label} <- {self.principal.label})"


class Counts(Record):
    """The figures of one run, for the report in Metadata and the log line."""

    grants: int  # Allow statements read that grant invoke
    added: int  # permissions the macro adds (in audit mode: would add)
    kept: int  # invoke permissions the template already has
    findings: int  # not suppressed
    blocking: int  # findings that make enforce mode refuse the deploy
    by_severity: dict[str, int]  # error, warning, info (not suppressed): each always present
    suppressed: int = 0  # findings accepted by an Ignore, counted apart

    @classmethod
    def of(
        cls, grants: int, permissions: list[Permission], added: list[Permission], findings: list[Finding]
    ) -> Counts:
        """The one place the figures are computed."""
        severities = {s.value: 0 for s in Severity}
        blocking = suppressed = 0
        for f in findings:
            if f.suppressed_by:
                suppressed += 1
                continue
            severities[f.severity.value] += 1
            blocking += f.blocks_enforce
        kept = len(permissions) - len(added)
        return cls(grants, len(added), kept, len(findings) - suppressed, blocking, severities, suppressed)


class TransformResult:
    """What one run produces; built once, when every stage has run."""

    __slots__ = (
        "_edges",
        "_raw_edges",
        "added",
        "findings",
        "fragment",
        "grant_count",
        "options",
        "permissions",
    )

    def __init__(
        self,
        fragment: dict[str, Any],
        options: Options,
        permissions: list[Permission],
        added: list[Permission],  # the permissions that are not `existing`: in audit mode, planned
        findings: list[Finding],
        edges: list[RawEdge],
        grant_count: int,
    ) -> None:
        self.fragment = fragment
        self.options = options
        self.permissions = permissions
        self.added = added
        self.findings = findings
        self.grant_count = grant_count
        self._raw_edges = edges
        self._edges: list[Edge] | None = None

    @property
    def edges(self) -> list[Edge]:
        """Who invokes whom, de-duplicated and sorted; built on first use (only the graph needs it).
        Grants that became permissions are edges too: added (planned in audit mode) or already present."""
        if self._edges is None:
            added = EdgeStatus.PLANNED if self.options.mode is Mode.AUDIT else EdgeStatus.ADDED
            raw = list(self._raw_edges)
            url_edges = []
            for p in self.permissions:
                status = EdgeStatus.PRESENT if p.existing else added
                if any(key in _URL_KEYS for key, _ in p.extra):  # not PrincipalOrgID: that is no URL
                    url_edges.append((p.callers, p.principal.label, p.callee.label, status, p.grants[0]))
                else:
                    raw.append((p.callers, p.principal.label, p.callee.label, status, p.grants[0]))
            edges = {
                Edge(tuple(sorted(set(callers))), principal, target, status, path)
                for callers, principal, target, status, path in raw
            }
            edges.update(
                Edge(tuple(sorted(set(callers))), principal, target, status, path, url=True)
                for callers, principal, target, status, path in url_edges
            )
            self._edges = sorted(edges, key=lambda e: (e.callers, e.target, e.status.value, e.path, e.url))
        return self._edges

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocks_enforce]

    @property
    def counts(self) -> Counts:
        return Counts.of(self.grant_count, self.permissions, self.added, self.findings)


class TransformFailure(Exception):
    """The template cannot be processed (or enforce mode refuses it). `problems` lists each one;
    `findings`: the findings behind them, when the run failed on findings (limits, enforce mode)."""

    def __init__(
        self, problems: list[str], log_items: list[str] | None = None, findings: list[Finding] | None = None
    ) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.findings = findings or []
        # what the log may say: finding messages can quote resolved parameter values, so findings
        # are logged as code and path; other problems describe the template's shape only
        self.log_items = log_items if log_items is not None else [p[:120] for p in problems]


class TransformContext(Record):
    """What the event says about where the template is deployed."""

    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    parameter_values: Mapping[str, Any] = {}  # never mutated
    # False: conditions are not decided from the parameter values (`explain` reads the grants that a
    # false condition removes, to say so)
    decide_conditions: bool = True
    # True: every role and IAM user of the template is a principal, the roles of state machines, APIs,
    # rules... with the resource as caller (`explain` reads their grants); the macro: False
    every_principal: bool = False
