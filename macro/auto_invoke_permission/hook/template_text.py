"""A template as CloudFormation received it (JSON or YAML with short-form tags) to plain data.

PyYAML's C loader when it is built (about ten times faster on a 1 MB template), else the pure one;
both are the safe loaders. Short-form tags become the long form the core reads (`!GetAtt A.B` ->
`{"Fn::GetAtt": ["A", "B"]}`). Dates stay strings, as CloudFormation reads them.
"""

from __future__ import annotations

import json

from ..pyyaml_import import yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class TemplateSyntaxError(ValueError):
    """The text is neither JSON nor YAML; the message gives the line."""


class CloudFormationLoader(_BaseLoader):
    """Safe loader that knows CloudFormation's short-form tags and keeps timestamps as strings.
    Mapping keys are strings, as in JSON: `0:` or `true:` become "0" and "true"."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if all(isinstance(key, str) for key in mapping):
            return mapping
        return {key if isinstance(key, str) else json.dumps(key): value for key, value in mapping.items()}


def _intrinsic(loader: yaml.Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {f"Fn::{tag_suffix}": value}


def _string(loader: yaml.Loader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


CloudFormationLoader.add_multi_constructor("!", _intrinsic)
CloudFormationLoader.add_constructor("tag:yaml.org,2002:timestamp", _string)


def parse_template(text: str) -> Any:
    """JSON when the text starts with `{` (the json module is much faster), else YAML."""
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass  # JSON-looking YAML (flow style): the YAML parser decides
    try:
        return yaml.load(text, Loader=CloudFormationLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise TemplateSyntaxError(f"{where}{error.problem or error.context or 'invalid YAML'}") from error
    except yaml.YAMLError as error:
        raise TemplateSyntaxError(str(error).splitlines()[0] if str(error) else "invalid YAML") from error
