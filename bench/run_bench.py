#!/usr/bin/env python3
"""Performance report of the macro, the CLI and the hook: ratios measured in one run on this machine.

Run from the repository root (`make bench`, or any Python 3.11+ with the SAM translator library):

    python bench/run_bench.py [--repeat 7] [--imports 15] [--json] [--profile]

Every figure is a ratio of two timings taken in the same run, so that it means the same on a
laptop and on a CI runner:

(a) handler time / json.loads(json.dumps(event)) time, same event: on templates the process
    has not seen (every real deploy; median of --first-seen distinct templates, each called
    once), and on one template called again and again (best of --repeat)  goal <= 2 each
(b) handler time / SAM translator time, same template                        goal <= 0.1
(c) handler time at 10x the grants / at 1x                                   goal <= 10 (linear)
(i) a warm container: the growth of peak RSS from the 10th to the last of --deploys distinct
    calls, with no collection but the interpreter's own (goal <= 10 MiB: flat), and what
    `gc.collect()` finds after each of 20 more (goal 0: a call leaves no reference cycle)
(d) cold import of the handler module in a bare interpreter (`python -S`)
    / the same interpreter importing only json, logging, re, dataclasses,
    enum, typing, hashlib (median of N runs)                                 goal <= 1.2
    also without bytecode cache (a copy of CodeUri without __pycache__,
    PYTHONDONTWRITEBYTECODE=1), as on Lambda's read-only code directory
(e) `autoinvoke check` of one small YAML template (and of one small JSON
    template) / `python -c pass` (CPU time of the process by default, median of N runs), from an
    empty directory (no project file to read)                               goal <= 4
(f) `autoinvoke check` of every template of the public corpus in one process
    / `cfn-lint` on the same files in one process                            goal <= 0.02
(g) the Lambda Hook's decision on a ~1 MB YAML template at CloudFormation's
    ceiling (the same 150 functions, padded with ordinary IAM statements),
    without the macro listed / parsing that template alone                   goal <= 1.5
(h) cold import of the hook handler with PyYAML (its build: CodeUri plus
    PyYAML only) / the same bare interpreter as (d)                           (reported)

The handler runs in a subprocess under `python -S` with only its CodeUri on sys.path, like
Lambda. Timings are best of `--repeat`.

Before (d) to (h), the package's bytecode is compiled into its own __pycache__ (`compileall`), as
pip does for an installed wheel: with PYTHONDONTWRITEBYTECODE set (as here), the bytecode of an
editable install goes stale with every edit, and each process would recompile the changed modules.

This is a report: it never fails on timing. The exit status is non-zero only when the handler
cannot run (import error, exception, runner crash).
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
ACCOUNT = "123456789012"
BASE_IMPORTS = "import json, logging, re, dataclasses, enum, typing, hashlib"

HOOK_TEMPLATE_BYTES = 1_000_000  # CloudFormation's limit for a template in S3 is 1 MB
HOOK_HANDLER = "auto_invoke_permission.hook.handler"
# the goals each figure is printed beside (docs/performance.md holds the measured figures)
TARGETS = {
    "first_seen": 2.0,
    "vs_json": 2.0,
    "vs_sam": 0.1,
    "scaling": 10.0,
    "cyclic": 0,
    "rss_growth": 10.0,
    "cold_import": 1.2,
    "cli_startup": 4.0,
    "cli_vs_cfn_lint": 0.02,
    "hook_vs_parse": 1.5,
}
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
# Timings are CPU time by default: of the process for what runs in one (handler, JSON, SAM, hook), of
# the child for a process start-up. The code is single-threaded, and CPU time does not count the time
# a busy machine makes it wait, which stretches a long timing more than a short one. `--clock wall`
# for wall time.
CLOCK = ["cpu"]


def clock() -> float:
    return time.process_time() if CLOCK[0] == "cpu" else time.perf_counter()


# Managed policies the synthetic templates name, so that SAM never calls IAM.
MANAGED = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AmazonS3ReadOnlyAccess": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
}

# Runs inside `python -S`: standard library plus CodeUri only. Reads a job on stdin, prints JSON.
RUNNER = r"""
import json, os, sys, time, traceback
clock = time.process_time if os.environ.get("BENCH_CLOCK", "cpu") == "cpu" else time.perf_counter
codeuri, handler_path, repeat, profile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
sys.path.insert(0, codeuri)
mod_name, fn_name = handler_path.rsplit(".", 1)
t0 = time.perf_counter()
mod = __import__(mod_name, fromlist=[fn_name])
import_s = time.perf_counter() - t0
fn = getattr(mod, fn_name)

