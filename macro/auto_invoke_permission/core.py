"""The pure core: a template fragment in, permissions and findings out.

No I/O, no environment reads, and the input is never mutated: the output
fragment is a new top-level mapping whose untouched values are shared with the
input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from . import checks, declared_callers, limits, report, sources, suppressions
from .conditions import condition_cycles
from .findings import Finding, FindingCode
from .grants import apply_denies, read_grants
from .model import Counts, Permission, TransformContext, TransformFailure, TransformResult, json_kind
from .options import MACRO_KEY as MACRO_KEY  # noqa: PLC0414 - re-exported: core.MACRO_KEY
from .options import Mode, Options
from .permissions import (
    build_permissions,
    existing_permissions,
    existing_url_permissions,
    permission_resource,
)
from .resolver import Resolver
from .targets import TargetClassifier
from .template import TemplateIndex, sam_generated_names
from .urls import AWS_IAM, function_urls

PRODUCES: frozenset[FindingCode] = frozenset({"AIP140", "AIP141", "AIP142"})  # what the run itself reports


class Shape(NamedTuple):
    """The template, whether it is a bare Resources mapping (Fn::Transform under Resources), its
    resources to analyze, and the keys under Resources kept untouched and not analyzed (AIP142)."""

    template: Mapping[str, Any]
    resources_only: bool
    resources: Mapping[str, Any]
    unanalyzed: tuple[str, ...]


def _not_analyzed(key: str) -> bool:
    """A key under Resources that is no resource: `Fn::ForEach::Name` (AWS::LanguageExtensions
    expands it) or an `Fn::Transform` snippet (AWS::Include...) beside the resources."""
    return key.startswith("Fn::ForEach::") or key == "Fn::Transform"


def _split_resources(resources: Mapping[str, Any]) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    unanalyzed = tuple(key for key in resources if _not_analyzed(key))
    if not unanalyzed:
        return resources, ()
    return {k: v for k, v in resources.items() if not _not_analyzed(k)}, unanalyzed


def _shape(fragment: Any) -> Shape:
    """The template's shape, or a failure that lists every problem with it."""
    if not isinstance(fragment, dict):
        raise TransformFailure([f"the template fragment is {json_kind(fragment)}, not a mapping"])
    if "Resources" not in fragment:
        resources, unanalyzed = _split_resources(fragment)
        if resources and all(isinstance(v, dict) and "Type" in v for v in resources.values()):
            bad = [
                f"{rid}.Type must be a string"
                for rid, v in resources.items()
                if not isinstance(v["Type"], str)
            ]
            if bad:
                raise TransformFailure(bad)
            return Shape(fragment, True, resources, unanalyzed)
        raise TransformFailure(
            [
                "the fragment has no Resources. Use `Transform: AutoInvokePermission` at the template "
                "level, or place `Fn::Transform` directly under `Resources`"
            ]
        )
    problems = []
    resources, unanalyzed = fragment["Resources"], ()
    if not isinstance(resources, dict):
        problems.append(
            f"Resources must be a mapping of logical IDs to resources, not {json_kind(resources)}"
        )
    else:
        resources, unanalyzed = _split_resources(resources)
        for rid, res in resources.items():
            if not isinstance(res, dict):
                problems.append(f"Resources.{rid} must be a mapping, not {json_kind(res)}")
            elif not isinstance(res.get("Type"), str):
                problems.append(f"Resources.{rid}.Type must be a string")
    for section in ("Conditions", "Parameters", "Mappings", "Metadata", "Globals"):
        if section in fragment and not isinstance(fragment[section], dict):
            problems.append(f"{section} must be a mapping, not {json_kind(fragment[section])}")
    if not problems and isinstance(fragment.get("Conditions"), dict):
        problems.extend(condition_cycles(fragment["Conditions"]))
    if problems:
        raise TransformFailure(problems)
    return Shape(fragment, False, resources, unanalyzed)


def analyze(fragment: Any, options: Options, context: TransformContext) -> TransformResult:
    """Find every grant, build the permissions and findings; raise only for unusable input or limits.
    Each stage takes what it reads and returns what it produces; the result is built once, last."""
    template, resources_only, resources, unanalyzed = _shape(fragment)
    conditions = None if resources_only else template.get("Conditions", {})
    globals_section = None if resources_only else template.get("Globals")
    resolver = _resolver(template, resources_only, resources, conditions, globals_section, context)
    ignores = suppressions.resource_ignores(resources)
    index = TemplateIndex(resources, globals_section, resolver)
    classifier = TargetClassifier(index)
    findings = _run_findings(index, options, unanalyzed) + index.findings
    documents = sources.collect(index)
    urls = function_urls(index, classifier)
    iam_url_forms = frozenset(u.form for u in urls if u.auth_type == AWS_IAM)
    read = read_grants(index, classifier, options, documents, iam_url_forms)
    grants, denied = apply_denies(read.grants, read.denies, read.url_denies, resolver.conditions)
    existing, existing_findings = existing_permissions(index, classifier)
    existing_url = existing_url_permissions(index, classifier) if iam_url_forms else None
    built = build_permissions(index, grants, existing, conditions, existing_url)
    taken = set(index.resources) | {p.logical_id for p in built.permissions}
    visible = None if conditions is None else {**conditions, **built.new_conditions}
    declared = declared_callers.build(index, classifier, visible, taken)
    facts = checks.Facts(
        index, classifier, grants, read.covered, urls, read.url_covered, read.url_action_covered
    )
    findings += read.findings + denied + existing_findings + built.findings + declared.findings
    findings = sorted(set(findings + checks.run_all(facts)), key=Finding.sort_key)
    findings = suppressions.apply(findings, options, ignores, index, documents, resources_only)
    permissions = built.permissions + declared.permissions
    new_conditions = {**built.new_conditions, **declared.new_conditions}
    added = [p for p in permissions if not p.existing]  # in audit mode: planned, not added
    if options.mode is not Mode.AUDIT:  # audit adds nothing, so no limit applies
        _check_limits(index, permissions, added)
    summary = None
    if not resources_only and options.report:
        summary = _summary(options, read.grant_count, permissions, added, findings, declared.permissions)
    out = _output(template, resources_only, options, added, conditions, new_conditions, summary)
    return TransformResult(out, options, permissions, added, findings, read.edges, read.grant_count)


