"""YAML output with ruamel.yaml, the round-trip YAML library: the input's text survives.

`transform` writes the template it read with the macro's additions. The original text,
loaded round-trip, tells where each entry's lines are; the output keeps the source's own
lines for every entry whose value did not change, writes anew only the entries that did
(the `Transform` that no longer names the macro), and appends the new ones (the added
permissions and conditions, the report) after the last entry of their mapping. So
`diff input output` shows the added lines. Comments, key order, quoting, flow style and
block scalars (`ZipFile: |`) stay as written. Where that splice is not possible, the
round-trip document itself is re-emitted with the data laid over it (`_laid_over`), which
keeps all of that too but writes the whole file with one indentation.

Written anew, a one-key intrinsic becomes its short-form tag (`!GetAtt F.Arn`)
where the tag reads back as the same data (`_reads_back_as_tag`),
and a string that a YAML 1.1 or 1.2 reader would take for something else ('1e5',
'yes', '0755') is quoted.
"""

from __future__ import annotations

import datetime
import difflib
import io
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping

import yaml as pyyaml  # PyYAML, YAML 1.1: what cfn-lint, cfn-flip and CloudFormation users' tools read
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tag import Tag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Long lines stay as long as they are: ruamel would otherwise fold plain scalars at 80 columns.
_WIDTH = 4096
# YAML reads NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks: such strings are written
# double-quoted, where they are escaped.
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")
_TAG_NAME = re.compile(r"^Fn::[A-Za-z0-9]+$")
_STR_TAG = "tag:yaml.org,2002:str"
_YAML11 = pyyaml.resolver.Resolver()


def dump_yaml(data: Mapping[str, Any]) -> str:
    """A new YAML document for `data`: short-form tags, keys in their order, indent 2."""
    # never a tag: the document is the template, not an intrinsic
    return _dump(_new_mapping(data), _yaml(mapping=2, sequence=4, offset=2))


def dumps_over(source: str, data: Mapping[str, Any]) -> Iterator[str]:
    """`data` written over the YAML text it was read from, best first: the caller keeps the first
    that reads back as `data` (template_io.dump_template), else writes a new document.

    First the source's own lines with only the changed entries written anew (`_Splicer`), then
    the whole round-trip document re-emitted with the data laid over it (one indentation for all).
    """
    try:
        document = _yaml().load(source)
    except YAMLError:
        return
    if not isinstance(document, CommentedMap):
        return
    # Lines as YAML counts them (ruamel's `lc`): only \n ends one, not str.splitlines' U+2028 and kin.
    lines = [line + "\n" for line in source.split("\n")]
    if source.endswith("\n"):
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1] + "\n"
    indent = _guess_indent(source)
    spliced = _Splicer(lines, indent).mapping(document, data, 0, len(lines), 0)
    if spliced is not None:
        yield "".join(spliced)
    yield _dump(_laid_over(document, data), _yaml(*indent))


def _key_lines(
    node: CommentedMap, keys: list[Any], plain_keys: list[Any], value: Mapping[str, Any], start: int
) -> list[int] | None:
    """The line of each key, or None where the kept keys are reordered or the lines are out of order."""
    kept = [k for k in plain_keys if k in value]
    if kept != [k for k in value if k in plain_keys]:
        return None  # existing keys reordered
    starts = [node.lc.key(k)[0] for k in keys]
    if starts != sorted(starts) or (starts and starts[0] < start):
        return None
    return starts