class Context:
    function_name = "AutoInvokePermissionMacro"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:AutoInvokePermissionMacro"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/AutoInvokePermissionMacro"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 60000

events = json.loads(sys.stdin.read())
results = []
for event in events:
    try:
        best = best_json = None
        response = None
        # interleaved, so that a slow spell of the machine slows both sides of the ratio alike
        for _ in range(repeat):
            e = json.loads(json.dumps(event))
            response = None  # the previous response is freed here, outside the timing
            t = clock()
            response = fn(e, Context())
            d = clock() - t
            best = d if best is None else min(best, d)
            t = clock()
            json.loads(json.dumps(event))
            d = clock() - t
            best_json = d if best_json is None else min(best_json, d)
        json.dumps(response)
        prof = None
        if profile:
            import cProfile, io, pstats
            p = cProfile.Profile()
            e = json.loads(json.dumps(event))
            p.enable()
            fn(e, Context())
            p.disable()
            out = io.StringIO()
            pstats.Stats(p, stream=out).sort_stats("cumulative").print_stats(30)
            prof = out.getvalue()
        results.append({"response": response, "s": best, "json_s": best_json, "profile": prof})
    except Exception:
        results.append({"exception": traceback.format_exc()})
boto = "boto3" in sys.modules or "botocore" in sys.modules
sys.stdout.write(json.dumps({"results": results, "import_s": import_s, "boto3": boto}))
"""


# Runs inside `python -S` like RUNNER, as a warm Lambda container: templates the process has not seen,
# one after another. Each first-seen template is called once (a full collection and the freeing of the
# previous response outside the timing), beside a JSON round trip of the same event. Then `deploys`
# distinct smaller templates, as Lambda runs them (no collection but the interpreter's own): the peak
# RSS after the first 10 calls and after the last; then 20 more, each followed by a full collection:
# what it finds (objects a call left in reference cycles).
WARM_RUNNER = r"""
import gc, json, os, resource, statistics, sys, time
clock = time.process_time if os.environ.get("BENCH_CLOCK", "cpu") == "cpu" else time.perf_counter
codeuri, handler_path = sys.argv[1], sys.argv[2]
sys.path.insert(0, codeuri)
mod_name, fn_name = handler_path.rsplit(".", 1)
fn = getattr(__import__(mod_name, fromlist=[fn_name]), fn_name)
job = json.loads(sys.stdin.read())
ratios, handler_s = [], []
for event in job["first_seen"]:
    e = json.loads(json.dumps(event))
    gc.collect()
    t = clock()
    response = fn(e, None)
    d = clock() - t
    del response, e
    gc.collect()
    t = clock()
    json.loads(json.dumps(event))
    ratios.append(d / (clock() - t))
    handler_s.append(d)
base = job["deploy_text"]
def deploy(k):
    e = json.loads(base.replace("DeployFn", f"Deploy{k}Fn"))  # the functions renamed, the intrinsics not
    fn(e, None)
gc.collect()
rss = []
for k in range(job["deploys"]):  # as Lambda runs them: no collection but the interpreter's own
    deploy(k)
    rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
gc.collect()
cyclic = 0
for k in range(job["deploys"], job["deploys"] + 20):
    deploy(k)
    cyclic += gc.collect()
sys.stdout.write(json.dumps({
    "first_seen_ratio": statistics.median(ratios), "first_seen_s": statistics.median(handler_s),
    "cyclic_objects": cyclic, "rss_mib_after_10": rss[9], "rss_mib_after_all": rss[-1],
}))
"""


# Runs inside `python -S` with CodeUri and PyYAML only: the hook's decision vs parsing the text alone.
HOOK_RUNNER = r"""
import json, os, sys, time
clock = time.process_time if os.environ.get("BENCH_CLOCK", "cpu") == "cpu" else time.perf_counter
codeuri, deps, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path[:0] = [codeuri, deps]
from auto_invoke_permission.hook.handler import evaluate_text
from auto_invoke_permission.hook.policy import HookPolicy
from auto_invoke_permission.hook.template_text import CloudFormationLoader, parse_template
from auto_invoke_permission.model import TransformContext
text = sys.stdin.read()
best = best_parse = None
decision = None
for _ in range(repeat):  # interleaved, as for the macro
    t = clock()
    decision = evaluate_text(text, HookPolicy(), TransformContext())
    d = clock() - t
    best = d if best is None else min(best, d)
    t = clock()
    parse_template(text)
    d = clock() - t
    best_parse = d if best_parse is None else min(best_parse, d)
