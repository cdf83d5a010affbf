"""Suppressions (`Ignore`): which resources a finding belongs to, the template-level sources, the
CLI's --ignore, the macro stack's NeverIgnore, the report, enforce mode and the hook."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission import core
from auto_invoke_permission import handler as handler_module
from auto_invoke_permission.cli.main import main
from auto_invoke_permission.hook.handler import policy_from_environment
from auto_invoke_permission.hook.policy import FAILED, SUCCESS, HookPolicy, PolicyError, decide
from auto_invoke_permission.model import TransformContext, TransformFailure
from auto_invoke_permission.options import Mode, OptionError, Options, resolve_options
from conftest import ACCOUNT, REGION, document, lambda_function, role, run, sam_function, statement

WILDCARD = "*"
OTHER_STACK = "arn:aws:lambda:us-east-1:123456789012:function:legacy"  # AIP113


def getatt(rid: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [rid, "Arn"]}


def wildcard_policy(**extra: Any) -> dict[str, Any]:
    return {"PolicyName": "p", "PolicyDocument": document(statement(WILDCARD)), **extra}


def resources() -> dict[str, Any]:
    """Three callers with a wildcard grant (AIP110) each, held three ways: a SAM function's Policies,
    an IAM role's inline policy, an AWS::IAM::Policy attached to a role; and a callee, Worker."""
    return {
        "Worker": sam_function(),
        "Caller": sam_function(Policies=[document(statement(WILDCARD))]),
        "ExecRole": role(Policies=[wildcard_policy()]),
        "RoleCaller": lambda_function(getatt("ExecRole")),
        "PolicyRole": role(),
        "PolicyCaller": lambda_function(getatt("PolicyRole")),
        "Policy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {**wildcard_policy(), "Roles": [{"Ref": "PolicyRole"}]},
        },
    }


def ignoring(rid: str, *codes: str) -> dict[str, Any]:
    out = resources()
    out[rid] = {**out[rid], "Metadata": {"AutoInvokePermission": {"Ignore": list(codes)}}}
    return {"Resources": out}


def suppressed(findings: Any) -> dict[str, str]:
    """The resource of each suppressed finding, with where it was accepted."""
    return {f.resource: f.suppressed_by for f in findings if f.suppressed}


def ignore_path(rid: str) -> str:
    return f"{rid}.Metadata.AutoInvokePermission.Ignore"


# ------------------------------------------------------------------ resource level: the owners
@pytest.mark.parametrize(
    ("holder", "accepted"),
    [
        pytest.param("Caller", {"Caller"}, id="caller-own-policies"),
        pytest.param("ExecRole", {"ExecRole"}, id="role-inline-policy"),
        pytest.param("RoleCaller", {"ExecRole"}, id="caller-of-the-role"),
        pytest.param("Policy", {"Policy"}, id="policy-resource"),
        pytest.param("PolicyRole", {"Policy"}, id="role-the-policy-is-attached-to"),
        pytest.param("PolicyCaller", {"Policy"}, id="caller-whose-role-has-the-policy"),
        pytest.param("Worker", set(), id="callee-owns-no-grant-finding"),
    ],
)
def test_resource_ignore_accepts_the_findings_it_owns(holder: str, accepted: set[str]) -> None:
    result = run(ignoring(holder, "AIP110"))
    assert [f.code for f in result.findings] == ["AIP110"] * 3
    assert suppressed(result.findings) == {rid: ignore_path(holder) for rid in accepted}


def test_resource_ignore_of_another_code_accepts_nothing() -> None:
    assert suppressed(run(ignoring("Caller", "AIP113")).findings) == {}


def test_role_ignore_covers_its_callers_environment_finding() -> None:
    # AIP130 is on the function (its Environment); the function's role owns it too
    template = ignoring("ExecRole", "AIP130")
    template["Resources"]["RoleCaller"]["Properties"]["Environment"] = {
        "Variables": {"TARGET": {"Ref": "Worker"}}
    }
    template["Resources"]["ExecRole"]["Properties"].pop("Policies")  # no grant at all
    result = run(template)
    assert suppressed(result.findings) == {"RoleCaller": ignore_path("ExecRole")}


