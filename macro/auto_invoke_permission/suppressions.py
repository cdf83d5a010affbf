"""Suppressions: findings accepted by an `Ignore`, marked once, after every finding is collected.

An accepted finding stays in every report, marked `suppressed`, and never blocks enforce mode
(`Finding.blocks_enforce`). Where a code is accepted:

* template level: the root `Metadata.AutoInvokePermission.Ignore` and the `Fn::Transform`
  `Parameters` `Ignore` (`Options.ignore`), and outside the template the CLI's `--ignore`
  (`Options.ignore_external`): every finding with the code;
* resource level: `Metadata.AutoInvokePermission.Ignore` on a resource: the findings that
  belong to it (`Owners`).

The macro stack's `NeverIgnore` codes are never accepted: each `Ignore` that names one gets an
AIP143 note, which itself cannot be ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .findings import CODES, Finding, FindingCode
from .model import TransformFailure
from .options import MACRO_KEY, OptionError, Options, parse_codes
from .paths import PathPart
from .sources import PolicyDocument
from .template import TemplateIndex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PRODUCES: frozenset[FindingCode] = frozenset({"AIP143"})
TEMPLATE_IGNORE = f"Metadata.{MACRO_KEY}.Ignore"
PARAMETERS_IGNORE = "Fn::Transform.Parameters.Ignore"
EXTERNAL_IGNORE = "--ignore"


def resource_path(rid: str) -> str:
    return f"{rid}.Metadata.{MACRO_KEY}.Ignore"


def resource_ignores(ignores: Mapping[str, Any]) -> dict[str, frozenset[FindingCode]]:
    """Each resource's `Metadata.AutoInvokePermission.Ignore` as codes, by logical ID (`ignores`: the
    values as written, which `TemplateIndex.ignores` holds). Raises TransformFailure naming every
    Ignore that is not a list of codes that can be ignored."""
    out: dict[str, frozenset[FindingCode]] = {}
    problems: list[str] = []
    for rid, node in ignores.items():
        try:
            out[rid] = parse_codes(node, resource_path(rid))
        except OptionError as error:
            problems.append(str(error))
    if problems:
        raise TransformFailure(problems)
    return out


class Owners:
    """Which resources a finding belongs to, so that their `Ignore` accepts it:

    * the finding's own logical ID (where its path starts);
    * for a finding inside a policy document (a grant's statement or Resource): the resources that
      hold the document (the policy, the role), the caller's role, and every function that runs as
      that role;
    * for a finding on a function (its Environment, its Role): the function's execution role.

    The callee of a grant is not an owner: one statement can name many callees, and the finding is
    about the caller's policy (a finding on the callee itself, such as AIP126, starts at it)."""

    def __init__(self, index: TemplateIndex, documents: Iterable[PolicyDocument]) -> None:
        self.index = index
        self.by_document: dict[tuple[PathPart, ...], set[str]] = {}
        for doc in documents:
            ids = self.by_document.setdefault(doc.path, set())
            ids.update(doc.held_by)
            ids.update(self._role_and_callers(doc.role_key))

    def _role_and_callers(self, key: Any) -> Iterable[str]:
        role = self.index.roles.get(key)
        if role is None:
            return ()
        return [*([role.principal.role] if role.principal.role else []), *role.callers]

    def of(self, finding: Finding) -> set[str]:
        owners = {finding.resource}
        path = finding.template_path
        for end in range(1, len(path) + 1):  # the documents the finding is in, or is
            owners |= self.by_document.get(path[:end], set())
        for key, _ in self.index.function_roles.get(finding.resource, ()):
            role = self.index.roles[key]
            if role.principal.role:
                owners.add(role.principal.role)
        return owners


def apply(
    findings: list[Finding],
    options: Options,
    ignores: Mapping[str, frozenset[FindingCode]],
    index: TemplateIndex,
    documents: Iterable[PolicyDocument],
    resources_only: bool,
) -> list[Finding]:
    """The findings, each accepted one marked with where it was accepted, plus the AIP143 notes;
    sorted as `analyze` returns them."""
    template_where = PARAMETERS_IGNORE if resources_only else TEMPLATE_IGNORE
    never = options.never_ignore
    asked = [
        (template_where, options.ignore),
        *((resource_path(rid), codes) for rid, codes in sorted(ignores.items())),
        (EXTERNAL_IGNORE, options.ignore_external),
    ]
    notes = [
        Finding.at(
            "AIP143",
            where,
            f"the macro stack's NeverIgnore forbids ignoring {', '.join(sorted(codes & never))}; "
            "reported as if not ignored",
        )
        for where, codes in asked
        if codes & never
    ]
    if not any(codes - never for _, codes in asked):
        return sorted(findings + notes, key=Finding.sort_key) if notes else findings
    owners = Owners(index, documents) if ignores else None
    marked = []
    for finding in findings:
        code = finding.code
        where = ""
        if code not in never and CODES[code].suppressible:
            if owners is not None:
                where = next(
                    (resource_path(r) for r in sorted(owners.of(finding)) if code in ignores.get(r, ())), ""
                )
            if not where and code in options.ignore:
                where = template_where
            if not where and code in options.ignore_external:
                where = EXTERNAL_IGNORE
        marked.append(finding._replace(suppressed_by=where) if where else finding)
    return sorted(marked + notes, key=Finding.sort_key)