sys.stdout.write(json.dumps({
    "s": best, "parse_s": best_parse, "status": decision.status, "message": decision.message[:200],
    "loader": CloudFormationLoader.__mro__[1].__name__,
}))
"""


# ------------------------------------------------------------------ templates
def synthetic(n: int, prefix: str = "") -> dict[str, Any]:
    """n SAM functions, 2n invoke grants (n/3 LambdaInvokePolicy + Sub, 2n/3 GetAtt statements).

    150 functions give 300 permissions and 450 resources after injection.
    `prefix` names the functions differently: a template the process has not seen.
    """
    resources: dict[str, Any] = {}
    fn = f"{prefix}Fn"
    for i in range(n):
        a, b = (i + 1) % n, (i + 7) % n
        props: dict[str, Any] = {
            "Handler": "app.handler",
            "Runtime": "python3.13",
            "CodeUri": "s3://bucket/f.zip",
            "Environment": {"Variables": {"NEXT": {"Ref": f"{fn}{a}"}}},
        }
        if i % 3 == 0:
            arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${" + f"{fn}{b}}}"
            props["Policies"] = [
                {"LambdaInvokePolicy": {"FunctionName": {"Ref": f"{fn}{a}"}}},
                {
                    "Statement": [
                        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::Sub": arn}}
                    ]
                },
                "AmazonS3ReadOnlyAccess",
            ]
        else:
            props["Policies"] = [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["lambda:InvokeFunction"],
                            "Resource": [{"Fn::GetAtt": [f"{fn}{a}", "Arn"]}],
                        },
                        {
                            "Effect": "Allow",
                            "Action": "lambda:Invoke*",
                            "Resource": {"Fn::GetAtt": [f"{fn}{b}", "Arn"]},
                        },
                        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"},
                    ],
                }
            ]
        resources[f"{fn}{i}"] = {"Type": "AWS::Serverless::Function", "Properties": props}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def with_parameters(template: dict[str, Any]) -> dict[str, Any]:
    """`template` with a parameter and a condition on it that this deploy's value decides: every
    10th function under the condition, every 15th granted a function named by the parameter. The
    macro reads such a template more than once (permissions hold for every parameter value)."""
    out: dict[str, Any] = json.loads(json.dumps(template))
    out["Parameters"] = {"Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]}}
    out["Conditions"] = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}
    arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-${Stage}-"
    for i, function in enumerate(out["Resources"].values()):
        if i % 10 == 0:
            function["Condition"] = "IsProd"
        if i % 15 == 1:
            resource = {"Fn::Sub": f"{arn}{i}"}
            statement = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resource}
            function["Properties"]["Policies"].append({"Statement": [statement]})
    return out


def hook_template_text(target_bytes: int) -> str:
    """synthetic(150) as YAML with short-form tags, without the macro in its Transform, each function
    padded with ordinary IAM statements until the text is just under `target_bytes`."""
    from cfn_flip import dump_yaml

    def render(statements: int) -> str:
        template = synthetic(150)
        template["Transform"] = "AWS::Serverless-2016-10-31"
        for i, function in enumerate(template["Resources"].values()):
            padding = [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                    "Resource": {
                        "Fn::Sub": f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:"
                        f"${{AWS::AccountId}}:table/${{AWS::StackName}}-table-{i}-{k}"
                    },
                }
                for k in range(statements)
            ]
            function["Properties"]["Policies"].append({"Statement": padding})
        text: str = dump_yaml(json.loads(json.dumps(template)))
        return text

    base, one = len(render(0)), len(render(1))
    statements = max(0, (target_bytes - base) // max(one - base, 1))
    text = render(statements)
    while len(text) > target_bytes and statements > 0:
        statements -= 1
        text = render(statements)
    return text


def pyyaml_only(target: str) -> str:
    """The hook build's one dependency, copied alone (as macro/hook-requirements.txt installs it)."""
    import importlib.metadata

    distribution = importlib.metadata.distribution("PyYAML")
    for file in distribution.files or []:
        if file.parts[0] in ("yaml", "_yaml") and "__pycache__" not in file.parts:
            destination = os.path.join(target, *file.parts)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            shutil.copy2(str(distribution.locate_file(file)), destination)
    return target


def run_hook(codeuri: str, deps: str, text: str, repeat: int) -> dict[str, Any]:
    return run_runner("hook runner", HOOK_RUNNER, [codeuri, deps, str(repeat)], text, timeout=600)


