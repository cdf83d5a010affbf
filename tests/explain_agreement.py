"""What `explain` reads of a template agrees with what the macro reads of it.

Not a test module: `check` is called for every template an explain case analyzes (the autouse fixture
in conftest.py records them) and by test_explain_agreement.py. The macro's run is `core.analyze` as
the handler calls it (no principal but functions' execution roles); explain's adds the other
principals and leaves conditions undecided. On the functions' execution roles both must see the same
roles, the same grants and the same callees.
"""

from __future__ import annotations

from typing import Any

from auto_invoke_permission import core
from auto_invoke_permission.diagnose.explain import Analyzed, Diagnosis
from auto_invoke_permission.model import Permission, RoleKey
from auto_invoke_permission.template import TemplateIndex


def _grants(permissions: list[Permission], keys: set[RoleKey]) -> list[tuple[Any, ...]]:
    """What a permission says of a grant: callee form, role, action, the statements it mirrors."""
    return sorted(
        (p.callee, p.principal.key, p.action, p.extra, p.grants, p.existing)
        for p in permissions
        if p.principal.key in keys
    )


def _function_roles(index: TemplateIndex) -> dict[RoleKey, list[str]]:
    """Each role some function runs as, with those functions."""
    out: dict[RoleKey, list[str]] = {}
    for fid, roles in index.function_roles.items():
        for key, _ in roles:
            out.setdefault(key, []).append(fid)
    return {key: sorted(set(fids)) for key, fids in out.items()}


def check(analyzed: Analyzed, diagnosis: Diagnosis | None = None) -> None:
    """Assert that the macro and explain see the same roles, grants and callees in one template."""
    context = analyzed.context._replace(every_principal=False)
    fragment = analyzed.template.fragment
    macro_index = core.read_fragment(fragment, context).template_index
    macro = core.analyze(fragment, analyzed.result.options, context)
    roles = _function_roles(macro_index)
    assert _function_roles(analyzed.index) == roles, "execution roles differ"
    assert sorted(macro_index.functions) == sorted(analyzed.index.functions), "callees differ"
    keys = set(roles)
    assert _grants(analyzed.result.permissions, keys) == _grants(macro.permissions, keys), "grants differ"
    if diagnosis is None or diagnosis.caller is None or diagnosis.caller.template != analyzed.template.path:
        return
    caller = diagnosis.caller
    if caller.key in roles:  # a function's role: the macro knows it, with the same functions
        functions = [c for c in diagnosis.caller_functions if c in macro_index.functions]
        assert functions == roles[caller.key], "the caller's functions differ"
    if diagnosis.callee is not None and diagnosis.callee.template == analyzed.template.path:
        assert diagnosis.callee.logical_id in macro_index.functions, "the callee is no function of the macro"
