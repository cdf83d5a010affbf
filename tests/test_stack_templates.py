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

REPO = Path(__file__).resolve().parent.parent
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
