"""Extending is safe: a check or policy source module that is not registered, or a finding code that a
module creates without claiming it (or claims without creating it), fails here.

The codes a module creates are read from its text (ast): a code literal passed to a call
(`Finding.at("AIP101", ...)`, `Target(code="AIP116", ...)`) or the default of a parameter or field
named `code`. Comparisons (`code == "AIP114"`) and sets of codes do not count."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from types import ModuleType

import pytest
from auto_invoke_permission import checks, sources
from auto_invoke_permission.findings import CODES
from package_imports import import_closure, module_path

CODE = re.compile(r"AIP\d{3}")
MACRO_PATH = import_closure("auto_invoke_permission.handler")


def _code(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value):
        return node.value
    return None


def _field_default(node: ast.AST) -> ast.AST | None:
    """The default of a class field `code: FindingCode = "AIP..."`."""
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "code":
        return node.value
    return None


def _parameter_defaults(node: ast.AST) -> list[ast.AST]:
    """The defaults of a function's parameters named `code`."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    positional = [*node.args.posonlyargs, *node.args.args]
    with_defaults = positional[len(positional) - len(node.args.defaults) :]
    pairs = list(zip(with_defaults, node.args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True) if d]
    return [default for arg, default in pairs if arg.arg == "code"]


def created_codes(source: str) -> set[str]:
    """The finding codes a module's text creates."""
    found: set[str | None] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            found.update(_code(arg) for arg in node.args)
            found.update(_code(keyword.value) for keyword in node.keywords)
        found.add(_code(_field_default(node)))
        found.update(_code(default) for default in _parameter_defaults(node))
    return {code for code in found if code is not None}


def test_created_codes_reads_creations_only() -> None:
    source = '''
class Problem:
    code: FindingCode = "AIP103"
def f(reason, code="AIP116", *, other="AIP999"):
    find("AIP120", path)
    Target(code="AIP122", message=m)
    if code == "AIP114" or code in frozenset({"AIP122", "AIP123"}):
        """AIP150 in a docstring"""
'''
    assert created_codes(source) == {"AIP103", "AIP116", "AIP120", "AIP122"}


def _created(module: str) -> set[str]:
    path = module_path(module)
    assert path is not None
    return created_codes(path.read_text(encoding="utf-8"))


def _claims() -> dict[str, frozenset[str]]:
    """Module -> the codes it claims: its `PRODUCES`, or for a check its `CHECK`'s codes."""
    out: dict[str, frozenset[str]] = {}
    for name in sorted(MACRO_PATH):
        module = importlib.import_module(name)
        claim = getattr(module, "PRODUCES", None)
        check = getattr(module, "CHECK", None)
        if check is not None:
            claim = check.produces
        if claim is not None:
            out[name] = frozenset(claim)
    return out


CLAIMS = _claims()


def test_every_code_is_claimed_and_every_claim_is_a_code() -> None:
    claimed = {code for codes in CLAIMS.values() for code in codes}
    assert sorted(claimed) == sorted(CODES)


@pytest.mark.parametrize("module", sorted(CLAIMS))
def test_a_module_claims_every_code_it_creates(module: str) -> None:
    assert _created(module) <= CLAIMS[module], f"{module}: add them to PRODUCES (or its CHECK)"


@pytest.mark.parametrize("module", sorted(CLAIMS))
def test_a_module_creates_every_code_it_claims(module: str) -> None:
    # the modules it reads codes from (targets, statements, resolver, conditions for grants) count,
    # unless they make their own claim
    helpers = {m for m in import_closure(module) if m not in CLAIMS} | {module}
    created = set().union(*(_created(m) for m in helpers))
    assert CLAIMS[module] <= created, f"{module} claims codes it never creates"


def test_every_created_code_has_a_claim() -> None:
    unclaimed = {
        (module, code)
        for module in MACRO_PATH
        for code in _created(module)
        if not any(code in CLAIMS[c] and module in import_closure(c) for c in CLAIMS)
    }
    assert unclaimed == set()


def _submodules(package: ModuleType) -> list[ModuleType]:
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def test_every_check_module_is_registered() -> None:
    modules = _submodules(checks)
    assert modules, "no check modules found"
    assert all(hasattr(m, "CHECK") for m in modules), "a module of checks/ must declare CHECK"
    assert sorted(m.CHECK for m in modules) == sorted(checks.registered())


def test_every_policy_source_module_is_registered() -> None:
    # a module of sources/ with a `documents` function is a source; the others are helpers
    modules = [m for m in _submodules(sources) if hasattr(m, "documents")]
    assert sorted(m.__name__ for m in modules) == sorted(
        m.__name__  # type: ignore[attr-defined]
        for m in sources.registered()
    )


def test_registered_checks_and_sources_are_on_the_macro_path() -> None:
    # registered lazily (inside a function): the artifact's allow-list must still find them
    for package in (checks, sources):
        assert {m.__name__ for m in _submodules(package)} <= MACRO_PATH
