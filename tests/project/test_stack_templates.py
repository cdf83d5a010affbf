"""The macro's own stacks: template.yaml (SAM) and the plain build for StackSets.

Offline: cfn-lint runs in-process, the org build runs the SAM translator locally.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import cfn_flip
import pytest
from cfnlint.api import lint_file
from repository import REPO

TEMPLATE = REPO / "template.yaml"
BUILD_SCRIPT = REPO / "org" / "build_org_template.py"
HANDLER_FILE = REPO / "macro" / "auto_invoke_permission" / "handler.py"

# The environment contract between the stack's parameters and the handler.
HANDLER_ENVIRONMENT = {
    "AUTOINVOKE_MACRO_NAME": "MacroName",
    "AUTOINVOKE_MODE": "DefaultMode",
    "AUTOINVOKE_WILDCARDS": "DefaultWildcards",
    "AUTOINVOKE_REPORT": "DefaultReport",
    "AUTOINVOKE_MINIMUM_MODE": "MinimumMode",
    "AUTOINVOKE_NEVER_IGNORE": "NeverIgnore",
}


def load(path: Path) -> dict[str, Any]:
    data = cfn_flip.load_yaml(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def lint_messages(path: Path) -> list[str]:
    return [str(match) for match in lint_file(path)]


def macro_function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Follow the AWS::CloudFormation::Macro's FunctionName (!GetAtt F.Arn) to F."""
    resources = template["Resources"]
    macros = [r for r in resources.values() if r["Type"] == "AWS::CloudFormation::Macro"]
    assert len(macros) == 1, "exactly one AWS::CloudFormation::Macro"
    getatt = macros[0]["Properties"]["FunctionName"]["Fn::GetAtt"]
    function_id, attribute = getatt.split(".", 1) if isinstance(getatt, str) else getatt
    assert attribute == "Arn", "the macro needs the function ARN"
    return function_id, resources[function_id]


@pytest.fixture(scope="module")
def sam_template() -> dict[str, Any]:
    return load(TEMPLATE)


@pytest.fixture(scope="module")
def org_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    output = tmp_path_factory.mktemp("org") / "macro-stack.yaml"
    run = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr
    return output, run.stdout


@pytest.fixture(scope="module")
def org_template(org_build: tuple[Path, str]) -> dict[str, Any]:
    return load(org_build[0])


def test_template_passes_cfn_lint() -> None:
    assert lint_messages(TEMPLATE) == []


def test_macro_resolves_to_function_with_code_and_handler_on_it(sam_template: dict[str, Any]) -> None:
    # A checker follows Macro -> FunctionName -> the function's own CodeUri and Handler, not Globals.
    _, function = macro_function(sam_template)
    assert function["Type"] == "AWS::Serverless::Function"
    properties = function["Properties"]
    assert properties["CodeUri"].rstrip("/") == "macro"
    assert properties["Handler"] == "auto_invoke_permission.handler.handler"
    assert properties["Architectures"] == ["arm64"]
    assert str(properties["Runtime"]).startswith("python3.")


def test_function_environment_carries_the_stack_parameters(sam_template: dict[str, Any]) -> None:
    _, function = macro_function(sam_template)
    variables = function["Properties"]["Environment"]["Variables"]
    assert {name: value["Ref"] for name, value in variables.items()} == HANDLER_ENVIRONMENT
    assert set(HANDLER_ENVIRONMENT.values()) <= set(sam_template["Parameters"])


def test_macro_name_parameter_defaults_to_autoinvokepermission(sam_template: dict[str, Any]) -> None:
    macros = [r for r in sam_template["Resources"].values() if r["Type"] == "AWS::CloudFormation::Macro"]
    assert macros[0]["Properties"]["Name"] == {"Ref": "MacroName"}
    assert sam_template["Parameters"]["MacroName"]["Default"] == "AutoInvokePermission"


