"""`autoinvoke check`: enforce-mode analysis of templates, and its text and JSON reports.

A template passes when the macro in enforce mode would accept it: no finding
that blocks enforce, and no failure (a malformed template, a limit, an invalid
option). Findings that do not block are reported all the same.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import core
from ..findings import Finding
from ..model import TransformContext, TransformFailure
from ..options import Mode, OptionError, Options
from .template_read import LoadedTemplate


@dataclass(frozen=True)
class LocatedFinding:
    finding: Finding
    line: int  # 1-based line in the template file
    suppressed: bool = False  # accepted by the user (--ignore): reported, never blocking


def ignored(findings: Sequence[Finding], codes: frozenset[str]) -> list[bool]:
    """Which findings the user accepted (`--ignore`, the project file's `ignore`), in order.

    The one place the CLI decides suppression; the macro's own Metadata suppressions will replace it.
    """
    return [finding.code in codes for finding in findings]


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
        return [f for f in self.findings if f.finding.blocks_enforce and not f.suppressed]

    @property
    def passed(self) -> bool:
        return not self.problems and not self.blocking


def check_template(
    loaded: LoadedTemplate,
    fragment: dict[str, Any] | str,
    options: Options | OptionError,
    context: TransformContext,
    mode: str = Mode.ENFORCE.value,
    ignore: frozenset[str] = frozenset(),
) -> CheckedTemplate:
    """Analyze `fragment` (the macro's input) in `mode`, whatever mode the template asks for.

    A string instead of a fragment, or an OptionError, is why the template cannot be analyzed.
    """
    if isinstance(fragment, str):
        return CheckedTemplate(loaded.path, problems=(fragment,), mode=mode)
    if isinstance(options, OptionError):
        return CheckedTemplate(loaded.path, problems=(str(options),), mode=mode)
    try:
        result = core.analyze(fragment, options._replace(mode=Mode(mode), raised_from=None), context)
    except TransformFailure as failure:
        return CheckedTemplate(loaded.path, problems=tuple(failure.problems), mode=mode)
    marks = ignored(result.findings, ignore)
    located = tuple(
        LocatedFinding(f, loaded.line_of(f.path), suppressed)
        for f, suppressed in zip(result.findings, marks, strict=True)
    )
    return CheckedTemplate(loaded.path, findings=located, mode=mode)


def finding_line(path: str, located: LocatedFinding) -> str:
    """`template.yaml:12: AIP110 warning Fn.Properties...: message Fix: ...`, one line."""
    mark = " (suppressed)" if located.suppressed else ""
    return f"{path}:{located.line}: {located.finding.one_line()}{mark}"


def render_text(checked: Sequence[CheckedTemplate]) -> str:
    out: list[str] = []
    for template in checked:
        if not template.readable:
            continue
        out.extend(f"{template.path}: {problem}" for problem in template.problems)
        out.extend(finding_line(template.path, f) for f in template.findings)
        if template.problems:
            verdict = "cannot be analyzed"
        elif template.blocking:
            verdict = f"{len(template.blocking)} of {len(template.findings)} findings would fail enforce mode"
        else:
            verdict = f"passes {template.mode} mode ({len(template.findings)} findings)"
        out.append(f"{template.path}: {verdict}")
    return "".join(line + "\n" for line in out)


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
