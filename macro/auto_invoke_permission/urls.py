"""Function URLs (docs/design/aws-facts-integrations.md section 2): which callee forms have one, and the
only IAM
conditions a URL grant may carry and still be mirrored exactly.

A URL with `AuthType: AWS_IAM` needs both `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction`
from the caller; a URL with `NONE` is public (SAM adds its permissions). The target of a URL is the
function, or one of its aliases (`Qualifier`, or SAM's AutoPublishAlias).
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import CalleeForm
from .records import Record
from .resolver import literal
from .targets import TargetClassifier
from .template import TemplateIndex, properties

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LAMBDA_URL = "AWS::Lambda::Url"
AWS_IAM = "AWS_IAM"
NONE = "NONE"


class FunctionUrl(Record):
    logical_id: str  # the AWS::Lambda::Url, or the one SAM generates from FunctionUrlConfig: <F>Url
    path: str  # where it is declared
    form: CalleeForm  # what it invokes: the function, or an alias of it
    auth_type: str | None  # AWS_IAM, NONE, or None when unknown at transform time


def function_urls(index: TemplateIndex, classifier: TargetClassifier) -> list[FunctionUrl]:
    """Every function URL of the template: SAM's FunctionUrlConfig (Globals merged in) and
    AWS::Lambda::Url on a function of the template or an alias of it."""
    out: list[FunctionUrl] = []
    for fid in index.url_configs:
        fn = index.functions[fid]
        config = fn.properties["FunctionUrlConfig"]
        if not isinstance(config, dict) or fid in index.skipped:
            continue
        # SAM puts the URL on the AutoPublishAlias when there is one (`_construct_function_url`)
        sam_alias = index.alias_ids.get(f"{fid}.Alias")
        form = sam_alias[1].form(fid) if sam_alias is not None else fn.form
        path = f"{fid}.Properties.FunctionUrlConfig"
        out.append(FunctionUrl(f"{fid}Url", path, form, _auth_type(index, config.get("AuthType"))))
    for rid in index.of_type.get(LAMBDA_URL, ()):
        if rid in index.skipped:
            continue
        props = properties(index.resources[rid])
        auth = _auth_type(index, props.get("AuthType"))
        path = f"{rid}.Properties.TargetFunctionArn"
        out.extend(FunctionUrl(rid, path, form, auth) for form in _targets(index, classifier, props))
    return out


def _auth_type(index: TemplateIndex, node: Any) -> str | None:
    value = index.resolver.scalar(node)
    return literal(value) if isinstance(value, tuple) else None


def _targets(
    index: TemplateIndex, classifier: TargetClassifier, props: Mapping[str, Any]
) -> list[CalleeForm]:
    """The callee forms an AWS::Lambda::Url invokes: TargetFunctionArn (a name, an ARN, an alias ARN)
    and Qualifier (an alias name)."""
    value = index.resolver.scalar(props.get("TargetFunctionArn"))
    if not isinstance(value, tuple) or not value:
        return []
    target = classifier.classify(value)
    if target.code not in (None, "AIP101"):  # AIP101: a function name, which TargetFunctionArn takes
        return []
    forms = [form for form, _ in target.forms]
    if "Qualifier" not in props:
        return forms
    qualifier = index.resolver.scalar(props["Qualifier"])
    name = literal(qualifier) if isinstance(qualifier, tuple) else None
    out = []
    for form in forms:
        if form.alias is not None:
            if form.alias_name == name:
                out.append(form)
            continue
        out.extend(a.form(form.function) for a in index.functions[form.function].aliases if a.name == name)
    return out


def _only_condition(condition: Any, operator: str, key: str) -> Any:
    """The value of `{operator: {key: value}}` when that is the whole Condition block (keys compare
    without case, as IAM's do), else None."""
    if not isinstance(condition, dict) or len(condition) != 1 or operator not in condition:
        return None
    body = condition[operator]
    if not isinstance(body, dict) or len(body) != 1:
        return None
    ((name, value),) = body.items()
    if not isinstance(name, str) or name.lower() != key:
        return None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def via_url_only(condition: Any) -> bool:
    """`Bool lambda:InvokedViaFunctionUrl: true` and nothing else: InvokeFunction through a URL only."""
    value = _only_condition(condition, "Bool", "lambda:invokedviafunctionurl")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def aws_iam_auth_only(condition: Any) -> bool:
    """`StringEquals lambda:FunctionUrlAuthType: AWS_IAM` and nothing else."""
    value = _only_condition(condition, "StringEquals", "lambda:functionurlauthtype")
    return isinstance(value, str) and value == AWS_IAM
