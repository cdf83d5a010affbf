"""`autoinvoke` inputs: files, directories, globs, stdin; parse errors; settings and their precedence."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission.cli.config import ConfigError, parse_parameter_overrides, samconfig_overrides
from cli_support import Capture, clear_aws_settings, run_cli
from fresh_python import run_python
from repository import REPO
from snippets import PLACE

# RequestFunction may invoke ProcessorFunction through a wildcard too: AIP110 blocks enforce (line 14).
TEMPLATE = """\
Transform: [AutoInvokePermission, AWS::Serverless-2016-10-31]
Parameters:
  Stage: {Type: String, Default: dev}
  Size: {Type: String, Default: small}
Resources:
  RequestFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      Policies:
        - Statement:
            - {Effect: Allow, Action: lambda:InvokeFunction, Resource: '*'}
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !GetAtt ProcessorFunction.Arn
  ProcessorFunction:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.13, Handler: app.handler, CodeUri: src/}
"""
CLEAN = TEMPLATE.replace("            - {Effect: Allow, Action: lambda:InvokeFunction, Resource: '*'}\n", "")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS settings, and a working directory without project files."""
    clear_aws_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ many inputs
def test_a_directory_is_searched_by_content_not_by_name(tmp_path: Path, capsys: Capture) -> None:
    write(tmp_path / "repo" / "deploy" / "api.yaml", CLEAN)  # a template with another name
    write(tmp_path / "repo" / "deploy" / "values.template.yaml", "replicas: 3\nimage: !Foo x\n")
    write(tmp_path / "repo" / "charts" / "t.yaml", "a: {{ .Values.x }}\n")  # not even YAML
    write(tmp_path / "repo" / "nested" / "deeper" / "stack.json", json.dumps({"Resources": {}}))
    write(tmp_path / "repo" / ".aws-sam" / "build" / "template.yaml", TEMPLATE)  # hidden: not searched
    code, out, err = run_cli(capsys, "check", str(tmp_path / "repo"), *PLACE)
    assert code == 0, err
    checked = [line.split(": ")[0] for line in out.splitlines()]
    assert checked == [
        str(tmp_path / "repo" / "deploy" / "api.yaml"),
        str(tmp_path / "repo" / "nested" / "deeper" / "stack.json"),
    ]
    assert "skipped " + str(tmp_path / "repo" / "deploy" / "values.template.yaml") in err
    assert "skipped " + str(tmp_path / "repo" / "charts" / "t.yaml") in err


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("stacks/*.yaml", ["a.yaml", "b.yaml"]),
        ("stacks/**/*.yaml", ["a.yaml", "b.yaml", "c.yaml"]),
        ("stacks/[ab].yaml", ["a.yaml", "b.yaml"]),
    ],
)
def test_quoted_globs(tmp_path: Path, capsys: Capture, pattern: str, expected: list[str]) -> None:
    for name in ("stacks/a.yaml", "stacks/b.yaml", "stacks/sub/c.yaml"):
        write(tmp_path / name, CLEAN)
    code, out, _ = run_cli(capsys, "check", pattern, *PLACE)
    assert code == 0
    assert [Path(line.split(": ")[0]).name for line in out.splitlines()] == expected


def test_a_glob_without_matches_is_a_usage_error(capsys: Capture) -> None:
    code, out, err = run_cli(capsys, "check", "nowhere/*.yaml", *PLACE)
    assert (code, out) == (2, "")
    assert err == "autoinvoke check: error: nowhere/*.yaml: no file matches\n"


def test_stdin(capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEMPLATE.encode())))
    code, out, _ = run_cli(capsys, "check", "-", *PLACE)
    assert code == 1
    assert out.splitlines()[0].startswith("<stdin>:14:62: AIP110")
    assert run_cli(capsys, "check", "-", "-", *PLACE)[0] == 2


def test_a_named_file_that_is_not_a_template(tmp_path: Path, capsys: Capture) -> None:
    values = write(tmp_path / "values.yaml", "replicas: 3\n")
    code, out, err = run_cli(capsys, "check", values, write(tmp_path / "t.yaml", CLEAN), *PLACE)
    assert code == 0
    assert f"skipped {values}: not a template" in err
    code, out, err = run_cli(capsys, "transform", values, *PLACE)  # the only input: nothing to do
    assert (code, out) == (2, "")
    assert "not a template" in err and "nothing to do" in err


