"""Property tests of the core over generated templates (hypothesis, derandomized: the same examples each run).

The generator builds small templates from a `Spec`: SAM or plain Lambda functions, IAM roles,
inline policies whose statements grant (or deny) invoke on other functions of the template in
several spellings, resource `Condition`s, `Fn::If` around policy items and statements, and
aliases (SAM `AutoPublishAlias`, or `AWS::Lambda::Alias` on plain functions). Because the
generator knows what every statement means, the tests compute the expected grants on their own
and hold the core to them:

* never a permission without a matching identity grant (injected ⊆ expected);
* every unambiguous grant is mirrored, and each permission's `Condition` is true exactly when it
  may be (never when the callee, role or grant is absent);
* idempotence, no mutation of the input, preservation of every input key;
* logical IDs: unique, alphanumeric, <= 255 characters, independent of resource order;
* both transform orders (raw SAM, and the SAM translator's output) give the same permissions.

A template may refer to a conditional resource from an unconditional one (CloudFormation would
reject it at deploy time); the macro must still condition its own permissions correctly.
"""

from __future__ import annotations

import copy
import itertools
import random
import re
from dataclasses import dataclass, field
from typing import Any

from auto_invoke_permission import core
from auto_invoke_permission.cli import offline
from auto_invoke_permission.model import TransformContext
from auto_invoke_permission.options import Options
from conftest import role as trusted_role
from corpus_support import without_report
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

REGION = "us-east-1"
ACCOUNT = "123456789012"
CONDITIONS = ("C0", "C1", "C2")
ALIAS = "live"
PERMISSION = "AWS::Lambda::Permission"
FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")

PROPERTY = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Wrap = (
    tuple[str, bool] | None
)  # Fn::If [condition, item, NoValue] (True) or [condition, NoValue, item] (False)
Lits = frozenset[tuple[str, bool]]


# ----------------------------------------------------------------- the model
@dataclass
class Stmt:
    effect: str
    action: Any
    resources: list[tuple[str, int]]  # (spelling, index of the target function)
    resource_list: bool  # Resource as a list even with one item
    condition_block: bool
    wrap: Wrap


@dataclass
class Item:
    kind: str  # "doc" or "invoke_policy" (SAM LambdaInvokePolicy)
    statements: list[Stmt]
    target: int
    wrap: Wrap


@dataclass
class Fn:
    id: str
    sam: bool
    role: int | None  # index into Spec.roles; None: SAM generates <id>Role
    role_spelling: str
    condition: str | None
    alias: bool
    policies: list[Item] = field(default_factory=list)  # SAM Policies (ignored by SAM when role is set)


@dataclass
class RoleSpec:
    id: str
    condition: str | None
    policies: list[Item] = field(default_factory=list)


@dataclass
class Spec:
    functions: list[Fn]
    roles: list[RoleSpec]
    extras: bool  # root Metadata, Outputs and Description the macro must keep

    def role_id(self, fn: Fn) -> str:
        return fn.id + "Role" if fn.role is None else self.roles[fn.role].id

    def alias_ids(self) -> dict[str, tuple[str, str]]:
        """Alias logical ID -> (function, alias name), in both transform orders."""
        return {alias_id(fn): (fn.id, ALIAS) for fn in self.functions if fn.alias}


def alias_id(fn: Fn) -> str:
    return f"{fn.id}Alias{ALIAS}" if fn.sam else f"{fn.id}LiveAlias"


RESOURCE_SPELLINGS = (
    "getatt",
    "getatt_str",
    "sub_name",
    "sub_arn",
    "join",
    "sub_alias",
    "star",
    "function_star",
)
INVOKE_ACTIONS = ("lambda:InvokeFunction", "lambda:Invoke*", "lambda:*", "*", "LAMBDA:invokefunction")
OTHER_ACTIONS = ("s3:GetObject", "lambda:GetFunction", "dynamodb:*")


def action_allows_invoke(action: Any) -> bool:
    items = action if isinstance(action, list) else [action]
    return any(a in INVOKE_ACTIONS for a in items)


