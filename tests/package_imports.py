"""The package's own import graph, read statically (ast): every `import` and `from ... import` of a
module, at its top or inside a function, resolved to the package's modules. It does not import
anything, so it sees lazy imports too (a function that imports on first use) and costs no start-up."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from repository import REPO

PACKAGE = "auto_invoke_permission"
PACKAGE_DIR = REPO / "macro" / PACKAGE
MAKEFILE = REPO / "macro" / "Makefile"  # the Lambda artifact's allow-lists


def module_path(module: str) -> Path | None:
    """The file of a dotted module name of the package (a package is its `__init__.py`)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    relative = path.resolve().relative_to(PACKAGE_DIR).with_suffix("")
    parts = [PACKAGE, *relative.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> list[str]:
    """Every module of the package."""
    return sorted(module_name(p) for p in PACKAGE_DIR.rglob("*.py"))


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The absolute name `from <node.module> import ...` refers to, inside `module`."""
    if node.level == 0:
        return node.module or ""
    path = module_path(module)
    is_package = path is not None and path.name == "__init__.py"
    anchor = module.split(".")
    anchor = anchor if is_package else anchor[:-1]
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, node.module] if node.module else anchor)


def direct_imports(module: str) -> set[str]:
    """The package's modules `module` imports anywhere in its text (the parents of a submodule too:
    Python runs them first)."""
    path = module_path(module)
    assert path is not None, module
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            # `from . import x` imports the submodule x when there is one
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            parts = name.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {name for name in found if module_path(name) is not None} - {module}


def import_closure(module: str) -> set[str]:
    """`module` and every module of the package it imports, directly or not, at any depth."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(direct_imports(current) - seen)
    return seen


def make_list(name: str, text: str | None = None) -> list[str]:
    """The files of a `NAME := a \\ b \\ ...` variable of macro/Makefile, in their order."""
    text = MAKEFILE.read_text(encoding="utf-8") if text is None else text
    match = re.search(rf"^{name} :=((?:.*\\\n)*.*)$", text, re.MULTILINE)
    assert match, f"{name} is not in {MAKEFILE}"
    return match.group(1).replace("\\\n", " ").split()