def run_runner(name: str, code: str, args: list[str], stdin: str, timeout: int) -> dict[str, Any]:
    """One of the runners above under `python -S`, its job on stdin; its JSON answer."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{name} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def event_for(fragment: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {
        "region": REGION,
        "accountId": ACCOUNT,
        "fragment": fragment,
        "transformId": f"{ACCOUNT}::AutoInvokePermission",
        "params": {},
        "requestId": request_id,
        "templateParameterValues": {},
    }


# ------------------------------------------------------------ the macro code
def find_handler(root: str) -> tuple[str, str]:
    """CodeUri and Handler of the macro function in template.yaml (as CloudFormation would find them)."""
    path = os.path.join(root, "template.yaml")
    codeuri, handler = "macro/", "auto_invoke_permission.handler.handler"
    try:
        from cfn_flip import load_yaml  # the CLI's dependency; the regex below is the fallback

        with open(path, encoding="utf-8") as f:
            template = json.loads(json.dumps(load_yaml(f.read()), default=str))
        resources = template.get("Resources", {})
        # follow the AWS::CloudFormation::Macro to its function (the hook's function is another one)
        for res in resources.values():
            if isinstance(res, dict) and res.get("Type") == "AWS::CloudFormation::Macro":
                getatt = res["Properties"]["FunctionName"]["Fn::GetAtt"]
                function_id = getatt.split(".", 1)[0] if isinstance(getatt, str) else getatt[0]
                props = resources[function_id]["Properties"]
                codeuri, handler = props["CodeUri"], props["Handler"]
    except Exception:  # no cfn_flip, or an unreadable template: fall back to a scan
        with open(path, encoding="utf-8") as f:
            text = f.read()
        m_code = re.search(r"^\s+CodeUri:\s*(\S+)\s*$", text, re.M)
        m_handler = re.search(r"^\s+Handler:\s*(auto_invoke_permission\S*)\s*$", text, re.M)
        if m_code and m_handler:
            codeuri, handler = m_code.group(1), m_handler.group(1)
    return os.path.normpath(os.path.join(root, codeuri)), handler


def clean_env() -> dict[str, str]:
    """No AWS settings and no macro-stack defaults from the caller's shell: the defaults apply."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUTOINVOKE_"))}
    env.update({"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "PYTHONDONTWRITEBYTECODE": "1"})
    env["BENCH_CLOCK"] = CLOCK[0]
    return env


def run_warm(codeuri: str, handler: str, n_large: int, templates: int, deploys: int) -> dict[str, Any]:
    """First-seen templates and many distinct deploys in one process (WARM_RUNNER)."""
    job = {
        "first_seen": [event_for(synthetic(n_large, f"T{k}"), f"first-{k}") for k in range(templates)],
        "deploy_text": json.dumps(event_for(synthetic(max(n_large // 4, 10), "Deploy"), "deploy")),
        "deploys": deploys,
    }
    return run_runner("warm runner", WARM_RUNNER, [codeuri, handler], json.dumps(job), timeout=900)


def run_handler(codeuri: str, handler: str, events: list[Any], repeat: int, profile: bool) -> dict[str, Any]:
    args = [codeuri, handler, str(repeat), "1" if profile else "0"]
    return run_runner("handler runner", RUNNER, args, json.dumps(events), timeout=300)


# ---------------------------------------------------------------------- SAM
def sam_seconds(template: dict[str, Any], repeat: int) -> tuple[float, float] | None:
    """SAM translator on the template, offline: (best of `repeat` calls, seconds to import the library).

    None without the library. The import is timed apart: timing the first calls with the
    import inside them makes SAM look slower than it is in steady state.
    """
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    t0 = time.perf_counter()
    try:
        from samtranslator.translator.transform import transform
    except ImportError:
        return None
    import_s = time.perf_counter() - t0
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "unpublished metrics" noise

    class OfflineManagedPolicies:
        def load(self) -> dict[str, str]:
            return MANAGED

    tpl = copy.deepcopy(template)
    tpl["Transform"] = "AWS::Serverless-2016-10-31"
    loader = OfflineManagedPolicies()
    best = None
    for _ in range(repeat):
        t = clock()
        transform(copy.deepcopy(tpl), {}, loader)
        d = clock() - t
        best = d if best is None else min(best, d)
    assert best is not None
    return best, import_s


# -------------------------------------------------------------- cold import
def cold_import(
    codeuri: str, module: str, runs: int, with_pyyaml: bool = False
) -> tuple[float, float, float]:
    """Median seconds of: the bare baseline, importing the handler with bytecode, without bytecode.
    `with_pyyaml`: PyYAML alone on the path too, as in the hook's build."""
    base_cmd = [sys.executable, "-S", "-c", BASE_IMPORTS]

    def import_cmd(path: str) -> list[str]:
        paths = [path, path + "-deps"] if with_pyyaml else [path]
        code = f"{BASE_IMPORTS}; import sys; sys.path[:0] = {paths!r}; import {module}"
        return [sys.executable, "-S", "-c", code]

    env_cached = {k: v for k, v in clean_env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    env_nocache = clean_env()
    tmp = tempfile.mkdtemp(prefix="aip-bench-")
    try:
        cached = os.path.join(tmp, "cached")
        bare = os.path.join(tmp, "nocache")
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        # a private copy for each, so the repository's macro/ is never written to
        shutil.copytree(codeuri, cached, ignore=ignore)
        shutil.copytree(codeuri, bare, ignore=ignore)
        if with_pyyaml:
            pyyaml_only(cached + "-deps")
            pyyaml_only(bare + "-deps")
        # warm: compile the cached copy's bytecode (and the OS file cache of both)
        subprocess.run(import_cmd(cached), env=env_cached, check=True, capture_output=True)
        subprocess.run(import_cmd(bare), env=env_nocache, check=True, capture_output=True)
        samples: dict[str, list[float]] = {"base": [], "cached": [], "nocache": []}
        plan = [("base", base_cmd, env_cached), ("cached", import_cmd(cached), env_cached)]
        plan.append(("nocache", import_cmd(bare), env_nocache))
        for _ in range(runs):  # interleaved, so that drift in machine load hits all three alike
            for name, cmd, env in plan:
                samples[name].append(timed_process(cmd, env, check=True))
        if os.path.exists(os.path.join(bare, module.split(".", maxsplit=1)[0], "__pycache__")):
            print("warning: bytecode was written for the no-cache copy", file=sys.stderr)
        return (
            statistics.median(samples["base"]),
            statistics.median(samples["cached"]),
            statistics.median(samples["nocache"]),
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------- main
# -------------------------------------------------------------- CLI start-up
def _tool(name: str) -> list[str]:
    """The console script installed next to this interpreter (as a user runs it), else `python -m`."""
    script = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(script):
        return [script]
    return [sys.executable, "-m", "auto_invoke_permission.cli.main" if name == "autoinvoke" else "cfnlint"]


def timed_process(cmd: list[str], env: dict[str, str], check: bool = False, cwd: str | None = None) -> float:
    """Seconds of one process: its CPU time (user + system, from the kernel's accounting of waited-for
    children) by default, else wall time; output discarded."""
    before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, env=env, check=check, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    if CLOCK[0] != "cpu":
        return wall
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


SMALL_YAML = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, Runtime: python3.13, CodeUri: s3://bucket/f.zip}
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.13
      CodeUri: s3://bucket/f.zip
      Environment: {Variables: {WORKER: !Ref Worker}}
      Policies:
        - LambdaInvokePolicy: {FunctionName: !Ref Worker}
        - Statement:
            - {Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Worker.Arn}
"""


def compile_package() -> None:
    """The package's bytecode in its own __pycache__, as pip compiles an installed wheel's.

    `-f`: compileall takes a .pyc whose recorded modification second matches for fresh, while the
    import system also compares the source's size, so a source rewritten within the second its
    .pyc was written (a checkout, a merge) would be compiled again by every process."""
    import importlib.util

    spec = importlib.util.find_spec("auto_invoke_permission")
    if spec is None or not spec.submodule_search_locations:
        return
    for location in spec.submodule_search_locations:
        command = [sys.executable, "-m", "compileall", "-q", "-f", location]
        subprocess.run(command, check=True, capture_output=True)


def cli_startup(runs: int) -> tuple[float, float, float]:
    """Median seconds of `python -c pass`, and of `autoinvoke check` of one small JSON template and of
    one small YAML template (interleaved), each run in an empty directory: a project file in the
    current directory (this repository's pyproject.toml names autoinvoke) would be read."""
    env = {**clean_env(), "AWS_REGION": REGION, "AWS_ACCOUNT_ID": ACCOUNT}
    with tempfile.TemporaryDirectory() as tmp:
        json_path, yaml_path = os.path.join(tmp, "small.json"), os.path.join(tmp, "small.yaml")
        with open(json_path, "w", encoding="utf-8") as handle:
            json.dump(synthetic(1), handle)
        with open(yaml_path, "w", encoding="utf-8") as handle:
            handle.write(SMALL_YAML)
        commands = {
            "pass": [sys.executable, "-c", "pass"],
            "json": [*_tool("autoinvoke"), "check", json_path],
            "yaml": [*_tool("autoinvoke"), "check", yaml_path],
        }
        for command in commands.values():  # warm the OS file cache
            timed_process(command, env, cwd=tmp)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                samples[name].append(timed_process(command, env, cwd=tmp))
    return tuple(statistics.median(samples[name]) for name in commands)  # type: ignore[return-value]


def corpus_files(corpus: str, limit: int | None) -> list[str]:
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    if not os.path.exists(manifest):
        return []
    with open(manifest, encoding="utf-8") as handle:
        names = [line.split("\t", 1)[0] for line in handle.read().splitlines()[1:] if line.strip()]
    files = [os.path.join(corpus, name) for name in names if os.path.isfile(os.path.join(corpus, name))]
    return files[:limit] if limit else files


def cli_vs_cfn_lint(files: list[str]) -> tuple[float, float]:
    """Seconds of one `autoinvoke check` and of one `cfn-lint` process over the same files."""
    env = {**clean_env(), "AWS_REGION": REGION, "AWS_ACCOUNT_ID": ACCOUNT}
    ours = timed_process([*_tool("autoinvoke"), "check", *files], env)
    lint = timed_process([*_tool("cfn-lint"), "--", *files], env)
    return ours, lint


def permissions_added(before: dict[str, Any], response: dict[str, Any]) -> int:
    if str(response.get("status", "")).lower() != "success":
        return -1
    after = (response.get("fragment") or {}).get("Resources", {})
    new = [v for k, v in after.items() if k not in before["Resources"]]
    return sum(1 for v in new if isinstance(v, dict) and v.get("Type") == "AWS::Lambda::Permission")


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "ok" if value <= target else "over"


def handler_figures(
    t_handler: float, t_json: float, t_small: float, warm: dict[str, Any], deploys: int
) -> dict[str, Any]:
    return {
        "handler_ms_large": round(t_handler * 1000, 2),
        "handler_ms_small": round(t_small * 1000, 2),
        "json_roundtrip_ms_large": round(t_json * 1000, 3),
        "ratio_vs_json": round(t_handler / t_json, 2),
        "first_seen_ratio_vs_json": round(warm["first_seen_ratio"], 2),
        "first_seen_handler_ms": round(warm["first_seen_s"] * 1000, 2),
        "cyclic_objects_after_calls": warm["cyclic_objects"],
        "deploys": deploys,
        "rss_mib": {
            "after_10": round(warm["rss_mib_after_10"], 1),
            "after_all": round(warm["rss_mib_after_all"], 1),
        },
        "rss_growth_mib": round(warm["rss_mib_after_all"] - warm["rss_mib_after_10"], 1),
        "ratio_scaling": round(t_handler / t_small, 2),
    }


def sam_figures(t_handler: float, t_sam: float | None, t_sam_import: float | None) -> dict[str, Any]:
    if not t_sam:
        return {
            "sam_translator_ms_large": None,
            "ratio_vs_sam": None,
            "ratio_vs_sam_import_included": None,
            "sam_translator_import_ms": None,
        }
    return {
        "sam_translator_ms_large": round(t_sam * 1000, 1),
        "ratio_vs_sam": round(t_handler / t_sam, 4),
        # the other way: mean of 3 calls, the first paying the import of samtranslator
        "ratio_vs_sam_import_included": (
            round(t_handler / ((t_sam_import + 3 * t_sam) / 3), 4) if t_sam_import else None
        ),
        "sam_translator_import_ms": round(t_sam_import * 1000, 1) if t_sam_import else None,
    }


def import_figures(t_base: float, t_cached: float, t_nocache: float) -> dict[str, Any]:
    return {
        "cold_import_ratio": round(t_cached / t_base, 3),
        "cold_import_ratio_no_bytecode": round(t_nocache / t_base, 3),
        "cold_import_ms": {
            "baseline": round(t_base * 1000, 1),
            "handler": round(t_cached * 1000, 1),
            "handler_no_bytecode": round(t_nocache * 1000, 1),
        },
    }


def hook_figures(
    hook: dict[str, Any], hook_text: str, t_base: float, t_hook_cached: float, t_hook_nocache: float
) -> dict[str, Any]:
    return {
        "hook_template_bytes": len(hook_text.encode()),
        "hook_status": hook["status"],
        "hook_yaml_loader": hook["loader"],
        "hook_ms": round(hook["s"] * 1000, 1),
        "hook_parse_ms": round(hook["parse_s"] * 1000, 1),
        "ratio_hook_vs_parse": round(hook["s"] / hook["parse_s"], 3),
        "hook_cold_import_ratio": round(t_hook_cached / t_base, 3),
        "hook_cold_import_ratio_no_bytecode": round(t_hook_nocache / t_base, 3),
        "hook_cold_import_ms": round(t_hook_cached * 1000, 1),
    }


def cli_figures(
    t_pass: float,
    t_cli: float,
    t_cli_yaml: float,
    files: list[str],
    t_ours: float | None,
    t_lint: float | None,
) -> dict[str, Any]:
    return {
        "cli_startup_ms": {
            "python_pass": round(t_pass * 1000, 1),
            "check_small": round(t_cli * 1000, 1),
            "check_small_yaml": round(t_cli_yaml * 1000, 1),
        },
        "cli_startup_ratio": round(t_cli / t_pass, 2),
        "cli_startup_ratio_yaml": round(t_cli_yaml / t_pass, 2),
        "corpus_files": len(files),
        "corpus_s": {
            "autoinvoke_check": t_ours and round(t_ours, 2),
            "cfn_lint": t_lint and round(t_lint, 2),
        },
        "cli_vs_cfn_lint": round(t_ours / t_lint, 3) if t_ours and t_lint else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeat", type=int, default=7, help="best of N for handler, JSON and SAM timings")
    ap.add_argument("--imports", type=int, default=15, help="median of N cold-import runs")
    ap.add_argument("--functions", type=int, default=150, help="SAM functions of the large template")
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    ap.add_argument("--profile", action="store_true", help="cProfile of the handler on the large template")
    ap.add_argument("--startups", type=int, default=15, help="median of N CLI start-up runs")
    ap.add_argument("--corpus", default=CORPUS, help="the public template corpus, for (f)")
    ap.add_argument("--corpus-limit", type=int, default=0, help="only the first N corpus templates (0: all)")
    ap.add_argument("--first-seen", type=int, default=12, help="distinct large templates, each called once")
    ap.add_argument("--deploys", type=int, default=300, help="distinct deploys for the memory figures")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="what timings count")
    args = ap.parse_args(argv)
    CLOCK[0] = args.clock
    started = time.perf_counter()

    codeuri, handler = find_handler(ROOT)
    module = handler.rsplit(".", 1)[0]
    n_large = max(args.functions, 10)
    large, small = synthetic(n_large), synthetic(max(n_large // 10, 1))
    where = f"{os.path.relpath(codeuri, ROOT)}/ {handler}"
    print(f"macro: {where}  python {sys.version.split()[0]} ({sys.executable})")
    print(
        f"large template: {n_large} SAM functions, {2 * n_large} grants; "
        f"small: {len(small['Resources'])} functions, {2 * len(small['Resources'])} grants"
    )

    parameters_event = event_for(with_parameters(large), "bench-parameters")
    parameters_event["templateParameterValues"] = {"Stage": "dev"}
    try:
        out = run_handler(
            codeuri,
            handler,
            [event_for(large, "bench-large"), event_for(small, "bench-small"), parameters_event],
            args.repeat,
            args.profile,
        )
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        print(f"handler could not run: {error}")
        return 1
    crashed = [r["exception"] for r in out["results"] if "exception" in r]
    if crashed:
        print("handler raised:\n" + crashed[0])
        return 1
    large_r, small_r, parameters_r = out["results"]
    for name, r in (("large", large_r), ("small", small_r), ("parameters", parameters_r)):
        status = r["response"].get("status")
        if str(status).lower() != "success":
            message = r["response"].get("errorMessage")
            print(f"note: the handler answered {status!r} on the {name} template: {message}")
    added = permissions_added(large, large_r["response"])

    t_handler, t_json, t_small = large_r["s"], large_r["json_s"], small_r["s"]
    try:
        warm = run_warm(codeuri, handler, n_large, args.first_seen, args.deploys)
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        print(f"warm runner could not run: {error}")
        return 1
    sam = sam_seconds(large, args.repeat)
    t_sam, t_sam_import = sam if sam is not None else (None, None)
    compile_package()  # before the cold imports and the CLI's start-up: bytecode as a wheel has it
    t_base, t_cached, t_nocache = cold_import(codeuri, module, args.imports)
    hook_text = hook_template_text(HOOK_TEMPLATE_BYTES)
    deps = tempfile.mkdtemp(prefix="aip-bench-pyyaml-")
    try:
        hook = run_hook(codeuri, pyyaml_only(deps), hook_text, args.repeat)
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        print(f"hook could not run: {error}")
        return 1
    finally:
        shutil.rmtree(deps, ignore_errors=True)
    _, t_hook_cached, t_hook_nocache = cold_import(codeuri, HOOK_HANDLER, args.imports, with_pyyaml=True)
    t_pass, t_cli, t_cli_yaml = cli_startup(args.startups)
    files = corpus_files(args.corpus, args.corpus_limit or None)
    t_ours, t_lint = cli_vs_cfn_lint(files) if files else (None, None)

    figures: dict[str, Any] = {
        "permissions_added_large": added,
        **handler_figures(t_handler, t_json, t_small, warm, args.deploys),
        "ratio_vs_json_parameters": round(parameters_r["s"] / parameters_r["json_s"], 2),
        **sam_figures(t_handler, t_sam, t_sam_import),
        **import_figures(t_base, t_cached, t_nocache),
        "boto3_imported": out["boto3"],
        **hook_figures(hook, hook_text, t_base, t_hook_cached, t_hook_nocache),
        **cli_figures(t_pass, t_cli, t_cli_yaml, files, t_ours, t_lint),
    }

    print()
    print(f"permissions added on the large template: {added} (expected {2 * n_large})")
    print(
        f"handler {figures['handler_ms_large']} ms (large), {figures['handler_ms_small']} ms (small); "
        f"JSON round trip {figures['json_roundtrip_ms_large']} ms; "
        f"SAM translator {figures['sam_translator_ms_large']} ms"
    )
    print(
        f"cold import: baseline {figures['cold_import_ms']['baseline']} ms, handler "
        f"{figures['cold_import_ms']['handler']} ms, "
        f"without bytecode {figures['cold_import_ms']['handler_no_bytecode']} ms"
    )
    print(
        f"CLI: python -c pass {figures['cli_startup_ms']['python_pass']} ms, autoinvoke check (small JSON) "
        f"{figures['cli_startup_ms']['check_small']} ms, (small YAML) "
        f"{figures['cli_startup_ms']['check_small_yaml']} ms; "
        f"{len(files)} corpus templates: autoinvoke check "
        f"{figures['corpus_s']['autoinvoke_check']} s, cfn-lint {figures['corpus_s']['cfn_lint']} s"
    )
    print()
    first_seen = figures["first_seen_ratio_vs_json"]
    rows = [
        ("(a) first-seen template / JSON round trip", first_seen, TARGETS["first_seen"]),
        ("(a) repeated template / JSON round trip", figures["ratio_vs_json"], TARGETS["vs_json"]),
        ("(b) handler / SAM translator", figures["ratio_vs_sam"], TARGETS["vs_sam"]),
        ("(c) 10x grants / 1x grants", figures["ratio_scaling"], TARGETS["scaling"]),
        ("(i) objects in cycles after 20 calls", figures["cyclic_objects_after_calls"], TARGETS["cyclic"]),
        (f"(i) RSS growth, MiB, {args.deploys} deploys", figures["rss_growth_mib"], TARGETS["rss_growth"]),
        ("(d) cold import, bytecode cached", figures["cold_import_ratio"], TARGETS["cold_import"]),
        ("(e) check small YAML / python -c pass", figures["cli_startup_ratio_yaml"], TARGETS["cli_startup"]),
        ("(e) check small JSON / python -c pass", figures["cli_startup_ratio"], TARGETS["cli_startup"]),
        ("(f) autoinvoke check / cfn-lint, corpus", figures["cli_vs_cfn_lint"], TARGETS["cli_vs_cfn_lint"]),
        ("(g) hook / parsing its template", figures["ratio_hook_vs_parse"], TARGETS["hook_vs_parse"]),
    ]
    print(f"{'figure':<42} {'measured':>9} {'goal':>8}  verdict")
    for label, value, target in rows:
        shown = "n/a" if value is None else f"{value:g}"
        print(f"{label:<42} {shown:>9} {'<= ' + format(target, 'g'):>8}  {verdict(value, target)}")
    print(
        f"(a) with Parameters and Conditions / JSON {figures['ratio_vs_json_parameters']:>7g}   (reported: "
        "the large template with a parameter, a condition decided by it, grants named by it)"
    )
    print(
        f"(d) cold import, no bytecode {figures['cold_import_ratio_no_bytecode']:>20g}   (reported: "
        "the goal is for the bytecode pip and `sam build` with python3.13 ship)"
    )
    print(
        f"(h) hook cold import with PyYAML        {figures['hook_cold_import_ratio']:>9g}   (reported; "
        f"{figures['hook_cold_import_ratio_no_bytecode']:g} without bytecode)"
    )
    print(
        f"    hook: {figures['hook_template_bytes']} bytes of YAML, {figures['hook_status']}, "
        f"{figures['hook_ms']} ms; parsing alone {figures['hook_parse_ms']} ms "
        f"({figures['hook_yaml_loader']}); cold import {figures['hook_cold_import_ms']} ms"
    )
    if figures["ratio_vs_sam_import_included"] is not None:
        print(
            f"    (b) with SAM's import ({figures['sam_translator_import_ms']} ms) inside the first of 3 "
            f"timed calls: {figures['ratio_vs_sam_import_included']:g}"
        )
    if out["boto3"]:
        print("boto3 or botocore was imported by the handler: the Lambda path must be standard library only")
    if args.profile:
        print("\ncProfile of one handler call on the large template (top by cumulative time):")
        print(large_r["profile"])
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    print(f"\n(report only: timings never fail this script; {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