# ------------------------------------------------------------- the generator
wraps = st.one_of(st.none(), st.tuples(st.sampled_from(CONDITIONS), st.booleans()))


def statements(n_functions: int) -> st.SearchStrategy[Stmt]:
    target = st.integers(0, n_functions - 1)
    action = st.one_of(
        st.sampled_from(INVOKE_ACTIONS),
        st.sampled_from(INVOKE_ACTIONS[:1]),
        st.sampled_from(OTHER_ACTIONS),
        st.lists(st.sampled_from(INVOKE_ACTIONS + OTHER_ACTIONS), min_size=1, max_size=2),
    )
    return st.builds(
        Stmt,
        effect=st.sampled_from(("Allow", "Allow", "Allow", "Deny")),
        action=action,
        resources=st.lists(st.tuples(st.sampled_from(RESOURCE_SPELLINGS), target), min_size=1, max_size=2),
        resource_list=st.booleans(),
        condition_block=st.integers(0, 7).map(lambda x: x == 0),
        wrap=st.one_of(st.none(), st.none(), wraps),
    )


def items(n_functions: int, sam: bool) -> st.SearchStrategy[Item]:
    doc = st.builds(
        Item,
        kind=st.just("doc"),
        statements=st.lists(statements(n_functions), min_size=1, max_size=3),
        target=st.just(0),
        wrap=wraps,
    )
    if not sam:
        return doc
    invoke = st.builds(
        Item,
        kind=st.just("invoke_policy"),
        statements=st.just([]),
        target=st.integers(0, n_functions - 1),
        wrap=wraps,
    )
    return st.one_of(doc, invoke)


@st.composite
def specs(draw: Any, long_names: bool | None = None) -> Spec:
    n_roles = draw(st.integers(0, 2))
    n_functions = draw(st.integers(1, 4))
    if long_names is None:
        long_names = draw(st.integers(0, 5)) == 0  # logical IDs near the 255 limit
    roles = [
        RoleSpec(
            f"Role{i}" + ("R" * 120 if long_names else ""), draw(st.sampled_from((None, None, *CONDITIONS)))
        )
        for i in range(n_roles)
    ]
    functions = []
    for i in range(n_functions):
        sam = draw(st.booleans()) if n_roles else True
        role = draw(st.one_of(st.none(), st.integers(0, n_roles - 1))) if sam and n_roles else None
        if not sam:
            role = draw(st.integers(0, n_roles - 1))
        if role is not None and roles[role].condition is not None:
            condition = roles[role].condition  # a function that uses a conditional role has its condition
        else:
            condition = draw(st.sampled_from((None, None, *CONDITIONS)))
        functions.append(
            Fn(
                id=f"Fn{i}" + ("F" * 120 if long_names else ""),
                sam=sam,
                role=role,
                role_spelling=draw(st.sampled_from(("getatt", "getatt_str", "sub_arn", "sub_name"))),
                condition=condition,
                alias=draw(st.booleans()),
            )
        )
    for fn in functions:
        if fn.sam:
            fn.policies = draw(st.lists(items(n_functions, True), max_size=3))
    for role in roles:
        role.policies = draw(st.lists(items(n_functions, False), max_size=3))
    return Spec(functions, roles, draw(st.booleans()))


