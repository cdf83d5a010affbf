"""What the hook decides for a parsed template: pass, or fail with the findings that say why.

Pure: no I/O, no environment reads. The handler and `autoinvoke hook` both call `decide`.

* The template lists the macro (template-level `Transform`, string or list, any position, or
  `Fn::Transform` directly under `Resources`): the macro will run at deploy, so SUCCESS, unless a
  finding matches `FailOn`.
* Otherwise the core runs in audit mode on the raw template (SAM or plain CloudFormation, as the
  macro sees it before SAM). With `RequireTransform`, any grant that would get a permission fails
  the operation; findings matching `FailOn` fail it too. Everything else is SUCCESS, with the
  findings as message and annotations.
* The hook decides nothing from parameters: the payload carries no values, and a parameter-only
  update may apply others. A condition on a parameter can be true, so a grant under it needs the
  macro and a finding under it counts for `FailOn` (docs/guide/hook-decisions.md).
* A finding the template accepts (`Ignore`, the README's "Suppressing findings") never matches
  `FailOn`, unless the stack's `NeverIgnore` names its code: the hook judges as the macro would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .. import core, suppressions
from ..conditions import Conditions
from ..findings import CODES, Finding, FindingCode, Severity
from ..model import DEFAULT_MACRO_NAME, Permission, TransformContext, TransformFailure, TransformResult
from ..options import Mode, OptionError, Options
from ..records import Record
from ..resolver import Resolver
from ..template import own_metadata
from ..template_inputs import fragment_of, lists_macro, parameter_values, template_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PREFIX = "AutoInvokePermission hook:"
MAX_MESSAGE_CHARS = 4096  # CloudFormation truncates the message there
# (docs/design/aws-facts-integrations.md 1.5)
# Annotation limits are not documented beyond the field lengths (AnnotationName <= 1024 characters,
# RemediationMessage <= 16384; CloudFormation API reference, Annotation): stay well under them.
MAX_ANNOTATIONS = 50
MAX_ANNOTATION_TEXT = 1024
SEVERITY_LEVEL = {Severity.ERROR: "HIGH", Severity.WARNING: "MEDIUM", Severity.INFO: "INFORMATIONAL"}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
REQUIRE_TRANSFORM = "RequireTransform"

SUCCESS = "SUCCESS"
FAILED = "FAILED"
NON_COMPLIANT = "NonCompliant"
INTERNAL_FAILURE = "InternalFailure"


class PolicyError(ValueError):
    """A policy setting has a value outside its allowed ones; the message names both."""


class HookPolicy(Record):
    macro_name: str = DEFAULT_MACRO_NAME
    require_transform: bool = True
    fail_on: frozenset[str] = frozenset()  # finding codes (AIP101) and severities (error, warning, info)
    fail_closed: bool = False  # the hook's own errors fail the operation instead of passing it
    never_ignore: frozenset[FindingCode] = frozenset()  # the stack's NeverIgnore, as the macro has it


def parse_fail_on(items: Iterable[str]) -> frozenset[str]:
    """Codes and severities, comma- or space-separated, any case. Raises PolicyError."""
    severities = {s.value for s in Severity}
    out: set[str] = set()
    for item in items:
        for word in item.replace(",", " ").split():
            if word.upper() in CODES:
                out.add(word.upper())
            elif word.lower() in severities:
                out.add(word.lower())
            else:
                raise PolicyError(
                    f"FailOn: {word!r} is neither a finding code (AIP101, ...) nor a severity "
                    f"({', '.join(sorted(severities))})"
                )
    return frozenset(out)


def parse_flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise PolicyError(f"{name}: {value!r} is not true or false")
    return text == "true"


class Annotation(Record):
    name: str
    status: str  # PASSED, FAILED, SKIPPED
    message: str
    remediation: str
    severity: str  # INFORMATIONAL ... CRITICAL

    def as_dict(self) -> dict[str, str]:
        return {
            "annotationName": self.name,
            "status": self.status,
            "statusMessage": _clip(self.message, MAX_ANNOTATION_TEXT),
            "remediationMessage": _clip(self.remediation, MAX_ANNOTATION_TEXT),
            "severityLevel": self.severity,
        }


class HookDecision(Record):
    status: str  # SUCCESS or FAILED
    message: str
    error_code: str | None = None  # NonCompliant or InternalFailure when FAILED
    annotations: tuple[Annotation, ...] = ()
    problem: str | None = None  # set when the hook could not check the template (its own failure)

    def response(self, client_request_token: Any) -> dict[str, Any]:
        """The Lambda Hook response (docs/design/aws-facts-integrations.md 1.5)."""
        out: dict[str, Any] = {"hookStatus": self.status}
        if self.error_code is not None:
            out["errorCode"] = self.error_code
        out["message"] = self.message
        out["clientRequestToken"] = client_request_token
        if self.annotations:
            out["annotations"] = [a.as_dict() for a in self.annotations[:MAX_ANNOTATIONS]]
        return out


def own_failure(problem: str, policy: HookPolicy) -> HookDecision:
    """The hook could not check the template: pass with a warning (fail-open) unless FailClosed."""
    if policy.fail_closed:
        return HookDecision(
            FAILED,
            f"{PREFIX} could not check the template: {problem} (FailClosed is on)",
            INTERNAL_FAILURE,
            problem=problem,
        )
    return HookDecision(
        SUCCESS,
        f"{PREFIX} warning: could not check the template: {problem}. The operation continues "
        "unchecked (FailClosed is off).",
        problem=problem,
    )


def decide(template: Any, policy: HookPolicy, context: TransformContext) -> HookDecision:
    """The decision for a parsed template (None or {} counts as empty). Raises only on internal errors."""
    if template is None or template in ({}, ""):
        return HookDecision(SUCCESS, f"{PREFIX} the template is empty; nothing to check.")
    if not isinstance(template, Mapping):
        return own_failure(f"the template is a {type(template).__name__}, not a mapping", policy)
    listed = lists_macro(template, policy.macro_name)
    if listed and not policy.fail_on:
        return HookDecision(
            SUCCESS,
            f"{PREFIX} the template lists the {policy.macro_name} macro, which adds the permissions "
            "at deploy time.",
            annotations=(_transform_annotation("PASSED", policy, listed=True),),
        )
    notes: list[str] = []
    try:
        options = _options(template)
    except OptionError as error:
        notes.append(f"the template's options were ignored: {error}")
        options = Options(mode=Mode.AUDIT, report=False)
    options = options._replace(never_ignore=policy.never_ignore)
    fragment = _fragment(template)
    if "Resources" in fragment:
        fragment["Resources"] = _valid_ignores(fragment["Resources"], notes)
    try:
        # the payload carries no parameter values, and the stack may later be updated with others:
        # no parameter has a value, so every condition on one stays open (hook-decisions.md)
        result = core.analyze(fragment, options, context._replace(parameter_values={}))
        planned = _planned(fragment, options, context, template, result)
    except TransformFailure as error:
        return own_failure("the template cannot be analyzed: " + "; ".join(error.problems), policy)
    return _judge(template, result, planned, policy, listed, notes)


def _planned(
    fragment: Mapping[str, Any],
    options: Options,
    context: TransformContext,
    template: Mapping[str, Any],
    result: TransformResult,
) -> list[Permission]:
    """The permissions the macro would add: those for every value, and those a grant gets where its
    match depends on a parameter's value, with the Defaults (the macro would add them under a
    generated condition). Only ever more than `result.added`: a Default never removes one."""
    planned = _possible(result, context)
    defaults = parameter_defaults(template)
    if not defaults:
        return planned
    with_defaults = core.analyze(fragment, options, context._replace(parameter_values=defaults))
    known = {p.logical_id for p in result.added}
    return [*planned, *(p for p in _possible(with_defaults, context) if p.logical_id not in known)]


def _possible(result: TransformResult, context: TransformContext) -> list[Permission]:
    """The added permissions whose Condition can be true: not one on literals that is false."""
    out = result.fragment
    resolver = Resolver(
        region=context.region,
        account_id=context.account_id,
        resources={},
        parameters=out.get("Parameters") or {},
        parameter_values={},
        mappings=out.get("Mappings") or {},
        conditions=out.get("Conditions") or {},
    )
    decided = resolver.conditions.decided if isinstance(resolver.conditions, Conditions) else {}
    return [p for p in result.added if p.condition is None or decided.get(p.condition) is not False]


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, Any]:
    """Each parameter's Default, as CloudFormation takes it when the operation sets none: strings,
    lists for list types. `decide` does not use them: the hook decides nothing from parameters."""
    return parameter_values(template)


def _options(template: Mapping[str, Any]) -> Options:
    return template_options(template)._replace(mode=Mode.AUDIT, raised_from=None, report=False)


def _fragment(template: Mapping[str, Any]) -> dict[str, Any]:
    """What the macro would see: no Transform key, no inline `Fn::Transform` among the resources."""
    out = fragment_of(template)
    resources = out.get("Resources")
    if isinstance(resources, Mapping) and "Fn::Transform" in resources:
        out["Resources"] = {k: v for k, v in resources.items() if k != "Fn::Transform"}
    return out


def _valid_ignores(resources: Any, notes: list[str]) -> Any:
    """The resources with each invalid `Metadata.AutoInvokePermission.Ignore` left out, and a note for
    it: as for the template's options, a mistake in an Ignore must not stop the check (the macro,
    which fails on it, may not even run)."""
    if not isinstance(resources, Mapping):
        return resources
    out = dict(resources)
    for rid, res in resources.items():
        own = own_metadata(res) if isinstance(res, dict) else None
        if own is None or "Ignore" not in own:
            continue
        try:
            suppressions.resource_ignores({rid: own["Ignore"]})
        except TransformFailure as error:
            notes.append(f"the Ignore of {rid} was ignored: {'; '.join(error.problems)}")
            meta = dict(res["Metadata"])
            meta[core.MACRO_KEY] = {k: v for k, v in meta[core.MACRO_KEY].items() if k != "Ignore"}
            out[rid] = {**res, "Metadata": meta}
    return out


def _judge(
    template: Mapping[str, Any],
    result: TransformResult,
    planned: Sequence[Permission],
    policy: HookPolicy,
    listed: bool,
    notes: Sequence[str],
) -> HookDecision:
    missing_transform = bool(planned) and not listed and policy.require_transform
    failing = [f for f in result.findings if _fails(f, policy.fail_on)]
    failing_set = set(failing)
    others = [f for f in result.findings if f not in failing_set]
    failing.sort(key=_importance)
    others.sort(key=_importance)

    items: list[str] = []
    fix = _transform_fix(template, policy.macro_name)
    grants = [
        f"{', '.join(p.callers)} -> {p.callee.label} ({p.grants[0]}; the macro would add {p.logical_id})"
        for p in planned
    ]
    if missing_transform:
        items += [f"{line}. Fix: {fix}" for line in grants]
    items += [f.one_line() for f in failing]
    if planned and not missing_transform and not listed:
        items += [f"{line}, not required (RequireTransform is off)" for line in grants]
    items += [f.one_line() + _suppressed_mark(f) for f in others]
    items += list(notes)

    reasons = _failure_reasons(policy, planned, missing_transform, failing)
    head = _headline(policy, result, planned, listed, reasons)

    annotations = [
        _transform_annotation(
            _transform_status(listed, planned, missing_transform),
            policy,
            listed=listed,
            grants=grants,
            fix=fix,
        )
    ]
    annotations += [_finding_annotation(f, True) for f in failing]
    annotations += [_finding_annotation(f, False) for f in others]
    status = FAILED if reasons else SUCCESS
    return HookDecision(
        status,
        bounded_message(head, items),
        NON_COMPLIANT if reasons else None,
        tuple(annotations),
    )


def _failure_reasons(
    policy: HookPolicy, planned: Sequence[Any], missing_transform: bool, failing: Sequence[Finding]
) -> list[str]:
    reasons = []
    if missing_transform:
        count = len(planned)
        reasons.append(
            f"{count} Lambda-to-Lambda grant{'s' if count != 1 else ''} would get a permission, but the "
            f"template does not list the {policy.macro_name} macro in its Transform"
        )
    if failing:
        reasons.append(f"{len(failing)} finding{'s match' if len(failing) != 1 else ' matches'} FailOn")
    return reasons


def _headline(
    policy: HookPolicy, result: TransformResult, planned: Sequence[Any], listed: bool, reasons: Sequence[str]
) -> str:
    if reasons:
        head = f"{PREFIX} FAILED: {'; '.join(reasons)}:"
    elif listed:
        head = f"{PREFIX} the template lists the {policy.macro_name} macro; no finding matches FailOn."
    elif planned:
        head = f"{PREFIX} {len(planned)} grant(s) would get a permission from the {policy.macro_name} macro."
    else:
        head = f"{PREFIX} no Lambda-to-Lambda invoke grant needs a permission."
    if not reasons and result.findings:
        head += f" {len(result.findings)} finding(s), none fails the operation:"
    return head


def _fails(finding: Finding, fail_on: frozenset[str]) -> bool:
    """A finding matches FailOn by code or severity, unless the template accepts it."""
    return not finding.suppressed and (finding.code in fail_on or finding.severity.value in fail_on)


def _importance(finding: Finding) -> tuple[int, str, str, str, str]:
    return (_SEVERITY_ORDER[finding.severity], *Finding.sort_key(finding))


def _transform_status(listed: bool, planned: Sequence[Any], missing: bool) -> str:
    if missing:
        return "FAILED"
    if listed or not planned:
        return "PASSED"
    return "SKIPPED"  # grants need the macro, but RequireTransform is off


def _transform_annotation(
    status: str, policy: HookPolicy, *, listed: bool, grants: Sequence[str] = (), fix: str = ""
) -> Annotation:
    if listed:
        message = f"the template lists the {policy.macro_name} macro"
    elif not grants:
        message = "no Lambda-to-Lambda invoke grant needs a permission"
    else:
        message = f"{len(grants)} grant(s) need the macro: " + "; ".join(grants)
        if status == "SKIPPED":
            message += " (RequireTransform is off)"
    return Annotation(
        REQUIRE_TRANSFORM, status, message, fix or f"List {policy.macro_name} in the Transform.", "HIGH"
    )


def _finding_annotation(finding: Finding, fails: bool) -> Annotation:
    return Annotation(
        finding.code,
        "FAILED" if fails else "PASSED",
        f"{finding.path}: {finding.message}" + _suppressed_mark(finding),
        finding.spec.fix,
        SEVERITY_LEVEL[finding.severity],
    )


def _suppressed_mark(finding: Finding) -> str:
    return f" (suppressed by {finding.suppressed_by})" if finding.suppressed else ""


def _transform_fix(template: Mapping[str, Any], macro_name: str) -> str:
    """The one-line change: the macro first in the template's Transform (before SAM, as documented)."""
    current = template.get("Transform")
    names = [n for n in (current if isinstance(current, list) else [current]) if isinstance(n, str)]
    if not names:
        return f"Add `Transform: {macro_name}` to the template."
    if macro_name in names:
        return "None needed: the template lists the macro."
    return f"List the macro in the Transform: `Transform: [{', '.join([macro_name, *names])}]`."


def bounded_message(head: str, items: Sequence[str], limit: int = MAX_MESSAGE_CHARS) -> str:
    """`head 1) ... 2) ... and N more` within `limit` characters, items in the order given (the most
    important first). An item that alone does not fit is cut, so the first one always shows."""
    pieces = [f" {index + 1}) {item}" for index, item in enumerate(items)]
    if len(head) + sum(map(len, pieces)) <= limit:
        return head + "".join(pieces)
    text = head
    for index, piece in enumerate(pieces):
        after = len(pieces) - index - 1
        tail = f" ... and {after} more" if after else ""
        # the count of what follows must still fit after this item
        if len(text) + len(piece) + len(tail) <= limit:
            text += piece
            continue
        left = after + 1
        room = limit - len(text) - len(tail)
        if index == 0 and room >= 20:
            text += _clip(piece, room)
            left -= 1
        return _clip(text + (f" ... and {left} more" if left else ""), limit)
    return text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
