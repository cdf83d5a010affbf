"""The CLI's YAML loader (`cli/yaml_read.py`) gives what cfn-lint's decoder gives: the same data, the
same positions on every mapping, sequence, string and key, and the same errors (duplicate keys, null
and unhashable keys, unknown tags, aliases past the size bound, YAML syntax), on hand-written texts
and on every template of the public corpus."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from auto_invoke_permission.cli import yaml_read
from auto_invoke_permission.cli.template_read import TemplateError, read_template
from cfnlint.decode import cfn_yaml
from corpus_support import CORPUS, read_tsv
from yaml import MarkedYAMLError

logging.getLogger("cfnlint.decode").addHandler(logging.NullHandler())

Outcome = tuple[Any, ...]


def _place(node: Any) -> tuple[int, int] | None:
    mark = getattr(node, "start_mark", None)
    return None if mark is None else (mark.line, mark.column)


def _nodes(node: Any, path: str = "") -> Iterator[tuple[str, str, Any, tuple[int, int] | None]]:
    """(path, type, plain value of a scalar, place) of every node and key, in document order."""
    pending = [(path, node)]
    while pending:
        where, item = pending.pop()
        kind = "map" if isinstance(item, Mapping) else "seq" if isinstance(item, list) else "scalar"
        yield where, kind, item if kind == "scalar" else None, _place(item)
        if isinstance(item, Mapping):
            for key, value in item.items():
                yield f"{where}/key {key!r}", "key", key, _place(key)
                pending.append((f"{where}/{key!r}", value))
        elif isinstance(item, list):
            pending.extend((f"{where}[{i}]", value) for i, value in enumerate(item))


def _marked(error: MarkedYAMLError) -> Outcome:
    mark = error.problem_mark
    place = None if mark is None else (mark.line, mark.column)
    return ("marked", type(error).__name__, error.problem, error.context, place)


def cfn_lint_outcome(text: str) -> Outcome:
    try:
        template = cfn_yaml.loads(text, "t.yaml")
    except cfn_yaml.CfnParseError as error:
        if getattr(error.__cause__, "problem_mark", None) is not None:
            return _marked(error.__cause__)
        return ("problems", [(m.message, m.linenumber, m.columnnumber) for m in error.matches])
    except MarkedYAMLError as error:  # the scanner's and parser's errors, raised as they are
        return _marked(error)
    return ("data", list(_nodes(template)))


def our_outcome(text: str) -> Outcome:
    try:
        template = yaml_read.load(text)
    except yaml_read.YamlProblems as error:
        return ("problems", [tuple(problem) for problem in error.problems])
    except MarkedYAMLError as error:
        return _marked(error)
    return ("data", list(_nodes(template)))


TAGS = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties:
      Role: !GetAtt Role.Arn
      Nested: !GetAtt Stack.Outputs.Name
      Listed: !GetAtt [Role, Arn]
      Mapped: !GetAtt {Role: Arn}
      Name: !Sub "${AWS::StackName}-fn"
      SubList: !Sub ["${A}-x", {A: !Ref Param}]
      Pick: !If [IsProd, !Select [0, !Split [",", !Join [",", [a, b]]]], !Ref "AWS::NoValue"]
      Cond: !Condition IsProd
      Eq: !Equals [!Ref Param, "yes"]
      Logic: !And [!Or [!Not [!Condition A], !Condition B], !Condition C]
      Map: !FindInMap [M, !Ref "AWS::Region", Key]
      Other: !ImportValue {"Fn::Sub": "${Stack}-x"}
      Azs: !GetAZs ""
      Cidr: !Cidr [10.0.0.0/16, 4, 8]
      B64: !Base64 text
      Len: !Length [1, 2]
      Json: !ToJsonString {a: 1}
      Typo: !Reff x
      Number: !Ref 5
      Tagged: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
"""

SCALARS = """
AWSTemplateFormatVersion: 2010-09-09
Resources: {}
Values:
  int: 12
  octal: 0o14
  float: 1.5e3
  inf: .inf
  bool: yes
  nothing: ~
  date: 2024-01-02
  stamp: 2024-01-02T03:04:05Z
  binary: !!binary aGVsbG8=
  explicit: !!str 12
  folded: >
    two
    lines
  1: one
  false: no
  ? [a, b]
  : unhashable-free? no
"""