def test_role_can_only_write_its_log_group(sam_template: dict[str, Any]) -> None:
    resources = sam_template["Resources"]
    _, function = macro_function(sam_template)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = resources[role_id]["Properties"]
    log_group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert resources[log_group_id]["Type"] == "AWS::Logs::LogGroup"
    assert "ManagedPolicyArns" not in role
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        }
    ]


@pytest.mark.skipif(not HANDLER_FILE.exists(), reason="the handler module is not written yet")
def test_macro_handler_exists_under_code_uri(sam_template: dict[str, Any]) -> None:
    _, function = macro_function(sam_template)
    properties = function["Properties"]
    module, _, attribute = properties["Handler"].rpartition(".")
    module_file = REPO / properties["CodeUri"] / (module.replace(".", "/") + ".py")
    assert module_file.is_file(), f"{module_file} is missing"
    tree = ast.parse(module_file.read_text(encoding="utf-8"))
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert attribute in functions, f"{module_file} defines no top-level {attribute}()"


def test_org_build_prints_its_output_path_last(org_build: tuple[Path, str]) -> None:
    output, stdout = org_build
    assert stdout.strip().splitlines()[-1] == str(output)


def test_org_template_has_no_transform_and_keeps_the_macro(org_template: dict[str, Any]) -> None:
    assert "Transform" not in org_template
    types = {r["Type"] for r in org_template["Resources"].values()}
    assert "AWS::CloudFormation::Macro" in types
    assert not any(t.startswith("AWS::Serverless::") for t in types)


def test_org_template_passes_cfn_lint(org_build: tuple[Path, str]) -> None:
    assert lint_messages(org_build[0]) == []


def test_org_template_takes_code_from_the_regional_bucket(org_template: dict[str, Any]) -> None:
    _, function = macro_function(org_template)
    assert function["Type"] == "AWS::Lambda::Function"
    assert function["Properties"]["Code"] == {
        "S3Bucket": {"Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"},
        "S3Key": {"Ref": "ArtifactKey"},
    }


def test_org_template_stays_in_sync_with_template_yaml(
    sam_template: dict[str, Any], org_template: dict[str, Any]
) -> None:
    assert set(org_template["Parameters"]) == set(sam_template["Parameters"]) | {
        "ArtifactBucketPrefix",
        "ArtifactKey",
        "HookArtifactKey",
    }
    for name, parameter in sam_template["Parameters"].items():
        assert org_template["Parameters"][name] == parameter, name
    assert org_template["Outputs"] == sam_template["Outputs"]
    _, sam_function = macro_function(sam_template)
    _, org_function = macro_function(org_template)
    for key in ("Handler", "Runtime", "Architectures", "MemorySize", "Timeout", "Role", "Environment"):
        assert org_function["Properties"][key] == sam_function["Properties"][key], key
    for resource_id, resource in sam_template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            assert org_template["Resources"][resource_id] == resource, resource_id


# ------------------------------------------------------------------ the optional Lambda Hook
# The environment contract between the stack's hook parameters and the hook handler.
HOOK_ENVIRONMENT = {
    "AUTOINVOKE_MACRO_NAME": "MacroName",
    "AUTOINVOKE_HOOK_REQUIRE_TRANSFORM": "HookRequireTransform",
    "AUTOINVOKE_HOOK_FAIL_ON": "HookFailOn",
    "AUTOINVOKE_HOOK_FAIL_CLOSED": "HookFailClosed",
    "AUTOINVOKE_NEVER_IGNORE": "NeverIgnore",
}
HOOK_TYPES = {
    "AWS::CloudFormation::LambdaHook",
    "AWS::Serverless::Function",
    "AWS::Lambda::Function",
    "AWS::IAM::Role",
    "AWS::Logs::LogGroup",
}


def lambda_hook(template: dict[str, Any]) -> dict[str, Any]:
    hooks = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFormation::LambdaHook"]
    assert len(hooks) == 1, "exactly one AWS::CloudFormation::LambdaHook"
    return dict(hooks[0])


