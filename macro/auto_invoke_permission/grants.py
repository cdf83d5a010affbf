"""From policy statements to grants: what each caller's role may invoke (docs/design/behaviour.md sections
3-4).

Every statement of every policy document reachable from a caller's role is read here: Allows
become grants on callee forms, Denies remove them, and what cannot be mirrored becomes a finding.
`read_grants` takes the documents and returns what it found; `apply_denies` takes that back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from . import sources
from .conditions import NO_CONDITIONS, CondSet, and_conditions, contradictory, decided_false, negated
from .findings import CODES, Finding, FindingCode
from .model import DIRECT, URL, VIA_URL, CalleeForm, Grant, PermissionKind, Principal, RawEdge, RoleKey
from .options import Options, Wildcards
from .paths import indexed
from .records import Record
from .resolver import Sym, Unresolved, sym_text, unknown_parameter
from .statements import (
    InvokeStatement,
    Problem,
    Statement,
    invoke_statement,
    literal_actions_allow_invoke,
    statement_items,
    statements,
)
from .targets import Target, TargetClassifier
from .template import Role, TemplateIndex
from .urls import aws_iam_auth_only, via_url_only

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# what reading statements reports: malformed statements, what a Resource cannot be, Denies
PRODUCES: frozenset[FindingCode] = frozenset(
    {
        "AIP101", "AIP102", "AIP103", "AIP104", "AIP110", "AIP111", "AIP112", "AIP113", "AIP114",
        "AIP115", "AIP116", "AIP117", "AIP118", "AIP120", "AIP121", "AIP122", "AIP123", "AIP124",
        "AIP125", "AIP164",
    }
)  # fmt: skip


class Denies(Record):
    """The Denies read per role key. `forms`: what a Deny names (None: everything); `all_but`: what
    each Deny with NotResource spares (it denies every other form); `conditional`: a Deny that exists
    only under CloudFormation conditions (its Fn::If branch, its policy's Condition), with the forms
    it names: it removes a grant only where those conditions hold."""

    forms: dict[RoleKey, set[CalleeForm] | None]
    all_but: dict[RoleKey, list[set[CalleeForm]]]
    conditional: dict[RoleKey, list[tuple[set[CalleeForm], CondSet]]]


class GrantsRead(Record):
    """What `read_grants` returns."""

    grants: list[Grant]  # before the Denies are applied
    denies: Denies
    findings: list[Finding]
    edges: list[RawEdge]  # what could not be mirrored: the graph adds the permissions' own edges
    covered: set[tuple[RoleKey, CalleeForm]]  # (principal key, form) an identity policy allows, wildcards too
    grant_count: int  # Allow statements read that grant invoke
    # function URLs (only read when the template has an AWS_IAM URL): the Denies of
    # lambda:InvokeFunctionUrl, and the (principal key, form) either URL grant names
    url_denies: Denies = Denies({}, {}, {})
    url_covered: frozenset[tuple[RoleKey, CalleeForm]] = frozenset()
    # (principal key, form) a statement whose action covers lambda:InvokeFunctionUrl names (a pattern:
    # each form it matches, with its aliases)
    url_action_covered: frozenset[tuple[RoleKey, CalleeForm]] = frozenset()


def _simple_allow(stmt: Any) -> bool | None:
    """For the commonest statement (Allow, literal Action, Resource, an optional Sid, no other key):
    whether it grants invoke. None: any other shape (Condition, NotResource, NotAction, Fn::If...),
    read by the general statement reader (a statement with both Resource and NotResource included:
    IAM rejects it, the reader says AIP121)."""
    if not isinstance(stmt, dict):
        return None
    keys = len(stmt)  # with Effect, Action and Resource, three keys (four with a Sid) leave no other
    if not (keys == 3 or (keys == 4 and "Sid" in stmt)) or "Resource" not in stmt:
        return None
    if stmt.get("Effect") != "Allow":
        return None
    return literal_actions_allow_invoke(stmt.get("Action"))


def read_grants(
    index: TemplateIndex,
    classifier: TargetClassifier,
    options: Options,
    documents: Iterable[sources.PolicyDocument],
    url_forms: frozenset[CalleeForm] = frozenset(),
) -> GrantsRead:
    """Every statement of every document: the grants, Denies, findings and edges they make.
    `url_forms`: the callee forms with an AWS_IAM function URL, whose URL grants are read too."""
    reader = _Reader(index, classifier, options, url_forms)
    for doc in documents:
        reader.document(doc)
    reader.findings.extend(reader.url_on_another_form())
    return GrantsRead(
        reader.grants,
        Denies(reader.denied, reader.denied_except, reader.denied_when),
        reader.wildcards_said(),
        reader.edges,
        reader.covered,
        reader.count,
        Denies(reader.url_denied, reader.url_denied_except, {}),
        frozenset(reader.url_covered),
        frozenset(reader.url_action_covered),
    )


class _Reader:
    """The accumulators of one `read_grants` call (slotted: the methods run for every grant)."""

    __slots__ = (
        "classifier",
        "count",
        "covered",
        "denied",
        "denied_except",
        "denied_when",
        "edges",
        "findings",
        "grants",
        "index",
        "resource_list",
        "url_action_covered",
        "url_covered",
        "url_denied",
        "url_denied_except",
        "url_elsewhere",
        "url_forms",
        "wildcard_said",
        "wildcards",
    )

    def __init__(
        self,
        index: TemplateIndex,
        classifier: TargetClassifier,
        options: Options,
        url_forms: frozenset[CalleeForm],
    ) -> None:
        self.index = index
        self.url_forms = url_forms
        self.url_covered: set[tuple[RoleKey, CalleeForm]] = set()
        self.url_action_covered: set[tuple[RoleKey, CalleeForm]] = set()
        # lambda:InvokeFunctionUrl named on a form without a URL, of a function with one elsewhere
        self.url_elsewhere: dict[tuple[RoleKey, CalleeForm], tuple[Principal, str]] = {}
        self.url_denied: dict[RoleKey, set[CalleeForm] | None] = {}
        self.url_denied_except: dict[RoleKey, list[set[CalleeForm]]] = {}
        self.classifier = classifier
        self.wildcards = options.wildcards
        self.grants: list[Grant] = []
        self.findings: list[Finding] = []
        self.edges: list[RawEdge] = []
        self.covered: set[tuple[RoleKey, CalleeForm]] = set()
        self.denied: dict[RoleKey, set[CalleeForm] | None] = {}
        self.denied_except: dict[RoleKey, list[set[CalleeForm]]] = {}
        self.denied_when: dict[RoleKey, list[tuple[set[CalleeForm], CondSet]]] = {}
        self.count = 0
        # AIP110 once per (role, pattern): the index of its finding, and the statements it repeats in
        self.wildcard_said: dict[tuple[RoleKey, str], tuple[int, int]] = {}
        # the Resource list being read (None: a single Resource), for CDK's `[F.Arn, F.Arn:*]` (AIP124)
        self.resource_list: list[Any] | None = None

    def wildcards_said(self) -> list[Finding]:
        """The findings, each AIP110 saying how many more statements of its role repeat its pattern."""
        findings = list(self.findings)
        for at, repeats in self.wildcard_said.values():
            if repeats:
                first = findings[at]
                more = "statement" if repeats == 1 else "statements"
                message = f"{first.message} (and {repeats} more {more} of this role with the same pattern)"
                findings[at] = first._replace(message=message)
        return findings

    def find(self, code: FindingCode, path: str, message: str) -> None:
        self.findings.append(Finding.at(code, path, message))

    def edge(
        self, callers: Iterable[str], principal: Principal, target: str, code: FindingCode, path: str
    ) -> None:
        """An edge for `autoinvoke graph`, drawn as the code table says; only the graph makes it an `Edge`."""
        status = CODES[code].edge
        assert status is not None, code
        self.edges.append((callers, principal.label, target, status, path))

    def document(self, doc: sources.PolicyDocument) -> None:
        """Every statement of one policy document of a caller's role. The commonest shapes take a
        direct path; everything else (Deny, NotAction, Condition, Fn::If...) the general reader."""
        role = self.index.roles[doc.role_key]
        document = doc.document
        body = document.get("Statement") if isinstance(document, dict) and "Fn::If" not in document else None
        if not isinstance(body, list):  # a single statement, Fn::If around the document, no Statement...
            for item in statements(document, doc.path, self.index.resolver):
                self._statement(doc, role, item)
            return
        url_mode = bool(self.url_forms)  # every statement may grant lambda:InvokeFunctionUrl too
        statements_path = ""  # `<document>.Statement`, rendered once, when a statement needs its path
        for index, stmt in enumerate(body):
            grants = None if url_mode else _simple_allow(stmt)
            if grants is False:
                continue
            if not statements_path:
                document_path = str(doc.path)  # as `str(doc.path / "Statement")` renders it
                statements_path = f"{document_path}.Statement" if document_path else "Statement"
            path = indexed(statements_path, index)
            if grants:
                self.count += 1
                self._resources(role.principal, role.callers, stmt["Resource"], path, doc.conditions)
            else:
                for item in statement_items(stmt, path, NO_CONDITIONS, self.index.resolver.conditions):
                    self._statement(doc, role, item)

    def _statement(self, doc: sources.PolicyDocument, role: Role, item: Statement | Problem) -> None:
        """Any statement: Deny, NotAction, NotResource, Condition, Fn::If in Action, malformed shapes."""
        if isinstance(item, Problem):
            self.find(item.code, item.path, item.message)
            if item.may_deny:  # a document that cannot be read may deny anything: over-approximate
                self.denied[doc.role_key] = None
            return
        conds = and_conditions(doc.conditions, item.conditions)
        parsed = invoke_statement(item, self.index.resolver)
        if isinstance(parsed, Problem):
            self.find(parsed.code, parsed.path, parsed.message)
            return
        url = invoke_statement(item, self.index.resolver, url=True) if self.url_forms else None
        if isinstance(url, Problem):
            url = None  # said by the lambda:InvokeFunction reading, or about no invoke at all
        if url is not None:
            self._url_statement(role, item, url, conds, counted=parsed is not None)
        if parsed is None:
            return
        if parsed.effect == "Deny":
            self._deny(doc.role_key, parsed, conds)
            return
        self.count += 1
        if parsed.has_condition:
            if self.url_forms and not parsed.not_resource and via_url_only(item.node["Condition"]):
                for action_conds in parsed.action_conditions:
                    self._resources(
                        role.principal,
                        role.callers,
                        parsed.resources,
                        item.path,
                        conds | action_conds,
                        VIA_URL,
                    )
                return
            self._conditional(role, item.path)
            return
        if parsed.not_resource:
            self.find("AIP121", parsed.resource_path, "Allow with NotResource covers every other function")
            self.edge(role.callers, role.principal, "(NotResource)", "AIP121", item.path)
            return
        for action_conds in parsed.action_conditions:
            self._resources(role.principal, role.callers, parsed.resources, item.path, conds | action_conds)

    def _conditional(self, role: Role, stmt_path: str) -> None:
        """A grant whose IAM Condition a permission cannot express."""
        self.find("AIP120", stmt_path + ".Condition", "the statement has an IAM Condition block")
        self.edge(role.callers, role.principal, "(conditional grant)", "AIP120", stmt_path)

    def _url_statement(
        self, role: Role, item: Statement, stmt: InvokeStatement, conds: CondSet, counted: bool
    ) -> None:
        """A statement whose action covers lambda:InvokeFunctionUrl (the template has an AWS_IAM URL)."""
        if stmt.effect == "Deny":
            self._deny(role.principal.key, stmt, url=True)
            return
        if not counted:
            self.count += 1
        if stmt.not_resource:
            return  # NotResource: no URL grant; said for lambda:InvokeFunction where it covers that
        kind = URL
        if stmt.has_condition and not aws_iam_auth_only(item.node["Condition"]):
            kind = _UNMIRRORABLE_URL
        for action_conds in stmt.action_conditions:
            self._resources(
                role.principal, role.callers, stmt.resources, item.path, conds | action_conds, kind
            )

    def _resources(
        self,
        principal: Principal,
        callers: list[str],
        resources: Any,
        stmt_path: str,
        conds: CondSet,
        kind: PermissionKind = DIRECT,
    ) -> None:
        """The Resource of an Allow statement at `stmt_path`: a grant on each callee form it names."""
        many = isinstance(resources, list)
        items = resources if many else (resources,)
        functions = self.index.functions
        if kind is not DIRECT:
            for node in items:
                fid = _function_arn_getatt(node, functions)
                if fid is not None:
                    target = self.classifier.unqualified_target(fid)
                    self._url_target(principal, callers, target, stmt_path, conds, kind)
                    continue
                for value, vconds in self.index.resolver.strings(node):
                    self._url_resource(principal, callers, value, vconds, stmt_path, conds, kind)
            return
        self.resource_list = resources if many else None
        for i, node in enumerate(items):
            fid = _function_arn_getatt(node, functions)
            if fid is not None:  # the commonest Resource: named callees, nothing to report
                self._grants(principal, self.classifier.unqualified_target(fid).forms, stmt_path, conds)
                continue
            position = i if many else None
            for value, vconds in self.index.resolver.strings(node):
                self._direct_resource(principal, callers, value, vconds, stmt_path, position, conds)

    def _url_resource(
        self,
        principal: Principal,
        callers: list[str],
        value: Any,
        vconds: CondSet,
        stmt_path: str,
        conds: CondSet,
        kind: PermissionKind,
    ) -> None:
        """One resolved Resource value of a function-URL or via-URL grant."""
        if not isinstance(value, Unresolved):
            target = self.classifier.classify(value)
            all_conds = and_conditions(conds, vconds)
            self._url_target(principal, callers, target, stmt_path, all_conds, kind)
        elif kind is VIA_URL:  # an InvokeFunction grant on what cannot be read
            self._conditional(self.index.roles[principal.key], stmt_path)

    def _direct_resource(
        self,
        principal: Principal,
        callers: list[str],
        value: Any,
        vconds: CondSet,
        stmt_path: str,
        position: int | None,
        conds: CondSet,
    ) -> None:
        """One resolved Resource value of a direct InvokeFunction grant."""
        if isinstance(value, Unresolved):
            path = _resource_path(stmt_path, position)
            code = value.code  # the resolver's codes: AIP114, AIP115, AIP116
            message = f"cannot resolve the Resource: {value.reason}"
            if code == "AIP114":
                message = f"{message}. {self._allow_callers_hint(principal, 'In')}"
            self.find(code, path, message)
            self.edge(callers, principal, f"({value.reason})", code, path)
            return
        target = self.classifier.classify(value)
        missing = unknown_parameter(value) if target.code is not None or not target.forms else None
        if missing is not None:  # only an exact match by the same parameter is read
            path = _resource_path(stmt_path, position)
            self.find("AIP115", path, f"cannot resolve the Resource: {missing.reason}")
            self.edge(callers, principal, f"({missing.reason})", "AIP115", path)
            return
        if not target.lambda_related:
            return
        all_conds = and_conditions(conds, vconds) if vconds else conds
        self._target(principal, callers, target, value, stmt_path, position, all_conds)

    def _target(
        self,
        principal: Principal,
        callers: list[str],
        target: Target,
        value: Sym,
        stmt_path: str,
        position: int | None,
        conds: CondSet,
    ) -> None:
        """The grants and finding of one resolved Resource `value` (a finding names it as written)."""
        if target.code is None:  # the common case: named callees, nothing to report
            self._grants(principal, target.forms, stmt_path, conds)
            return
        key = principal.key
        grants = self.grants
        forms = list(target.forms)
        matched = (*target.forms, *target.wildcard_forms, *target.maybe_forms)
        self.covered.update((key, form) for form, _ in matched)
        expand = target.code == "AIP110" and self.wildcards is Wildcards.EXPAND
        if expand:
            forms.extend(target.wildcard_forms)
        if not (expand and target.wildcard_forms) or target.maybe_forms:
            self._report(principal, callers, target, value, _resource_path(stmt_path, position))
        for form, fconds in forms:
            all_conds = and_conditions(conds, fconds)
            if not contradictory(all_conds):
                grants.append(Grant(principal, form, stmt_path, all_conds))

    def _grants(
        self,
        principal: Principal,
        forms: tuple[tuple[CalleeForm, CondSet], ...],
        stmt_path: str,
        conds: CondSet,
    ) -> None:
        """A grant on each named callee form (of a Target without a finding), under its conditions too."""
        key = principal.key
        for form, fconds in forms:
            self.covered.add((key, form))
            if not fconds:
                self.grants.append(Grant(principal, form, stmt_path, conds))
                continue
            all_conds = conds | fconds
            if not contradictory(all_conds):
                self.grants.append(Grant(principal, form, stmt_path, all_conds))

    def _report(
        self, principal: Principal, callers: list[str], target: Target, value: Sym, path: str
    ) -> None:
        """The finding and the graph edge for a Resource that is not (only) named callees."""
        shown = sym_text(value) or "''"  # the label names the Resource as written, never the message
        code = target.code
        assert code is not None
        if code == "AIP124" and target.function in self._unqualified_here():
            return  # `F.Arn:*` beside `F.Arn` (CDK's grantInvoke): the function is granted, no alias
        if code == "AIP110":
            said = self.wildcard_said.get((principal.key, shown))
            if said is not None:
                self.wildcard_said[(principal.key, shown)] = (said[0], said[1] + 1)
                return
            self.wildcard_said[(principal.key, shown)] = (len(self.findings), 0)
        message = target.message
        if target.code == "AIP111":
            message = (
                f"{message}. Its owner must add: {_cross_account_statement(principal, target)}; "
                f"or, {self._allow_callers_hint(principal)}"
            )
        elif target.code == "AIP113":
            message = f"{message}. {self._allow_callers_hint(principal, 'In')}"
        self.find(code, path, message)
        self.edge(callers, principal, shown, code, path)

    def _unqualified_here(self) -> frozenset[str]:
        """The functions the Resource list being read names unqualified by `!GetAtt F.Arn`."""
        items = self.resource_list
        return frozenset() if items is None else _unqualified_functions(items, self.index.functions)

    def _url_target(
        self,
        principal: Principal,
        callers: list[str],
        target: Target,
        stmt_path: str,
        conds: CondSet,
        kind: PermissionKind,
    ) -> None:
        """A URL grant (URL, VIA_URL or unmirrorable): a grant on each named form that has an AWS_IAM
        URL. Patterns and findings are left to the lambda:InvokeFunction reading; a VIA_URL grant on
        anything else is a conditional grant, as without URLs."""
        key = principal.key
        self.url_covered.update((key, form) for form, _ in (*target.forms, *target.wildcard_forms))
        if kind is not VIA_URL:
            self._url_action(principal, target, stmt_path)
        if not target.lambda_related:
            return
        if target.code is not None:
            if kind is VIA_URL:
                self._conditional(self.index.roles[key], stmt_path)
            return
        for form, fconds in target.forms:
            if form not in self.url_forms:
                if kind is VIA_URL:
                    self._conditional(self.index.roles[key], stmt_path)
                continue
            if kind is _UNMIRRORABLE_URL:
                self._conditional(self.index.roles[key], stmt_path)
                continue
            all_conds = and_conditions(conds, fconds)
            if not contradictory(all_conds):
                self.grants.append(Grant(principal, form, stmt_path, all_conds, kind))

    def _url_action(self, principal: Principal, target: Target, stmt_path: str) -> None:
        """Record what a lambda:InvokeFunctionUrl statement names, and a named form without a URL
        whose function has its URL on another form (AIP164, said once the whole role is read)."""
        key = principal.key
        patterned = (*target.wildcard_forms, *target.maybe_forms)
        self.url_action_covered.update((key, form) for form, _ in (*target.forms, *patterned))
        for form, _ in patterned:
            fn = self.index.functions[form.function]
            self.url_action_covered.update((key, a.form(form.function)) for a in fn.aliases)
        if target.code is not None:
            return
        for form, _ in target.forms:
            elsewhere = form not in self.url_forms and (key, form) not in self.url_elsewhere
            if elsewhere and any(f.function == form.function for f in self.url_forms):
                self.url_elsewhere[(key, form)] = (principal, stmt_path)

    def url_on_another_form(self) -> list[Finding]:
        """AIP164: lambda:InvokeFunctionUrl on a form without a URL, and on none of the forms of that
        function that have one: every call through the URL is denied."""
        findings = []
        for (key, form), (principal, path) in self.url_elsewhere.items():
            with_url = sorted((f for f in self.url_forms if f.function == form.function), key=str)
            if any((key, f) in self.url_action_covered for f in with_url):
                continue
            on = " and ".join(f.label for f in with_url)
            message = (
                f"{principal.label} may call lambda:InvokeFunctionUrl on {form.label}, which has no "
                f"function URL; the AWS_IAM URL is on {on}, so every call through it is denied. Grant "
                f"lambda:InvokeFunctionUrl (and lambda:InvokeFunction) on {on} instead"
            )
            findings.append(Finding.at("AIP164", path, message))
        return findings

    def _allow_callers_hint(self, principal: Principal, first: str = "in") -> str:
        """The `AllowCallers` item the callee's template needs for this caller (issue 14)."""
        return (
            f"{first} the callee's template, on the function: Metadata: {{AutoInvokePermission: "
            f"{{AllowCallers: ['{self._role_arn(principal)}']}}}}"
        )

    def _role_arn(self, principal: Principal) -> str:
        """The caller role's ARN where the template spells it out (a literal RoleName and Path, an
        ARN), else a placeholder naming the role."""
        if principal.role is None:
            return principal.key.name
        props = self.index.roles[principal.key].resource
        props = props.get("Properties") if isinstance(props, dict) else None
        name = props.get("RoleName") if isinstance(props, dict) else None
        path = props.get("Path", "/") if isinstance(props, dict) else "/"
        if isinstance(name, str) and isinstance(path, str):
            resolver = self.index.resolver
            return f"arn:{resolver.partition}:iam::{resolver.account_id}:role{path}{name}"
        return f"<ARN of {principal.role}>"

    def _deny(
        self, role_key: RoleKey, stmt: InvokeStatement, conds: CondSet = NO_CONDITIONS, url: bool = False
    ) -> None:
        """Over-approximate: a Deny we cannot read denies everything the role could be granted, and a
        conditional Deny with NotResource or an unreadable Resource denies it unconditionally.
        `url`: a Deny of lambda:InvokeFunctionUrl (conditional or not, it removes the URL grants it names)."""
        denied_all = self.url_denied if url else self.denied
        if denied_all.get(role_key, set()) is None:
            return
        forms = covered_forms(self.index, self.classifier, stmt.resources)
        if conds and not url and forms is not None and not stmt.not_resource:
            self.denied_when.setdefault(role_key, []).append((forms, conds))
            return
        if stmt.not_resource:  # denies everything but what it lists
            if forms is None:
                denied_all[role_key] = None
            else:
                (self.url_denied_except if url else self.denied_except).setdefault(role_key, []).append(forms)
            return
        if forms is None:
            denied_all[role_key] = None
            return
        denied = denied_all.setdefault(role_key, set())
        assert denied is not None
        denied.update(forms)


# a lambda:InvokeFunctionUrl grant under another IAM Condition: AIP120 on a callee with an AWS_IAM URL
_UNMIRRORABLE_URL = URL._replace(infix="")


def _function_arn_getatt(node: Any, functions: Mapping[str, Any]) -> str | None:
    """The function of a Resource written `!GetAtt F.Arn` for a function F of the template, else None."""
    if not isinstance(node, dict) or len(node) != 1 or "Fn::GetAtt" not in node:
        return None
    getatt = node["Fn::GetAtt"]
    if isinstance(getatt, list) and len(getatt) == 2 and getatt[1] == "Arn":
        fid = getatt[0]
        if isinstance(fid, str) and fid in functions:
            return fid
    return None


def _unqualified_functions(items: list[Any], functions: Mapping[str, Any]) -> frozenset[str]:
    """The functions of the template a Resource list names unqualified by `!GetAtt F.Arn`."""
    return frozenset(fid for node in items if (fid := _function_arn_getatt(node, functions)) is not None)


def _resource_path(stmt_path: str, position: int | None) -> str:
    """Where a Resource is: `<statement>.Resource`, or `<statement>.Resource[i]` in a list.
    Built only for a finding: grants record the statement's path."""
    return f"{stmt_path}.Resource" if position is None else f"{stmt_path}.Resource[{position}]"


def _cross_account_statement(principal: Principal, target: Target) -> str:
    """The statement the callee's account must add, as the AWS CLI command that adds it."""
    role = f"<ARN of {principal.role}>" if principal.role is not None else principal.key.name
    return (
        f"aws lambda add-permission --function-name {target.arn} --statement-id Invoke{principal.label} "
        f"--action lambda:InvokeFunction --principal {role}"
    )


def covered_forms(
    index: TemplateIndex, classifier: TargetClassifier, resources: Any
) -> set[CalleeForm] | None:
    """The callee forms a Resource list covers (a pattern covers the aliases of what it matches too);
    None when that is everything or cannot be known."""
    out: set[CalleeForm] = set()
    for value, _ in index.resolver.strings(resources):
        if isinstance(value, Unresolved) or value == ("*",) or unknown_parameter(value) is not None:
            return None
        target = classifier.classify(value)
        patterned = target.wildcard_forms or target.maybe_forms
        for form, _c in (*target.forms, *target.wildcard_forms, *target.maybe_forms):
            out.add(form)
            if patterned:
                fn = index.functions[form.function]
                out.update(a.form(form.function) for a in fn.aliases)
    return out


def apply_denies(
    grants: list[Grant],
    denies: Denies,
    url_denies: Denies | None = None,
    conditions: Mapping[str, Any] | None = None,
) -> tuple[list[Grant], list[Finding]]:
    """The grants no Deny removes, and an AIP125 for each one that a Deny removes. `url_denies`:
    the Denies of lambda:InvokeFunctionUrl, which remove the URL grants. A conditional Deny (under
    D) leaves a grant G only where D does not hold: `G AND NOT d` for each literal d of D
    (`conditions`, the template's, drop the alternatives the parameter values decide false)."""
    url_denying = url_denies is not None and (url_denies.forms or url_denies.all_but)
    if not denies.forms and not denies.all_but and not denies.conditional and not url_denying:
        return grants, []
    kept = []
    findings = []
    for grant in grants:
        these = url_denies if grant.kind is URL and url_denies is not None else denies
        denied = these.forms.get(grant.principal.key, set())
        spared = these.all_but.get(grant.principal.key, [])
        left = [grant]
        if not (denied is None or grant.callee in denied or any(grant.callee not in s for s in spared)):
            for forms, when in these.conditional.get(grant.principal.key, []):
                if grant.callee in forms:
                    left = [g for g in _outside(left, when) if not decided_false(g.conditions, conditions)]
        else:
            left = []
        if not left:
            message = f"a Deny removes {grant.callee.label} for {grant.principal.label}"
            findings.append(Finding.at("AIP125", grant.path, message))
            continue
        kept.extend(left)
    return kept, findings


def _outside(grants: list[Grant], when: CondSet) -> list[Grant]:
    """The grants where the conjunction `when` does not hold: each grant once per negated literal."""
    out: list[Grant] = []
    seen: set[CondSet] = set()
    for grant in grants:
        for lit in sorted(when):
            conds = and_conditions(grant.conditions, frozenset({negated(lit)}))
            if not contradictory(conds) and conds not in seen:
                seen.add(conds)
                out.append(grant.with_conditions(conds))
    return out
