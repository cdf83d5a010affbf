"""The CLI's YAML loader: the data and the errors of cfn-lint's decoder, without importing cfn-lint.

cfn-lint's decoder (`cfnlint.decode.cfn_yaml`) is the loader CloudFormation users already run, but
importing it imports cfn-lint's rules, sympy and networkx: about half a second before the first
template is read. This loader is PyYAML's C loader (`CSafeLoader`; the pure `SafeLoader` when
PyYAML was built without libyaml) with the same constructors:

* short-form tags become long-form intrinsics (`!Ref`, `!Condition`, every other `!X` -> `Fn::X`;
  `!GetAtt A.B` -> `["A", "B"]`), under a mapping with a plain `str` key, so that the reader can
  tell a tag from a key written out (and reject tags CloudFormation does not have);
* mappings, sequences and strings carry `start_mark`/`end_mark` (0-based line and column), so a
  report can point at a line;
* a duplicate key, a null key or an unhashable key is a `YamlProblems` with the lines cfn-lint
  gives; so is a template that YAML aliases expand past `MAX_EXPANDED_NODES`.

`tests/test_yaml_read.py` compares it with cfn-lint's decoder on every corpus template.
"""

from __future__ import annotations

from ..pyyaml_import import yaml
from ..records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

# cfn-lint's bound on what YAML aliases may expand to (a "billion laughs" template)
MAX_EXPANDED_NODES = 250_000
UNCONVERTED_TAGS = ("Ref", "Condition")  # every other short-form tag `!X` is `Fn::X`
_MERGE = "tag:yaml.org,2002:merge"


class Position(Record):
    """A 0-based place in the text, as PyYAML's marks give it; (1, 1) for a node the loader made
    without one (a `!GetAtt` mapping), as cfn-lint's `Mark()`."""

    line: int = 1
    column: int = 1


class PositionedStr(str):
    """A string as written in the template, with its place."""

    start_mark: Any
    end_mark: Any

    def __new__(cls, value: str, start_mark: Any = None, end_mark: Any = None) -> PositionedStr:
        node = super().__new__(cls, value)
        node.start_mark = start_mark or Position()
        node.end_mark = end_mark or Position()
        return node


class PositionedDict(dict["Any", "Any"]):
    """A mapping as written in the template (or made from a short-form tag), with its place."""

    __slots__ = ("end_mark", "start_mark")

    def __init__(self, value: Any = (), start_mark: Any = None, end_mark: Any = None) -> None:
        super().__init__(value)
        self.start_mark = start_mark or Position()
        self.end_mark = end_mark or Position()


class PositionedList(list["Any"]):
    """A sequence as written in the template, with its place."""

    __slots__ = ("end_mark", "start_mark")

    def __init__(self, value: Any = (), start_mark: Any = None, end_mark: Any = None) -> None:
        super().__init__(value)
        self.start_mark = start_mark or Position()
        self.end_mark = end_mark or Position()


class Problem(Record):
    """One problem, 1-based, as cfn-lint's parse matches give it."""

    message: str
    linenumber: int
    columnnumber: int


