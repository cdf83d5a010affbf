"""Writing templates for the CLI: YAML with short-form tags, or JSON.

Reading lives in `template_read` (re-exported here for existing callers). Writing YAML is
yaml_output's (ruamel.yaml, round trip): over the source text when there is one, so comments,
quoting and layout survive wherever the data did not change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .template_read import (
    STDIN,
    LoadedTemplate,
    NotATemplate,
    OutputFormat,
    TemplateError,
    _parse,
    is_template,
    load_template,
    read_template,
    template_path,
    to_plain,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
    "template_path",
    "to_plain",
]


def dump_template(data: Mapping[str, Any], fmt: OutputFormat = "yaml", source: str | None = None) -> str:
    """YAML with short-form tags (`!GetAtt F.Arn`), keys in their order; or JSON indented 2.

    With `source`, the YAML text `data` was read from, the output keeps that text's comments,
    quoting and layout wherever the data did not change (yaml_output.dumps_over).
    """
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    from . import yaml_output  # ruamel.yaml is imported only by the commands that write YAML

    if source is not None and not source.lstrip().startswith("{"):
        for text in yaml_output.dumps_over(source, data):
            if _reads_back(text, data):
                return text
    return yaml_output.dump_yaml(data)


def _reads_back(text: str, data: Mapping[str, Any]) -> bool:
    """Whether `text` loads, with the loader templates are read with, as `data`."""
    try:
        return bool(to_plain(_parse(text, "<output>")) == data)
    except TemplateError:
        return False
