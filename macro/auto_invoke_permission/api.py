"""The library face: check a template, transform it, diagnose a denial, from Python.

    from auto_invoke_permission import api

    checked = api.check(api.CheckRequest(template, name="template.yaml"))
    if not checked.passed: ...

Inputs are parsed templates (JSON-shaped data with long-form intrinsics, as `json.load` or the
CLI's reader gives them) and typed, frozen requests; outputs are typed, frozen results. Notes
(what a command line would print as `autoinvoke: ...`) go to the `note` callback, never to a
stream. Nothing here reads a file, an environment variable or an argument list: the CLI
(`cli/commands/`), the cfn-lint rules (`cfnlint.py`) and `autoinvoke hook` sit on these functions.

Not on the macro's Lambda path (macro/Makefile leaves it out of the artifact).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from . import core
from .findings import Finding, FindingCode
from .model import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_MACRO_NAME,
    DEFAULT_REGION,
    Edge,
    TransformContext,
    TransformFailure,
)
from .options import Mode, OptionError, Options
from .paths import TemplatePath
from .records import EMPTY_MAPPING, Record
from .template_inputs import fragment_of, lists_macro, parameter_values, template_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .diagnose.explain import Diagnosis
    from .hook.policy import HookDecision, HookPolicy

__all__ = [
    "Analysis",
    "CheckRequest",
    "CheckedTemplate",
    "DiagnoseRequest",
    "Gate",
    "LocatedFinding",
    "Mode",
    "NamedTemplate",
    "OptionError",
    "Place",
    "TemplateNotAnalyzed",
    "TransformFailure",
    "TransformRequest",
    "Transformed",
    "analyze",
    "check",
    "diagnose",
    "gate_decision",
    "hook_decision",
    "template_options",
    "transform",
]

Note = Callable[[str], None]
# A finding path (`Fn.Properties.Policies[0]`) to its 1-based (line, column) in the source.
Locate = Callable[[TemplatePath], tuple[int, int]]


def _silent(_: str) -> None:
    """The default note callback: notes are dropped."""


class Place(Record):
    """Where the stack is deployed: what the macro event says."""

    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID


class Gate(Record):
    """What the account's CloudFormation Hook enforces, checked before a deploy.

    `require_transform`: a grant that needs a permission fails a template that does not list
    the macro. `fail_on`: finding codes (AIP101) and severities (error, warning, info) that
    fail even with the macro listed. The decision is the hook's own (`hook.policy.decide`).
    """

    require_transform: bool = False
    fail_on: frozenset[str] = frozenset()
    never_ignore: frozenset[FindingCode] = frozenset()

    @property
    def active(self) -> bool:
        return self.require_transform or bool(self.fail_on)


class CheckRequest(Record):
    """One template to check. `parameters`: values given for the deploy (others take Default)."""

    template: Mapping[str, Any]
    name: str = "template"  # how messages name the template
    place: Place = Place()
    parameters: Mapping[str, Any] = EMPTY_MAPPING
    mode: Mode = Mode.ENFORCE  # the mode checked in, whatever the template asks for
    ignore: frozenset[FindingCode] = frozenset()  # codes accepted outside the template
    macro_name: str = DEFAULT_MACRO_NAME
    gate: Gate = Gate()
    # run the transforms listed before the macro (AWS::LanguageExtensions), as CloudFormation would;
    # False: analyze the template as given (cfn-lint has already run them)
    run_transforms: bool = True
    locate: Locate | None = None


class LocatedFinding(Record):
    finding: Finding
    line: int  # 1-based, in the template's source
    column: int = 1

    @property
    def suppressed(self) -> bool:
        """Accepted by an Ignore (the template's, or one given outside it): reported, never blocking.
        The core decides it (`suppressions.apply`), for the CLI as for the macro."""
        return self.finding.suppressed


class CheckedTemplate(Record):
    """What `check` found in one template, and whether it passes."""

    path: str
    findings: tuple[LocatedFinding, ...] = ()
    problems: tuple[str, ...] = ()  # why the template could not be analyzed at all
    # the findings behind `problems`, one per problem, when the macro refuses the template on
    # findings (a limit such as AIP150); empty when the problems are not findings
    failed_on: tuple[LocatedFinding, ...] = ()
    readable: bool = True  # False: a parse error
    mode: str = Mode.ENFORCE.value  # the mode checked in: only enforce mode blocks on findings
    listed: bool = True  # the template lists the macro in its Transform (or Fn::Transform)
    gate_failures: tuple[str, ...] = ()  # why the account's hook would fail it (Gate), one line each
    permissions: int = 0  # how many permissions the macro would add

    @property
    def blocking(self) -> list[LocatedFinding]:
        if self.mode != Mode.ENFORCE.value:
            return []
        return [f for f in self.findings if f.finding.blocks_enforce]

    @property
    def passed(self) -> bool:
        return not self.problems and not self.blocking and not self.gate_failures

    @property
    def failures(self) -> list[tuple[str, LocatedFinding | None]]:
        """Each problem with the finding it states, or None when it is no finding (a bad option...)."""
        if len(self.failed_on) == len(self.problems):
            return list(zip(self.problems, self.failed_on, strict=True))
        return [(problem, None) for problem in self.problems]


def check(request: CheckRequest, note: Note = _silent) -> CheckedTemplate:
    """Analyze the template in `request.mode` as the macro would; never raises on a bad template."""
    from .offline.expand import ExpandError

    listed = lists_macro(request.template, request.macro_name)
    gate = _gate_failures(request) if request.gate.active else ()
    checked = CheckedTemplate(request.name, mode=request.mode.value, listed=listed, gate_failures=gate)
    context = _context(request.template, request.place, request.parameters)
    try:
        fragment, options = _check_input(request, context, note)
    except (ExpandError, OptionError) as err:
        return checked._replace(problems=(str(err),))
    try:
        options = options._replace(mode=request.mode, raised_from=None, ignore_external=request.ignore)
        result = core.analyze(fragment, options, context)
    except TransformFailure as failure:
        failed_on = _located(request, failure.findings)
        return checked._replace(problems=tuple(failure.problems), failed_on=failed_on)
    return checked._replace(findings=_located(request, result.findings), permissions=len(result.added))


def _located(request: CheckRequest, findings: Sequence[Finding]) -> tuple[LocatedFinding, ...]:
    locate = request.locate or (lambda _: (1, 1))
    return tuple(LocatedFinding(f, *locate(f.template_path)) for f in findings)


def _check_input(
    request: CheckRequest, context: TransformContext, note: Note
) -> tuple[dict[str, Any], Options]:
    """The macro's input and the template's options. Raises ExpandError or OptionError.

    With `run_transforms`, SAM is left to the core (it reads raw SAM, so that positions stay the
    source's); other transforms listed before the macro run first, as for `transform`.
    """
    if not request.run_transforms:
        return fragment_of(request.template), template_options(request.template)
    from .offline.expand import macro_input

    macro = macro_input(request.template, request.macro_name, context, note, run_sam=False)
    return macro.fragment, macro.options()


def _gate_failures(request: CheckRequest) -> tuple[str, ...]:
    """The hook's verdict on the template, as the hook takes it: one line per failed annotation."""
    decision = gate_decision(request.template, request.gate, request.macro_name, request.place)
    if decision.status == "SUCCESS" or decision.problem is not None:
        return ()
    failed = [a for a in decision.annotations if a.status == "FAILED"]
    return tuple(f"hook {a.name}: {a.message} Fix: {a.remediation}" for a in failed)


def gate_decision(template: Any, gate: Gate, macro_name: str, place: Place) -> HookDecision:
    """The CloudFormation Hook's decision for a parsed template: what the account's guard answers.

    As the deployed hook, it sees no parameter values (each parameter takes its Default).
    """
    from .hook.policy import HookPolicy, decide

    policy = HookPolicy(
        macro_name=macro_name,
        require_transform=gate.require_transform,
        fail_on=gate.fail_on,
        never_ignore=gate.never_ignore,
    )
    return decide(template, policy, TransformContext(place.region, place.account_id))


def hook_decision(text: str, policy: HookPolicy, place: Place) -> HookDecision:
    """What the deployed CloudFormation Hook answers for a template's text (its own YAML/JSON
    parser, its own decision): `autoinvoke hook` prints it."""
    from .hook.handler import evaluate_text  # loads PyYAML: only when a hook decision is asked for

    return evaluate_text(text, policy, TransformContext(place.region, place.account_id))


def _context(template: Mapping[str, Any], place: Place, given: Mapping[str, Any]) -> TransformContext:
    return TransformContext(place.region, place.account_id, parameter_values(template, given))


# ------------------------------------------------------------------ transform
class TransformRequest(Record):
    """One template to run the macro on, as CloudFormation would (transforms before it first)."""

    template: Mapping[str, Any]
    place: Place = Place()
    parameters: Mapping[str, Any] = EMPTY_MAPPING
    mode: Mode | None = None  # over the template's own Mode
    ignore: frozenset[FindingCode] = frozenset()
    macro_name: str = DEFAULT_MACRO_NAME


class Transformed(Record):
    """The template CloudFormation continues with, and what the macro found on the way."""

    template: dict[str, Any]
    findings: tuple[Finding, ...]
    listed: bool  # False: the template does not list the macro; it ran all the same


class Analysis(Record):
    """Who invokes whom: the core's edges, and whether the template lists the macro."""

    edges: tuple[Edge, ...]
    findings: tuple[Finding, ...]
    listed: bool


def transform(request: TransformRequest, note: Note = _silent) -> Transformed:
    """The macro's answer. Raises TransformFailure or OptionError (the macro would refuse the
    template) and ExpandError (a transform before it cannot run offline)."""
    context = _context(request.template, request.place, request.parameters)
    macro = _macro(request, context, note)
    result = core.transform(macro.fragment, _options(macro.options(), request), context)
    return Transformed(macro.output(result.fragment), tuple(result.findings), macro.listed)


def analyze(request: TransformRequest, note: Note = _silent) -> Analysis:
    """The core's analysis of the macro's input (for a graph). Raises as `transform` does."""
    context = _context(request.template, request.place, request.parameters)
    macro = _macro(request, context, note)
    result = core.analyze(macro.fragment, _options(macro.options(), request), context)
    return Analysis(tuple(result.edges), tuple(result.findings), macro.listed)


def _macro(request: TransformRequest, context: TransformContext, note: Note) -> Any:
    from .offline.expand import macro_input

    return macro_input(request.template, request.macro_name, context, note)


def _options(options: Options, request: TransformRequest) -> Options:
    if request.mode is not None:
        options = options._replace(mode=request.mode, raised_from=None)
    return options._replace(ignore_external=request.ignore)


# ------------------------------------------------------------------ diagnose
class NamedTemplate(Record):
    name: str
    template: Mapping[str, Any]


class DiagnoseRequest(Record):
    """An invoke AccessDeniedException (or, with `url`, a function URL's 403) and the templates of
    the caller and the callee."""

    message: str
    templates: tuple[NamedTemplate, ...] = ()
    url: str | None = None
    parameters: Mapping[str, Any] = EMPTY_MAPPING


class TemplateNotAnalyzed(ValueError):
    """A template given to `diagnose` cannot be analyzed: `NAME: cannot be analyzed: why`."""


def diagnose(request: DiagnoseRequest, note: Note = _silent) -> Diagnosis:
    """What the message says and, with templates, the likely causes. Raises DenialError when the
    message is no invoke denial, TemplateNotAnalyzed when a template cannot be analyzed."""
    from .diagnose.denial import parse_denial, parse_url_denial
    from .diagnose.explain import analyze_template
    from .diagnose.explain import diagnose as diagnose_denial
    from .offline.template_read import LoadedTemplate

    denial = parse_url_denial(request.url, request.message) if request.url else parse_denial(request.message)
    analyzed = []
    for named in request.templates:
        loaded = LoadedTemplate(path=named.name, data=dict(named.template))
        try:
            analyzed.append(analyze_template(loaded, denial, request.parameters))
        except (OptionError, TransformFailure) as err:
            raise TemplateNotAnalyzed(f"{named.name}: cannot be analyzed: {err}") from err
    return diagnose_denial(denial, analyzed)
