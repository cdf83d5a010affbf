"""Reading and writing templates for the CLI: YAML with short-form tags, or JSON.

Loading uses cfn-lint's decoder, the strict one CloudFormation users already
run: short-form tags become long-form intrinsics, duplicate keys are rejected
with their line numbers. Its nodes carry source positions; the data handed to
the core is converted to plain dicts, lists and strings, and the positions are
kept aside so reports can point at a line. Writing uses cfn-flip's dumper with
clean-up off, so the output says exactly what the data says (clean-up would,
for example, rewrite `Fn::Join` as `Fn::Sub`).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import cfn_flip
from cfn_flip.yaml_dumper import Dumper as CfnFlipDumper
from cfn_flip.yaml_dumper import ODict  # the mapping type cfn-flip's dumper writes in order, with tags
from cfnlint.decode import cfn_json, cfn_yaml

# cfn-lint's decoder logs some problems before raising them; we report each one
# ourselves, in one line, so its log records must not reach stderr as well.
logging.getLogger("cfnlint.decode").addHandler(logging.NullHandler())

OutputFormat = Literal["yaml", "json"]

_DUPLICATE = re.compile(r"^Duplicate found (?P<key>.+?)(?: \(line \d+\))?$")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
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


class TemplateError(Exception):
    """The template cannot be read or parsed. The message is one line: path, line and problem."""


@dataclass(frozen=True)
class LoadedTemplate:
    """A parsed template: plain JSON-shaped `data`, plus the loader's nodes for source lines."""

    path: str
    data: dict[str, Any]
    nodes: Any  # cfn-lint's dict_node tree, whose keys and values carry `start_mark`
    source_format: OutputFormat = "yaml"

    @property
    def fragment(self) -> dict[str, Any]:
        """The template as a macro event carries it: everything but the Transform key."""
        return {k: v for k, v in self.data.items() if k != "Transform"}

    def line_of(self, path: str) -> int:
        """The 1-based line of a finding path such as `Fn.Properties.Policies[0].Statement[1]`.

        Follows the path as far as the template has it and answers the line of the
        deepest part found (at least the resource's); 1 when nothing matches.
        """
        node = self.nodes
        parts = [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _PATH_PART.finditer(path)]
        if parts and isinstance(node, Mapping) and parts[0] not in node:
            node = node.get("Resources")  # finding paths start at the logical ID
        line = 1
        for part in parts:
            if isinstance(part, str) and isinstance(node, Mapping) and part in node:
                key = next(k for k in node if k == part)
                line = _line(key, line)
                node = node[part]
            elif isinstance(part, int) and isinstance(node, list) and part < len(node):
                node = node[part]
                line = _line(node, line)
            else:
                break
        return line


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
        raise TemplateError(f"{path}: the template is empty")
    if not isinstance(nodes, Mapping):
        raise TemplateError(f"{path}: the template must be a mapping, found a {_kind(nodes)}")
    data = to_plain(nodes)
    assert isinstance(data, dict)
    source_format: OutputFormat = "json" if text.lstrip().startswith("{") else "yaml"
    return LoadedTemplate(path=path, data=data, nodes=nodes, source_format=source_format)


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
