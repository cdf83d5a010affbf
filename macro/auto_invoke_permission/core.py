"""The pure core: a template fragment in, permissions and findings out.

No I/O, no environment reads, and the input is never mutated: the output
fragment is a new top-level mapping whose untouched values are shared with the
input.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import checks, limits, report, sources, suppressions
from .conditions import Conditions, condition_cycles, referenced_conditions
from .findings import Finding, FindingCode
from .grants import GrantsRead, apply_denies, read_grants
from .model import (
    CalleeForm,
    Counts,
    Grant,
    Permission,
    TransformContext,
    TransformFailure,
    TransformResult,
    json_kind,
)
from .options import MACRO_KEY as MACRO_KEY  # noqa: PLC0414 - re-exported: core.MACRO_KEY
from .options import Mode, Options
from .paths import TemplatePath
from .permissions import (
    build_permissions,
    existing_permissions,
    existing_url_permissions,
    permission_resource,
)
from .records import Record
from .resolver import Resolver
from .targets import TargetClassifier
from .template import TemplateIndex, sam_generated_names
from .urls import AWS_IAM, FunctionUrl, function_urls

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PRODUCES: frozenset[FindingCode] = frozenset({"AIP140", "AIP141", "AIP142"})  # what the run itself reports


class Shape(Record):
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
    unanalyzed = tuple(filter(_not_analyzed, resources))
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


class TemplateRead(Record):
    """The template as the first stage reads it: its shape, its Conditions (None for a bare Resources
    mapping) and the index every later stage (and diagnosis) looks things up in."""

    shape: Shape
    conditions: Mapping[str, Any] | None
    template_index: TemplateIndex


def read_fragment(fragment: Any, context: TransformContext) -> TemplateRead:
    """The first stage: the template's shape, its resolver and its index."""
    shape = _shape(fragment)
    conditions = None if shape.resources_only else shape.template.get("Conditions", {})
    return TemplateRead(shape, conditions, _index(shape, context))


def _index(shape: Shape, context: TransformContext, known: Mapping[str, Any] | None = None) -> TemplateIndex:
    """The index over a resolver with this deploy's parameter values, or with only those of `known`."""
    template, resources_only, resources, _ = shape
    conditions = None if resources_only else template.get("Conditions", {})
    globals_section = None if resources_only else template.get("Globals")
    resolver = _resolver(template, resources_only, resources, conditions, globals_section, context, known)
    return TemplateIndex(resources, globals_section, resolver, context.every_principal)


class _Reading(Record):
    """One reading of the template's grants, with one resolver: this deploy's values, or none."""

    resolver: Resolver
    template_index: TemplateIndex
    classifier: TargetClassifier
    documents: list[sources.PolicyDocument]
    urls: list[FunctionUrl]
    iam_url_forms: frozenset[CalleeForm]
    read: GrantsRead
    grants: list[Grant]
    denied: list[Finding]


def _reading(
    shape: Shape, options: Options, context: TransformContext, known: Mapping[str, Any] | None = None
) -> _Reading:
    """The index, the policy documents and the grants, read with this deploy's parameter values, or
    with only those of `known` (every other parameter a symbol, every condition on one left open)."""
    index = _index(shape, context, known)
    resolver = index.resolver
    classifier = TargetClassifier(index)
    documents = sources.collect(index)
    urls = function_urls(index, classifier)
    iam_url_forms = frozenset(u.form for u in urls if u.auth_type == AWS_IAM)
    read = read_grants(index, classifier, options, documents, iam_url_forms)
    grants, denied = apply_denies(read.grants, read.denies, read.url_denies, resolver.conditions)
    return _Reading(resolver, index, classifier, documents, urls, iam_url_forms, read, grants, denied)


class _Built(Record):
    """The permissions one reading's grants make: added, existing and declared, and their Conditions."""

    permissions: list[Permission]
    declared: list[Permission]
    new_conditions: dict[str, Any]
    findings: list[Finding]