@pytest.mark.parametrize(
    ("ignore", "message"),
    [
        pytest.param(["AIP999"], f"{ignore_path('Caller')}: 'AIP999' is not", id="unknown"),
        pytest.param(["AIP150"], "AIP150 (Too many resources) cannot be ignored", id="limit"),
        pytest.param("AIP110", None, id="one-string-is-fine"),
        pytest.param([7], "must be a list of finding codes", id="not-a-code"),
    ],
)
def test_resource_ignore_is_validated(ignore: Any, message: str | None) -> None:
    template = ignoring("Caller")
    template["Resources"]["Caller"]["Metadata"]["AutoInvokePermission"]["Ignore"] = ignore
    if message is None:
        assert "Caller" in suppressed(run(template).findings)
        return
    with pytest.raises(TransformFailure) as failure:
        run(template)
    assert [p for p in failure.value.problems if message in p], failure.value.problems


@pytest.mark.parametrize(
    ("condition", "resource_is_read"),
    [
        pytest.param("Never", False, id="condition-decided-false"),
        pytest.param("Always", True, id="condition-decided-true"),
    ],
)
def test_resource_ignore_is_validated_whatever_the_condition(condition: str, resource_is_read: bool) -> None:
    """The index reads every resource's Ignore, also one under a Condition the deploy decides false
    (a resource the index does not hold): a bad Ignore fails the run either way."""
    template = ignoring("Caller", "AIP999")
    template["Conditions"] = {
        "Never": {"Fn::Equals": ["a", "b"]},
        "Always": {"Fn::Equals": ["a", "a"]},
    }
    template["Resources"]["Caller"]["Condition"] = condition
    index = core.read_fragment(template, TransformContext()).template_index
    assert ("Caller" in index.functions) is resource_is_read
    assert index.ignores == {"Caller": ["AIP999"]}
    with pytest.raises(TransformFailure) as failure:
        run(template)
    assert [p for p in failure.value.problems if ignore_path("Caller") in p], failure.value.problems


# ------------------------------------------------------------------ template level
@pytest.mark.parametrize(
    ("metadata", "params", "accepted"),
    [
        pytest.param({"Ignore": ["AIP110"]}, None, 3, id="root-metadata"),
        pytest.param(None, {"Ignore": "aip110, AIP113"}, 3, id="transform-parameters"),
        pytest.param({"Ignore": ["AIP113"]}, {"Ignore": ["AIP110"]}, 3, id="both-add-up"),
        pytest.param({"Ignore": []}, None, 0, id="empty"),
    ],
)
def test_template_ignore(metadata: Any, params: Any, accepted: int) -> None:
    options = resolve_options(Options(), metadata, params)
    result = core.analyze({"Resources": resources()}, options, TransformContext(REGION, ACCOUNT))
    assert sum(f.suppressed for f in result.findings) == accepted
    assert {f.suppressed_by for f in result.findings if f.suppressed} <= {
        "Metadata.AutoInvokePermission.Ignore"
    }


@pytest.mark.parametrize(
    ("metadata", "params", "message"),
    [
        ({"Ignore": ["AIP999"]}, None, "Metadata.AutoInvokePermission option Ignore: 'AIP999' is not"),
        (None, {"Ignore": ["AIP110", "nope"]}, "Fn::Transform Parameters option Ignore: 'nope' is not"),
        ({"Ignore": {"AIP110": True}}, None, "option Ignore must be a list of finding codes"),
    ],
)
def test_template_ignore_with_an_unknown_code_is_an_option_error(
    metadata: Any, params: Any, message: str
) -> None:
    with pytest.raises(OptionError) as error:
        resolve_options(Options(), metadata, params)
    assert message in str(error.value)


def test_fn_transform_form_takes_ignore_from_its_parameters() -> None:
    # Fn::Transform under Resources: the fragment is the resources; the Ignore is in Parameters
    options = resolve_options(Options(), None, {"Ignore": ["AIP110"]})
    result = core.analyze(resources(), options, TransformContext(REGION, ACCOUNT))
    assert {f.suppressed_by for f in result.findings} == {"Fn::Transform.Parameters.Ignore"}


# ------------------------------------------------------------------ the macro: report, enforce, NeverIgnore
@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("AUTOINVOKE_NEVER_IGNORE", raising=False)
    handler_module._defaults = None
    yield monkeypatch
    handler_module._defaults = None


def macro(fragment: Any, params: Any = None) -> dict[str, Any]:
    event = {
        "region": REGION,
        "accountId": ACCOUNT,
        "requestId": "r",
        "transformId": f"{ACCOUNT}::AutoInvokePermission",
        "fragment": fragment,
        "params": params or {},
        "templateParameterValues": {},
    }
    return handler_module.handler(event, None)


