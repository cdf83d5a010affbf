"""The Lambda artifact is an allow-list (macro/Makefile): MACRO_MODULES is the handler's import closure
and HOOK_MODULES what the hook's handler adds to it, read statically so lazy imports count too.
`test_runtimes.py` builds the artifact and runs it in a bare interpreter."""

from __future__ import annotations

import re

from package_imports import PACKAGE_DIR, import_closure, make_list, module_path

MACRO_HANDLER = "auto_invoke_permission.handler"
HOOK_HANDLER = "auto_invoke_permission.hook.handler"


def files_of(modules: set[str]) -> set[str]:
    paths = {module_path(module) for module in modules}
    return {path.relative_to(PACKAGE_DIR).as_posix() for path in paths if path is not None}


def test_make_list_reads_continuation_lines() -> None:
    text = "A := \\\n\tx.py \\\n\ty/z.py\nB := w.py\n"
    assert make_list("A", text) == ["x.py", "y/z.py"]
    assert make_list("B", text) == ["w.py"]


def test_macro_modules_are_the_handlers_import_closure() -> None:
    listed = make_list("MACRO_MODULES")
    assert listed == sorted(listed), "keep MACRO_MODULES sorted"
    needed = files_of(import_closure(MACRO_HANDLER))
    assert set(listed) - needed == set(), "listed but never imported by the handler: drop them"
    assert needed - set(listed) == set(), "imported by the handler (maybe lazily) but not listed: add them"


def test_hook_modules_are_what_the_hook_adds() -> None:
    listed = make_list("HOOK_MODULES")
    assert listed == sorted(listed), "keep HOOK_MODULES sorted"
    added = files_of(import_closure(HOOK_HANDLER)) - files_of(import_closure(MACRO_HANDLER))
    assert set(listed) == added


def test_the_artifact_leaves_out_what_lambda_does_not_run() -> None:
    # the CLI, explain and the cfn-lint rules import third-party packages: they must stay out
    shipped = set(make_list("MACRO_MODULES")) | set(make_list("HOOK_MODULES"))
    assert not {f for f in shipped if f.startswith(("cli/", "diagnose/")) or f == "cfnlint.py"}


def test_the_macro_path_imports_by_name_only() -> None:
    # importlib.import_module("...") or __import__ would escape the static closure above
    dynamic = re.compile(r"\bimport_module\(|\b__import__\(")
    for module in sorted(import_closure(MACRO_HANDLER) | import_closure(HOOK_HANDLER)):
        path = module_path(module)
        assert path is not None
        assert not dynamic.search(path.read_text(encoding="utf-8")), f"{module} imports dynamically"
