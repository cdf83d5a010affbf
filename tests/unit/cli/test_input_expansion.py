"""Which files the CLI's arguments name: duplicates once, globs over directories, parse failures of
found files that are no templates skipped with a note."""

from __future__ import annotations

from pathlib import Path

import pytest
from auto_invoke_permission.cli.inputs import Input, InputError, expand_inputs, read_inputs
from auto_invoke_permission.cli.template_read import TemplateError


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_same_file_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "t.yaml", "Resources: {}\n")
    same = str(tmp_path / "." / "t.yaml")
    assert expand_inputs([path, same, str(tmp_path)]) == [Input(path, named=True)]


def test_a_glob_that_matches_a_directory_walks_it(tmp_path: Path) -> None:
    inner = write(tmp_path / "stacks" / "a" / "t.json", "{}")
    write(tmp_path / "stacks" / "a" / "notes.txt", "x")
    top = write(tmp_path / "stacks" / "b.yml", "Resources: {}\n")
    assert expand_inputs([str(tmp_path / "stacks" / "*")]) == [
        Input(inner, named=False),
        Input(top, named=False),
    ]


def test_a_glob_without_matches_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothing-\*\.yaml: no file matches$"):
        expand_inputs([str(tmp_path / "nothing-*.yaml")])


def test_stdin_twice_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^- \(stdin\) given twice$"):
        expand_inputs(["-", "-"])


def test_found_files_that_do_not_parse_are_skipped_unless_they_look_like_templates(tmp_path: Path) -> None:
    chart = write(tmp_path / "chart.yaml", "key: {{ .Values.x }\n")  # a Helm chart: no template keys
    broken = write(tmp_path / "broken.yaml", "Resources: {A: [}\n")
    named = write(tmp_path / "named.yaml", "key: [\n")
    notes: list[str] = []
    errors: list[TemplateError] = []
    inputs = [Input(chart, named=False), Input(broken, named=False), Input(named, named=True)]
    assert list(read_inputs(inputs, notes.append, errors.append)) == []
    assert len(notes) == 1 and notes[0].startswith(f"skipped {chart}: not a template (it does not parse: ")
    assert [str(e).split(":", 1)[0] for e in errors] == [broken, named]


def test_a_found_file_that_vanished_is_reported(tmp_path: Path) -> None:
    gone = str(tmp_path / "gone.yaml")
    notes: list[str] = []
    errors: list[TemplateError] = []
    assert list(read_inputs([Input(gone, named=False)], notes.append, errors.append)) == []
    assert notes == []
    assert [str(e) for e in errors] == [f"{gone}: cannot read the template: No such file or directory"]