@pytest.mark.parametrize("command", ["transform", "expand", "event"])
def test_several_inputs_one_document_each(tmp_path: Path, capsys: Capture, command: str) -> None:
    first, second = (
        write(tmp_path / "a.yaml", CLEAN),
        write(tmp_path / "b.json", json.dumps({"Resources": {}})),
    )
    code, out, err = run_cli(capsys, command, first, second, "--format", "json", *PLACE)
    if command == "event":
        code, out, err = run_cli(capsys, command, first, second, *PLACE)
    assert code == 0, err
    documents = [json.loads(line) for line in out.splitlines()]  # JSON Lines
    assert len(documents) == 2
    code, out, err = run_cli(capsys, command, first, second, "-o", str(tmp_path / "out"), *PLACE)
    assert (code, out) == (0, ""), err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == (
        ["a.json", "b.json"] if command == "event" else ["a.yaml", "b.json"]
    )


def test_several_yaml_outputs_are_one_stream(tmp_path: Path, capsys: Capture) -> None:
    first, second = write(tmp_path / "a.yaml", CLEAN), write(tmp_path / "b.yaml", "Resources: {}\n")
    code, out, _ = run_cli(capsys, "transform", first, second, *PLACE)
    assert code == 0
    assert out.count("\n---\n") == 1


# ------------------------------------------------------------------ parse errors
@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "Resources:\n  A:\n    Type: X\n    Properties:\n      P: !GetAtts A.B\n",
            "5:10",
            "unknown tag !GetAtts",
        ),
        ("Resources:\n  A: {Type: X, Properties: {P: [!Ref a, !Foo b]}}\n", "2:41", "unknown tag !Foo"),
        ("Resources:\n  A: {Type: X, Properties: {P: !Sub '${A}'}}\n", None, None),
        ("Resources:\n  A: {Type: X, Properties: {P: !Length [1], Q: !ToJsonString {a: b}}}\n", None, None),
    ],
)
def test_unknown_tags(
    tmp_path: Path, capsys: Capture, text: str, where: str | None, message: str | None
) -> None:
    path = write(tmp_path / "t.yaml", text)
    code, _, err = run_cli(capsys, "transform", path, *PLACE)
    if where is None or message is None:
        assert code == 0, err
    else:
        assert code == 2
        assert err == f"{path}:{where}: {message} (CloudFormation has no Fn::{message.split('!')[1]})\n"


def _nested(depth: int) -> str:
    return '{"Resources": {"A": {"Type": "X", "Properties": {"P": ' + "[" * depth + "]" * depth + "}}}}"