def enforce_template(ignore: list[str]) -> dict[str, Any]:
    """One AIP110 (blocks enforce) and one AIP113 (does not)."""
    return {
        "Metadata": {"AutoInvokePermission": {"Mode": "enforce", "Ignore": ignore}},
        "Resources": {
            "Caller": sam_function(Policies=[document(statement(WILDCARD), statement(OTHER_STACK))]),
        },
    }


@pytest.mark.parametrize(
    ("ignore", "never", "status", "counts", "notes"),
    [
        pytest.param([], "", "failure", None, [], id="nothing-ignored-fails"),
        pytest.param(["AIP110"], "", "success", ({"error": 0, "warning": 0, "info": 1}, 1), [], id="ignored"),
        pytest.param(["AIP110"], "AIP110", "failure", None, [], id="never-ignore-unsuppresses"),
        pytest.param(
            ["AIP110", "AIP113"],
            "AIP113",
            "success",
            ({"error": 0, "warning": 0, "info": 2}, 1),
            ["AIP143"],
            id="never-ignore-note",
        ),
    ],
)
def test_macro_report_and_enforce(
    stack: pytest.MonkeyPatch,
    ignore: list[str],
    never: str,
    status: str,
    counts: tuple[dict[str, int], int] | None,
    notes: list[str],
) -> None:
    stack.setenv("AUTOINVOKE_NEVER_IGNORE", never)
    response = macro(enforce_template(ignore))
    assert response["status"] == status, response.get("errorMessage")
    if status == "failure":
        assert "AIP110" in response["errorMessage"]
        return
    report = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]
    assert (report["Findings"], report["FindingsSuppressed"]) == counts
    items = {i["code"]: i for i in report["Items"]}
    assert items["AIP110"]["suppressed"] is True
    assert items["AIP110"]["suppressedBy"] == "Metadata.AutoInvokePermission.Ignore"
    assert "suppressed" not in items["AIP113"]  # the stack forbids it, or it is not ignored
    assert [code for code in items if code in ("AIP143",)] == notes


