"""Build the plain-CloudFormation macro stack for service-managed StackSets.

Service-managed StackSets refuse templates that use a transform, AWS::Serverless
included (docs/org-rollout.md). This script derives a template without one from
template.yaml, so the two never drift:

1. load template.yaml and point the macro function's CodeUri at a placeholder S3 object;
2. expand it with the SAM translator, offline, through the CLI's toolbox
   (auto_invoke_permission.offline.toolbox, the same runner `autoinvoke expand` uses);
3. replace the function's Code with the per-region artifact bucket
   ``${ArtifactBucketPrefix}-${AWS::Region}`` and the ``ArtifactKey`` parameter
   (Lambda only reads code from a bucket in the function's own region); the optional hook
   function (EnableHook) likewise, with ``HookArtifactKey`` (``org/package.sh --hook``);
4. write YAML with short-form tags to build/org/macro-stack.yaml (or --output).

The path of the written file is the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import cfn_flip
from auto_invoke_permission.offline.toolbox import SamError, sam_translate
from cfn_tools.odict import ODict

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "template.yaml"
OUTPUT = REPO / "build" / "org" / "macro-stack.yaml"

# Only used for SAM's pseudo-parameter bookkeeping; the output is checked to contain no region.
TRANSLATION_REGION = "us-east-1"
PLACEHOLDER_CODE_URI = {"Bucket": "placeholder-bucket", "Key": "placeholder.zip"}

ARTIFACT_PARAMETERS: dict[str, dict[str, Any]] = {
    "ArtifactBucketPrefix": {
        "Type": "String",
        "Description": (
            "Code buckets are named ArtifactBucketPrefix-REGION, one per region "
            "(Lambda reads code only from a bucket in its own region)."
        ),
        "AllowedPattern": "^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
        "MinLength": 3,
        "MaxLength": 40,
    },
    "ArtifactKey": {
        "Type": "String",
        "Description": "S3 key of the code zip (org/package.sh prints it). A new key updates the function.",
        "MinLength": 1,
    },
}
HOOK_ARTIFACT_PARAMETERS: dict[str, dict[str, Any]] = {
    "HookArtifactKey": {
        "Type": "String",
        "Default": "none",
        "Description": (
            "S3 key of the hook's code zip (org/package.sh --hook prints it); none without EnableHook."
        ),
        "MinLength": 1,
    },
}
ARTIFACT_CODE = {
    "S3Bucket": {"Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"},
    "S3Key": {"Ref": "ArtifactKey"},
}
HOOK_ARTIFACT_CODE = {
    "S3Bucket": {"Fn::Sub": "${ArtifactBucketPrefix}-${AWS::Region}"},
    "S3Key": {"Ref": "HookArtifactKey"},
}
# Rules: a stack that enables the hook must say where its code is.
HOOK_RULES = {
    "HookNeedsItsArtifact": {
        "RuleCondition": {"Fn::Equals": [{"Ref": "EnableHook"}, "true"]},
        "Assertions": [
            {
                "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "HookArtifactKey"}, "none"]}]},
                "AssertDescription": (
                    "EnableHook=true needs HookArtifactKey (org/package.sh --hook prints it)"
                ),
            }
        ],
    }
}

TOP_LEVEL_ORDER = ["AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Conditions"]
HEADER = "# Generated from template.yaml by org/build_org_template.py; do not edit (docs/org-rollout.md)\n"


class BuildError(Exception):
    """template.yaml does not have the shape this build relies on."""


def load_template(path: Path) -> dict[str, Any]:
    # json round trip: plain dicts and lists instead of cfn_flip's ordered types
    data = json.loads(json.dumps(cfn_flip.load_yaml(path.read_text(encoding="utf-8"))))
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise BuildError(f"{path}: not a template with a Resources mapping")
    return data


def macro_function_id(resources: dict[str, Any]) -> str:
    """Logical ID of the function behind the template's single AWS::CloudFormation::Macro."""
    macros = [r for r in resources.values() if r.get("Type") == "AWS::CloudFormation::Macro"]
    if len(macros) != 1:
        raise BuildError(f"expected one AWS::CloudFormation::Macro, found {len(macros)}")
    target = macros[0].get("Properties", {}).get("FunctionName")
    if isinstance(target, dict) and "Fn::GetAtt" in target:
        getatt = target["Fn::GetAtt"]
        parts = getatt.split(".", 1) if isinstance(getatt, str) else getatt
        if len(parts) == 2 and parts[1] == "Arn" and parts[0] in resources:
            return str(parts[0])
    raise BuildError(f"the macro's FunctionName must be !GetAtt <Function>.Arn, found {target!r}")


