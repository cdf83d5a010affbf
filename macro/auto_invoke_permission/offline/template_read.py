"""Reading templates for the CLI: YAML with short-form tags, or JSON.

YAML is read by `yaml_read`: the data and the errors of cfn-lint's decoder (the strict
one CloudFormation users already run) without its import. Short-form tags become
long-form intrinsics, duplicate keys are rejected with their line numbers. Its nodes
carry source positions; the data handed to the core is converted to plain dicts,
lists and strings, and the positions are kept aside so reports can point at a line.

A JSON template that the standard library's parser reads without a duplicate
key is taken from it, and the YAML loader is asked for positions only when a
report needs a line: `check` of a small clean JSON template never loads PyYAML.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Mapping

from ..paths import TemplatePath

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    OutputFormat = Literal["yaml", "json"]
else:
    OutputFormat = str

_DUPLICATE = r"^Duplicate found (?P<key>.+?)(?: \(line \d+\))?$"  # compiled when a template has one


class TemplateError(Exception):
    """The template cannot be read or parsed. The message is one line: path, line and problem."""


class LoadedTemplate:
    """A parsed template: plain JSON-shaped `data`, plus the loader's nodes for source lines.

    `parsed_nodes`: yaml_read's (or cfn-lint's) tree, whose keys and values carry `start_mark`;
    `text`: the source, parsed for positions when first needed (`nodes`, computed once)."""

    def __init__(
        self,
        path: str,
        data: dict[str, Any],
        parsed_nodes: Any = None,
        source_format: OutputFormat = "yaml",
        text: str = "",
    ) -> None:
        self.path, self.data, self.parsed_nodes = path, data, parsed_nodes
        self.source_format: OutputFormat = source_format
        self.text = text

    @functools.cached_property
    def nodes(self) -> Any:
        """The loader's nodes; for a template the standard library read, parsed now from its text."""
        if self.parsed_nodes is not None or not self.text:
            return self.parsed_nodes
        try:
            return _parse(self.text, self.path)
        except (TemplateError, RecursionError):  # it read as JSON: no positions to give then
            return None

    @property
    def fragment(self) -> dict[str, Any]:
        """The template as a macro event carries it: everything but the Transform key."""
        from ..template_inputs import fragment_of

        return fragment_of(self.data)

    def line_of(self, path: TemplatePath | str) -> int:
        """The 1-based line of a finding path such as `Fn.Properties.Policies[0].Statement[1]`."""
        return self.position_of(path)[0]

    def position_of(self, path: TemplatePath | str) -> tuple[int, int]:
        """The 1-based (line, column) of a finding path such as `Fn.Properties.Policies[0]`.

        Follows the path as far as the template has it and answers the position of the
        deepest part found (at least the resource's); (1, 1) when nothing matches.
        """
        position = (1, 1)
        for parent, part, child in _as_path(path).steps(_path_root(self.nodes, _as_path(path))):
            if isinstance(part, int):
                position = _position(child, position)
            else:
                position = _position(next(k for k in parent if k == part), position)
        return position


def template_path(nodes: Any, path: TemplatePath | str) -> list[str | int]:
    """A finding path as keys and indexes from the template's root, as far as the template has it.

    `Fn.Properties.Policies[0]` -> ["Resources", "Fn", "Properties", "Policies", 0]: finding paths
    start at the logical ID, or at a top-level key (`Metadata.AutoInvokePermission.Mode`).
    """
    where = _as_path(path)
    root = _path_root(nodes, where)
    found: list[str | int] = ["Resources"] if root is not nodes else []
    return found + [part for _, part, _ in where.steps(root)]


def _as_path(path: TemplatePath | str) -> TemplatePath:
    return path if isinstance(path, TemplatePath) else TemplatePath.parse(path)


def _path_root(nodes: Any, path: TemplatePath) -> Any:
    """Where a finding path starts: the template's Resources, unless it starts at a top-level key."""
    if path and isinstance(nodes, Mapping) and path[0] not in nodes and "Resources" in nodes:
        return nodes["Resources"]
    return nodes


def _position(node: Any, default: tuple[int, int]) -> tuple[int, int]:
    mark = getattr(node, "start_mark", None)
    return (int(mark.line) + 1, int(mark.column) + 1) if mark is not None else default