class YamlProblems(Exception):
    """The template is YAML but not a template cfn-lint reads: duplicate keys and the like."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems


def _problem(message: str, mark: Any) -> Problem:
    return Problem(message, mark.line + 1, mark.column + 1)


class _Constructor(yaml.constructor.SafeConstructor):
    """cfn-lint's NodeConstructor: positions on every node, duplicate keys refused."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # as cfn-lint: a mapping with a merge key (`<<`) is merged, and not checked for duplicates
        if any(key_node.tag == _MERGE for key_node, _ in node.value):
            super().flatten_mapping(node)
            node.using_merge = True  # type: ignore[attr-defined]
        super().flatten_mapping(node)

    def construct_positioned_map(self, node: yaml.MappingNode) -> PositionedDict:
        self.flatten_mapping(node)
        mapping = PositionedDict((), node.start_mark, node.end_mark)
        checked = not getattr(node, "using_merge", False)
        keys: dict[Any, Any] = {}  # each key, as first written
        duplicates: list[Problem] = []
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, False)
            value = self.construct_object(value_node, False)
            if key is None:
                message = f"Null key {key_node.value!r} not supported (line {key_node.start_mark.line + 1})"
                raise YamlProblems([_problem(message, key_node.start_mark)])
            try:
                seen = key in keys
            except TypeError:
                message = f'Unhashable type "{key}" (line {key.start_mark.line + 1})'
                raise YamlProblems([_problem(message, key.start_mark)]) from None
            if not seen:
                keys[key] = key
            elif checked:
                duplicates.extend(_duplicate(key, keys[key], key_node, again=bool(duplicates)))
            mapping[key] = value
        if duplicates:
            raise YamlProblems(duplicates)
        return mapping

    def construct_positioned_str(self, node: yaml.ScalarNode) -> PositionedStr:
        return PositionedStr(self.construct_scalar(node), node.start_mark, node.end_mark)

    def construct_positioned_seq(self, node: yaml.SequenceNode) -> PositionedList:
        return PositionedList(self.construct_sequence(node), node.start_mark, node.end_mark)

    def construct_intrinsic(self, tag_suffix: str, node: yaml.Node) -> PositionedDict:
        key = tag_suffix if tag_suffix in UNCONVERTED_TAGS else f"Fn::{tag_suffix}"
        value: Any
        if key == "Fn::GetAtt":
            value = self._get_att(node)
        elif isinstance(node, yaml.ScalarNode):
            value = self.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = self.construct_sequence(node, True)
        else:
            value = self.construct_mapping(node, True)  # type: ignore[arg-type]
        return PositionedDict({key: value}, node.start_mark, node.end_mark)

    def _get_att(self, node: yaml.Node) -> Any:
        """`!GetAtt A.B.C` -> ["A", "B.C"]; a sequence as it is; a mapping (no GetAtt) as cfn-lint has it."""
        if isinstance(node.value, str):
            return PositionedList(node.value.split(".", 1), node.start_mark, node.end_mark)
        if any(isinstance(item, tuple) for item in node.value):
            mapping = yaml.MappingNode("tag:yaml.org,2002:map", node.value, node.start_mark, node.end_mark)
            return PositionedDict(self.construct_object(mapping, deep=True))
        children = [self.construct_object(child, deep=True) for child in node.value]
        return PositionedList(children, node.start_mark, node.end_mark)


def _duplicate(key: Any, first: Any, key_node: yaml.Node, again: bool) -> list[Problem]:
    """cfn-lint's matches for a repeated key: both places the first time, then each further one."""
    here = _problem(f"Duplicate found {key!r} (line {key_node.start_mark.line + 1})", key_node.start_mark)
    if again:
        return [here]
    mark = first.start_mark  # an int or bool key has none: cfn-lint fails on it the same way
    return [_problem(f"Duplicate found {key!r} (line {mark.line + 1})", mark), here]


class _Loader(_BaseLoader, _Constructor):
    """The C parser (when built) with cfn-lint's constructors."""


_Loader.add_constructor("tag:yaml.org,2002:map", _Constructor.construct_positioned_map)  # type: ignore[type-var]
_Loader.add_constructor("tag:yaml.org,2002:str", _Constructor.construct_positioned_str)  # type: ignore[type-var]
_Loader.add_constructor("tag:yaml.org,2002:seq", _Constructor.construct_positioned_seq)  # type: ignore[type-var]
_Loader.add_multi_constructor("!", _Constructor.construct_intrinsic)


def load(text: str) -> Any:
    """The one document of `text`, with positions. Raises PyYAML's ScannerError and ParserError as
    they are (JSON that is not YAML is read by the caller), YamlProblems for what cfn-lint reports as
    parse matches, and for anything else cfn-lint's "Template could not be parsed" problem at line 1
    (when the error has no place of its own: PyYAML's marked errors are raised as they are)."""
    try:
        loader = _Loader(text)
        try:
            template = loader.get_single_data()
        finally:
            loader.dispose()
        if template is None:  # an empty file
            template = PositionedDict((), Position(0, 0), Position(0, 0))
        if "&" in text:  # no anchor, no alias: nothing can expand
            _bound_expansion(template)
    except (YamlProblems, yaml.scanner.ScannerError, yaml.parser.ParserError):
        raise
    except Exception as error:  # as cfn-lint: any other failure is one problem, a marked one where it is
        if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
            raise
        raise YamlProblems([Problem(f"Template could not be parsed: {error}", 1, 1)]) from error
    return template


def _bound_expansion(template: Any) -> None:
    """Refuse a template whose aliases expand past MAX_EXPANDED_NODES (counted once per distinct node)."""
    sizes: dict[int, int] = {}
    pending: list[tuple[Any, bool]] = [(template, False)]
    while pending:  # iterative, children before their parent
        node, children_done = pending.pop()
        if id(node) in sizes:
            continue
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            sizes[id(node)] = 1
        elif children_done:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[id(node)] > MAX_EXPANDED_NODES:
                message = (
                    f"Template resolves to more than {MAX_EXPANDED_NODES} nodes once YAML aliases are "
                    "expanded; this is not supported and may indicate YAML alias amplification"
                )
                raise YamlProblems([Problem(message, 1, 1)])
        else:
            pending.append((node, True))
            pending.extend((child, False) for child in children if id(child) not in sizes)