def _build(
    reading: _Reading,
    grants: list[Grant],
    conditions: Mapping[str, Any] | None,
    declared_from: _Reading | None = None,
) -> _Built:
    """The permissions of the grants (`conditions`: the visible Conditions, None when not visible),
    and those the AllowCallers declare, read from `declared_from` (default: `reading`)."""
    index, classifier = reading.template_index, reading.classifier
    existing, existing_findings = existing_permissions(index, classifier)
    existing_url = existing_url_permissions(index, classifier) if reading.iam_url_forms else None
    built = build_permissions(index, grants, existing, conditions, existing_url)
    visible = None if conditions is None else {**conditions, **built.new_conditions}
    declarer = declared_from or reading
    declared, declared_findings, declared_conditions = _declared(
        declarer.template_index, declarer.classifier, visible, index.resources, built.permissions
    )
    return _Built(
        built.permissions + declared,
        declared,
        {**built.new_conditions, **declared_conditions},
        existing_findings + built.findings + declared_findings,
    )


def _for_every_value(
    now: _Reading, now_built: _Built, shape: Shape, options: Options, context: TransformContext
) -> _Built:
    """The permissions for every parameter value: built from a reading with every parameter a symbol,
    plus the grants that match only with some values, under generated conditions: this deploy's
    values, and each value of one parameter that makes a grant name a callee (`probes`); see
    `parameter_values.merge`. The AllowCallers are read with this deploy's values and every
    condition open. Its findings are AIP128 only. When nothing read a parameter's value and no
    condition was decided, every reading is this deploy's, and it is the answer."""
    decided = isinstance(now.resolver.conditions, Conditions) and bool(now.resolver.conditions.decided)
    if not (now.resolver.read_a_value or decided):
        return now_built._replace(findings=[])
    from . import parameter_values  # lazy: only a template whose values matter reads them (cold start)

    conditions = None if shape.resources_only else shape.template.get("Conditions", {})
    # every condition open, even one on literals only: CloudFormation decides it at each deploy
    every = _reading(shape, options, context._replace(decide_conditions=False), known={})
    valued = _valued(now, every, decided, shape, options, context)  # before probes resolve more
    probes = parameter_values.probes(every.documents, every.template_index, now.resolver.values)
    probed = [(probe, _reading(shape, options, context, known=dict([probe])).grants) for probe in probes]
    merged = parameter_values.merge(
        valued.grants,
        every.grants,
        shape.template,
        every.template_index,
        now.resolver,
        conditions,
        probed,
        live={parameter_values.grant_key(g) for g in now.grants},
    )
    visible = None if conditions is None else {**conditions, **merged.conditions}
    built = _build(every, merged.grants, visible, declared_from=valued)
    return built._replace(
        new_conditions={**merged.conditions, **built.new_conditions}, findings=merged.findings
    )


def _valued(
    now: _Reading, every: _Reading, decided: bool, shape: Shape, options: Options, context: TransformContext
) -> _Reading:
    """The reading with this deploy's values in every string and every condition open (a Deny under
    one included). When no condition was decided, it is this deploy's reading (open and undecided
    read alike); when the reading with every parameter a symbol asked for none of the parameters
    with a value, and no AllowCallers reads the values, it is that reading (it reads alike)."""
    if not decided:
        return now
    if not (every.resolver.asked & now.resolver.values.keys()) and not every.template_index.declares_callers:
        return every
    return _reading(shape, options, context._replace(decide_conditions=False))


def _findings_now(now: _Reading, now_built: _Built, options: Options, shape: Shape) -> list[Finding]:
    """The findings with this deploy's values: what a condition decided false guards has none."""
    index = now.template_index
    findings = _run_findings(index, options, shape.unanalyzed) + index.findings + now.read.findings
    findings += now.denied + now_built.findings
    parameters = None if shape.resources_only else shape.template.get("Parameters")
    if parameters:
        from . import parameter_values  # lazy: most templates passed to a cold start have none

        findings += parameter_values.constraint_findings(parameters, now.resolver)
    facts = checks.Facts(
        index,
        now.classifier,
        now.grants,
        now.read.covered,
        now.urls,
        now.read.url_covered,
        now.read.url_action_covered,
    )
    return findings + checks.run_all(facts)


