"""End to end on real AWS: deploy the macro, deploy the seed sample through it, check the permission.

Opt-in: runs only when the e2e marker is selected (``make e2e``, or
``pytest -m e2e tests/e2e -o addopts=""``) and boto3 finds credentials; otherwise it
skips, so a plain ``pytest`` never touches an AWS account, even one you are logged in to.

Steps, in the region boto3 resolves (AWS_REGION / profile; us-east-1 if none):

1. ``sam build`` + ``sam deploy`` template.yaml as stack ``autoinvoke-e2e-<id>-macro`` with
   ``MacroName=AutoInvokePermission-e2e-<id>``, so it never clashes with a macro already in the account;
2. copy samples/seed, point its Transform at that macro name, ``sam build`` + ``sam deploy`` it
   with CAPABILITY_IAM CAPABILITY_AUTO_EXPAND as ``autoinvoke-e2e-<id>-seed``;
3. invoke RequestFunction (it invokes ProcessorFunction) and expect no function error;
4. read ProcessorFunction's resource policy: a statement must name RequestFunction's role ARN;
5. always: delete both stacks and the run's objects in the SAM artifact bucket.

Cost: pennies at most. A few Lambda invocations and a few KB of CloudWatch Logs and S3
(all within the free tier for most accounts); CloudFormation itself is free for AWS resources.
``--resolve-s3`` creates SAM's managed stack ``aws-sam-cli-managed-default`` (an S3 bucket)
once per account and region if it does not exist yet; it is shared with other SAM deploys
and left in place. Runtime: about 5-10 minutes.

IAM permissions the caller needs:

* cloudformation: CreateChangeSet, ExecuteChangeSet, DescribeChangeSet, DeleteChangeSet,
  DescribeStacks, DescribeStackEvents, DescribeStackResource(s), GetTemplate,
  GetTemplateSummary, DeleteStack (and CreateStack for the managed SAM stack on first use);
* lambda: InvokeFunction on the macro function (CloudFormation calls the macro with the
  deployer's credentials) and on RequestFunction; CreateFunction, DeleteFunction, GetFunction,
  GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration, TagResource,
  ListTags, AddPermission, RemovePermission, GetPolicy;
* iam: CreateRole, DeleteRole, GetRole, PassRole, TagRole, PutRolePolicy, DeleteRolePolicy,
  GetRolePolicy, AttachRolePolicy, DetachRolePolicy;
* logs: CreateLogGroup, DeleteLogGroup, PutRetentionPolicy, DescribeLogGroups;
* s3 on the SAM managed bucket: PutObject, GetObject, ListBucket, DeleteObject
  (CreateBucket, PutBucketPolicy and friends the first time ``--resolve-s3`` creates it).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
MACRO_TEMPLATE = REPO / "template.yaml"
SEED = REPO / "samples" / "seed"
DEFAULT_MACRO_NAME = "AutoInvokePermission"
SAM_MANAGED_STACK = "aws-sam-cli-managed-default"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def session(request: pytest.FixtureRequest) -> Any:
    # pytest has already deselected this test for "-m 'not e2e'"; here a plain run is turned away too.
    if "e2e" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("real AWS: opt in with `make e2e` or `pytest -m e2e tests/e2e`")
    boto3 = pytest.importorskip("boto3")
    aws = boto3.Session()
    if aws.get_credentials() is None:
        pytest.skip("boto3 finds no AWS credentials")
    if not (SEED / "template.yaml").exists():
        pytest.skip("samples/seed/template.yaml is missing")
    return aws


def sam_executable() -> str:
    beside_python = Path(sys.executable).parent / "sam"
    found = str(beside_python) if beside_python.exists() else shutil.which("sam")
    if found is None:
        pytest.skip("the SAM CLI is not installed (pip install -e '.[dev]')")
    return found


def run_sam(*args: str, cwd: Path) -> None:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    subprocess.run([sam_executable(), *args], cwd=cwd, env=env, check=True)


def build_and_deploy(template: Path, work: Path, stack: str, region: str, *extra: str) -> None:
    build_dir = work / f"{stack}-build"
    run_sam("build", "--template-file", str(template), "--build-dir", str(build_dir), cwd=template.parent)
    run_sam(
        "deploy",
        "--template-file",
        str(build_dir / "template.yaml"),
        "--stack-name",
        stack,
        "--region",
        region,
        "--resolve-s3",
        "--s3-prefix",
        stack,
        "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
        "--no-progressbar",
        *extra,
        cwd=work,
    )


def seed_copy_using(macro_name: str, work: Path) -> Path:
    """samples/seed copied to work/seed with its Transform naming macro_name instead of the default."""
    import cfn_flip

    copy = work / "seed"
    shutil.copytree(SEED, copy)
    path = copy / "template.yaml"
    template = cfn_flip.load_yaml(path.read_text(encoding="utf-8"))
    transforms = template["Transform"]
    transforms = [transforms] if isinstance(transforms, str) else list(transforms)
    assert DEFAULT_MACRO_NAME in transforms, f"the seed's Transform {transforms} does not use the macro"
    template["Transform"] = [macro_name if name == DEFAULT_MACRO_NAME else name for name in transforms]
    path.write_text(cfn_flip.dump_yaml(template), encoding="utf-8")
    return path


def physical_id(cloudformation: Any, stack: str, logical_id: str) -> str:
    resource = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
    return str(resource["StackResourceDetail"]["PhysicalResourceId"])


def delete_stack(cloudformation: Any, stack: str) -> None:
    # DeleteStack accepts a stack that was never created; the waiter then succeeds at once.
    cloudformation.delete_stack(StackName=stack)
    waiter = cloudformation.get_waiter("stack_delete_complete")
    waiter.wait(StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 90})


def delete_artifacts(session: Any, cloudformation: Any, region: str, prefixes: list[str]) -> None:
    """Remove this run's uploads from SAM's managed bucket (the bucket itself is shared; it stays).

    Best effort: a failure here leaves a few KB behind, so it warns instead of hiding the test's result.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=SAM_MANAGED_STACK)["Stacks"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
        bucket = session.resource("s3", region_name=region).Bucket(outputs["SourceBucket"])
        for prefix in prefixes:
            bucket.objects.filter(Prefix=f"{prefix}/").delete()
    except (BotoCoreError, ClientError, KeyError) as error:
        warnings.warn(f"could not delete {prefixes} from the SAM bucket: {error!r}", stacklevel=2)


