"""`autoinvoke check`: enforce-mode analysis of templates, and its text and JSON reports.

A template passes when the macro in enforce mode would accept it: no finding
that blocks enforce, and no failure (a malformed template, a limit, an invalid
option). Findings that do not block are reported all the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from .. import core
from ..findings import Finding, FindingCode, Severity
from ..model import TransformContext, TransformFailure
from ..options import Mode, OptionError, Options
from .template_read import LoadedTemplate


@dataclass(frozen=True)
class LocatedFinding:
    finding: Finding
    line: int  # 1-based line in the template file

    @property
    def suppressed(self) -> bool:
        """Accepted by an Ignore (the template's, or --ignore): reported, never blocking. The core
        decides it (`suppressions.apply`), for the CLI as for the macro."""
        return self.finding.suppressed


@dataclass(frozen=True)
class CheckedTemplate:
    path: str
    findings: tuple[LocatedFinding, ...] = ()
    problems: tuple[str, ...] = ()  # why the template could not be analyzed at all
    readable: bool = True  # False: a parse error, already said on stderr; JSON and SARIF carry it too
    mode: str = Mode.ENFORCE.value  # the mode checked in: only enforce mode blocks on findings

    @property
    def blocking(self) -> list[LocatedFinding]:
        if self.mode != Mode.ENFORCE.value:
            return []
        return [f for f in self.findings if f.finding.blocks_enforce]

    @property
    def passed(self) -> bool:
        return not self.problems and not self.blocking


def check_template(
    loaded: LoadedTemplate,
    fragment: dict[str, Any] | str,
    options: Options | OptionError,
    context: TransformContext,
    mode: str = Mode.ENFORCE.value,
    ignore: frozenset[FindingCode] = frozenset(),
) -> CheckedTemplate:
    """Analyze `fragment` (the macro's input) in `mode`, whatever mode the template asks for.
    `ignore`: codes accepted outside the template (--ignore, the project file's `ignore`).

    A string instead of a fragment, or an OptionError, is why the template cannot be analyzed.
    """
    if isinstance(fragment, str):
        return CheckedTemplate(loaded.path, problems=(fragment,), mode=mode)
    if isinstance(options, OptionError):
        return CheckedTemplate(loaded.path, problems=(str(options),), mode=mode)
    try:
        checked = options._replace(mode=Mode(mode), raised_from=None, ignore_external=ignore)
        result = core.analyze(fragment, checked, context)
    except TransformFailure as failure:
        return CheckedTemplate(loaded.path, problems=tuple(failure.problems), mode=mode)
    located = tuple(LocatedFinding(f, loaded.line_of(f.path)) for f in result.findings)
    return CheckedTemplate(loaded.path, findings=located, mode=mode)


def finding_line(path: str, located: LocatedFinding, style: TextStyle | None = None) -> str:
    """`template.yaml:12: AIP110 warning Fn.Properties...: message Fix: ...`, one line.

    With a style (check's text report), a finding that fails enforce mode says so after its severity.
    """
    finding = located.finding
    mark = f" (suppressed by {finding.suppressed_by})" if finding.suppressed else ""
    if style is None:
        return f"{path}:{located.line}: {finding.one_line()}{mark}"
    severity = style.paint(finding.severity.value, _SEVERITY_COLOURS[finding.severity])
    blocks = " " + style.paint(BLOCKS_MARK, _RED_BOLD) if finding.blocks_enforce else ""
    return (
        f"{path}:{located.line}: {finding.code} {severity}{blocks} {finding.path}: "
        f"{finding.message} Fix: {finding.spec.fix}{mark}"
    )


BLOCKS_MARK = "[blocks enforce]"
_RED_BOLD = "1;31"
_SEVERITY_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


@dataclass(frozen=True)
class TextStyle:
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
        if template.problems:
            verdict = style.paint("cannot be analyzed", _RED_BOLD)
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


def render_json(checked: Sequence[CheckedTemplate]) -> str:
    templates: list[dict[str, Any]] = []
    for template in checked:
        findings = []
        for located in template.findings:
            item: dict[str, Any] = dict(located.finding.as_dict())
            item["line"] = located.line
            item["blocksEnforce"] = located.finding.blocks_enforce
            item["suppressed"] = located.suppressed
            findings.append(item)
        templates.append(
            {
                "path": template.path,
                "passed": template.passed,
                "problems": list(template.problems),
                "blocking": len(template.blocking),
                "findings": findings,
            }
        )
    return json.dumps({"passed": all(t.passed for t in checked), "templates": templates}, indent=2) + "\n"