STDIN = "-"
STDIN_NAME = "<stdin>"

# The short forms CloudFormation reads (`!Ref`, `!GetAtt` ...): the intrinsic functions, the condition
# functions, AWS::LanguageExtensions' Fn::Length and Fn::ToJsonString, and the Rules functions. Any other
# tag is a typo that the loader would otherwise turn into a `Fn::` key CloudFormation rejects.
SHORT_FORM_TAGS = frozenset(
    {"Ref", "Condition"}
    | {
        f"Fn::{name}"
        for name in (
            *("Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select"),
            *("Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or", "Length", "ToJsonString"),
            *("Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll"),
        )
    }
)


class NotATemplate(TemplateError):
    """The file is readable but is no CloudFormation template (callers skip it with a note)."""


def is_template(data: Any) -> bool:
    """What makes a file a template, whatever its name: a mapping with Resources,
    AWSTemplateFormatVersion or a Transform."""
    return isinstance(data, Mapping) and any(
        key in data for key in ("Resources", "AWSTemplateFormatVersion", "Transform")
    )


def read_template(path: str, text: str | None = None) -> LoadedTemplate:
    """Load a YAML or JSON template (`text` when given, e.g. stdin's). Raises TemplateError with one line.

    NotATemplate when the content is not a template (empty, not a mapping, or a mapping
    with none of the keys `is_template` looks for).
    """
    name = STDIN_NAME if path == STDIN else path
    if text is None:
        text = _read_text(path)
    fast = _plain_json(text)
    if fast is not None:
        if not is_template(fast):
            raise NotATemplate(
                f"{name}: not a template (no Resources, AWSTemplateFormatVersion or Transform)"
            )
        return LoadedTemplate(path=name, data=fast, source_format="json", text=text)
    try:
        nodes = _parse(text, name)
        data = to_plain(nodes)
    except RecursionError:
        raise TemplateError(_too_deep(name, text)) from None
    except TemplateError as err:
        if "maximum recursion depth" in str(err):  # the loader reports a RecursionError as a problem
            raise TemplateError(_too_deep(name, text)) from None
        raise
    if nodes is None or nodes == {}:
        raise NotATemplate(f"{name}: the file is empty")
    if not isinstance(nodes, Mapping):
        raise NotATemplate(f"{name}: not a template (a {_kind(nodes)}, not a mapping)")
    if not is_template(data):
        raise NotATemplate(f"{name}: not a template (no Resources, AWSTemplateFormatVersion or Transform)")
    _reject_unknown_tags(name, nodes)
    source_format: OutputFormat = "json" if text.lstrip().startswith("{") else "yaml"
    return LoadedTemplate(path=name, data=data, parsed_nodes=nodes, source_format=source_format, text=text)


class _NotPlainJson(Exception):
    pass


def _plain_json(text: str) -> dict[str, Any] | None:
    """A JSON object the standard library reads with no duplicate key and no NaN.

    None otherwise: the YAML loader then reads it, and says what is wrong where."""
    if not text.lstrip().startswith("{"):
        return None
    import json  # here: a YAML template never needs it

    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError, _NotPlainJson):
        return None
    return data if isinstance(data, dict) else None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _NotPlainJson  # the YAML loader says which key, at which line
    return out


def _no_constant(name: str) -> Any:
    raise _NotPlainJson(name)


def _read_text(path: str) -> str:
    try:
        if path == STDIN:
            return sys.stdin.buffer.read().decode("utf-8")
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError as err:
        name = STDIN_NAME if path == STDIN else path
        raise TemplateError(f"{name}: not UTF-8 text (byte {err.start})") from err
    except OSError as err:
        raise TemplateError(f"{path}: cannot read the template: {err.strerror or err}") from err


