"""Where a denial's caller and callee are in a template, read through the core's `TemplateIndex`.

The index is the one the macro builds (`core.read_fragment`), with every principal in it: the
execution roles of functions, the roles of state machines, APIs, rules and identity pools, every
other role, and IAM users. Names are compared through the core's resolver, so a `RoleName` or
`FunctionName` built with `Fn::Sub`, `Fn::Join` or `Fn::If` matches as the deployed stack spells it.

`generated_name_ids` is the one place that maps a deployed name CloudFormation generated to logical IDs
(physical_names.py knows how CloudFormation cuts long names).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from .. import sources
from ..grants import covered_forms
from ..model import RoleKey
from ..resolver import Sym
from ..statements import InvokeStatement, Statement, invoke_statement, statements
from ..targets import TargetClassifier
from ..template import IAM_ROLE, IAM_USER, Role, TemplateIndex, properties
from . import physical_names
from .denial import Denial

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ONLY_TARGET_GUESS = "a guess: the only function the caller's grants name"


@dataclass(frozen=True)
class Found:
    """A resource of a template that the message names, and how it was recognised."""

    template: str
    logical_id: str
    how: str  # "RoleName", "generated name", "SAM role of F", ...
    certain: bool  # False when only guessed (loose name, the caller's only callee)
    key: RoleKey | None = None  # the caller's principal in the index (None for a callee)

    def as_dict(self) -> dict[str, str | bool]:
        return {
            "template": self.template,
            "logical_id": self.logical_id,
            "how": self.how,
            "certain": self.certain,
        }


# ------------------------------------------------------------------ names
def generated_name_ids(name: str, logical_ids: Iterable[str]) -> list[str]:
    """The logical IDs, among resources without an explicit name, whose name CloudFormation generates
    as `name`: `<stack>-<LogicalId>-<suffix>`, both possibly cut (the stack name unknown here); more
    than one when a cut name fits several."""
    ids = list(logical_ids)
    return [i for i in ids if i == name] or physical_names.candidates(name, ids)


def _generated_found(
    path: str, ids: Iterable[str], name: str, how: str, key_of: Callable[[str], RoleKey] | None = None
) -> Found | None:
    """The logical ID a generated name belongs to; a cut name that fits several is an uncertain match."""
    found = generated_name_ids(name, ids)
    if not found:
        return None
    key = key_of(found[0]) if key_of is not None else None
    if len(found) == 1:
        return Found(path, found[0], how, True, key)
    return Found(path, found[0], f"{how} (cut; it also fits {', '.join(found[1:])})", False, key)


def _pattern(value: Sym) -> re.Pattern[str]:
    """A symbolic name as a regular expression: its text exactly, each unknown part one name segment."""
    return re.compile("".join(re.escape(p) if isinstance(p, str) else "[^:/]+" for p in value))


def name_alternatives(index: TemplateIndex, node: Any) -> Iterator[Sym]:
    """What a name property can be, each Fn::If branch through the core's resolver."""
    for value, _ in index.resolver.strings(node):
        if isinstance(value, tuple) and value:
            yield value


def names_match(index: TemplateIndex, node: Any, name: str) -> bool:
    """Whether a RoleName/FunctionName/UserName property gives `name` in some deploy."""
    return any(_pattern(value).fullmatch(name) for value in name_alternatives(index, node))


# ------------------------------------------------------------------ the caller
def find_caller(path: str, index: TemplateIndex, denial: Denial) -> Found | None:
    """The principal of the message: a role (by RoleName, generated name, SAM's `<Function>Role`, a
    literal Role ARN) or an IAM user (by UserName or generated name)."""
    if denial.role is not None:
        return _find_role(path, index, denial.role)
    if denial.user is not None:
        return _find_user(path, index, denial.user.rsplit("/", 1)[-1])
    return _caller_by_session(path, index, denial)


def _caller_by_session(path: str, index: TemplateIndex, denial: Denial) -> Found | None:
    """A masked role: Lambda names the session after the calling function, so find that function's role;
    else a RoleName that fits what the mask left of the role name."""
    if denial.session is None:
        found = _named_like(path, index, index.resources_of_type(IAM_ROLE), "RoleName", denial.role_glob)
        return None if found is None else replace(found, key=RoleKey.template(found.logical_id))
    by_name = find_callee(path, index, replace(denial, function=denial.session), ())
    roles = (
        index.function_roles.get(by_name.logical_id, []) if by_name is not None and by_name.certain else []
    )
    if by_name is None or len(roles) != 1:
        return None
    key = roles[0][0]
    role = index.roles[key].principal.role or by_name.logical_id
    how = f"the role of {by_name.logical_id} (session name; the role is masked)"
    return Found(path, role, how, True, key)


def _named_like(
    path: str, index: TemplateIndex, ids: Iterable[str], name_key: str, glob: str | None
) -> Found | None:
    """The one resource whose literal name fits a partly masked name (`*LambdaRole*-dev`)."""
    if glob is None:
        return None
    fits = []
    for rid in sorted(ids):
        spec = properties(index.resources[rid]).get(name_key)
        if any(fnmatch.fnmatchcase("".join(p for p in v if isinstance(p, str)), glob)
               for v in name_alternatives(index, spec) if all(isinstance(p, str) for p in v)):  # fmt: skip
            fits.append(rid)
    if len(fits) != 1:
        return None
    return Found(path, fits[0], f"{name_key} fits the masked name {glob}", False)


def _template_roles(index: TemplateIndex) -> list[str]:
    return index.resources_of_type(IAM_ROLE)