def hook_function_id(resources: dict[str, Any]) -> str | None:
    """Logical ID of the function behind the template's AWS::CloudFormation::LambdaHook, if any."""
    hooks = [r for r in resources.values() if r.get("Type") == "AWS::CloudFormation::LambdaHook"]
    if not hooks:
        return None
    if len(hooks) != 1:
        raise BuildError(f"expected at most one AWS::CloudFormation::LambdaHook, found {len(hooks)}")
    target = hooks[0].get("Properties", {}).get("LambdaFunction")
    getatt = target.get("Fn::GetAtt") if isinstance(target, dict) else None
    parts = getatt.split(".", 1) if isinstance(getatt, str) else getatt
    if isinstance(parts, list) and len(parts) == 2 and parts[1] == "Arn" and parts[0] in resources:
        return str(parts[0])
    raise BuildError(f"the hook's LambdaFunction must be !GetAtt <Function>.Arn, found {target!r}")


def translate(sam_template: dict[str, Any]) -> dict[str, Any]:
    try:
        return sam_translate(sam_template, TRANSLATION_REGION)
    except SamError as error:
        raise BuildError(str(error)) from error


def build(source: Path) -> dict[str, Any]:
    template = load_template(source)
    resources = template["Resources"]
    function_id = macro_function_id(resources)
    function = resources[function_id]
    if function.get("Type") != "AWS::Serverless::Function":
        raise BuildError(f"{function_id}: expected AWS::Serverless::Function, found {function.get('Type')}")
    hook_id = hook_function_id(resources)
    parameters = {**ARTIFACT_PARAMETERS, **(HOOK_ARTIFACT_PARAMETERS if hook_id else {})}
    clash = parameters.keys() & template.get("Parameters", {}).keys()
    if clash:
        raise BuildError(f"template.yaml already defines {sorted(clash)}")

    codes = {function_id: ARTIFACT_CODE, **({hook_id: HOOK_ARTIFACT_CODE} if hook_id else {})}
    for code_function_id in codes:
        resources[code_function_id]["Properties"]["CodeUri"] = PLACEHOLDER_CODE_URI
        # sam build's BuildMethod: the artifact comes from org/package.sh here
        resources[code_function_id].pop("Metadata", None)
    translated = translate(template)

    expected = {"S3Bucket": PLACEHOLDER_CODE_URI["Bucket"], "S3Key": PLACEHOLDER_CODE_URI["Key"]}
    for code_function_id, artifact in codes.items():
        code = translated["Resources"][code_function_id]["Properties"]["Code"]
        if code != expected:
            raise BuildError(f"unexpected Code from the SAM translator for {code_function_id}: {code!r}")
        translated["Resources"][code_function_id]["Properties"]["Code"] = artifact
    translated["Parameters"] = {**translated.get("Parameters", {}), **parameters}
    if hook_id:
        translated["Rules"] = {**translated.get("Rules", {}), **HOOK_RULES}
    translated["Description"] = (
        f"{template.get('Description', '').strip()} Plain CloudFormation build for service-managed "
        "StackSets, generated from template.yaml; code from per-region S3 buckets."
    )
    add_interface_group(translated)
    check(translated)
    ordered = {key: translated[key] for key in TOP_LEVEL_ORDER if key in translated}
    ordered.update(translated)
    return ordered


def add_interface_group(template: dict[str, Any]) -> None:
    interface = template.get("Metadata", {}).get("AWS::CloudFormation::Interface")
    if isinstance(interface, dict):
        groups = interface.setdefault("ParameterGroups", [])
        names = list(ARTIFACT_PARAMETERS)
        if "HookArtifactKey" in template.get("Parameters", {}):
            names += list(HOOK_ARTIFACT_PARAMETERS)
        groups.insert(0, {"Label": {"default": "Code artifact"}, "Parameters": names})


def check(template: dict[str, Any]) -> None:
    if "Transform" in template:
        raise BuildError(f"the output still has a Transform: {template['Transform']!r}")
    resources = template["Resources"]
    left = [rid for rid, r in resources.items() if str(r.get("Type", "")).startswith("AWS::Serverless::")]
    if left:
        raise BuildError(f"SAM resources left untranslated: {left}")
    if TRANSLATION_REGION in json.dumps(template):
        raise BuildError(f"the translation region {TRANSLATION_REGION} leaked into the output")


def ordered_tree(node: Any) -> Any:
    """cfn_flip keeps key order and writes short-form tags (!Ref, !GetAtt, !Sub) only for its ODict."""
    if isinstance(node, dict):
        return ODict([(key, ordered_tree(value)) for key, value in node.items()])
    if isinstance(node, list):
        return [ordered_tree(item) for item in node]
    return node


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=SOURCE, help="SAM template (default: template.yaml)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: build/org/macro-stack.yaml")
    args = parser.parse_args(argv)
    try:
        template = build(args.source)
    except BuildError as error:
        print(f"build_org_template: {error}", file=sys.stderr)
        return 1
    output: Path = args.output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(HEADER + cfn_flip.dump_yaml(ordered_tree(template)), encoding="utf-8")
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
