"""`autoinvoke check` text report: blocking findings marked, plurals, colour and progress on a TTY."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from auto_invoke_permission import api
from auto_invoke_permission.cli.common import Streams
from auto_invoke_permission.cli.formats import text as check
from auto_invoke_permission.cli.main import build_parser
from auto_invoke_permission.findings import Finding, FindingCode
from snippets import CLEAN, PLACE, WILDCARD

ESC = "\x1b["


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def located(code: FindingCode) -> api.LocatedFinding:
    return api.LocatedFinding(Finding(code, "Fn", "Fn.Properties", "a message"), 3)


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "no findings"), (1, "1 finding"), (2, "2 findings"), (11, "11 findings")],
)
def test_counted(count: int, text: str) -> None:
    assert check.counted(count, "finding") == text


@pytest.mark.parametrize(
    ("codes", "verdict"),
    [
        # nothing: passes
        ((), "t.yaml: passes enforce mode (no findings)"),
        # one info finding that does not block (AIP130, no grant for a reference)
        (("AIP130",), "t.yaml: passes enforce mode (1 finding)"),
        # one finding that blocks (AIP110, a wildcard grant)
        (("AIP110",), "t.yaml: fails enforce mode: 1 of 1 finding blocks"),
        # two that block, one that does not
        (("AIP110", "AIP110", "AIP130"), "t.yaml: fails enforce mode: 2 of 3 findings block"),
    ],
)
def test_verdict_line(codes: tuple[FindingCode, ...], verdict: str) -> None:
    checked = api.CheckedTemplate("t.yaml", findings=tuple(located(c) for c in codes))
    lines = check.render_text([checked]).splitlines()
    assert lines[-1] == verdict
    for code, line in zip(codes, lines, strict=False):
        blocks = Finding(code, "Fn", "Fn.Properties", "m").blocks_enforce
        assert (check.BLOCKS_MARK in line) is blocks, line


def run_check(tmp_path: Path, out: io.StringIO, err: io.StringIO, *paths_text: str) -> int:
    paths = []
    for index, text in enumerate(paths_text):
        path = tmp_path / f"t{index}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    args = build_parser().parse_args(["check", *paths, *PLACE])
    code: int = args.run(args, Streams(out, err))
    return code


@pytest.mark.parametrize(
    ("terminal", "no_color", "coloured"),
    [
        (True, None, True),  # a terminal: colour
        (True, "1", False),  # NO_COLOR set: none
        (True, "", True),  # NO_COLOR empty counts as unset (no-color.org)
        (False, None, False),  # a pipe or a file: none
    ],
)
def test_colour_only_on_a_terminal_without_no_color(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool, no_color: str | None, coloured: bool
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    out = Terminal() if terminal else io.StringIO()
    assert run_check(tmp_path, out, io.StringIO(), WILDCARD) == 1
    assert (ESC in out.getvalue()) is coloured
    if coloured:
        assert f"{ESC}1;31m{check.BLOCKS_MARK}{ESC}0m" in out.getvalue()


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_line_only_on_a_terminal(tmp_path: Path, terminal: bool) -> None:
    err = Terminal() if terminal else io.StringIO()
    assert run_check(tmp_path, io.StringIO(), err, CLEAN, CLEAN) == 0
    notes = err.getvalue()
    assert ("checking 2/2 " in notes) is terminal
    if terminal:
        assert notes.endswith("\r\x1b[K")  # cleared at the end