class _Splicer:
    """The source's lines, with each entry that changed written anew and new entries appended.

    Entries are found by the line of their key (ruamel's `lc`); an entry's lines run to the
    next key. Answers None where the layout is not one this can splice (the caller falls back).
    """

    def __init__(self, lines: list[str], indent: tuple[int, int, int]) -> None:
        self.lines = lines
        self.indent = indent

    def mapping(
        self, node: CommentedMap, value: Mapping[str, Any], start: int, end: int, column: int
    ) -> list[str] | None:
        keys = list(node)
        plain_keys = [_plain_key(k) for k in keys]
        starts = _key_lines(node, keys, plain_keys, value, start)
        if starts is None:
            return None
        out = list(self.lines[start : starts[0]]) if keys else []
        content_end = start
        for index, (key, name) in enumerate(zip(keys, plain_keys, strict=True)):
            first = starts[index]
            last = starts[index + 1] if index + 1 < len(keys) else end
            body_end = self._content_end(first, last, column)
            content_end = body_end
            tail = self.lines[body_end:last]
            if name not in value:
                out.extend(tail)
                continue
            child = node[key]
            if plain(child) == value[name]:
                out.extend(self.lines[first:last])
                continue
            changed = self._changed_entry(key, child, value[name], first, body_end, column)
            if changed is None:
                return None
            out.extend(changed)
            out.extend(tail)
        at = len(out) - (end - content_end) if keys else len(out)
        out[at:at] = self._added_entries(value, plain_keys, column)
        return out

    def _added_entries(self, value: Mapping[str, Any], plain_keys: list[Any], column: int) -> list[str]:
        """The lines of the entries of `value` whose keys the mapping does not have yet."""
        added = [self._entry(k, _new_node(v), column) for k, v in value.items() if k not in plain_keys]
        return [line for entry in added for line in entry]

    def _changed_entry(
        self, key: Any, child: Any, new: Any, first: int, body_end: int, column: int
    ) -> list[str] | None:
        """The lines of an entry whose value changed: a block mapping spliced key by key, else rewritten."""
        inner = self._block_mapping_start(child, first, body_end)
        if inner is not None and isinstance(new, Mapping):
            nested = self.mapping(child, new, inner[0], body_end, inner[1])
            if nested is None:
                return None
            return [*self.lines[first : inner[0]], *nested]
        return self._entry(key, _laid_over(child, new), column)

    def _content_end(self, first: int, last: int, column: int) -> int:
        """The end of an entry's own lines: blank lines and comments at its key's column or left of it
        belong to what follows (a comment indented deeper may be inside a block scalar)."""
        end = last
        while end > first + 1:
            text = self.lines[end - 1]
            stripped = text.strip()
            depth = len(text) - len(text.lstrip())
            if stripped and not (stripped.startswith("#") and depth <= column):
                break
            end -= 1
        return end

    @staticmethod
    def _block_mapping_start(child: Any, first: int, body_end: int) -> tuple[int, int] | None:
        """(line, column) of a block mapping's first key, when the entry's value is one."""
        if not isinstance(child, CommentedMap) or _tag_name(child) is not None or not child:
            return None
        if child.fa.flow_style():
            return None
        line, column = child.lc.key(next(iter(child)))
        return (line, column) if first < line < body_end else None

    def _entry(self, key: Any, node: Any, column: int) -> list[str]:
        document = CommentedMap()
        document[_new_key(key) if isinstance(key, str) else key] = node
        text = _dump(document, _yaml(*self.indent))
        return [" " * column + line if line.strip() else line for line in text.splitlines(keepends=True)]


def _yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.representer.add_representer(float, _represent_float)
    return yaml


def _represent_float(representer: Any, value: float) -> Any:
    """A float YAML 1.1 reads as one too: `5.0e-324`, not ruamel's `5e-324` (a string in 1.1)."""
    if math.isnan(value):
        text = ".nan"
    elif value in (float("inf"), float("-inf")):
        text = ".inf" if value > 0 else "-.inf"
    else:
        text = repr(value)
        if "." not in text and "e" in text:
            text = text.replace("e", ".0e", 1)
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def _dump(document: Any, yaml: YAML) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _guess_indent(source: str) -> tuple[int, int, int]:
    """Mapping indent, sequence indent and dash offset of the source (2, 4, 2 when it has no list).

    The first block-sequence item under a key gives the dash offset (`  - x` under `Key:`).
    """
    mapping = 2
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for before, line in itertools.pairwise(lines):
        if before.rstrip().endswith(":") and not before.lstrip().startswith("- "):
            depth = len(before) - len(before.lstrip())
            inner = len(line) - len(line.lstrip())
            if line.lstrip().startswith("- "):
                offset = max(inner - depth, 0)
                return mapping, offset + 2, offset
            if inner > depth:
                mapping = inner - depth
    return mapping, mapping + 2, mapping


# ------------------------------------------------------------------ reading back
def plain(node: Any) -> Any:
    """A round-trip node as template_io reads templates: long-form intrinsics, dates as ISO text."""
    tag = _tag_name(node)
    if isinstance(node, TaggedScalar):
        value: Any = node.value
        if tag == "GetAtt" and isinstance(value, str):
            return {"Fn::GetAtt": value.split(".", 1)}
        return {_intrinsic_key(tag or ""): plain(value)}
    if isinstance(node, Mapping):
        mapping = {_plain_key(k): plain(v) for k, v in node.items()}
        return {_intrinsic_key(tag): mapping} if tag else mapping
    if isinstance(node, list):
        items = [plain(v) for v in node]
        return {_intrinsic_key(tag): items} if tag else items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, datetime.date):
        return node.isoformat()
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, int):
        return int(node)
    return node


