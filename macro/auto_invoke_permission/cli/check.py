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
from .template_io import LoadedTemplate


@dataclass(frozen=True)
class LocatedFinding:
    finding: Finding
    line: int  # 1-based line in the template file


@dataclass(frozen=True)
class CheckedTemplate:
    path: str
    findings: tuple[LocatedFinding, ...] = ()
    problems: tuple[str, ...] = ()  # why the template could not be analyzed at all
    readable: bool = True  # False: a parse error, already said on stderr; JSON and SARIF carry it too

    @property
    def blocking(self) -> list[LocatedFinding]:
        return [f for f in self.findings if f.finding.blocks_enforce]

    @property
    def passed(self) -> bool:
        return not self.problems and not self.blocking


def check_template(
    loaded: LoadedTemplate, options: Options | OptionError, context: TransformContext
) -> CheckedTemplate:
    """Analyze in enforce mode, whatever mode the template asks for. An OptionError is a template problem."""
    if isinstance(options, OptionError):
        return CheckedTemplate(loaded.path, problems=(str(options),))
    try:
        result = core.analyze(loaded.fragment, options._replace(mode=Mode.ENFORCE), context)
    except TransformFailure as failure:
        return CheckedTemplate(loaded.path, problems=tuple(failure.problems))
    located = tuple(LocatedFinding(f, loaded.line_of(f.path)) for f in result.findings)
    return CheckedTemplate(loaded.path, findings=located)


def finding_line(path: str, located: LocatedFinding) -> str:
    """`template.yaml:12: AIP110 warning Fn.Properties...: message Fix: ...`, one line."""
    return f"{path}:{located.line}: {located.finding.one_line()}"


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
            verdict = f"passes enforce mode ({len(template.findings)} findings)"
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