def getatt_id(value: Any) -> str:
    getatt = value["Fn::GetAtt"]
    resource, attribute = getatt.split(".", 1) if isinstance(getatt, str) else getatt
    assert attribute == "Arn"
    return str(resource)


def with_hook_enabled(tmp_path: Path) -> Path:
    """template.yaml with EnableHook defaulting to true, beside the original (CodeUri stays valid)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    enable = text.index("  EnableHook:")
    default = text.index('Default: "false"', enable)
    copy = REPO / f".template-hook-enabled-{tmp_path.name}.yaml"
    copy.write_text(text[:default] + 'Default: "true"' + text[default + len('Default: "false"') :])
    return copy


def test_hook_is_off_by_default_and_all_of_it_is_conditional(sam_template: dict[str, Any]) -> None:
    assert sam_template["Parameters"]["EnableHook"]["Default"] == "false"
    assert sam_template["Conditions"]["HookEnabled"] == {"Fn::Equals": [{"Ref": "EnableHook"}, "true"]}
    hook_resources = {rid for rid in sam_template["Resources"] if rid.startswith("Hook")}
    assert hook_resources == {"HookLogGroup", "HookFunctionRole", "HookFunction", "HookExecutionRole", "Hook"}
    for rid in hook_resources:
        assert sam_template["Resources"][rid]["Condition"] == "HookEnabled", rid
    for name, output in sam_template["Outputs"].items():
        if name.startswith("Hook"):
            assert output["Condition"] == "HookEnabled", name


def test_lambda_hook_properties(sam_template: dict[str, Any]) -> None:
    properties = lambda_hook(sam_template)["Properties"]
    assert properties["TargetOperations"] == ["STACK"]
    assert properties["HookStatus"] == "ENABLED"
    assert properties["FailureMode"] == {"Ref": "HookFailureMode"}
    assert sam_template["Parameters"]["HookFailureMode"]["Default"] == "WARN"
    assert sam_template["Parameters"]["HookFailureMode"]["AllowedValues"] == ["WARN", "FAIL"]
    filters = properties["StackFilters"]
    assert filters["FilteringCriteria"] == "ALL"  # excluded by name AND by role
    # the macro's own stack is excluded on both branches of the name list
    _, with_names, own_only = filters["StackNames"]["Exclude"]["Fn::If"]
    assert own_only == [{"Ref": "AWS::StackName"}]
    assert {"Ref": "AWS::StackName"} in with_names["Fn::Split"][1]["Fn::Join"][1]


def test_hook_function_is_the_hook_handler_with_its_own_logs(sam_template: dict[str, Any]) -> None:
    resources = sam_template["Resources"]
    function_id = getatt_id(lambda_hook(sam_template)["Properties"]["LambdaFunction"])
    function = resources[function_id]
    properties = function["Properties"]
    assert function["Metadata"] == {"BuildMethod": "makefile"}  # macro/Makefile build-HookFunction
    assert properties["CodeUri"].rstrip("/") == "macro"
    assert properties["Handler"] == "auto_invoke_permission.hook.handler.handler"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Timeout"] < 30  # the hook waits 30 s for the function
    variables = properties["Environment"]["Variables"]
    assert {name: value["Ref"] for name, value in variables.items()} == HOOK_ENVIRONMENT
    log_group = properties["LoggingConfig"]["LogGroup"]["Ref"]
    _, macro = macro_function(sam_template)
    assert log_group != macro["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    role = resources[getatt_id(properties["Role"])]["Properties"]
    assert "ManagedPolicyArns" not in role
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
        }
    ]


def test_hook_environment_names_are_the_handlers(sam_template: dict[str, Any]) -> None:
    from auto_invoke_permission import options
    from auto_invoke_permission.hook import handler as hook_handler

    names = {
        hook_handler.ENV_MACRO_NAME,
        hook_handler.ENV_REQUIRE_TRANSFORM,
        hook_handler.ENV_FAIL_ON,
        hook_handler.ENV_FAIL_CLOSED,
        options.ENV_NEVER_IGNORE,  # the macro's variable, read by the hook too
    }
    assert names == set(HOOK_ENVIRONMENT)
    assert set(HOOK_ENVIRONMENT.values()) <= set(sam_template["Parameters"])


def test_hook_execution_role_may_only_invoke_the_hook_function(sam_template: dict[str, Any]) -> None:
    resources = sam_template["Resources"]
    properties = lambda_hook(sam_template)["Properties"]
    role = resources[getatt_id(properties["ExecutionRole"])]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "hooks.cloudformation.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert "ManagedPolicyArns" not in role
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert statements == [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": properties["LambdaFunction"]}
    ]


def test_template_with_the_hook_enabled_passes_cfn_lint(tmp_path: Path) -> None:
    enabled = with_hook_enabled(tmp_path)
    try:
        assert lint_messages(enabled) == []
    finally:
        enabled.unlink()


@pytest.mark.skipif(not (Path(sys.executable).parent / "sam").exists(), reason="no sam CLI in this venv")
def test_template_with_the_hook_enabled_passes_sam_validate_lint(tmp_path: Path) -> None:
    enabled = with_hook_enabled(tmp_path)
    try:
        sam = str(Path(sys.executable).parent / "sam")
        done = subprocess.run(
            [sam, "validate", "--lint", "--template-file", str(enabled), "--region", "us-east-1"],
            capture_output=True,
            text=True,
            check=False,
            cwd=REPO,
            timeout=300,
        )
    finally:
        enabled.unlink()
    assert done.returncode == 0, done.stdout + done.stderr


def test_org_template_carries_the_hook_with_its_own_artifact(org_template: dict[str, Any]) -> None:
    hook = lambda_hook(org_template)
    function = org_template["Resources"][getatt_id(hook["Properties"]["LambdaFunction"])]
    assert function["Type"] == "AWS::Lambda::Function"
    assert function["Condition"] == "HookEnabled"
    assert function["Properties"]["Code"] == {
        "S3Bucket": {"Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"},
        "S3Key": {"Ref": "HookArtifactKey"},
    }
    assert function["Properties"]["Handler"] == "auto_invoke_permission.hook.handler.handler"
    rule = org_template["Rules"]["HookNeedsItsArtifact"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "EnableHook"}, "true"]}


# ------------------------------------------------------------------ Serverless Application Repository
def test_sar_metadata_matches_the_package(sam_template: dict[str, Any]) -> None:
    from auto_invoke_permission import PROJECT_URL, __version__

    app = sam_template["Metadata"]["AWS::ServerlessRepo::Application"]
    assert app["SemanticVersion"] == __version__  # one version: bump __version__, then this
    assert app["HomePageUrl"] == app["SourceCodeUrl"] == PROJECT_URL
    assert app["SpdxLicenseId"] == "MIT-0"
    # local files that `sam package` uploads and rewrites to S3 URLs
    assert (REPO / app["LicenseUrl"]).is_file() and (REPO / app["ReadmeUrl"]).is_file()
    # the patterns and lengths SAR accepts (AWS SAM developer guide, Metadata section properties)
    assert re.fullmatch(r"[a-zA-Z0-9\-]{1,140}", app["Name"])
    assert re.fullmatch(r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?", app["Author"]) and len(app["Author"]) <= 127
    assert 1 <= len(app["Description"]) <= 256
    assert len(app["Labels"]) <= 10 and all(
        re.fullmatch(r"[a-zA-Z0-9+\-_:/@]{1,127}", x) for x in app["Labels"]
    )
    assert not any(isinstance(v, dict) for v in app.values())  # no intrinsic functions