@pytest.mark.parametrize(
    ("depth", "readable"),
    [(250, True), (500, None), (950, None), (1000, None), (5000, False), (100_000, False)],
)
@pytest.mark.parametrize("command", ["check", "transform"])
def test_any_nesting_depth_reads_or_gives_one_clean_error(
    tmp_path: Path, depth: int, readable: bool | None, command: str
) -> None:
    # a subprocess: Python's own recursion limit, as the installed command has it. Where the
    # parsers' limit lies (None) depends on the interpreter; either way there is no traceback.
    path = write(tmp_path / "deep.json", _nested(depth))
    result = subprocess.run(
        [sys.executable, "-m", "auto_invoke_permission.cli.main", command, path, *PLACE],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0 and readable is not False:
        assert "Traceback" not in result.stderr
        return
    assert readable is not True, result.stderr
    assert (result.returncode, result.stdout) == (2, "")
    column = len('{"Resources": {"A": {"Type": "X", "Properties": {"P": ') + 1
    assert result.stderr == (
        f"{path}:1:{column + depth - 1}: the template is nested too deeply to read "
        f"({depth + 4} levels of brackets)\n"
    )


def test_deep_block_yaml_points_at_its_deepest_line(tmp_path: Path, capsys: Capture) -> None:
    text = "Resources:\n  A:\n    Type: X\n    Properties:\n" + "".join(
        " " * (6 + 2 * i) + f"k{i}:\n" for i in range(1200)
    )
    path = write(tmp_path / "deep.yaml", text)
    code, _, err = run_cli(capsys, "check", path, *PLACE)
    assert code == 2
    assert err == f"{path}:1001:2003: exceeded maximum nesting depth (while increasing block level)\n"


# ------------------------------------------------------------------ parameters and settings
def test_parameter_is_repeatable_and_leaves_file_names_alone(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path / "t.yaml", CLEAN)
    code, out, err = run_cli(
        capsys, "event", "--parameter", "Stage=prod", "--parameter", "Size=a=b c", path, *PLACE
    )
    assert code == 0, err
    assert json.loads(out)["templateParameterValues"] == {"Stage": "prod", "Size": "a=b c"}
    assert run_cli(capsys, "check", "--parameter", "Stage=prod", path, *PLACE)[0] == 0


# The SAM CLI's own reader is the oracle for both forms (aws-sam-cli is a dev dependency).
OVERRIDE_FORMS = [
    "Stage=prod",
    "Stage=prod Size=large",
    "ParameterKey=Stage,ParameterValue=prod ParameterKey=Size,ParameterValue=large",
    "Stage='two words' Size=\"x y\"",
    "Stage=a\\ b",
    "Stage=a,b,c",
    "Stage=",
]


@pytest.mark.parametrize("value", OVERRIDE_FORMS)
def test_parameter_overrides_read_as_the_sam_cli_reads_them(value: str) -> None:
    sam_types = pytest.importorskip("samcli.cli.types")
    click = pytest.importorskip("click")
    try:
        expected = sam_types.CfnParameterOverridesType().convert([value], None, None)
    except click.BadParameter:
        with pytest.raises(ConfigError):
            parse_parameter_overrides([value], "test")
        return
    assert parse_parameter_overrides([value], "test") == expected


@pytest.mark.parametrize("value", ["novalue", "file://params.json"])
def test_parameter_overrides_refused(value: str) -> None:
    with pytest.raises(ConfigError):
        parse_parameter_overrides([value], "--parameter-overrides")


def test_parameter_overrides_on_the_command_line(tmp_path: Path, capsys: Capture) -> None:
    path = write(tmp_path / "t.yaml", CLEAN)
    for argv in (
        ("--parameter-overrides", "Stage=prod", "Size=large", path),
        (
            path,
            "--parameter-overrides",
            "ParameterKey=Stage,ParameterValue=prod ParameterKey=Size,ParameterValue=large",
        ),
    ):
        code, out, err = run_cli(capsys, "event", *argv, *PLACE)
        assert code == 0, err
        assert json.loads(out)["templateParameterValues"] == {"Stage": "prod", "Size": "large"}


SAMCONFIG = """\
version = 0.1
[default.global.parameters]
parameter_overrides = "Stage=global Size=global"
[default.deploy.parameters]
parameter_overrides = "Stage=deploy"
[prod.deploy.parameters]
parameter_overrides = ["ParameterKey=Stage,ParameterValue=prod", "Size=large"]
[bare.build.parameters]
cached = true
"""


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (None, {"Stage": "deploy"}),  # deploy's parameter_overrides replaces global's, as a whole
        ("prod", {"Stage": "prod", "Size": "large"}),
        ("bare", {}),
    ],
)
def test_samconfig_as_sam_deploy_reads_it(tmp_path: Path, env: str | None, expected: dict[str, str]) -> None:
    path = Path(write(tmp_path / "samconfig.toml", SAMCONFIG))
    assert samconfig_overrides(path, env) == expected
    sam_config = pytest.importorskip("samcli.lib.config.samconfig")
    sam_types = pytest.importorskip("samcli.cli.types")
    params = sam_config.SamConfig(str(tmp_path)).get_all(["deploy"], "parameters", env=env or "default")
    sam = sam_types.CfnParameterOverridesType().convert(params.get("parameter_overrides"), None, None)
    assert sam == expected


def test_samconfig_unknown_environment(tmp_path: Path, capsys: Capture) -> None:
    write(tmp_path / "samconfig.toml", SAMCONFIG)
    path = write(tmp_path / "t.yaml", CLEAN)
    code, _, err = run_cli(capsys, "event", path, "--config-env", "staging", *PLACE)
    assert code == 2
    assert "no environment [staging] (environments: default, prod, bare)" in err


PROJECT = '[tool.autoinvoke]\nregion = "eu-west-1"\nparameters = {Stage = "pyproject", Size = "pyproject"}\n'
OWN = 'account = "111122223333"\nparameters = {Stage = "own"}\n'


