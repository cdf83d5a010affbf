"""Writing templates for the CLI: YAML with short-form tags, or JSON.

Reading lives in `template_read` (re-exported here for existing callers). Writing uses cfn-flip's dumper with
clean-up off, so the output says exactly what the data says (clean-up would,
for example, rewrite `Fn::Join` as `Fn::Sub`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import cfn_flip
from cfn_flip.yaml_dumper import Dumper as CfnFlipDumper
from cfn_flip.yaml_dumper import ODict  # the mapping type cfn-flip's dumper writes in order, with tags

from .template_read import (
    STDIN,
    LoadedTemplate,
    NotATemplate,
    OutputFormat,
    TemplateError,
    is_template,
    load_template,
    read_template,
    to_plain,
)

# The reading API, re-exported where callers have always imported it from.
__all__ = [
    "STDIN",
    "LoadedTemplate",
    "NotATemplate",
    "OutputFormat",
    "TemplateError",
    "dump_template",
    "is_template",
    "load_template",
    "read_template",
    "to_plain",
]

_TAG_NAME = re.compile(r"^Fn::[A-Za-z0-9]+$")


# YAML reads NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks; PyYAML writes them raw
# inside single quotes, where they fold into spaces. Strings holding one are written double-quoted
# (escaped as \N, \L, \P), marked by this type; the representer only ever sees our own strings.
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


class _TextWithYamlBreak(str):
    pass


CfnFlipDumper.add_representer(
    _TextWithYamlBreak,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style='"'),
)


def dump_template(data: Mapping[str, Any], fmt: OutputFormat = "yaml") -> str:
    """YAML with short-form tags (`!GetAtt F.Arn`), keys in their order; or JSON indented 2."""
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    text: str = cfn_flip.dump_yaml(_for_yaml(data), clean_up=False, long_form=False)
    return text


def _for_yaml(value: Any) -> Any:
    """Mappings become cfn-flip's ODict: its dumper keeps their order and writes short-form tags.

    A one-key intrinsic whose short form would read back differently stays a plain
    dict, which the dumper writes in long form (`Fn::GetAtt: [A, !Ref Attr]`).
    """
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if _is_intrinsic(key) and not _short_form_reads_back(key, arg):
                return {key: _for_yaml(arg)}
        return ODict([(_for_yaml(k), _for_yaml(v)) for k, v in value.items()])
    if isinstance(value, list):
        return [_for_yaml(v) for v in value]
    if isinstance(value, str) and any(c in value for c in _YAML_BREAKS):
        return _TextWithYamlBreak(value)
    return value


def _is_intrinsic(key: str) -> bool:
    """What cfn-flip's dumper writes as a tag: `Ref`, `Condition` and every `Fn::` key."""
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def _short_form_reads_back(key: str, arg: Any) -> bool:
    if not (key in ("Ref", "Condition") or _TAG_NAME.match(key)):
        return False  # `Fn::` alone, `Fn::ForEach::Loop`, ...: not a plain tag name
    if key == "Fn::GetAtt":
        # `!GetAtt A.B` reads back as [A, B]; a string or any other list would change.
        return (
            isinstance(arg, list)
            and len(arg) == 2
            and all(isinstance(a, str) and _plain_tag_scalar(a) for a in arg)
            and "." not in arg[0]
        )
    if isinstance(arg, str):
        return _plain_tag_scalar(arg)
    return isinstance(arg, list | Mapping)


def _plain_tag_scalar(text: str) -> bool:
    """A tag's scalar is written without our quoting style, so YAML's extra line breaks
    (NEL, LS, PS) would be read back as something else."""
    return not any(c in text for c in _YAML_BREAKS)