# ------------------------------------------------------------------ rendering
def resource_node(spelling: str, fn: Fn) -> Any:
    name = fn.id
    return {
        "getatt": {"Fn::GetAtt": [name, "Arn"]},
        "getatt_str": {"Fn::GetAtt": f"{name}.Arn"},
        "sub_name": {
            "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${"
            + name
            + "}"
        },
        "sub_arn": {"Fn::Sub": "${" + name + ".Arn}"},
        "join": {"Fn::Join": ["", [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:", {"Ref": name}]]},
        "sub_alias": {"Fn::Sub": "${" + name + ".Arn}:" + ALIAS},
        "star": "*",
        "function_star": "arn:aws:lambda:*:*:function:*",
    }[spelling]


def wrap(node: Any, w: Wrap) -> Any:
    if w is None:
        return node
    no_value = {"Ref": "AWS::NoValue"}
    return {"Fn::If": [w[0], node, no_value] if w[1] else [w[0], no_value, node]}


def render_statement(stmt: Stmt, spec: Spec) -> Any:
    nodes = [resource_node(s, spec.functions[t]) for s, t in stmt.resources]
    out: dict[str, Any] = {
        "Effect": stmt.effect,
        "Action": stmt.action,
        "Resource": nodes if stmt.resource_list or len(nodes) > 1 else nodes[0],
    }
    if stmt.condition_block:
        out["Condition"] = {"StringEquals": {"aws:RequestedRegion": REGION}}
    return wrap(out, stmt.wrap)


def render_document(item: Item, spec: Spec) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [render_statement(s, spec) for s in item.statements]}


def role_expression(fn: Fn, spec: Spec) -> Any:
    rid = spec.roles[fn.role].id  # type: ignore[index]
    return {
        "getatt": {"Fn::GetAtt": [rid, "Arn"]},
        "getatt_str": {"Fn::GetAtt": f"{rid}.Arn"},
        "sub_arn": {"Fn::Sub": "${" + rid + ".Arn}"},
        "sub_name": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${" + rid + "}"},
    }[fn.role_spelling]


def with_condition(resource: dict[str, Any], condition: str | None) -> dict[str, Any]:
    if condition is not None:
        resource["Condition"] = condition
    return resource


def render(spec: Spec) -> dict[str, Any]:
    """The raw template (transform listed before SAM), without the Transform key."""
    resources: dict[str, Any] = {}
    for role in spec.roles:
        policies = [
            wrap({"PolicyName": f"P{i}", "PolicyDocument": render_document(item, spec)}, item.wrap)
            for i, item in enumerate(role.policies)
        ]
        resources[role.id] = with_condition(
            trusted_role(**({"Policies": policies} if policies else {})), role.condition
        )
    for fn in spec.functions:
        if fn.sam:
            props: dict[str, Any] = {
                "Handler": "app.handler",
                "Runtime": "python3.13",
                "CodeUri": "s3://bucket/code.zip",
            }
            if fn.role is not None:
                props["Role"] = role_expression(fn, spec)
            if fn.policies:
                props["Policies"] = [
                    wrap(
                        render_document(item, spec)
                        if item.kind == "doc"
                        else {
                            "LambdaInvokePolicy": {"FunctionName": {"Ref": spec.functions[item.target].id}}
                        },
                        item.wrap,
                    )
                    for item in fn.policies
                ]
            if fn.alias:
                props["AutoPublishAlias"] = ALIAS
            resources[fn.id] = with_condition(
                {"Type": "AWS::Serverless::Function", "Properties": props}, fn.condition
            )
        else:
            props = {
                "Handler": "app.handler",
                "Runtime": "python3.13",
                "Code": {"S3Bucket": "bucket", "S3Key": "code.zip"},
                "Role": role_expression(fn, spec),
            }
            resources[fn.id] = with_condition(
                {"Type": "AWS::Lambda::Function", "Properties": props}, fn.condition
            )
            if fn.alias:
                version = {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": fn.id}}}
                resources[f"{fn.id}Version"] = with_condition(version, fn.condition)
                alias = {
                    "Type": "AWS::Lambda::Alias",
                    "Properties": {
                        "FunctionName": {"Ref": fn.id},
                        "FunctionVersion": {"Fn::GetAtt": [f"{fn.id}Version", "Version"]},
                        "Name": ALIAS,
                    },
                }
                resources[alias_id(fn)] = with_condition(alias, fn.condition)
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {f"P{i}": {"Type": "String", "Default": "no"} for i in range(len(CONDITIONS))},
        "Conditions": {c: {"Fn::Equals": [{"Ref": f"P{i}"}, "yes"]} for i, c in enumerate(CONDITIONS)},
        "Resources": resources,
    }
    if spec.extras:
        template["Description"] = "generated"
        template["Metadata"] = {"Owner": {"Team": "payments"}, "AutoInvokePermission": {"Mode": "inject"}}
        template["Outputs"] = {"First": {"Value": {"Ref": spec.functions[0].id}}}
    return template


# ------------------------------------------- what the template grants, known independently
@dataclass
class Expected:
    # (callee function, qualifier, role logical id) -> the literal sets under which a grant is active
    grants: dict[tuple[str, str | None, str], list[Lits]]
    # (role, callee function) pairs some Deny statement touches: completeness is not required there
    deny_touched: set[tuple[str, str]]
    # callers of each role, and the literal set under which each resource exists
    callers: dict[str, list[str]]
    exists: dict[str, Lits]

    @property
    def may(self) -> set[tuple[str, str | None, str]]:
        return set(self.grants)


def forms_of(spelling: str, fn: Fn) -> set[tuple[str, str | None]]:
    if spelling in ("getatt", "getatt_str", "sub_name", "sub_arn", "join"):
        return {(fn.id, None)}
    if spelling == "sub_alias":
        return {(fn.id, ALIAS)} if fn.alias else set()
    if spelling == "invoke_policy":  # LambdaInvokePolicy: arn:...:function:NAME*
        return {(fn.id, None)} | ({(fn.id, ALIAS)} if fn.alias else set())
    return set()  # wildcards: no permission by default


def literal_of(condition: str | None) -> Lits:
    return frozenset() if condition is None else frozenset({(condition, True)})


def wrap_literal(w: Wrap) -> Lits:
    return frozenset() if w is None else frozenset({w})


def expected(spec: Spec) -> Expected:
    callers: dict[str, list[str]] = {}
    exists: dict[str, Lits] = {}
    for role in spec.roles:
        exists[role.id] = literal_of(role.condition)
    for fn in spec.functions:
        exists[fn.id] = literal_of(fn.condition)
        callers.setdefault(spec.role_id(fn), []).append(fn.id)
        if fn.role is None:
            exists[fn.id + "Role"] = literal_of(fn.condition)
    reading = _GrantReading(spec)
    for role_id, container, policy_items in policy_containers(spec, callers):
        for item in policy_items:
            reading.item(role_id, container | wrap_literal(item.wrap), item)
    grants = {k: v for k, v in reading.grants.items() if (k[2], k[0], k[1]) not in reading.denied}
    return Expected(grants, reading.deny_touched, callers, exists)


def policy_containers(spec: Spec, callers: dict[str, list[str]]) -> list[tuple[str, Lits, list[Item]]]:
    """(role logical ID, the literals it exists under, its policy items) for every role with callers."""
    containers: list[tuple[str, Lits, list[Item]]] = []
    for role in spec.roles:
        if role.id in callers:
            containers.append((role.id, literal_of(role.condition), role.policies))
    for fn in spec.functions:
        if fn.sam and fn.role is None:  # SAM ignores Policies when Role is set
            containers.append((fn.id + "Role", literal_of(fn.condition), fn.policies))
    return containers


@dataclass
class _GrantReading:
    """The grants and Denies of the policy items read so far, for `expected`."""

    spec: Spec
    grants: dict[tuple[str, str | None, str], list[Lits]] = field(default_factory=dict)
    deny_touched: set[tuple[str, str]] = field(default_factory=set)
    denied: set[tuple[str, str, str | None]] = field(default_factory=set)  # unconditional Deny

    def item(self, role_id: str, item_lits: Lits, item: Item) -> None:
        if item.kind == "invoke_policy":
            for form in forms_of("invoke_policy", self.spec.functions[item.target]):
                self.grants.setdefault((*form, role_id), []).append(item_lits)
            return
        for stmt in item.statements:
            if not action_allows_invoke(stmt.action):
                continue
            lits = item_lits | wrap_literal(stmt.wrap)
            if stmt.effect == "Deny":
                self.deny(role_id, lits, stmt)
            elif not stmt.condition_block:
                for spelling, target in stmt.resources:
                    for form in forms_of(spelling, self.spec.functions[target]):
                        self.grants.setdefault((*form, role_id), []).append(lits)

    def deny(self, role_id: str, lits: Lits, stmt: Stmt) -> None:
        functions = self.spec.functions
        forms: set[tuple[str, str | None]]
        for spelling, target in stmt.resources:
            if spelling in ("star", "function_star"):
                self.deny_touched.update((role_id, f.id) for f in functions)
                forms = {(f.id, None) for f in functions} | {(f.id, ALIAS) for f in functions if f.alias}
            else:
                self.deny_touched.add((role_id, functions[target].id))
                forms = forms_of(spelling, functions[target])
            if not lits:
                self.denied.update((role_id, *form) for form in forms)


# ---------------------------------------------------------------- evaluation
def assignments() -> list[dict[str, bool]]:
    return [
        dict(zip(CONDITIONS, values, strict=True)) for values in itertools.product((False, True), repeat=3)
    ]


def holds(lits: Lits, a: dict[str, bool]) -> bool:
    return all(a[name] == truth for name, truth in lits)


def evaluate(expr: Any, conditions: dict[str, Any], a: dict[str, bool], depth: int = 0) -> bool:
    """A CloudFormation condition, with C0..C2 (Fn::Equals [Ref Pi, "yes"]) set by the assignment."""
    assert depth < 50, "condition nesting too deep or cyclic"
    assert isinstance(expr, dict) and len(expr) == 1, f"not a condition: {expr!r}"
    key, arg = next(iter(expr.items()))
    if key == "Condition":
        assert arg in conditions, f"Condition {arg} is not defined"
        return evaluate(conditions[arg], conditions, a, depth + 1)
    if key == "Fn::And":
        assert 2 <= len(arg) <= 10, f"Fn::And with {len(arg)} operands"
        return all(evaluate(x, conditions, a, depth + 1) for x in arg)
    if key == "Fn::Or":
        assert 2 <= len(arg) <= 10, f"Fn::Or with {len(arg)} operands"
        return any(evaluate(x, conditions, a, depth + 1) for x in arg)
    if key == "Fn::Not":
        assert len(arg) == 1
        return not evaluate(arg[0], conditions, a, depth + 1)
    if key == "Fn::Equals":
        left, right = arg
        index = int(left["Ref"][1:])
        return bool(("yes" if a[CONDITIONS[index]] else "no") == right)
    raise AssertionError(f"unexpected condition function {key}")


def permission_active(resource: dict[str, Any], template: dict[str, Any], a: dict[str, bool]) -> bool:
    name = resource.get("Condition")
    if name is None:
        return True
    conditions = template.get("Conditions", {})
    assert name in conditions, f"permission condition {name} is not in Conditions"
    return evaluate({"Condition": name}, conditions, a)


def name_of(expr: Any) -> str:
    """The logical ID an expression of the generator's spellings names (GetAtt, Ref, Sub)."""
    if isinstance(expr, dict) and "Fn::GetAtt" in expr:
        v = expr["Fn::GetAtt"]
        return str(v[0] if isinstance(v, list) else v.split(".", 1)[0])
    if isinstance(expr, dict) and "Ref" in expr:
        return str(expr["Ref"])
    if isinstance(expr, dict) and "Fn::Sub" in expr and isinstance(expr["Fn::Sub"], str):
        m = re.search(r"\$\{(\w+)(?:\.Arn)?\}$", expr["Fn::Sub"])
        assert m, f"cannot read {expr!r}"
        return m.group(1)
    raise AssertionError(f"unexpected expression {expr!r}")


def canonical(resource: dict[str, Any], spec: Spec) -> tuple[str, str | None, str]:
    """(callee function, qualifier, role logical id) of a permission."""
    props = resource["Properties"]
    target = name_of(props["FunctionName"])
    aliases = spec.alias_ids()
    function, qualifier = aliases.get(target, (target, None))
    return function, qualifier, name_of(props["Principal"])


# ------------------------------------------------------------------- running
def run_core(fragment: Any) -> dict[str, Any]:
    result = core.transform(fragment, Options(), TransformContext(region=REGION, account_id=ACCOUNT))
    return result.fragment


def injected(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after["Resources"].items() if k not in before["Resources"]}


def sam_translate(template: dict[str, Any]) -> dict[str, Any]:
    """SAM's output through the CLI's offline toolbox, the runner `autoinvoke expand` ships."""
    return offline.sam_translate(template, REGION)


# ------------------------------------------------------------------ properties
@PROPERTY
@given(specs())
def test_input_never_mutated_and_every_key_kept(spec: Spec) -> None:
    template = render(spec)
    before = copy.deepcopy(template)
    out = run_core(template)
    assert template == before, "the core mutated its input"
    # only Resources, Conditions and Metadata.AutoInvokePermission.Report may differ
    assert set(out) - set(before) <= {"Conditions", "Metadata"}
    for key, value in before.items():
        if key not in ("Resources", "Conditions", "Metadata"):
            assert out[key] == value, key
    for rid, res in before["Resources"].items():
        assert out["Resources"][rid] == res, rid
    for name, cond in before.get("Conditions", {}).items():
        assert out["Conditions"][name] == cond, name
    meta_before = copy.deepcopy(before.get("Metadata", {}))
    meta_after = copy.deepcopy(out.get("Metadata", {}))
    own_after = meta_after.get("AutoInvokePermission", {})
    assert isinstance(own_after.pop("Report", {}), dict)
    if not own_after:
        meta_after.pop("AutoInvokePermission", None)
    assert meta_after == meta_before
    for rid, res in injected(before, out).items():
        assert res["Type"] == PERMISSION, rid


@PROPERTY
@given(specs())
def test_idempotent(spec: Spec) -> None:
    template = render(spec)
    once = run_core(template)
    again = copy.deepcopy(once)
    twice = run_core(again)
    assert again == once, "the core mutated its input"
    assert injected(once, twice) == {}, "a second run added resources"
    assert without_report(twice) == without_report(once)
    report = twice["Metadata"]["AutoInvokePermission"]["Report"]
    assert report.get("PermissionsAdded") == 0


@PROPERTY
@given(specs(), st.integers(0, 2**32 - 1))
def test_logical_ids_and_order_independence(spec: Spec, seed: int) -> None:
    template = render(spec)
    out = run_core(template)
    new = injected(template, out)
    for lid in new:
        assert re.fullmatch(r"[A-Za-z0-9]{1,255}", lid), lid
    assert len(out["Resources"]) == len(template["Resources"]) + len(new)
    added_conditions = {k: v for k, v in out.get("Conditions", {}).items() if k not in template["Conditions"]}

    keys = list(template["Resources"])
    random.Random(seed).shuffle(keys)
    shuffled = dict(template, Resources={k: template["Resources"][k] for k in keys})
    out2 = run_core(shuffled)
    assert injected(shuffled, out2) == new
    assert {k: v for k, v in out2.get("Conditions", {}).items() if k not in template["Conditions"]} == (
        added_conditions
    )


@settings(PROPERTY, phases=(Phase.explicit, Phase.generate))  # no shrinking: the reason has the minimal case
@given(specs(long_names=True))
@example(
    Spec(
        functions=[
            Fn("Fn0" + "F" * 120, sam=False, role=0, role_spelling="getatt", condition=None, alias=False)
        ],
        roles=[
            RoleSpec(
                "Role0" + "R" * 120,
                None,
                [
                    Item(
                        "doc",
                        [Stmt("Allow", "lambda:InvokeFunction", [("getatt", 0)], False, False, None)],
                        0,
                        ("C0", False),
                    )
                ],
            )
        ],
        extras=False,
    )
)
def test_added_condition_names_are_valid(spec: Spec) -> None:
    template = render(spec)
    out = run_core(template)
    for name in out.get("Conditions", {}):
        if name not in template["Conditions"]:
            assert re.fullmatch(r"[A-Za-z0-9]{1,255}", name), name


@PROPERTY
@given(specs())
def test_permissions_refer_to_what_exists_and_are_well_formed(spec: Spec) -> None:
    template = render(spec)
    out = run_core(template)
    resources = out["Resources"]
    sam_aliases = {
        f"{fid}Alias{r['Properties']['AutoPublishAlias']}"
        for fid, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function" and "AutoPublishAlias" in r.get("Properties", {})
    }
    sam_roles = {
        f"{fid}Role"
        for fid, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function" and "Role" not in r.get("Properties", {})
    }
    for lid, res in injected(template, out).items():
        props = res["Properties"]
        assert props["Action"] == "lambda:InvokeFunction", lid
        principal = props["Principal"]
        assert principal != "*", lid
        assert not (isinstance(principal, str) and principal.endswith(".amazonaws.com")), lid
        fn_name = name_of(props["FunctionName"])
        if "Fn::GetAtt" in props["FunctionName"]:
            assert resources.get(fn_name, {}).get("Type") in FUNCTION_TYPES, (lid, fn_name)
        else:
            is_alias = resources.get(fn_name, {}).get("Type") == "AWS::Lambda::Alias"
            assert is_alias or fn_name in sam_aliases, (lid, fn_name)
        role = name_of(principal)
        assert resources.get(role, {}).get("Type") == "AWS::IAM::Role" or role in sam_roles, (lid, role)
        if "Condition" in res:
            assert res["Condition"] in out["Conditions"], lid


@PROPERTY
@given(specs())
def test_no_permission_without_a_grant(spec: Spec) -> None:
    template = render(spec)
    out = run_core(template)
    exp = expected(spec)
    got = {canonical(res, spec): lid for lid, res in injected(template, out).items()}
    assert len(got) == len(injected(template, out)), "two permissions for the same (callee, role)"
    unexpected = set(got) - exp.may
    assert not unexpected, f"permissions without a matching identity grant: {sorted(unexpected, key=str)}"


@PROPERTY
@given(specs())
def test_conditions_sound_and_complete(spec: Spec) -> None:
    """A permission exists only when its callee, role and a grant exist; and it exists whenever they and
    every caller of the role do (unless a Deny is involved, where the macro may be conservative)."""
    template = render(spec)
    out = run_core(template)
    exp = expected(spec)
    perms = {canonical(res, spec): res for res in injected(template, out).values()}
    for a in assignments():
        for key, res in perms.items():
            function, _qualifier, role = key
            if not permission_active(res, out, a):
                continue
            assert holds(exp.exists[function], a), f"{key} active while {function} is absent: {a}"
            assert holds(exp.exists[role], a), f"{key} active while {role} is absent: {a}"
            assert any(holds(lits, a) for lits in exp.grants.get(key, [])), f"{key} active with no grant: {a}"
        for key, grant_lits in exp.grants.items():
            function, _qualifier, role = key
            if (role, function) in exp.deny_touched:
                continue
            present = (
                holds(exp.exists[function], a)
                and holds(exp.exists[role], a)
                and all(holds(exp.exists[c], a) for c in exp.callers.get(role, []))
                and any(holds(lits, a) for lits in grant_lits)
            )
            if present:
                assert key in perms, f"grant {key} not mirrored (active under {a})"
                assert permission_active(perms[key], out, a), f"permission {key} inactive under {a}"


@settings(derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_both_transform_orders_agree(spec: Spec) -> None:
    """Raw SAM, and the SAM translator's output of it: the same (callee, qualifier, role), same conditions."""
    template = render(spec)
    pre = run_core(template)
    translated = sam_translate(template)
    post = run_core(translated)

    def table(
        before: dict[str, Any], after: dict[str, Any]
    ) -> dict[tuple[str, str | None, str], tuple[bool, ...]]:
        return {
            canonical(res, spec): tuple(permission_active(res, after, a) for a in assignments())
            for res in injected(before, after).values()
        }

    pre_table, post_table = table(template, pre), table(translated, post)
    assert set(pre_table) == set(post_table)
    assert pre_table == post_table, "the permissions' conditions differ between the transform orders"