def test_macro_adds_invoke_permission_for_seed(session: Any, tmp_path: Path) -> None:
    region = session.region_name or "us-east-1"
    run_id = f"e2e-{secrets.token_hex(4)}"
    macro_name = f"{DEFAULT_MACRO_NAME}-{run_id}"
    macro_stack = f"autoinvoke-{run_id}-macro"
    seed_stack = f"autoinvoke-{run_id}-seed"
    cloudformation = session.client("cloudformation", region_name=region)
    lambda_client = session.client("lambda", region_name=region)

    try:
        build_and_deploy(
            MACRO_TEMPLATE,
            tmp_path,
            macro_stack,
            region,
            "--capabilities",
            "CAPABILITY_IAM",
            "--parameter-overrides",
            f"MacroName={macro_name}",
        )
        try:
            seed_template = seed_copy_using(macro_name, tmp_path)
            build_and_deploy(
                seed_template,
                tmp_path,
                seed_stack,
                region,
                "--capabilities",
                "CAPABILITY_IAM",
                "CAPABILITY_AUTO_EXPAND",
            )
            request_function = physical_id(cloudformation, seed_stack, "RequestFunction")
            processor_function = physical_id(cloudformation, seed_stack, "ProcessorFunction")

            response = lambda_client.invoke(FunctionName=request_function, Payload=b"{}")
            payload = response["Payload"].read().decode("utf-8", "replace")
            assert response["StatusCode"] == 200
            assert "FunctionError" not in response, payload

            request_role = lambda_client.get_function_configuration(FunctionName=request_function)["Role"]
            policy = json.loads(lambda_client.get_policy(FunctionName=processor_function)["Policy"])
            principals = [
                statement["Principal"].get("AWS")
                for statement in policy["Statement"]
                if isinstance(statement.get("Principal"), dict)
            ]
            assert request_role in principals, json.dumps(policy, indent=2)

            resources = cloudformation.describe_stack_resources(StackName=seed_stack)["StackResources"]
            added = [r for r in resources if r["ResourceType"] == "AWS::Lambda::Permission"]
            assert added, "the seed stack has no AWS::Lambda::Permission: the macro added nothing"
        finally:
            delete_stack(cloudformation, seed_stack)
    finally:
        delete_stack(cloudformation, macro_stack)
        delete_artifacts(session, cloudformation, region, [macro_stack, seed_stack])
