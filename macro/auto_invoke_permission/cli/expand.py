"""`autoinvoke expand`: run a template's whole Transform list offline, in order.

`AWS::Serverless-2016-10-31` goes through the SAM translator library, this
macro through the core. Any other transform is a macro we cannot run here,
and the error names it before anything runs.

The SAM translator needs what the service would give it: artifact locations
in S3 (local paths are swapped for placeholders, as `sam package` would
upload them), a managed-policy name map (a fixed offline table instead of
IAM's ListPolicies), and a region (from the context, not from AWS settings).
"""

from __future__ import annotations

import copy
import logging
import os
import posixpath
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .. import core
from ..model import TransformContext
from ..options import Options

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
PLACEHOLDER_BUCKET = "placeholder-bucket"

# The SAM translator logs metrics warnings on exit; the CLI reports its own errors.
logging.getLogger("samtranslator").addHandler(logging.NullHandler())

# Names SAM `Policies` may use, with their path in IAM (AWS managed policies are not
# all at `policy/<name>`). SAM's own fallback for unknown names is `policy/<name>`.
_MANAGED_POLICY_PATHS: dict[str, str] = {
    "AWSLambdaBasicExecutionRole": "service-role/AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole": "service-role/AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaRole": "service-role/AWSLambdaRole",
    "AWSLambdaDynamoDBExecutionRole": "service-role/AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaKinesisExecutionRole": "service-role/AWSLambdaKinesisExecutionRole",
    "AWSLambdaSQSQueueExecutionRole": "service-role/AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaMSKExecutionRole": "service-role/AWSLambdaMSKExecutionRole",
    "AWSLambdaExecute": "AWSLambdaExecute",
    "AWSLambda_FullAccess": "AWSLambda_FullAccess",
    "AWSLambda_ReadOnlyAccess": "AWSLambda_ReadOnlyAccess",
    "AWSLambdaInvocation-DynamoDB": "AWSLambdaInvocation-DynamoDB",
    "AWSXrayWriteOnlyAccess": "AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess": "AWSXRayDaemonWriteAccess",
    "CloudWatchLambdaInsightsExecutionRolePolicy": "CloudWatchLambdaInsightsExecutionRolePolicy",
    "AdministratorAccess": "AdministratorAccess",
    "PowerUserAccess": "PowerUserAccess",
    "ReadOnlyAccess": "ReadOnlyAccess",
    "AmazonS3FullAccess": "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess": "AmazonS3ReadOnlyAccess",
    "AmazonDynamoDBFullAccess": "AmazonDynamoDBFullAccess",
    "AmazonDynamoDBReadOnlyAccess": "AmazonDynamoDBReadOnlyAccess",
    "AmazonSQSFullAccess": "AmazonSQSFullAccess",
    "AmazonSNSFullAccess": "AmazonSNSFullAccess",
    "AmazonKinesisFullAccess": "AmazonKinesisFullAccess",
    "AmazonEventBridgeFullAccess": "AmazonEventBridgeFullAccess",
    "AWSStepFunctionsFullAccess": "AWSStepFunctionsFullAccess",
    "CloudWatchLogsFullAccess": "CloudWatchLogsFullAccess",
    "SecretsManagerReadWrite": "SecretsManagerReadWrite",
}

# Where SAM resources keep local artifact paths that `sam package` uploads.
_ARTIFACT_PROPERTIES: dict[str, str] = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}
_GLOBAL_ARTIFACT_PROPERTIES: dict[str, str] = {
    "Function": "CodeUri",
    "Api": "DefinitionUri",
    "HttpApi": "DefinitionUri",
}


class ExpandError(Exception):
    """A transform cannot be run offline, or SAM rejects the template. One line."""


def transform_names(template: Mapping[str, Any]) -> list[str]:
    """The template's Transform entries in order (a string or a list of strings)."""
    value = template.get("Transform")
    if value is None:
        return []
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ExpandError("Transform must be a transform name or a list of names")
    return list(names)


class OfflineManagedPolicies:
    """SAM's managed-policy loader, answered from a fixed table instead of IAM."""

    def __init__(self, partition: str) -> None:
        self._partition = partition

    def load(self) -> dict[str, str]:
        return {
            name: f"arn:{self._partition}:iam::aws:policy/{path}"
            for name, path in _MANAGED_POLICY_PATHS.items()
        }


def expand(
    template: Mapping[str, Any],
    macro_name: str,
    options: Options,
    context: TransformContext,
    note: Callable[[str], None],
) -> dict[str, Any]:
    """Plain CloudFormation: every transform of the list applied, no Transform key left."""
    names = transform_names(template)
    unknown = [n for n in names if n not in (SAM_TRANSFORM, macro_name)]
    if unknown:
        raise ExpandError(
            f"Transform {', '.join(unknown)} cannot be run offline; "
            f"autoinvoke expand runs only {SAM_TRANSFORM} and {macro_name}"
        )
    current: dict[str, Any] = {k: v for k, v in template.items() if k != "Transform"}
    for name in names:
        if name == SAM_TRANSFORM:
            current = _run_sam(current, context, note)
        else:
            current = core.transform(current, options, context).fragment
    return current