def analyze(fragment: Any, options: Options, context: TransformContext) -> TransformResult:
    """Find every grant, build the permissions and findings; raise only for unusable input or limits.
    The permissions hold for every parameter value CloudFormation may later apply to the output; this
    deploy's values decide only which findings apply now (docs/guide/parameter-values.md)."""
    shape = _shape(fragment)
    template, resources_only, _, _ = shape
    conditions = None if resources_only else template.get("Conditions", {})
    now = _reading(shape, options, context)
    ignores = suppressions.resource_ignores(now.template_index.ignores)
    now_built = _build(now, now.grants, conditions)
    built = _for_every_value(now, now_built, shape, options, context)
    findings = sorted(
        set(_findings_now(now, now_built, options, shape) + built.findings), key=Finding.sort_key
    )
    findings = suppressions.apply(
        findings, options, ignores, now.template_index, now.documents, resources_only
    )
    permissions = built.permissions
    added = [p for p in permissions if not p.existing]  # in audit mode: planned, not added
    if options.mode is not Mode.AUDIT:  # audit adds nothing, so no limit applies
        _check_limits(now.template_index, permissions, added)
    summary = None
    if not resources_only and options.report:
        summary = _summary(options, now.read.grant_count, permissions, added, findings, built.declared)
    out = _output(template, resources_only, options, added, conditions, built.new_conditions, summary)
    return TransformResult(out, options, permissions, added, findings, now.read.edges, now.read.grant_count)


def _declared(
    index: TemplateIndex,
    classifier: TargetClassifier,
    conditions: Mapping[str, Any] | None,
    resources: Mapping[str, Any],
    permissions: list[Permission],
) -> tuple[list[Permission], list[Finding], dict[str, Any]]:
    """The permissions, findings and new Conditions of the template's AllowCallers, whose logical IDs
    are none of `resources` and `permissions`. Most templates declare none: declared_callers is
    imported only for one that does, so that the handler's cold import stays small (`make bench`
    (d)), and the logical IDs taken are gathered only then."""
    if index.declares_callers:
        from . import declared_callers  # lazy: see above

        taken = set(resources) | {p.logical_id for p in permissions}
        return declared_callers.build(index, classifier, conditions, taken)
    return [], [], {}


def _resolver(
    template: Mapping[str, Any],
    resources_only: bool,
    resources: Mapping[str, Any],
    conditions: Mapping[str, Any] | None,
    globals_section: Any,
    context: TransformContext,
    known: Mapping[str, Any] | None = None,
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
        known_values=known,
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
    in_template = [p for p in added if p not in declared_permissions] if declared_permissions else added
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
        path = TemplatePath.of("Metadata", MACRO_KEY, "Mode")
        message = f"mode {options.raised_from.value} raised to the minimum {options.mode.value}"
        findings.append(Finding.at("AIP141", path, message))
    return findings


def _conditions_used(added: list[Permission], new_conditions: Mapping[str, Any]) -> dict[str, Any]:
    """The new Conditions the added permissions use, and the new ones those read (a combined
    condition may read a generated one)."""
    wanted: dict[str, Any] = {}
    if not new_conditions:  # the commonest case: no permission needed a combined condition
        return wanted
    todo = [p.condition for p in added if p.condition]
    while todo:
        name = todo.pop()
        if name in wanted or name not in new_conditions:
            continue
        wanted[name] = new_conditions[name]
        todo.extend(referenced_conditions(new_conditions[name]))
    return wanted


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
        # the permissions go straight into the new Resources mapping (a copy of the template's, or the
        # output itself for a bare Resources mapping): no mapping of them alone to copy in after
        resources = out if resources_only else dict(template["Resources"])
        for p in added:
            resources[p.logical_id] = permission_resource(p)
        if not resources_only:
            out["Resources"] = resources
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