def _resolver(
    template: Mapping[str, Any],
    resources_only: bool,
    resources: Mapping[str, Any],
    conditions: Mapping[str, Any] | None,
    globals_section: Any,
    context: TransformContext,
) -> Resolver:
    """The resolver for one run; a Resources-only fragment has no Parameters or Mappings."""
    return Resolver(
        region=context.region,
        account_id=context.account_id,
        resources=resources,
        parameters={} if resources_only else template.get("Parameters", {}),
        parameter_values=context.parameter_values,
        mappings={} if resources_only else template.get("Mappings", {}),
        conditions=conditions,
        decide_conditions=context.decide_conditions,
        implicit=sam_generated_names(resources, globals_section, context.parameter_values),
    )


def _check_limits(index: TemplateIndex, permissions: list[Permission], added: list[Permission]) -> None:
    """Refuse the run when the permissions would break a CloudFormation or Lambda limit."""
    over = limits.check(index, permissions, added)
    if over:
        raise TransformFailure([f"{f.code} {f.message}" for f in over], findings=over)


def _summary(
    options: Options,
    grant_count: int,
    permissions: list[Permission],
    added: list[Permission],
    findings: list[Finding],
    declared_permissions: list[Permission],
) -> dict[str, Any]:
    """The report for Metadata: counts, the permissions added to the template and the declared ones."""
    counts = Counts.of(grant_count, permissions, added, findings)
    in_template = [p for p in added if p not in declared_permissions]
    return report.report_metadata(
        options, counts, in_template, findings, [p for p in declared_permissions if not p.existing]
    )


def _run_findings(index: TemplateIndex, options: Options, unanalyzed: tuple[str, ...]) -> list[Finding]:
    """What the run itself reports: skipped resources, keys under Resources not analyzed, and a mode
    raised to the stack's minimum."""
    findings = [
        Finding("AIP140", rid, rid, f"{rid} is skipped (Metadata.AutoInvokePermission.Skip)")
        for rid in sorted(index.skipped)
    ]
    if unanalyzed:
        keys = ", ".join(unanalyzed)
        message = (
            f"{keys} under Resources: what they generate is not analyzed unless AWS::LanguageExtensions "
            "(or the included transform) runs before the macro; kept untouched"
        )
        findings.append(Finding("AIP142", unanalyzed[0], unanalyzed[0], message))
    if options.raised_from is not None:
        path = "Metadata.AutoInvokePermission.Mode"
        message = f"mode {options.raised_from.value} raised to the minimum {options.mode.value}"
        findings.append(Finding.at("AIP141", path, message))
    return findings


def _conditions_used(added: list[Permission], new_conditions: Mapping[str, Any]) -> dict[str, Any]:
    """The new Conditions the added permissions use, and the new ones those read (a combined
    condition may read a generated one)."""
    wanted: dict[str, Any] = {}
    todo = [p.condition for p in added if p.condition]
    while todo:
        name = todo.pop()
        if name in wanted or name not in new_conditions:
            continue
        wanted[name] = new_conditions[name]
        todo.extend(_condition_names(new_conditions[name]))
    return wanted


def _condition_names(definition: Any) -> list[str]:
    """The Conditions a condition's definition reads by `{Condition: NAME}`."""
    if isinstance(definition, list):
        return [n for item in definition for n in _condition_names(item)]
    if not isinstance(definition, dict):
        return []
    named = definition.get("Condition")
    own = [named] if isinstance(named, str) and len(definition) == 1 else []
    return own + [n for value in definition.values() for n in _condition_names(value)]


def transform(fragment: Any, options: Options, context: TransformContext) -> TransformResult:
    """`analyze`, then refuse in enforce mode when a grant could not be mirrored or a finding is an error."""
    result = analyze(fragment, options, context)
    if options.mode is Mode.ENFORCE and result.blocking:
        raise TransformFailure(
            [f.one_line() for f in result.blocking],
            log_items=[f"{f.code}:{f.path}" for f in result.blocking],
            findings=result.blocking,
        )
    return result


def _output(
    template: Mapping[str, Any],
    resources_only: bool,
    options: Options,
    added: list[Permission],
    conditions: Mapping[str, Any] | None,
    new_conditions: Mapping[str, Any],
    summary: dict[str, Any] | None,
) -> dict[str, Any]:
    """The output fragment: the input's top-level mapping, plus the added permissions, the new
    Conditions they use, and the report (`summary`) in Metadata."""
    out = dict(template)
    inject = options.mode is not Mode.AUDIT
    if inject and added:
        new_resources = {p.logical_id: permission_resource(p) for p in added}
        if resources_only:
            out.update(new_resources)
        else:
            out["Resources"] = {**template["Resources"], **new_resources}
        wanted = _conditions_used(added, new_conditions)
        if wanted:
            out["Conditions"] = {**(conditions or {}), **wanted}
    if summary is not None:
        metadata = dict(template.get("Metadata") or {})
        own = metadata.get(MACRO_KEY)
        own = dict(own) if isinstance(own, dict) else {}
        own["Report"] = summary
        metadata[MACRO_KEY] = own
        out["Metadata"] = metadata
    return out