@pytest.mark.parametrize(
    ("files", "argv", "environ", "expected"),
    [
        # (region, account, Stage, Size)
        ({}, (), {}, ("us-east-1", "123456789012", "dev", "small")),
        ({}, (), {"AWS_REGION": "ap-south-1"}, ("ap-south-1", "123456789012", "dev", "small")),
        (
            {"pyproject.toml": PROJECT},
            (),
            {"AWS_REGION": "ap-south-1"},
            ("eu-west-1", "123456789012", "pyproject", "pyproject"),
        ),
        (
            {"pyproject.toml": PROJECT, ".autoinvoke.toml": OWN},
            (),
            {},
            ("eu-west-1", "111122223333", "own", "pyproject"),
        ),
        (
            {".autoinvoke.toml": OWN, "samconfig.toml": SAMCONFIG},
            ("--config-env", "prod"),
            {},
            ("us-east-1", "111122223333", "prod", "large"),
        ),
        (
            {".autoinvoke.toml": OWN, "samconfig.toml": SAMCONFIG},
            ("--config-env", "prod", "--parameter-overrides", "Stage=cli", "--region", "sa-east-1"),
            {},
            ("sa-east-1", "111122223333", "cli", "large"),
        ),
        (
            {".autoinvoke.toml": OWN},
            ("--parameter-overrides", "Stage=overrides", "--parameter", "Stage=parameter"),
            {},
            ("us-east-1", "111122223333", "parameter", "small"),
        ),
    ],
)
def test_settings_precedence(
    tmp_path: Path,
    capsys: Capture,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    argv: tuple[str, ...],
    environ: dict[str, str],
    expected: tuple[str, str, str, str],
) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    path = write(tmp_path / "stacks" / "t.yaml", CLEAN)
    code, out, err = run_cli(capsys, "event", path, *argv)
    assert code == 0, err
    event = json.loads(out)
    values = event["templateParameterValues"]
    assert (event["region"], event["accountId"], values["Stage"], values["Size"]) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.autoinvoke]\ncolour = true\n", "unknown setting colour"),
        ("[tool.autoinvoke]\nignore = 'AIP113'\n", "ignore must be a list of finding codes"),
        ("[tool.autoinvoke]\nmode = 'loud'\n", "mode 'loud' is not one of"),
        ("[tool.autoinvoke\n", "pyproject.toml: "),
    ],
)
def test_bad_project_file_is_a_usage_error(tmp_path: Path, capsys: Capture, text: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", text)
    code, out, err = run_cli(capsys, "check", write(tmp_path / "t.yaml", CLEAN), *PLACE)
    assert (code, out) == (2, "")
    assert message in err and len(err.splitlines()) == 1


# ------------------------------------------------------------------ --mode, --ignore
@pytest.mark.parametrize(
    ("argv", "project", "code", "verdict"),
    [
        ((), "", 1, "fails enforce mode: 1 of 1 finding blocks"),
        (("--mode", "audit"), "", 0, "passes audit mode (1 finding)"),
        ((), "mode = 'inject'\n", 0, "passes inject mode (1 finding)"),
        (("--ignore", "AIP110"), "", 0, "passes enforce mode (1 finding, 1 suppressed)"),
        ((), "ignore = ['AIP110']\n", 0, "passes enforce mode (1 finding, 1 suppressed)"),
        (("--ignore", "AIP113"), "", 1, "fails enforce mode: 1 of 1 finding blocks"),
    ],
)
def test_check_mode_and_ignore(
    tmp_path: Path, capsys: Capture, argv: tuple[str, ...], project: str, code: int, verdict: str
) -> None:
    if project:
        write(tmp_path / ".autoinvoke.toml", project)
    path = write(tmp_path / "t.yaml", TEMPLATE)
    got, out, _ = run_cli(capsys, "check", path, *argv, *PLACE)
    assert got == code
    assert out.splitlines()[-1] == f"{path}: {verdict}"
    suppressed = "AIP110" in " ".join((*argv, project))
    assert out.splitlines()[0].endswith(" (suppressed by --ignore)") is suppressed
    report = json.loads(run_cli(capsys, "check", path, *argv, "--format", "json", *PLACE)[1])
    assert report["templates"][0]["findings"][0]["suppressed"] is suppressed
    sarif = json.loads(run_cli(capsys, "check", path, *argv, "--format", "sarif", *PLACE)[1])
    assert ("suppressions" in sarif["runs"][0]["results"][0]) is suppressed


def test_ignore_takes_finding_codes_only(tmp_path: Path, capsys: Capture) -> None:
    code, _, err = run_cli(capsys, "check", write(tmp_path / "t.yaml", CLEAN), "--ignore", "wildcard", *PLACE)
    assert code == 2
    assert "--ignore: 'wildcard' is not a finding code of this macro" in err


# ------------------------------------------------------------------ start-up
def test_check_of_a_small_json_template_imports_no_heavy_library(tmp_path: Path) -> None:
    template: dict[str, Any] = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    path = write(tmp_path / "t.json", json.dumps(template))
    script = (
        "import sys\n"
        "from auto_invoke_permission.cli.main import main\n"
        f"code = main(['check', {path!r}, '--region', 'us-east-1', '--account-id', '123456789012'])\n"
        "heavy = ('cfnlint', 'samtranslator', 'cfn_flip', 'yaml', 'ruamel', 'boto3')\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in heavy}))\n"
    )
    assert run_python(script).splitlines()[-1] == "0 []"


def test_settings_module_names_every_setting() -> None:
    # the documentation (README, the CLI reference, docs/guide) and the reader agree on the names
    root = REPO
    pages = [
        root / "README.md",
        root / "docs" / "cli" / "reference.md",
        *sorted((root / "docs" / "guide").glob("*.md")),
    ]
    documented = "".join(page.read_text(encoding="utf-8") for page in pages)
    from auto_invoke_permission.cli.commands.check import FORMATS
    from auto_invoke_permission.cli.config import SETTINGS

    for name in SETTINGS:
        assert f"`{name}`" in documented, name
    assert FORMATS == ("text", "json", "sarif", "junit")
