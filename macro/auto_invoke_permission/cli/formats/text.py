"""`autoinvoke check`'s text report: one line per finding at `file:line:col`, then a verdict.

Blocking findings are marked, plurals said right, colour and progress only on a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ...api import CheckedTemplate, LocatedFinding
from ...findings import Finding, Severity
from ...paths import TemplatePath
from ...records import Record
from .written import as_written

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def finding_line(path: str, located: LocatedFinding, style: TextStyle | None = None) -> str:
    """`template.yaml:12:7: AIP110 warning Fn.Properties...: message Fix: ...`, one line.

    With a style (check's text report), a finding that fails enforce mode says so after its severity.
    """
    finding = located.finding
    mark = f" (suppressed by {finding.suppressed_by})" if finding.suppressed else ""
    if style is None:
        return f"{path}:{located.line}:{located.column}: {as_written(finding.one_line())}{mark}"
    severity = style.paint(finding.severity.value, _SEVERITY_COLOURS[finding.severity])
    blocks = " " + style.paint(BLOCKS_MARK, _RED_BOLD) if finding.blocks_enforce else ""
    return (
        f"{path}:{located.line}:{located.column}: {finding.code} {severity}{blocks} {finding.path}: "
        f"{as_written(finding.message)} Fix: {finding.spec.fix}{mark}"
    )


def finding_lines(
    path: str, findings: Sequence[Finding], locate: Callable[[TemplatePath], tuple[int, int]]
) -> str:
    """One `finding_line` per finding, each where `locate` says it is."""
    return "".join(finding_line(path, LocatedFinding(f, *locate(f.template_path))) + "\n" for f in findings)


BLOCKS_MARK = "[blocks enforce]"
_RED_BOLD = "1;31"
_SEVERITY_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


class TextStyle(Record):
    """ANSI colour for the text report, or none (not a terminal, or NO_COLOR set)."""

    colour: bool = False

    @classmethod
    def for_stream(cls, stream: TextIO, environ: Mapping[str, str]) -> TextStyle:
        # https://no-color.org: any non-empty NO_COLOR turns colour off.
        return cls(colour=_is_terminal(stream) and not environ.get("NO_COLOR"))

    def paint(self, text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.colour else text


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def counted(count: int, noun: str) -> str:
    """`1 finding`, `2 findings`, `no findings`."""
    if count == 0:
        return f"no {noun}s"
    return f"{count} {noun}{'' if count == 1 else 's'}"


def render_text(checked: Sequence[CheckedTemplate], style: TextStyle | None = None) -> str:
    style = style or TextStyle()
    out: list[str] = []
    for template in checked:
        if not template.readable:
            continue
        out.extend(f"{template.path}: {problem}" for problem in template.problems)
        out.extend(finding_line(template.path, f, style) for f in template.findings)
        out.extend(f"{template.path}: {as_written(failure)}" for failure in template.gate_failures)
        if template.problems:
            verdict = style.paint("cannot be analyzed", _RED_BOLD)
        elif template.gate_failures:
            verdict = style.paint("fails the account's hook", _RED_BOLD)
        elif template.blocking:
            blocking = len(template.blocking)
            verdict = style.paint(
                f"fails {template.mode} mode: {blocking} of {counted(len(template.findings), 'finding')} "
                f"{'blocks' if blocking == 1 else 'block'}",
                _RED_BOLD,
            )
        else:
            verdict = style.paint(f"passes {template.mode} mode", "32") + f" ({_tally(template)})"
        out.append(f"{template.path}: {verdict}")
    return "".join(line + "\n" for line in out)


def _tally(template: CheckedTemplate) -> str:
    """`2 findings`, or `2 findings, 1 suppressed`: suppressed findings are counted apart."""
    suppressed = sum(1 for f in template.findings if f.suppressed)
    total = counted(len(template.findings), "finding")
    return f"{total}, {suppressed} suppressed" if suppressed else total


class Progress:
    """`checking 3/40 path` on a terminal's stderr while several templates are read; nothing elsewhere."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        self.shown = total > 1 and _is_terminal(stream)

    def step(self, index: int, path: str) -> None:
        if self.shown:
            self.stream.write(f"\r\x1b[Kchecking {index}/{self.total} {path}")
            self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
