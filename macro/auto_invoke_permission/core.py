"""The pure core: a template fragment in, permissions and findings out.

No I/O, no environment reads, and the input is never mutated: the output
fragment is a new top-level mapping whose untouched values are shared with the
input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import checks, limits, report, sources
from .analysis import Analysis
from .conditions import condition_cycles
from .findings import Finding
from .grants import apply_denies, check_boundaries, read_document
from .model import TransformContext, TransformFailure, TransformResult
from .options import Mode, Options
from .permissions import build_permissions, existing_permissions, permission_resource
from .resolver import Resolver
from .targets import TargetClassifier
from .template import TemplateIndex, sam_generated_names

MACRO_KEY = "AutoInvokePermission"


def _shape(fragment: Any) -> tuple[Mapping[str, Any], bool]:
    """The template and whether it is a bare Resources mapping (Fn::Transform under Resources)."""
    if not isinstance(fragment, dict):
        raise TransformFailure([f"the template fragment is a {type(fragment).__name__}, not a mapping"])
    if "Resources" not in fragment:
        if fragment and all(isinstance(v, dict) and "Type" in v for v in fragment.values()):
            bad = [
                f"{rid}.Type must be a string"
                for rid, v in fragment.items()
                if not isinstance(v["Type"], str)
            ]
            if bad:
                raise TransformFailure(bad)
            return fragment, True
        raise TransformFailure(
            [
                "the fragment has no Resources. Use `Transform: AutoInvokePermission` at the template "
                "level, or place `Fn::Transform` directly under `Resources`"
            ]
        )
    problems = []
    resources = fragment["Resources"]
    if not isinstance(resources, dict):
        problems.append(
            f"Resources must be a mapping of logical IDs to resources, not a {type(resources).__name__}"
        )
    else:
        for rid, res in resources.items():
            if not isinstance(res, dict):
                problems.append(f"Resources.{rid} must be a mapping, not a {type(res).__name__}")
            elif not isinstance(res.get("Type"), str):
                problems.append(f"Resources.{rid}.Type must be a string")
    for section in ("Conditions", "Parameters", "Mappings", "Metadata", "Globals"):
        if section in fragment and not isinstance(fragment[section], dict):
            problems.append(f"{section} must be a mapping, not a {type(fragment[section]).__name__}")
    if not problems and isinstance(fragment.get("Conditions"), dict):
        problems.extend(condition_cycles(fragment["Conditions"]))
    if problems:
        raise TransformFailure(problems)
    return fragment, False


def analyze(fragment: Any, options: Options, context: TransformContext) -> TransformResult:
    """Find every grant, build the permissions and findings; raise only for unusable input or limits."""
    template, resources_only = _shape(fragment)
    resources: Mapping[str, Any] = template if resources_only else template["Resources"]
    conditions = None if resources_only else template.get("Conditions", {})
    globals_section = None if resources_only else template.get("Globals")
    resolver = Resolver(
        region=context.region,
        account_id=context.account_id,
        resources=resources,
        parameters={} if resources_only else template.get("Parameters", {}),
        parameter_values=context.parameter_values,
        mappings={} if resources_only else template.get("Mappings", {}),
        conditions=conditions,
        implicit=sam_generated_names(resources, globals_section),
    )
    index = TemplateIndex(resources, globals_section, resolver)
    state = Analysis(index, TargetClassifier(index), options)
    for rid in sorted(index.skipped):
        state.find("AIP140", rid, f"{rid} is skipped (Metadata.AutoInvokePermission.Skip)")
    if options.raised_from is not None:
        state.find(
            "AIP141",
            "Metadata.AutoInvokePermission.Mode",
            f"mode {options.raised_from.value} raised to the minimum {options.mode.value}",
        )
    for doc in sources.collect(index):
        read_document(state, doc)
    grants = apply_denies(state)
    existing = existing_permissions(state)
    permissions = build_permissions(state, grants, existing, conditions)
    check_boundaries(state, grants)
    checks.environment_references(state.index, state.covered, state.findings)
    findings = sorted(set(state.findings), key=Finding.sort_key)
    result = TransformResult(
        fragment=dict(template),
        options=options,
        permissions=permissions,
        findings=findings,
        edges=state.edges,
        grant_count=state.grant_count,
    )
    if options.mode is not Mode.AUDIT:  # audit adds nothing, so no limit applies
        limits.check(index, permissions, result.added)
    result.fragment = _output(template, resources_only, result, conditions, state.new_conditions)
    return result


def transform(fragment: Any, options: Options, context: TransformContext) -> TransformResult:
    """`analyze`, then refuse in enforce mode when a grant could not be mirrored or a finding is an error."""
    result = analyze(fragment, options, context)
    if options.mode is Mode.ENFORCE and result.blocking:
        raise TransformFailure(
            [f.one_line() for f in result.blocking], log_items=[f"{f.code}:{f.path}" for f in result.blocking]
        )
    return result


def _output(
    template: Mapping[str, Any],
    resources_only: bool,
    result: TransformResult,
    conditions: Mapping[str, Any] | None,
    new_conditions: dict[str, Any],
) -> dict[str, Any]:
    out = dict(template)
    added = result.added
    inject = result.options.mode is not Mode.AUDIT
    if inject and added:
        new_resources = {p.logical_id: permission_resource(p) for p in added}
        if resources_only:
            out.update(new_resources)
        else:
            out["Resources"] = {**template["Resources"], **new_resources}
        used = {p.condition for p in added if p.condition}
        wanted = {k: v for k, v in new_conditions.items() if k in used}
        if wanted:
            out["Conditions"] = {**(conditions or {}), **wanted}
    if not resources_only and result.options.report:
        metadata = dict(template.get("Metadata") or {})
        own = metadata.get(MACRO_KEY)
        own = dict(own) if isinstance(own, dict) else {}
        own["Report"] = report.report_metadata(result)
        metadata[MACRO_KEY] = own
        out["Metadata"] = metadata
    return out
