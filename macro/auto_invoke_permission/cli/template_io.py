"""Reading and writing templates for the CLI: YAML with short-form tags, or JSON.

Loading uses cfn-lint's decoder, the strict one CloudFormation users already
run: short-form tags become long-form intrinsics, duplicate keys are rejected
with their line numbers. Its nodes carry source positions; the data handed to
the core is converted to plain dicts, lists and strings, and the positions are
kept aside so reports can point at a line. Writing YAML is yaml_output's (ruamel.yaml,
round trip); `text` keeps the source for it.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cfnlint.decode import cfn_json, cfn_yaml

# cfn-lint's decoder logs some problems before raising them; we report each one
# ourselves, in one line, so its log records must not reach stderr as well.
logging.getLogger("cfnlint.decode").addHandler(logging.NullHandler())

OutputFormat = Literal["yaml", "json"]

_DUPLICATE = re.compile(r"^Duplicate found (?P<key>.+?)(?: \(line \d+\))?$")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class TemplateError(Exception):
    """The template cannot be read or parsed. The message is one line: path, line and problem."""


class NotATemplateError(TemplateError):
    """The file parses but holds no template: it is empty, or not a mapping (`check` skips it)."""


@dataclass(frozen=True)
class LoadedTemplate:
    """A parsed template: plain JSON-shaped `data`, plus the loader's nodes for source lines."""

    path: str
    data: dict[str, Any]
    nodes: Any  # cfn-lint's dict_node tree, whose keys and values carry `start_mark`
    source_format: OutputFormat = "yaml"
    text: str | None = None  # the source text, for output that keeps its comments and layout

    @property
    def fragment(self) -> dict[str, Any]:
        """The template as a macro event carries it: everything but the Transform key."""
        return {k: v for k, v in self.data.items() if k != "Transform"}

    def line_of(self, path: str) -> int:
        """The 1-based line of a finding path such as `Fn.Properties.Policies[0].Statement[1]`.

        Follows the path as far as the template has it and answers the line of the
        deepest part found (at least the resource's); 1 when nothing matches.
        """
        line = 1
        node = self.nodes
        for part in template_path(self.nodes, path):
            if isinstance(part, str):
                line = _line(next(k for k in node if k == part), line)
                node = node[part]
            else:
                node = node[part]
                line = _line(node, line)
        return line


def template_path(nodes: Any, path: str) -> list[str | int]:
    """A finding path as keys and indexes from the template's root, as far as the template has it.

    `Fn.Properties.Policies[0]` -> ["Resources", "Fn", "Properties", "Policies", 0]: finding paths
    start at the logical ID, or at a top-level key (`Metadata.AutoInvokePermission.Mode`).
    """
    parts: list[str | int] = [
        m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _PATH_PART.finditer(path)
    ]
    node = nodes
    found: list[str | int] = []
    if parts and isinstance(node, Mapping) and parts[0] not in node and "Resources" in node:
        node = node["Resources"]
        found.append("Resources")
    for part in parts:
        is_key = isinstance(part, str) and isinstance(node, Mapping) and part in node
        is_index = isinstance(part, int) and isinstance(node, list) and part < len(node)
        if not (is_key or is_index):
            break
        node = node[part]
        found.append(part)
    return found


def _line(node: Any, default: int) -> int:
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else default


def read_template(path: str) -> LoadedTemplate:
    """Load a YAML or JSON template. Raises TemplateError with one clear line."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as err:
        raise TemplateError(f"{path}: not UTF-8 text (byte {err.start})") from err
    except OSError as err:
        raise TemplateError(f"{path}: cannot read the template: {err.strerror or err}") from err
    nodes = _parse(text, path)
    if nodes is None or nodes == {}:
        raise NotATemplateError(f"{path}: the template is empty")
    if not isinstance(nodes, Mapping):
        raise NotATemplateError(f"{path}: the template must be a mapping, found a {_kind(nodes)}")
    data = to_plain(nodes)
    assert isinstance(data, dict)
    source_format: OutputFormat = "json" if text.lstrip().startswith("{") else "yaml"
    return LoadedTemplate(path=path, data=data, nodes=nodes, source_format=source_format, text=text)


def load_template(path: str) -> dict[str, Any]:
    """The template at `path` as plain JSON-shaped data (long-form intrinsics)."""
    return read_template(path).data


def _parse(text: str, path: str) -> Any:
    # YAML first, as cfn-lint does: JSON is YAML, and the YAML loader reports the
    # right line for duplicate keys. JSON indented with tabs is not YAML, so JSON
    # content falls back to cfn-lint's JSON decoder.
    try:
        return cfn_yaml.loads(text, path)
    except cfn_yaml.CfnParseError as err:
        if getattr(err.__cause__, "problem_mark", None) is not None:  # a YAML error cfn-lint wrapped
            raise TemplateError(_describe_yaml_error(path, err.__cause__)) from err
        raise TemplateError(_describe_matches(path, err.matches, json_keys=False)) from err
    except (cfn_yaml.ScannerError, cfn_yaml.ParserError) as err:
        if not text.lstrip().startswith("{"):
            raise TemplateError(_describe_yaml_error(path, err)) from err
        yaml_error = err
    try:
        return cfn_json.loads(text)
    except cfn_json.JSONDecodeError as err:
        raise TemplateError(_describe_matches(path, err.matches, json_keys=True)) from yaml_error
    except json.JSONDecodeError as err:
        raise TemplateError(f"{path}:{err.lineno}:{err.colno}: {err.msg}") from yaml_error


def _describe_yaml_error(path: str, err: Any) -> str:
    """PyYAML's marked errors: `problem` at `problem_mark`, within `context`."""
    mark = err.problem_mark or err.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
    problem = err.problem or err.context or "invalid YAML"
    if err.context and err.problem:
        problem = f"{problem} ({err.context})"
    return f"{where}: {_one_line(problem)}"


def _describe_matches(path: str, matches: list[Any], json_keys: bool) -> str:
    """One line for cfn-lint's parse matches: the first problem, and how many more there are."""
    first = matches[0]
    found = _DUPLICATE.match(first.message)
    if found is None:
        text = f"{path}:{first.linenumber}:{first.columnnumber}: {_one_line(first.message)}"
        rest = len(matches) - 1
    else:
        key = found.group("key")
        same = [m for m in matches if (d := _DUPLICATE.match(m.message)) and d.group("key") == key]
        # cfn-lint's JSON decoder reports duplicate keys with 0-based lines (its YAML loader does not).
        lines = sorted({int(m.linenumber) + (1 if json_keys else 0) for m in same})
        at = lines[1] if len(lines) > 1 else lines[0]
        text = f"{path}:{at}: duplicate key {key}"
        if len(lines) > 1:
            text += f" (first at line {lines[0]})"
        rest = len(matches) - len(same)
    if rest > 0:
        text += f" (and {rest} more problem{'s' if rest > 1 else ''})"
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def to_plain(value: Any) -> Any:
    """cfn-lint's nodes to plain dict/list/str; YAML dates to ISO strings, as CloudFormation reads them."""
    if isinstance(value, Mapping):
        return {_plain_key(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime.date):  # datetime is a date too
        return value.isoformat()
    return value


def _plain_key(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    return json.dumps(to_plain(key))  # `true:` or `1:` as JSON would write the key


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