def test_report_without_suppressions_is_unchanged(stack: pytest.MonkeyPatch) -> None:
    template = enforce_template([])
    template["Metadata"]["AutoInvokePermission"] = {"Mode": "inject"}
    report = macro(template)["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]
    assert "FindingsSuppressed" not in report
    assert all(set(i) == {"code", "severity", "resource", "path", "message", "fix"} for i in report["Items"])


def test_never_ignore_with_an_unknown_code_is_a_stack_configuration_error(stack: pytest.MonkeyPatch) -> None:
    stack.setenv("AUTOINVOKE_NEVER_IGNORE", "AIP110,AIP000")
    response = macro(enforce_template([]))
    assert response["status"] == "failure"
    assert "macro stack's configuration is invalid" in response["errorMessage"]
    assert "'AIP000'" in response["errorMessage"]


def test_fn_transform_parameters_ignore_through_the_handler(stack: pytest.MonkeyPatch) -> None:
    fragment = enforce_template([])["Resources"]
    response = macro(fragment, {"Mode": "enforce", "Ignore": ["AIP110"]})
    assert response["status"] == "success", response.get("errorMessage")


def test_aip113_alone_passes_enforce(stack: pytest.MonkeyPatch) -> None:
    template = {
        "Metadata": {"AutoInvokePermission": {"Mode": "enforce"}},
        "Resources": {"Caller": sam_function(Policies=[document(statement(OTHER_STACK))])},
    }
    response = macro(template)
    assert response["status"] == "success"
    items = response["fragment"]["Metadata"]["AutoInvokePermission"]["Report"]["Items"]
    assert [i["code"] for i in items] == ["AIP113"]


# ------------------------------------------------------------------ the CLI
def write_template(tmp_path: Path, template: dict[str, Any]) -> str:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return str(path)


PLACE = ("--region", REGION, "--account-id", ACCOUNT)


@pytest.mark.parametrize(
    ("ignore", "argv", "exit_code", "by"),
    [
        pytest.param([], (), 1, {}, id="blocks"),
        pytest.param(["AIP110"], (), 0, {"AIP110": "Metadata.AutoInvokePermission.Ignore"}, id="template"),
        pytest.param([], ("--ignore", "AIP110"), 0, {"AIP110": "--ignore"}, id="flag"),
        pytest.param(
            ["AIP113"],
            ("--ignore", "AIP110"),
            0,
            {"AIP110": "--ignore", "AIP113": "Metadata.AutoInvokePermission.Ignore"},
            id="both",
        ),
    ],
)
def test_cli_check_uses_the_cores_suppressions(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    ignore: list[str],
    argv: tuple[str, ...],
    exit_code: int,
    by: dict[str, str],
) -> None:
    path = write_template(tmp_path, enforce_template(ignore))
    assert main(["check", path, "--format", "json", *argv, *PLACE]) == exit_code
    findings = json.loads(capsys.readouterr().out)["templates"][0]["findings"]
    assert {f["code"]: f["suppressedBy"] for f in findings if f["suppressed"]} == by
    assert main(["check", path, "--format", "sarif", *argv, *PLACE]) == exit_code
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    kinds = {r["ruleId"]: r["suppressions"][0]["kind"] for r in results if "suppressions" in r}
    assert kinds == {code: "external" if w == "--ignore" else "inSource" for code, w in by.items()}


def test_cli_project_file_ignore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".autoinvoke.toml").write_text("ignore = ['AIP110']\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    path = write_template(tmp_path, enforce_template([]))
    assert main(["check", path, *PLACE]) == 0
    out = capsys.readouterr().out
    assert "(suppressed by --ignore)" in out
    assert out.splitlines()[-1].endswith("passes enforce mode (2 findings, 1 suppressed)")


def test_cli_transform_ignore_passes_enforce(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_template(tmp_path, enforce_template([]))
    assert main(["transform", path, *PLACE]) == 1
    capsys.readouterr()
    assert main(["transform", path, "--ignore", "AIP110", *PLACE]) == 0
    assert "(suppressed by --ignore)" in capsys.readouterr().err


# ------------------------------------------------------------------ the hook
def hook_template(ignore: list[str], listed: bool = True) -> dict[str, Any]:
    template = copy.deepcopy(enforce_template(ignore))
    if listed:
        template["Transform"] = "AutoInvokePermission"
    return template


@pytest.mark.parametrize(
    ("ignore", "never", "status"),
    [
        pytest.param([], frozenset(), FAILED, id="fails-on-warning"),
        pytest.param(["AIP110"], frozenset(), SUCCESS, id="suppressed-does-not-fail"),
        pytest.param(["AIP110"], frozenset({"AIP110"}), FAILED, id="never-ignore-fails"),
    ],
)
def test_hook_fail_on_respects_suppressions(ignore: list[str], never: frozenset[Any], status: str) -> None:
    policy = HookPolicy(fail_on=frozenset({"warning"}), never_ignore=never)
    decision = decide(hook_template(ignore), policy, TransformContext(REGION, ACCOUNT))
    assert decision.status == status, decision.message
    if ignore and status == SUCCESS:
        assert "(suppressed by Metadata.AutoInvokePermission.Ignore)" in decision.message


def test_hook_leaves_out_an_invalid_resource_ignore_and_still_checks() -> None:
    # a bad Ignore must not turn the check off (the hook fails open on templates it cannot analyze)
    template = {
        "Resources": {
            "Caller": {
                **sam_function(Policies=[document(statement(getatt("Worker")))]),
                "Metadata": {"AutoInvokePermission": {"Ignore": ["BOGUS"]}},
            },
            "Worker": sam_function(),
        }
    }
    decision = decide(template, HookPolicy(), TransformContext(REGION, ACCOUNT))
    assert decision.status == FAILED  # RequireTransform: the grant needs the macro
    assert "the Ignore of Caller was ignored" in decision.message
    assert template["Resources"]["Caller"]["Metadata"]["AutoInvokePermission"] == {"Ignore": ["BOGUS"]}


@pytest.mark.parametrize(
    ("value", "never"),
    [("", frozenset()), ("aip110, AIP113", frozenset({"AIP110", "AIP113"}))],
)
def test_hook_reads_never_ignore(value: str, never: frozenset[str]) -> None:
    assert policy_from_environment({"AUTOINVOKE_NEVER_IGNORE": value}).never_ignore == never


def test_hook_never_ignore_unknown_code_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="'AIP000'"):
        policy_from_environment({"AUTOINVOKE_NEVER_IGNORE": "AIP000"})


def test_cli_hook_never_ignore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_template(tmp_path, hook_template(["AIP110"]))
    assert main(["hook", path, "--fail-on", "warning", *PLACE]) == 0
    assert main(["hook", path, "--fail-on", "warning", "--never-ignore", "AIP110", *PLACE]) == 1
    capsys.readouterr()


def test_mode_is_unaffected_by_ignore() -> None:
    options = resolve_options(Options(), {"Mode": "enforce", "Ignore": ["AIP110"]}, None)
    assert (options.mode, options.ignore) == (Mode.ENFORCE, frozenset({"AIP110"}))
