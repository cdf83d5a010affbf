"""The CLI as a shell over the library face: conventions, the hook's policy in `check`, imports.

`check --require-transform` / `--fail-on` decide with the hook's own code: a test compares the two
commands on every sample template, and the library's two readings on every corpus template.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from auto_invoke_permission import api
from auto_invoke_permission.hook.policy import FAILED, HookPolicy
from auto_invoke_permission.offline.template_read import NotATemplate, TemplateError, read_template
from cli_support import Capture, clear_aws_settings, run_cli
from corpus_support import CORPUS, read_tsv
from fresh_python import run_python
from repository import REPO
from snippets import CLEAN, PLACE, WILDCARD
from test_cli import write

PACKAGE = REPO / "macro" / "auto_invoke_permission"

# CLEAN without the macro in its Transform: the grant needs a permission the hook requires
UNLISTED = CLEAN.replace(
    "Transform: [AutoInvokePermission, AWS::Serverless-2016-10-31]", "Transform: AWS::Serverless-2016-10-31"
)
SUB_GRANT = CLEAN.replace(
    "Resource: !GetAtt ProcessorFunction.Arn", "Resource: !Sub '${ProcessorFunction.Arn}:*'"
)


@pytest.fixture(autouse=True)
def no_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clear_aws_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)  # no project file of the repository


# ------------------------------------------------------------------ check speaks for the hook
def test_check_says_when_the_template_does_not_list_the_macro(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, UNLISTED)
    code, out, err = run_cli(capsys, "check", path, *PLACE)
    assert code == 0
    assert out == f"{path}: passes enforce mode (no findings)\n"
    assert err == (
        f"autoinvoke: {path} does not list AutoInvokePermission in its Transform: the 1 permission it "
        "needs will not be added at deploy (--require-transform fails it, as the account's hook would)\n"
    )


def test_require_transform_fails_as_the_hook_does_and_says_why(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, UNLISTED)
    code, out, _ = run_cli(capsys, "check", "--require-transform", path, *PLACE)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}: hook RequireTransform: 1 grant(s) need the macro: RequestFunction")
    assert "Fix: List the macro in the Transform: `Transform: [AutoInvokePermission, " in lines[0]
    assert lines[-1] == f"{path}: fails the account's hook"
    assert run_cli(capsys, "hook", path, *PLACE)[0] == 1


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        ("error", 0),  # AIP110 is a warning (it blocks enforce mode only in check's own verdict)
        ("warning", 1),
        ("AIP110", 1),
        ("AIP101,AIP110", 1),
        ("aip101", 0),
    ],
)
def test_fail_on_takes_codes_and_severities(
    tmp_path: Path, capsys: Capture, fail_on: str, expected: int
) -> None:
    path = write(tmp_path, WILDCARD)
    code, out, _ = run_cli(
        capsys, "check", "--mode", "audit", "--fail-on", fail_on, "--format", "json", path, *PLACE
    )
    report = json.loads(out)["templates"][0]
    assert (code, bool(report["hookFailures"])) == (expected, bool(expected))
    assert report["listsMacro"] is True


def test_hook_failures_are_failing_results_in_junit_and_sarif(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, UNLISTED)
    code, out, _ = run_cli(capsys, "check", "--require-transform", "--format", "junit", path, *PLACE)
    assert code == 1
    assert '<testcase classname="' + path + '" name="hook">' in out
    assert '<failure message="hook RequireTransform: 1 grant(s) need the macro' in out
    assert 'type="HookPolicy"' in out
    code, out, _ = run_cli(capsys, "check", "--require-transform", "--format", "sarif", path, *PLACE)
    results = json.loads(out)["runs"][0]["results"]
    assert [(r["ruleId"], r["message"]["text"].split(":")[0]) for r in results] == [
        ("AIP000", "hook RequireTransform")
    ]


def test_hook_reads_every_file_named_and_says_which_cannot_be_read(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN)
    missing = str(tmp_path / "missing.yaml")
    code, out, err = run_cli(capsys, "hook", "-q", path, missing, *PLACE)
    assert code == 2
    assert out.startswith(f"{path}: SUCCESS\n")
    assert err == f"autoinvoke hook: error: cannot read {missing}: No such file or directory\n"


def test_fail_on_rejects_what_is_neither_code_nor_severity(tmp_path: Path, capsys: Capture) -> None:
    code, _, err = run_cli(capsys, "check", "--fail-on", "loud", write(tmp_path, CLEAN), *PLACE)
    assert code == 2
    assert "'loud' is neither a finding code" in err


def test_project_file_sets_the_hook_policy_and_the_command_line_wins(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, UNLISTED)
    (tmp_path / ".autoinvoke.toml").write_text('require_transform = true\nfail_on = ["warning"]\n')
    assert run_cli(capsys, "check", path, *PLACE)[0] == 1
    assert run_cli(capsys, "check", "--no-require-transform", path, *PLACE)[0] == 0
    (tmp_path / ".autoinvoke.toml").write_text("require_transform = 'yes'\n")
    code, _, err = run_cli(capsys, "check", path, *PLACE)
    assert code == 2
    assert "require_transform must be true or false" in err


SAMPLES = sorted(p for p in (REPO / "samples").rglob("template*.yaml"))


@pytest.mark.parametrize("sample", SAMPLES, ids=[str(p.relative_to(REPO)) for p in SAMPLES])
@pytest.mark.parametrize("fail_on", [(), ("--fail-on", "error"), ("--fail-on", "warning")])
def test_hook_and_check_agree_on_every_sample(
    capsys: Capture, sample: Path, fail_on: tuple[str, ...]
) -> None:
    hook_code, _, _ = run_cli(capsys, "hook", "-q", *fail_on, str(sample))
    code, out, _ = run_cli(
        capsys, "check", "-q", "--require-transform", *fail_on, "--format", "json", str(sample)
    )
    report = json.loads(out)["templates"][0]
    assert bool(report["hookFailures"]) == (hook_code == 1)
    if hook_code == 1:
        assert code == 1


def _corpus_files() -> list[Path]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    return [CORPUS / row["local_file"] for row in read_tsv(CORPUS / "MANIFEST.tsv")]


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(), reason="no corpus")
def test_hook_and_check_agree_on_the_corpus() -> None:
    gate = api.Gate(require_transform=True, fail_on=frozenset({"error"}))
    policy = HookPolicy(require_transform=True, fail_on=gate.fail_on)
    disagree = []
    for path in _corpus_files():
        try:
            template = read_template(str(path))
        except (NotATemplate, TemplateError):
            continue
        hook = api.hook_decision(template.text, policy, api.Place())
        checked = api.check(api.CheckRequest(template.data, name=str(path), gate=gate))
        if (hook.status == FAILED) != bool(checked.gate_failures):
            disagree.append(f"{path}: hook {hook.status}, check {checked.gate_failures}")
    assert not disagree, "\n".join(disagree[:20])


# ------------------------------------------------------------------ conventions
def test_options_with_values_never_swallow_the_template(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, WILDCARD)
    code, out, _ = run_cli(capsys, "hook", "--fail-on", "warning", path, "--never-ignore", "AIP110", *PLACE)
    assert code == 1
    assert out.startswith("FAILED (NonCompliant)\n")
    code, _, _ = run_cli(capsys, "check", "--fail-on", "warning", path, *PLACE)
    assert code == 1


def test_template_file_option_is_the_positional(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN)
    assert run_cli(capsys, "check", "-t", path, *PLACE)[1] == run_cli(capsys, "check", path, *PLACE)[1]
    assert run_cli(capsys, "hook", "--template-file", path, *PLACE)[0] == 0


def test_hook_and_explain_take_directories_and_globs(tmp_path: Path, capsys: Capture) -> None:
    write(tmp_path, UNLISTED, "a.yaml")
    write(tmp_path, CLEAN, "b.yaml")
    (tmp_path / "notes.yaml").write_text("just: notes\n")
    code, out, _ = run_cli(capsys, "hook", "-q", str(tmp_path), *PLACE)
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines() if line.startswith(str(tmp_path))] == [
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
    ]
    code, out, _ = run_cli(capsys, "hook", "--format", "json", "-q", str(tmp_path / "*.yaml"), *PLACE)
    assert [json.loads(line)["hookStatus"] for line in out.splitlines()] == ["FAILED", "SUCCESS"]
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/RequestFunctionRole/RequestFunction is not authorized "
        "to perform: lambda:InvokeFunction on resource: "
        "arn:aws:lambda:us-east-1:123456789012:function:ProcessorFunction because no resource-based "
        "policy allows the lambda:InvokeFunction action"
    )
    code, out, _ = run_cli(capsys, "explain", "--format", "json", message, str(tmp_path))
    assert code == 0
    diagnosis = json.loads(out)
    assert diagnosis["caller"]["logicalId"] == "RequestFunctionRole"
    assert "callerFunctions" in diagnosis and "caller_functions" not in diagnosis
    assert diagnosis["denial"]["callerAccount"] == "123456789012"


def test_text_findings_are_at_line_and_column(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, WILDCARD)
    _, out, _ = run_cli(capsys, "check", path, *PLACE)
    assert out.startswith(f"{path}:23:15: AIP110 warning [blocks enforce] ")
    _, out, _ = run_cli(capsys, "check", "--format", "json", path, *PLACE)
    finding = json.loads(out)["templates"][0]["findings"][0]
    assert (finding["line"], finding["column"]) == (23, 15)


def test_intrinsics_are_shown_as_written(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, SUB_GRANT)
    _, out, _ = run_cli(capsys, "check", path, *PLACE)
    assert "${ProcessorFunction.Arn}:*" in out
    assert " {ProcessorFunction.Arn}" not in out
    _, out, _ = run_cli(capsys, "graph", "--format", "text", path, *PLACE)
    assert "RequestFunction --(" in out and "${ProcessorFunction.Arn}:*" in out


def test_graph_of_several_templates_is_one_dot_graph_with_a_cluster_each(
    tmp_path: Path, capsys: Capture
) -> None:
    first, second = write(tmp_path, CLEAN, "one.yaml"), write(tmp_path, CLEAN, "two.yaml")
    code, out, _ = run_cli(capsys, "graph", "--format", "dot", first, second, *PLACE)
    assert code == 0
    assert out.count("digraph ") == 1 and "---" not in out
    assert f'subgraph cluster_0 {{\n    label="{first}";' in out
    assert f'subgraph cluster_1 {{\n    label="{second}";' in out
    assert '"0:RequestFunction" -> "0:ProcessorFunction"' in out
    assert '"1:RequestFunction" -> "1:ProcessorFunction"' in out
    assert out.count("{") == out.count("}")


def test_default_place_note_once_and_quiet(tmp_path: Path, capsys: Capture) -> None:
    first, second = write(tmp_path, CLEAN, "one.yaml"), write(tmp_path, CLEAN, "two.yaml")
    _, _, err = run_cli(capsys, "check", first, second)
    assert err.count("using the default region us-east-1") == 1
    _, _, err = run_cli(capsys, "check", "-q", first, second)
    assert err == ""


def test_project_parameters_are_quiet_command_line_ones_noted(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path, CLEAN)
    (tmp_path / ".autoinvoke.toml").write_text("[parameters]\nVpcId = 'vpc-1'\n")
    _, _, err = run_cli(capsys, "check", path, *PLACE)
    assert err == ""
    _, _, err = run_cli(capsys, "check", path, "--parameter", "Color=blue", *PLACE)
    assert err == f"autoinvoke: {path}: parameter Color is not declared in Parameters; ignored\n"


# ------------------------------------------------------------------ the library face
def test_api_checks_and_transforms_parsed_templates_without_files() -> None:
    template = read_template("-", text=WILDCARD).data
    notes: list[str] = []
    checked = api.check(api.CheckRequest(template, name="mine"), notes.append)
    assert (checked.path, checked.passed, [f.finding.code for f in checked.findings]) == (
        "mine",
        False,
        ["AIP110"],
    )
    audit = api.check(api.CheckRequest(template, mode=api.Mode.AUDIT))
    assert audit.passed
    transformed = api.transform(api.TransformRequest(template), notes.append)
    assert "ProcessorFunctionInvokeFromRequestFunctionRole" in transformed.template["Resources"]
    assert transformed.listed


def test_api_gate_is_the_hook_decision() -> None:
    template = read_template("-", text=UNLISTED).data
    checked = api.check(api.CheckRequest(template, gate=api.Gate(require_transform=True)))
    decision = api.gate_decision(
        template, api.Gate(require_transform=True), "AutoInvokePermission", api.Place()
    )
    assert decision.status == FAILED
    assert checked.gate_failures and not checked.listed and not checked.passed


def test_cfnlint_rules_do_not_load_the_cli_driver() -> None:
    tree = ast.parse((PACKAGE / "cfnlint.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {m for m in imported if m and (m.startswith("cli.main") or m.startswith("cli.common"))}
    assert "Streams" not in (PACKAGE / "cfnlint.py").read_text(encoding="utf-8")


# ------------------------------------------------------------------ the shape of the package
def _imports(path: Path) -> set[str]:
    """The package modules a module imports (at the top or in a function)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            names = [f"{target}.{alias.name}" for alias in node.names]
            found.update(name for name in [target, *names] if name.startswith("auto_invoke_permission"))
    return found