def _tag_name(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    text = getattr(tag, "value", tag) if tag is not None else None
    if isinstance(text, str) and text.startswith("!") and not text.startswith("!!"):
        return text[1:]
    return None


def _intrinsic_key(tag: str) -> str:
    return tag if tag in ("Ref", "Condition") else f"Fn::{tag}"


def _plain_key(key: Any) -> str:
    return key if isinstance(key, str) else json.dumps(plain(key))


# ------------------------------------------------------------------ laying data over a document
def _laid_over(node: Any, value: Any) -> Any:
    """`node` changed to say `value`, reusing every part of it that already says the same."""
    if plain(node) == value:
        return node
    if isinstance(node, CommentedMap) and _tag_name(node) is None and isinstance(value, Mapping):
        for key in [k for k in node if _plain_key(k) not in value]:
            del node[key]
        keys = {_plain_key(k): k for k in node}
        for key, item in value.items():
            if key in keys:
                node[keys[key]] = _laid_over(node[keys[key]], item)
            else:
                node[key] = _new_node(item)
        return node
    if isinstance(node, CommentedSeq) and _tag_name(node) is None and isinstance(value, list):
        return _seq_laid_over(node, value)
    return _new_node(value)


def _seq_laid_over(node: CommentedSeq, value: list[Any]) -> CommentedSeq:
    """Items kept where they match, removed or inserted where they do not (as a diff would)."""
    old = [json.dumps(plain(item), sort_keys=True) for item in node]
    new = [json.dumps(item, sort_keys=True) for item in value]
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in reversed(opcodes):  # from the end, so earlier indexes stay valid
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for offset in range(i2 - i1):
                node[i1 + offset] = _laid_over(node[i1 + offset], value[j1 + offset])
            continue
        for index in range(i2 - 1, i1 - 1, -1):
            del node[index]
        for offset, item in enumerate(value[j1:j2]):
            node.insert(i1 + offset, _new_node(item))
    return node


# ------------------------------------------------------------------ new nodes
def _new_node(value: Any) -> Any:
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if _reads_back_as_tag(key, arg):
                return _tagged(key, arg)
        return _new_mapping(value)
    if isinstance(value, list):
        return CommentedSeq([_new_node(v) for v in value])
    if isinstance(value, str):
        return _new_string(value)
    return value


def _reads_back_as_tag(key: str, arg: Any) -> bool:
    """A one-key intrinsic whose short form (`!Ref X`) reads back as the same data.

    Only `Ref`, `Condition` and `Fn::Name` keys are tags (not `Fn::ForEach::Loop`); any other
    stays a long-form mapping (`Fn::GetAtt: [A, !Ref Attr]`).
    """
    if not (key in ("Ref", "Condition") or _TAG_NAME.match(key)):
        return False
    if key == "Fn::GetAtt":
        # `!GetAtt A.B` reads back as [A, B]; a string or any other list would change.
        return (
            isinstance(arg, list)
            and len(arg) == 2
            and all(isinstance(a, str) and not _has_yaml_break(a) for a in arg)
            and "." not in arg[0]
        )
    if isinstance(arg, str):
        return not _has_yaml_break(arg)  # a tag's scalar keeps its plain style; a break would fold
    return isinstance(arg, list | Mapping)


def _has_yaml_break(text: str) -> bool:
    return any(c in text for c in _YAML_BREAKS)


def _tagged(key: str, arg: Any) -> Any:
    tag = "!" + key.removeprefix("Fn::")
    if key == "Fn::GetAtt":
        return TaggedScalar(".".join(arg), tag=tag)
    if isinstance(arg, str):
        return TaggedScalar(arg, style=_quote_style(arg), tag=tag)
    node = _new_mapping(arg) if isinstance(arg, Mapping) else CommentedSeq([_new_node(v) for v in arg])
    node.yaml_set_ctag(Tag(suffix=tag))
    return node


def _new_mapping(value: Mapping[str, Any]) -> CommentedMap:
    """A plain mapping node, even of one intrinsic key: the caller tags it or it is the document."""
    mapping = CommentedMap()
    for key, item in value.items():
        mapping[_new_key(key)] = _new_node(item)
    return mapping


def _new_string(text: str) -> Any:
    if _has_yaml_break(text):
        return DoubleQuotedScalarString(text)
    if "\n" in text.rstrip("\n") and _fits_a_block(text):
        return LiteralScalarString(text)  # code and policies read as they are (`ZipFile: |`)
    if _quote_style(text) == "'":
        return SingleQuotedScalarString(text)
    return text


def _new_key(key: Any) -> Any:
    if isinstance(key, str) and ("\n" in key or _has_yaml_break(key)):
        return DoubleQuotedScalarString(key)
    return _new_string(key) if isinstance(key, str) else key


def _fits_a_block(text: str) -> bool:
    """A literal block keeps the text exactly: printable lines, none ending in a space or tab,
    the first not indented (its indentation would be taken for the block's)."""
    lines = text.split("\n")
    return (
        all(line.isprintable() and line == line.rstrip(" \t") for line in lines)
        and not text.startswith((" ", "\t"))
        and "\t" not in text
    )


def _quote_style(text: str) -> str | None:
    """Quote a string a YAML 1.1 reader would take for a number, boolean, null or date.

    ruamel quotes by YAML 1.2's rules by itself; cfn-lint and cfn-flip read YAML 1.1.
    """
    if _YAML11.resolve(pyyaml.ScalarNode, text, (True, False)) != _STR_TAG:  # type: ignore[no-untyped-call]
        return "'"
    return None