def _find_role(path: str, index: TemplateIndex, name: str) -> Found | None:
    named = [rid for rid in _template_roles(index) if "RoleName" in properties(index.resources[rid])]
    for rid in named:
        if names_match(index, properties(index.resources[rid])["RoleName"], name):
            return Found(path, rid, "RoleName", True, RoleKey.template(rid))
    sam = {f"{role.sam_function}Role": key for key, role in index.roles.items() if role.sam_function}
    for rid in generated_name_ids(name, sorted(sam)):
        return Found(path, rid, f"SAM's generated role of {rid.removesuffix('Role')}", True, sam[rid])
    unnamed = [rid for rid in _template_roles(index) if rid not in named]
    how = "CloudFormation's generated role name"
    found = _generated_found(path, unnamed, name, how, RoleKey.template)
    if found is not None:
        return found
    for key, role in sorted(index.roles.items()):  # a function whose Role is a literal ARN naming the role
        if not key.in_template and ":role/" in key.name and key.name.rsplit("/", 1)[-1] == name:
            owner = role.callers[0] if role.callers else key.name
            return Found(path, owner, f"{owner}'s literal Role ARN", True, key)
    return None


def _find_user(path: str, index: TemplateIndex, name: str) -> Found | None:
    users = index.resources_of_type(IAM_USER)
    named = [uid for uid in users if "UserName" in properties(index.resources[uid])]
    for uid in named:
        if names_match(index, properties(index.resources[uid])["UserName"], name):
            return Found(path, uid, "UserName", True, RoleKey.template(uid))
    how = "CloudFormation's generated user name"
    return _generated_found(path, [u for u in users if u not in named], name, how, RoleKey.template)


def principal_of(index: TemplateIndex, caller: Found) -> Role | None:
    """The index's principal (role or user) of a found caller."""
    return index.roles.get(caller.key) if caller.key is not None else None


def caller_resources(index: TemplateIndex, caller: Found) -> tuple[str, ...]:
    """What acts as the caller: the functions (state machines, rules...) that run as its role."""
    role = principal_of(index, caller)
    if role is None:
        return ()
    return tuple(sorted({c for c in role.callers if c != role.principal.role}))


def is_user(index: TemplateIndex, logical_id: str) -> bool:
    resource = index.resources.get(logical_id)
    return isinstance(resource, dict) and resource.get("Type") == IAM_USER


# ------------------------------------------------------------------ the callee
def find_callee(
    path: str, index: TemplateIndex, denial: Denial, caller_targets: Iterable[str]
) -> Found | None:
    """The function of the message: by FunctionName, by generated name, else guessed."""
    functions = sorted(index.functions)
    if denial.function is None:
        return _named_like(path, index, functions, "FunctionName", denial.function_glob)
    name = denial.function
    for fid in functions:
        for value, _ in index.functions[fid].names[1:]:  # the first is `Ref F`: the generated name
            if _pattern(value).fullmatch(name):
                return Found(path, fid, "FunctionName", True)
    unnamed = [fid for fid in functions if "FunctionName" not in index.functions[fid].properties]
    found = _generated_found(path, unnamed, name, "CloudFormation's generated function name")
    if found is not None:
        return found
    loose = name.lower().replace("-", "").replace("_", "")
    for fid in functions:
        plain = fid.lower()
        if loose in (plain, plain.removesuffix("function"), plain.removesuffix("lambda")):
            return Found(path, fid, f"a guess: {name!r} resembles {fid}", False)
    targets = sorted(set(caller_targets))
    if len(targets) == 1 and targets[0] in index.functions:
        return Found(path, targets[0], ONLY_TARGET_GUESS, False)
    return None


def find_alias(index: TemplateIndex, function: str, qualifier: str) -> str | None:
    """The logical ID of the alias `qualifier` of `function`: an AWS::Lambda::Alias, or SAM's for an
    AutoPublishAlias."""
    fn = index.functions.get(function)
    return next((a.logical_id for a in fn.aliases if a.name == qualifier), None) if fn else None


# ------------------------------------------------------------------ the caller's statements
def _invoke_statements(index: TemplateIndex, key: RoleKey, url: bool) -> Iterator[InvokeStatement]:
    """The statements of the principal's policies (the core's sources) that concern invoke
    (`url`: lambda:InvokeFunctionUrl), as the core's statement reader reads them."""
    resolver = index.resolver
    for doc in sources.collect(index):
        if doc.role_key != key:
            continue
        for item in statements(doc.document, doc.path, resolver):
            if isinstance(item, Statement):
                parsed = invoke_statement(item, resolver, url)
                if isinstance(parsed, InvokeStatement):
                    yield parsed


def _covers(index: TemplateIndex, classifier: TargetClassifier, stmt: InvokeStatement, function: str) -> bool:
    """Whether a statement's Resource (or NotResource) may name `function` or an alias of it."""
    forms = covered_forms(index, classifier, stmt.resources)
    named = forms is None or any(form.function == function for form in forms)
    return not named if stmt.not_resource and forms is not None else named


def deny_paths(index: TemplateIndex, key: RoleKey, function: str) -> list[str]:
    """Where the Deny statements of the principal's policies that may match a call of `function` are."""
    classifier = TargetClassifier(index)
    return [
        stmt.path
        for stmt in _invoke_statements(index, key, url=False)
        if stmt.effect == "Deny" and _covers(index, classifier, stmt, function)
    ]


def url_grant_path(index: TemplateIndex, key: RoleKey, function: str) -> str | None:
    """Where the principal's first Allow of lambda:InvokeFunctionUrl on `function` is, else None."""
    classifier = TargetClassifier(index)
    return next(
        (
            stmt.path
            for stmt in _invoke_statements(index, key, url=True)
            if stmt.effect == "Allow" and not stmt.not_resource and _covers(index, classifier, stmt, function)
        ),
        None,
    )