TEXTS: dict[str, str] = {
    "every tag": TAGS,
    "scalars": SCALARS.replace("  ? [a, b]\n  : unhashable-free? no\n", ""),
    "empty": "",
    "comment only": "# nothing\n",
    "a scalar": "just text\n",
    "a list": "- a\n- b\n",
    "json": '{"Resources": {"A": {"Type": "T", "Properties": {"X": [1, 2.5, true, null]}}}}',
    "json with tabs": '{\n\t"Resources": {}\n}',
    "duplicate key": "Resources:\n  A: 1\n  B: 2\n  A: 3\n",
    "duplicate key three times": "Resources:\n  A: 1\n  A: 2\n  A: 3\n  B: 1\n  B: 2\n",
    "duplicate int and bool keys": "Resources: {}\n1: a\ntrue: b\n",
    "duplicate through an alias": "Resources: {}\n? &k a\n: 1\n*k : 2\n",
    "duplicate in a tag's mapping": "Resources: !If {A: 1, A: 2}\n",
    "null key": "Resources:\n  ~: 1\n",
    "unhashable key": SCALARS,
    "merge keys": "Base: &b {A: 1, B: 2}\nResources:\n  <<: *b\n  A: 3\n  A: 4\n",
    "aliases": "Resources:\n  A: &x {Type: T}\n  B: *x\n",
    "billion laughs": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{b}: &{b} [{', '.join(['*' + a] * 10)}]\n" for a, b in ("ab", "bc", "cd", "de", "ef"))
        + "Resources: {}\n"
    ),
    "two documents": "Resources: {}\n---\nResources: {}\n",
    "undefined tag": "%TAG !e! tag:example.com,2000:\n---\nResources: !e!thing x\n",
    "python tag": "Resources: !!python/object:os.system ls\n",
    "bad indentation": "Resources:\n  A: 1\n B: 2\n",
    "unclosed flow": "Resources: {A: [1, 2}\n",
    "tab indentation": "Resources:\n\tA: 1\n",
    "recursive anchor": "Resources: &r {A: *r}\n",
    "unknown alias": "Resources: *nothing\n",
}


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_same_as_cfn_lint(name: str) -> None:
    assert our_outcome(TEXTS[name]) == cfn_lint_outcome(TEXTS[name])


def test_the_texts_reach_every_outcome() -> None:
    kinds = {cfn_lint_outcome(text)[0] for text in TEXTS.values()}
    assert kinds == {"data", "problems", "marked"}
    problems = " ".join(str(cfn_lint_outcome(text)) for text in TEXTS.values())
    for expected in ("Duplicate found", "Null key", "Unhashable type", "YAML aliases", "could not be parsed"):
        assert expected in problems


def test_short_forms_become_long_forms() -> None:
    loaded = yaml_read.load(TAGS)["Resources"]["Fn"]["Properties"]
    assert loaded["Role"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert loaded["Nested"] == {"Fn::GetAtt": ["Stack", "Outputs.Name"]}
    assert loaded["Cond"] == {"Condition": "IsProd"}
    assert loaded["Number"] == {"Ref": "5"}
    assert loaded["Typo"] == {"Fn::Reff": "x"}
    key = next(iter(loaded["Role"]))
    assert type(key) is str  # a tag's key: the reader tells it from a key written out
    assert type(next(iter(loaded))) is yaml_read.PositionedStr


def test_dates_are_dates_for_the_reader_to_write_as_text() -> None:
    values = yaml_read.load(SCALARS.replace("  ? [a, b]\n  : unhashable-free? no\n", ""))["Values"]
    assert values["date"] == datetime.date(2024, 1, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources:\n  A: 1\n  A: 2\n", "t.yaml:3: duplicate key 'A' (first at line 2)"),
        ("Resources:\n  A: !Reff x\n", "t.yaml:2:6: unknown tag !Reff (CloudFormation has no Fn::Reff)"),
        ("Resources:\n  ~: 1\n", "t.yaml:2:3: Null key '~' not supported (line 2)"),
        (TEXTS["billion laughs"], "t.yaml:1:1: Template resolves to more than 250000 nodes once YAML"),
        ("Resources: {A: [1, 2}\n", "t.yaml:1:21: did not find expected ',' or ']'"),
        ("Resources: !!python/object:os.system ls\n", "t.yaml:1:12: could not determine a constructor"),
    ],
)
def test_reader_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as raised:
        read_template("t.yaml", text)
    assert str(raised.value).startswith(message)


# ------------------------------------------------------------------ the corpus
def corpus_files() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    return [row["local_file"] for row in read_tsv(manifest) if (CORPUS / row["local_file"]).is_file()]


@pytest.mark.corpus
@pytest.mark.skipif(not corpus_files(), reason=f"corpus not found at {CORPUS}")
def test_every_corpus_template_reads_as_cfn_lint_reads_it() -> None:
    differ = []
    outcomes: set[str] = set()
    for name in corpus_files():
        text = (CORPUS / name).read_text(encoding="utf-8", errors="replace")
        expected = cfn_lint_outcome(text)
        outcomes.add(expected[0])
        if our_outcome(text) != expected:
            differ.append(name)
    assert differ == []
    assert "data" in outcomes