def _reject_unknown_tags(path: str, nodes: Any) -> None:
    """A tag's mapping has a plain `str` key (the loader made it); written-out keys are the loader's nodes."""
    pending = [nodes]
    while pending:  # iterative: the depth is the template's, not Python's
        node = pending.pop()
        if isinstance(node, Mapping):
            if len(node) == 1:
                (key,) = node
                if type(key) is str and key not in SHORT_FORM_TAGS:
                    tag = key.removeprefix("Fn::")
                    mark = getattr(node, "start_mark", None)
                    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
                    raise TemplateError(f"{where}: unknown tag !{tag} (CloudFormation has no Fn::{tag})")
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def _too_deep(path: str, text: str) -> str:
    """One line for a template nested deeper than the parser can follow, at its deepest point."""
    line, column, depth = _deepest_point(text)
    levels = f" ({depth} levels of brackets)" if depth else ""
    return f"{path}:{line}:{column}: the template is nested too deeply to read{levels}"


def _deepest_point(text: str) -> tuple[int, int, int | None]:
    """(line, column, depth) of the first bracket at the deepest flow nesting.

    Block YAML has no brackets: its most indented line, with no depth."""
    depth = best = 0
    best_at = 0
    quote = ""
    escaped = False
    for at, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > best:
                best, best_at = depth, at
        elif char in "]}":
            depth -= 1
    if best == 0:  # block YAML: the most indented line
        lines = text.splitlines() or [""]
        widths = [len(ln) - len(ln.lstrip(" ")) if ln.strip() else -1 for ln in lines]
        number = max(range(len(lines)), key=lambda i: widths[i])
        return number + 1, widths[number] + 1, None
    line = text.count("\n", 0, best_at) + 1
    column = best_at - (text.rfind("\n", 0, best_at) + 1) + 1
    return line, column, best


def load_template(path: str) -> dict[str, Any]:
    """The template at `path` as plain JSON-shaped data (long-form intrinsics)."""
    return read_template(path).data


def _parse(text: str, path: str) -> Any:
    # YAML first, as cfn-lint does: JSON is YAML, and the YAML loader reports the right line for
    # duplicate keys. yaml_read gives cfn-lint's data and errors without importing cfn-lint (half a
    # second); PyYAML itself is imported here, so a plain JSON template never loads it.
    from ..pyyaml_import import yaml
    from . import yaml_read

    try:
        return yaml_read.load(text)
    except yaml_read.YamlProblems as err:
        raise TemplateError(_describe_matches(path, err.problems, json_keys=False)) from err
    except (yaml.scanner.ScannerError, yaml.parser.ParserError) as err:
        if not text.lstrip().startswith("{"):
            raise TemplateError(_describe_yaml_error(path, err)) from err
        yaml_error: Exception = err
    except yaml.MarkedYAMLError as err:
        raise TemplateError(_describe_yaml_error(path, err)) from err
    return _parse_json_that_is_not_yaml(text, path, yaml_error)


def _parse_json_that_is_not_yaml(text: str, path: str, yaml_error: Exception) -> Any:
    """JSON the YAML parser refuses (indented with tabs): cfn-lint's JSON decoder, for its positions
    and duplicate keys. The one place the CLI's reading still imports cfn-lint, and only for such text."""
    import json
    import logging

    from cfnlint.decode import cfn_json

    # cfn-lint's decoder logs some problems before raising them; we report each one
    # ourselves, in one line, so its log records must not reach stderr as well.
    logging.getLogger("cfnlint.decode").addHandler(logging.NullHandler())
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
    found = re.match(_DUPLICATE, first.message)
    if found is None:
        text = f"{path}:{first.linenumber}:{first.columnnumber}: {_one_line(first.message)}"
        rest = len(matches) - 1
    else:
        key = found.group("key")
        same = [m for m in matches if (d := re.match(_DUPLICATE, m.message)) and d.group("key") == key]
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
    """The loader's nodes to plain dict/list/str; YAML dates to ISO strings, as CloudFormation reads them."""
    if isinstance(value, Mapping):
        return {_plain_key(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if _is_date(value):
        return value.isoformat()
    return value


def _is_date(value: Any) -> bool:
    """A YAML date or timestamp (datetime is a date too). Only a YAML loader makes one, and PyYAML
    has imported datetime by then: a JSON template's reading never imports it."""
    if isinstance(value, bool | int | float) or value is None:
        return False
    import datetime

    return isinstance(value, datetime.date)


def _plain_key(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    import json

    return json.dumps(to_plain(key))  # `true:` or `1:` as JSON would write the key
