"""The offline toolbox: what CloudFormation's side of a transform looks like, without AWS.

One home for the three things every offline run of the pipeline needs, used by
`autoinvoke expand`/`transform`/`event`, by `org/build_org_template.py` and by
the tests (so the corpus tests run the product's path):

* `sam_translate`: the `AWS::Serverless-2016-10-31` transform through the SAM
  translator library, with what the service would give it: artifact locations in
  S3 (local paths become placeholders, as `sam package` would upload them),
  managed-policy ARNs without IAM (the translator's bundled table, per partition),
  nested applications without the Serverless Application Repository (a
  placeholder template URL), and the region from the context, not from the
  user's AWS settings (`isolated_region`).
* `macro_event`: the event CloudFormation sends a macro function.

The SAM translator is imported on first use only: it is slow to import, and most
commands never need it.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from ..model import DEFAULT_MACRO_NAME
from ..template_inputs import SAM_TRANSFORM, fragment_of

PLACEHOLDER_BUCKET = "placeholder-bucket"
PLACEHOLDER_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/repository:latest"
PLACEHOLDER_TEMPLATE_URL = "https://awsserverlessrepo-changesets.s3.amazonaws.com/offline/template.yaml"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    Scheme = Literal["s3", "https"]
else:
    Scheme = str
# Where a local artifact path is said to be uploaded: (scheme, local path) -> location.
ArtifactLocation = Callable[[Scheme, str], str]

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
_CODE_PROPERTIES = ("CodeUri", "InlineCode", "ImageUri")
# `sam package` uploads a zip function without CodeUri from the template's directory.
_TEMPLATE_DIRECTORY_KEY = "code.zip"


class SamError(Exception):
    """SAM rejects the template, or it cannot be translated offline. One line, naming the transform."""


def placeholder_location(scheme: Scheme, path: str) -> str:
    """`s3://placeholder-bucket/<path>` (the path kept, so the output says which artifact it was)."""
    key = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    if scheme == "s3":
        return f"s3://{PLACEHOLDER_BUCKET}/{key}"
    return f"https://{PLACEHOLDER_BUCKET}.s3.amazonaws.com/{key}"  # nested templates are fetched over HTTPS


def packaged(
    template: Mapping[str, Any], location: ArtifactLocation = placeholder_location
) -> tuple[dict[str, Any], list[str]]:
    """A copy of the template as `sam package` leaves it, and the paths of what was swapped.

    Local artifact paths become S3 locations; a zip function with no code at all
    is packaged from the template's directory; an image function that `sam build`
    would build gets an image URI.
    """
    import copy  # here: a plain `check` imports this module and never packages

    tpl = copy.deepcopy(dict(template))
    swapped: list[str] = []
    globals_ = tpl.get("Globals")
    global_function: Any = globals_.get("Function") if isinstance(globals_, dict) else None
    if isinstance(globals_, dict):
        for section, prop in _GLOBAL_ARTIFACT_PROPERTIES.items():
            if _swap(globals_.get(section), prop, "s3", location):
                swapped.append(f"Globals.{section}.{prop}")
    global_code = isinstance(global_function, dict) and any(k in global_function for k in _CODE_PROPERTIES)
    resources = tpl.get("Resources")
    for rid, resource in resources.items() if isinstance(resources, dict) else ():
        if isinstance(resource, dict) and isinstance(resource.get("Properties"), dict):
            _package_resource(rid, resource, global_code, location, swapped)
    return tpl, swapped


def _package_resource(
    rid: str, resource: dict[str, Any], global_code: bool, location: ArtifactLocation, swapped: list[str]
) -> None:
    """Swap the artifacts of one resource in place, adding the paths swapped to `swapped`."""
    rtype, props = resource.get("Type"), resource["Properties"]
    if rtype == "AWS::Serverless::Application":
        if _swap(props, "Location", "https", location):
            swapped.append(f"{rid}.Location")
        return
    if not isinstance(rtype, str) or rtype not in _ARTIFACT_PROPERTIES:
        return
    prop = _ARTIFACT_PROPERTIES[rtype]
    is_function = rtype == "AWS::Serverless::Function"
    if _swap(props, prop, "s3", location):
        swapped.append(f"{rid}.{prop}")
    elif (
        is_function
        and not global_code
        and not any(k in props for k in _CODE_PROPERTIES)
        and props.get("PackageType", "Zip") == "Zip"
    ):
        props[prop] = location("s3", _TEMPLATE_DIRECTORY_KEY)
        swapped.append(f"{rid}.{prop}")
    if is_function and props.get("PackageType") == "Image" and "ImageUri" not in props and not global_code:
        props["ImageUri"] = PLACEHOLDER_IMAGE  # `sam build` + `sam package` push the image
        swapped.append(f"{rid}.ImageUri")


def _swap(holder: Any, prop: str, scheme: Scheme, location: ArtifactLocation) -> bool:
    if not isinstance(holder, dict):
        return False
    value = holder.get(prop)
    if not isinstance(value, str) or value.startswith(f"{scheme}://"):
        return False
    holder[prop] = location(scheme, value)
    return True


class _OfflineServerlessRepo:
    """Stands in for the Serverless Application Repository client: the translator never goes online."""

    def create_cloud_formation_template(self, ApplicationId: str, SemanticVersion: str) -> dict[str, str]:
        return {
            "ApplicationId": ApplicationId,
            "TemplateId": "offline",
            "TemplateUrl": PLACEHOLDER_TEMPLATE_URL,
            "Status": "ACTIVE",
        }

    def get_application(self, ApplicationId: str, SemanticVersion: str) -> dict[str, str]:
        return {"ApplicationId": ApplicationId}


def _no_managed_policy_lookup() -> dict[str, str]:
    # The translator looks managed-policy names up in its bundled table (per partition) first;
    # this is its IAM fallback, asked only for names the table lacks, which then stay as written.
    return {}


def sam_translate(
    template: Mapping[str, Any],
    region: str,
    parameter_values: Mapping[str, Any] | None = None,
    location: ArtifactLocation = placeholder_location,
    note: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The SAM translator's output (plain CloudFormation, no Transform key), offline.

    `template` is not changed. Raises SamError with one line when SAM rejects it.
    `note` hears which local artifact paths were swapped for placeholders.
    """
    import logging

    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
    from samtranslator.translator.translator import Translator

    # The SAM translator logs metrics warnings on exit; the callers report its errors themselves.
    logging.getLogger("samtranslator").addHandler(logging.NullHandler())
    sam_input, swapped = packaged(fragment_of(template), location)
    sam_input["Transform"] = SAM_TRANSFORM
    if swapped and note is not None:
        note(
            f"{len(swapped)} local artifact path{'s' if len(swapped) > 1 else ''} ({', '.join(swapped)}) "
            f"replaced with s3://{PLACEHOLDER_BUCKET}/<path>, as `sam package` would"
        )
    plugins = [ServerlessAppPlugin(sar_client_creator=_OfflineServerlessRepo)]
    try:
        with isolated_region(region):
            output: dict[str, Any] = Translator(None, Parser(), plugins=plugins).translate(
                sam_input,
                parameter_values=dict(parameter_values or {}),
                get_managed_policy_map=_no_managed_policy_lookup,
            )
    except InvalidDocumentException as err:
        causes = " ".join(cause.message for cause in err.causes)
        raise SamError(f"{SAM_TRANSFORM}: {err.message} {causes}".strip()) from err
    except ExceptionWithMessage as err:
        raise SamError(f"{SAM_TRANSFORM}: {err.message}") from err
    except Exception as err:  # the translator's own bugs on odd input: still one line, no traceback
        raise SamError(f"{SAM_TRANSFORM}: the SAM translator failed: {type(err).__name__}: {err}") from err
    output.pop("Transform", None)
    plain: dict[str, Any] = _plain(output)
    return plain


def _plain(value: Any) -> Any:
    """The translator's output types (its own dict and str subclasses) as plain JSON data."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


@contextmanager
def isolated_region(region: str) -> Iterator[None]:
    """The translator builds a boto3 session only to learn the region (it calls no AWS API).

    Give it ours, and keep the user's profiles and config files out of it, so a
    missing or broken profile cannot fail an offline translation. Restored afterwards.
    """
    from samtranslator.translator.arn_generator import ArnGenerator

    isolated: dict[str, str | None] = {
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


def macro_event(
    fragment: Any,
    *,
    region: str,
    account_id: str,
    request_id: str,
    macro_name: str = DEFAULT_MACRO_NAME,
    params: Any = None,
    parameter_values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The event CloudFormation sends a macro function (keys in the order the CLI prints them).

    `params` are the `Fn::Transform` Parameters (empty for a template-level Transform),
    `parameter_values` the stack's templateParameterValues.
    """
    return {
        "region": region,
        "accountId": account_id,
        "fragment": fragment,
        "transformId": f"{account_id}::{macro_name}",
        "params": {} if params is None else params,
        "requestId": request_id,
        "templateParameterValues": dict(parameter_values or {}),
    }