def test_the_package_has_no_import_cycle() -> None:
    modules = {
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
        for p in PACKAGE.rglob("*.py")
    }
    # a module's own packages are set up before it runs: an import of one is no edge of a cycle
    graph = {
        name: {m for m in _imports(path) if m in modules and m != name and not name.startswith(m + ".")}
        for name, path in modules.items()
    }
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> list[str] | None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                return [*trail, name, target]
            if target not in state and (cycle := visit(target, [*trail, name])):
                return cycle
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            assert visit(name, []) is None


def test_diagnose_never_imports_the_cli_driver() -> None:
    for path in (PACKAGE / "diagnose").glob("*.py"):
        assert not {
            m
            for m in _imports(path)
            if m.startswith("auto_invoke_permission.cli.")
            and not m.startswith("auto_invoke_permission.offline.template_read")
        }, path


def _modules_after_check(directory: Path, name: str, text: str) -> set[str]:
    """The modules a fresh interpreter holds after `autoinvoke check -q NAME` (exit 0) in `directory`."""
    (directory / name).write_text(text, encoding="utf-8")
    script = (
        "import sys\n"
        "from auto_invoke_permission.cli.main import main\n"
        f"code = main(['check', '-q', {name!r}, '--region', 'us-east-1', '--account-id', '123456789012'])\n"
        "print(code, ' '.join(sorted(sys.modules)))\n"
    )
    code, modules = run_python(script, cwd=directory).splitlines()[-1].split(" ", 1)
    assert code == "0"
    return set(modules.split())