def _run_sam(
    template: dict[str, Any], context: TransformContext, note: Callable[[str], None]
) -> dict[str, Any]:
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.transform import transform as sam_transform

    sam_input = copy.deepcopy(template)  # the translator changes its input
    sam_input["Transform"] = SAM_TRANSFORM
    _reject_repository_applications(sam_input)
    replaced = _placeholder_artifacts(sam_input)
    if replaced:
        note(
            f"expand: {len(replaced)} local artifact path{'s' if len(replaced) > 1 else ''} "
            f"({', '.join(replaced)}) replaced with s3://{PLACEHOLDER_BUCKET}/<path>, as `sam package` would"
        )
    loader = OfflineManagedPolicies(ArnGenerator.get_partition_name(context.region))
    try:
        with _region(context.region):
            output: dict[str, Any] = sam_transform(sam_input, dict(context.parameter_values), loader)
    except InvalidDocumentException as err:
        causes = " ".join(cause.message for cause in err.causes)
        raise ExpandError(f"{SAM_TRANSFORM}: {err.message} {causes}".strip()) from err
    except ExceptionWithMessage as err:
        raise ExpandError(f"{SAM_TRANSFORM}: {err.message}") from err
    except Exception as err:  # the translator's own bugs on odd input: still one line, no traceback
        raise ExpandError(f"{SAM_TRANSFORM}: the SAM translator failed: {type(err).__name__}: {err}") from err
    output.pop("Transform", None)
    return output


@contextmanager
def _region(region: str) -> Iterator[None]:
    """The translator builds a boto3 session only to learn the region (it calls no AWS API).

    Give it ours, and keep the user's profiles and config files out of it, so a
    missing or broken profile cannot fail an offline expand. Restored afterwards.
    """
    from samtranslator.translator.arn_generator import ArnGenerator

    isolated = {
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    saved_env = {name: os.environ.get(name) for name in isolated}
    saved_region = ArnGenerator.BOTO_SESSION_REGION_NAME
    _set_environment(isolated)
    ArnGenerator.BOTO_SESSION_REGION_NAME = region
    try:
        yield
    finally:
        ArnGenerator.BOTO_SESSION_REGION_NAME = saved_region
        _set_environment(saved_env)


def _set_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _reject_repository_applications(template: Mapping[str, Any]) -> None:
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return  # SAM reports it
    for rid, resource in resources.items():
        if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::Serverless::Application":
            continue
        props = resource.get("Properties")
        if isinstance(props, Mapping) and isinstance(props.get("Location"), Mapping):
            raise ExpandError(
                f"{rid}: an AWS::Serverless::Application from the Serverless Application Repository "
                "needs AWS to expand; it cannot be expanded offline"
            )


def _placeholder_artifacts(template: dict[str, Any]) -> list[str]:
    """Swap local artifact paths for placeholder S3 locations, in place. Returns what was swapped."""
    replaced: list[str] = []
    globals_ = template.get("Globals")
    if isinstance(globals_, dict):
        for section, prop in _GLOBAL_ARTIFACT_PROPERTIES.items():
            if _swap(globals_.get(section), prop, "s3"):
                replaced.append(f"Globals.{section}.{prop}")
    resources = template.get("Resources")
    if isinstance(resources, dict):
        for rid, resource in resources.items():
            if not isinstance(resource, dict):
                continue
            rtype = resource.get("Type")
            if rtype == "AWS::Serverless::Application":
                if _swap(resource.get("Properties"), "Location", "https"):
                    replaced.append(f"{rid}.Location")
            elif isinstance(rtype, str) and rtype in _ARTIFACT_PROPERTIES:
                prop = _ARTIFACT_PROPERTIES[rtype]
                if _swap(resource.get("Properties"), prop, "s3"):
                    replaced.append(f"{rid}.{prop}")
    return replaced


def _swap(holder: Any, prop: str, scheme: str) -> bool:
    if not isinstance(holder, dict):
        return False
    value = holder.get(prop)
    if not isinstance(value, str) or "://" in value:
        return False
    key = posixpath.normpath(value.replace("\\", "/")).lstrip("/")
    if scheme == "s3":
        holder[prop] = f"s3://{PLACEHOLDER_BUCKET}/{key}"
    else:  # nested application templates are fetched over HTTPS
        holder[prop] = f"https://{PLACEHOLDER_BUCKET}.s3.amazonaws.com/{key}"
    return True