# The standard library's slow imports that a plain check has no use for (hashlib loads OpenSSL: only
# a logical ID too long or already taken needs a hash; typing is for mypy only: CONTRIBUTING.md;
# contextlib only the SAM translation used)
UNUSED_BY_CHECK = {"dataclasses", "inspect", "pathlib", "copy", "hashlib", "typing", "contextlib"}


def test_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    loaded = _modules_after_check(tmp_path, "t.json", json.dumps(read_template("-", text=CLEAN).data))
    heavy = {
        "cfnlint",
        "samtranslator",
        "boto3",
        "botocore",
        "ruamel",
        "tomllib",
        "yaml",
        "sympy",
        "networkx",
        "datetime",  # PyYAML's: a YAML date
        *UNUSED_BY_CHECK,
    }
    assert not {m for m in loaded if m.split(".")[0] in heavy}
    others = {
        f"auto_invoke_permission.cli.commands.{c}"
        for c in ("transform", "expand", "graph", "event", "explain", "hook", "hook_event", "together")
    }
    assert not loaded & others
    assert not {
        m
        for m in loaded
        if m.startswith(("auto_invoke_permission.diagnose", "auto_invoke_permission.cli.formats.sarif"))
    }


def test_check_of_a_yaml_template_imports_pyyaml_alone(tmp_path: Path) -> None:
    loaded = _modules_after_check(tmp_path, "t.yaml", CLEAN)
    assert "yaml" in loaded
    heavy = {"cfnlint", "samtranslator", "ruamel", "tomllib", *UNUSED_BY_CHECK}
    assert not {m for m in loaded if m.split(".")[0] in heavy}
    # whether the template lists the macro is read without the hook's policy (no gate asked for)
    assert not {m for m in loaded if m.startswith("auto_invoke_permission.hook")}
