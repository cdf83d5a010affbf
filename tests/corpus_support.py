"""Helpers for the tests that run the macro over real templates (corpus, edges, golden).

Not a test module. It loads templates the way CloudFormation tooling does
(cfn-lint's decoder), runs the SAM translator offline, invokes the macro's
handler and core, and reduces injected permissions to a canonical form
(callee function logical ID, alias name or None, principal role logical ID) so
that equivalent spellings of `FunctionName` and `Principal` compare equal.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import logging
import os
import re
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auto_invoke_permission import core, handler
from auto_invoke_permission.cli import offline
from auto_invoke_permission.cli.offline import Scheme
from auto_invoke_permission.model import TransformContext, TransformFailure, TransformResult
from auto_invoke_permission.options import OptionError, Options, resolve_options
from repository import REPO

# the public corpus beside the repository; AIP_TEST_CORPUS names another place (a worktree elsewhere)
CORPUS = Path(os.environ.get("AIP_TEST_CORPUS") or REPO / ".." / "shared" / "corpus").resolve()
REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTION_TYPES = ("AWS::Lambda::Function", "AWS::Serverless::Function")
PERMISSION_TYPE = "AWS::Lambda::Permission"
MACRO_KEY = "AutoInvokePermission"

Canon = tuple[str, str | None, str]  # (callee function logical ID, alias name or None, principal)

logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its per-call metrics warnings are noise here


# ------------------------------------------------------------------ loading
def plain(data: Any) -> Any:
    """cfn-lint's node types (dict_node, str_node, ...) as plain JSON data."""
    return json.loads(json.dumps(data, default=str))


def load_template(path: Path) -> Any:
    """A template file as plain data, through cfn-lint's decoder. Raises on unreadable input."""
    from cfnlint.decode import cfn_json, cfn_yaml

    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".json":
        return plain(cfn_json.loads(text))
    return plain(cfn_yaml.loads(text, str(path)))


def without_transform(template: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template.items() if k != "Transform"}


def is_sam(template: Any) -> bool:
    resources = template.get("Resources") if isinstance(template, Mapping) else None
    return isinstance(resources, Mapping) and any(
        isinstance(r, Mapping) and str(r.get("Type", "")).startswith("AWS::Serverless::")
        for r in resources.values()
    )


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


# --------------------------------------------------------------------- SAM
# The corpus snapshot (tests/corpus/snapshot_corpus.py) was recorded with one placeholder for every
# local artifact; kept so that its baseline still compares, through the product's own runner.
_CORPUS_ARTIFACT = "s3://bucket/artifact.zip"


def _corpus_location(scheme: Scheme, path: str) -> str:
    return _CORPUS_ARTIFACT if scheme == "s3" else path


def sam_translate(
    template: Mapping[str, Any], region: str = REGION, parameter_values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The SAM translator's output (plain CloudFormation), offline, through the CLI's toolbox.
    `parameter_values`: the stack's, for what SAM resolves itself (`AutoPublishAlias: !Ref P`).

    Raises SamError when SAM rejects the template.
    """
    return offline.sam_translate(template, region, parameter_values, location=_corpus_location)


# ------------------------------------------------------------------- macro
def event(
    fragment: Any, request_id: str = "corpus", region: str = REGION, account: str = ACCOUNT
) -> dict[str, Any]:
    return offline.macro_event(fragment, region=region, account_id=account, request_id=request_id)


@contextlib.contextmanager
def clean_handler_environment() -> Iterator[None]:
    """The handler with the macro stack's defaults unset, whatever the developer's shell exports."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("AUTOINVOKE_")}
    previous = handler._defaults
    handler._defaults = None
    try:
        yield
    finally:
        handler._defaults = previous
        os.environ.update(saved)


def template_options(fragment: Any) -> Options:
    metadata = fragment.get("Metadata") if isinstance(fragment, Mapping) else None
    own = metadata.get(MACRO_KEY) if isinstance(metadata, Mapping) else None
    return resolve_options(Options(), own, {})


def run_core(fragment: Any, region: str = REGION, account: str = ACCOUNT) -> TransformResult:
    """`core.transform` with the options the handler would use (no stack defaults)."""
    context = TransformContext(region=region, account_id=account, parameter_values={})
    return core.transform(fragment, template_options(fragment), context)


@dataclass
class Outcome:
    status: str  # "success", "failure" (clean, with a message) or "crash"
    fragment: Any = None  # the output fragment on success
    message: str = ""  # errorMessage on failure, the exception on a crash
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail): handler contract breaches


def invoke(fragment: Any, request_id: str = "corpus") -> Outcome:
    """Run the handler on a private copy of `fragment`; classify the response.

    A crash is an exception escaping the handler, or a failure the core reached
    through an unexpected exception (the handler turns those into an "internal
    error" message; the core is rerun to show the real exception). The handler's
    log line is captured and checked, not printed.
    """
    private = copy.deepcopy(fragment)
    problems: list[tuple[str, str]] = []
    log = io.StringIO()
    try:
        with contextlib.redirect_stderr(log):
            response = handler.handler(event(private, request_id))
    except Exception as error:
        return Outcome("crash", message=_last_line(error))
    if private != fragment:
        problems.append(("handler contract", "the handler mutated its input fragment"))
    problems += [("handler contract", p) for p in _log_problems(log.getvalue(), request_id)]
    if not isinstance(response, Mapping):
        return Outcome("crash", message=f"response is a {type(response).__name__}", problems=problems)
    if response.get("requestId") != request_id:
        problems.append(("handler contract", "the response does not echo requestId"))
    status = response.get("status")
    if status == "success":
        return Outcome("success", response.get("fragment"), problems=problems)
    message = response.get("errorMessage")
    if status != "failure":
        problems.append(("handler contract", f"status {status!r}"))
    if not (isinstance(message, str) and message.strip()):
        problems.append(("failure without message", "errorMessage missing or empty"))
        message = ""
    elif not message.startswith("AutoInvokePermission:"):
        problems.append(
            (
                "handler contract",
                f"errorMessage does not start with 'AutoInvokePermission:': {message[:80]!r}",
            )
        )
    if response.get("fragment") != fragment:
        problems.append(("handler contract", "a failure does not return the fragment unchanged"))
    try:
        run_core(copy.deepcopy(fragment))
    except (TransformFailure, OptionError):
        return Outcome("failure", message=message, problems=problems)
    except Exception as error:
        return Outcome("crash", message=_last_line(error), problems=problems)
    return Outcome("failure", message=message, problems=problems)


def _log_problems(text: str, request_id: str) -> list[str]:
    """The handler logs one JSON line per invocation, with the request id."""
    lines = text.splitlines()
    if len(lines) != 1:
        return [f"{len(lines)} log lines, not one"]
    try:
        record = json.loads(lines[0])
    except ValueError:
        return [f"the log line is not JSON: {lines[0][:80]!r}"]
    if not isinstance(record, dict) or record.get("requestId") != request_id:
        return ["the log line does not carry the request id"]
    return []


def _last_line(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {str(error)[:160]}{where}"


# ------------------------------------------------------------ preservation
def preservation_problems(before: Any, after: Any) -> list[str]:
    """What the macro changed beyond adding Resources/Conditions entries and its report."""
    if not isinstance(after, Mapping):
        return [f"output fragment is a {type(after).__name__}"]
    if not isinstance(before, Mapping):
        return [] if before == after else ["fragment changed"]
    problems: list[str] = []
    for key, value in before.items():
        problems += _kept_key_problems(key, value, after)
    for key in after:
        if key not in before and key not in ("Conditions", "Metadata"):
            problems.append(f"new top-level key {key}")
    if "Metadata" not in before and "Metadata" in after:
        problems += _metadata_problems({}, after["Metadata"])
    return problems + _added_resource_problems(before, after)


def _kept_key_problems(key: str, value: Any, after: Mapping[str, Any]) -> list[str]:
    """How the output changed the input's top-level `key` (Resources and Conditions may only grow)."""
    if key not in after:
        return [f"top-level {key} dropped"]
    if key in ("Resources", "Conditions") and isinstance(value, Mapping):
        if not isinstance(after[key], Mapping):
            return [f"{key} is no longer a mapping"]
        return [f"{key}.{k} changed or dropped" for k, v in value.items() if after[key].get(k, _MISSING) != v]
    if key == "Metadata" and isinstance(value, Mapping):
        return _metadata_problems(value, after[key])
    return [f"top-level {key} changed"] if after[key] != value else []


def _added_resource_problems(before: Any, after: Any) -> list[str]:
    problems: list[str] = []
    for rid, resource in injected(before, after).items():
        if not isinstance(resource, Mapping) or resource.get("Type") != PERMISSION_TYPE:
            problems.append(f"added resource {rid} is not an {PERMISSION_TYPE}")
        elif not re.fullmatch(r"[A-Za-z0-9]{1,255}", str(rid)):
            problems.append(f"added logical ID {rid!r} is not alphanumeric, at most 255 characters")
    return problems


_MISSING = object()


def _metadata_problems(before: Mapping[str, Any], after: Any) -> list[str]:
    if not isinstance(after, Mapping):
        return ["Metadata is no longer a mapping"]
    problems = [
        f"Metadata.{k} changed or dropped"
        for k, v in before.items()
        if k != MACRO_KEY and after.get(k, _MISSING) != v
    ]
    problems += [f"new Metadata.{k}" for k in after if k not in before and k != MACRO_KEY]
    if MACRO_KEY in before or MACRO_KEY in after:
        mine_before, mine_after = before.get(MACRO_KEY, {}), after.get(MACRO_KEY, _MISSING)
        if not isinstance(mine_before, Mapping) or not isinstance(mine_after, Mapping):
            if mine_after != mine_before:
                problems.append(f"Metadata.{MACRO_KEY} changed")
        else:
            keys = (set(mine_before) | set(mine_after)) - {"Report"}
            problems += [
                f"Metadata.{MACRO_KEY}.{k} changed"
                for k in sorted(keys, key=str)
                if mine_before.get(k, _MISSING) != mine_after.get(k, _MISSING)
            ]
    return problems


def without_report(fragment: Any) -> Any:
    """The fragment minus Metadata.AutoInvokePermission.Report (which a rerun replaces)."""
    if not isinstance(fragment, Mapping) or not isinstance(fragment.get("Metadata"), Mapping):
        return fragment
    out = dict(fragment)
    out["Metadata"] = dict(out["Metadata"])
    mine = out["Metadata"].get(MACRO_KEY)
    if isinstance(mine, Mapping):
        out["Metadata"][MACRO_KEY] = {k: v for k, v in mine.items() if k != "Report"}
    return out


# ---------------------------------------------------------------- canonical
def resources_of(template: Any) -> Mapping[str, Any]:
    resources = template.get("Resources") if isinstance(template, Mapping) else None
    return resources if isinstance(resources, Mapping) else {}


def injected(before: Any, after: Any) -> dict[str, Any]:
    old = resources_of(before)
    return {k: v for k, v in resources_of(after).items() if k not in old}


def _getatt(value: Any) -> tuple[str, str] | None:
    if isinstance(value, str) and "." in value:
        rid, attr = value.split(".", 1)
        return rid, attr
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None


def as_sub(expr: Any) -> str | None:
    """An expression as one Fn::Sub-style string (`${Id}`, `${Id.Attr}`), or None."""
    if isinstance(expr, str):
        return expr
    if not isinstance(expr, Mapping) or len(expr) != 1:
        return None
    ((key, value),) = expr.items()
    if key == "Ref" and isinstance(value, str):
        return "${" + value + "}"
    if key == "Fn::GetAtt" and (ga := _getatt(value)):
        return "${" + ga[0] + "." + ga[1] + "}"
    if key == "Fn::Sub":
        return _sub_as_sub(value)
    if key == "Fn::Join":
        return _join_as_sub(value)
    return None


def _sub_as_sub(value: Any) -> str | None:
    """An Fn::Sub's string, with the variables of its map substituted when each is an expression."""
    if isinstance(value, str):
        return value
    if not (isinstance(value, list) and len(value) == 2):
        return None
    text, variables = value
    if not (isinstance(text, str) and isinstance(variables, Mapping)):
        return None
    for name, part in variables.items():
        rep = as_sub(part)
        if rep is None:
            return None
        text = text.replace("${" + name + "}", rep)
    return text


def _join_as_sub(value: Any) -> str | None:
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
        return None
    parts = [as_sub(p) for p in value[1]]
    if isinstance(value[0], str) and all(p is not None for p in parts):
        return value[0].join(parts)  # type: ignore[arg-type]
    return None


_SAM_ALIAS_CHARS = {"-": "D", "_": "U"}


def sam_alias_id(function_id: str, name: str) -> str:
    return (
        function_id + "Alias" + "".join(_SAM_ALIAS_CHARS.get(c, c) for c in name if c.isalnum() or c in "-_")
    )


def _key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


_LAMBDA_ARN = re.compile(
    r"arn:(?:aws|\$\{AWS_Partition\}):lambda:(?P<region>[\w-]+|\$\{AWS_Region\}):"
    r"(?P<account>\d{12}|\$\{AWS_AccountId\}):function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?"
)


def _pseudo(text: str) -> str:
    """`${AWS::X}` as `${AWS_X}`, so that ARNs split on ':' whatever pseudo parameters they hold."""
    return re.sub(r"\$\{AWS::(\w+)\}", r"${AWS_\1}", text)


def canon_function(
    expr: Any, resources: Mapping[str, Any], parameters: Mapping[str, Any] | None = None
) -> tuple[str, str | None]:
    """-> (function logical ID, alias name or None); ("?", text) when it names no function of the template.
    `parameters`: the stack's values, for an alias Name or AutoPublishAlias that is `!Ref P`."""
    text = as_sub(expr)
    if text is None:
        return "?", _key(expr)
    return _FunctionNames(resources, parameters or {}).canonical(_pseudo(text))


class _FunctionNames:
    """The functions and aliases of one template, for `canon_function`."""

    def __init__(self, resources: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
        self.resources = resources
        self.parameters = parameters

    def canonical(self, text: str) -> tuple[str, str | None]:
        m = re.fullmatch(r"(\$\{[\w.]+\})(?::([\w$-]+))?", text)
        if m and (hit := self.reference(m.group(1), m.group(2))):
            return hit
        m = _LAMBDA_ARN.fullmatch(text)
        if m:
            local = m.group("region") in (REGION, "${AWS_Region}") and m.group("account") in (
                ACCOUNT,
                "${AWS_AccountId}",
            )
            name, qualifier = m.group("name"), m.group("qualifier")
            if local and (hit := self.reference(name, qualifier)):
                return hit
            if local and (fid := self.named(name)):
                return fid, qualifier
        elif fid := self.named(text):
            return fid, None
        return "?", text

    def value(self, node: Any) -> Any:
        ref = node.get("Ref") if isinstance(node, Mapping) and len(node) == 1 else None
        return self.parameters.get(ref, node) if isinstance(ref, str) else node

    def kind(self, rid: str) -> str | None:
        r = self.resources.get(rid)
        return r.get("Type") if isinstance(r, Mapping) else None

    def props(self, rid: str) -> Mapping[str, Any]:
        r = self.resources.get(rid)
        p = r.get("Properties") if isinstance(r, Mapping) else None
        return p if isinstance(p, Mapping) else {}

    def named(self, name: str) -> str | None:
        """The function whose FunctionName is `name`, literally or as the same symbolic string."""
        hits = [
            rid
            for rid in self.resources
            if self.kind(rid) in FUNCTION_TYPES
            and (fn := as_sub(self.props(rid).get("FunctionName"))) is not None
            and _pseudo(fn) == name
        ]
        return hits[0] if len(hits) == 1 else None

    def reference(self, text: str, qualifier: str | None) -> tuple[str, str | None] | None:
        """`${Id}` or `${Id.Attr}` of a function or alias, optionally qualified."""
        m = re.fullmatch(r"\$\{(\w+)(?:\.(\w+))?\}", text)
        if not m:
            return None
        rid, attr = m.group(1), m.group(2)
        kind = self.kind(rid)
        if kind in FUNCTION_TYPES and attr in (None, "Arn"):
            return rid, qualifier
        if qualifier is not None:
            return None
        if kind == "AWS::Serverless::Function" and attr == "Alias":
            return rid, _key(self.value(self.props(rid).get("AutoPublishAlias")))
        if attr is not None:
            return None
        if kind == "AWS::Lambda::Alias":
            target = canon_function(self.props(rid).get("FunctionName"), self.resources, self.parameters)
            return (target[0], _key(self.value(self.props(rid).get("Name")))) if target[0] != "?" else None
        return self.sam_alias(rid)

    def sam_alias(self, rid: str) -> tuple[str, str] | None:
        """SAM's <F>Alias<name>, before SAM made it."""
        for fid in self.resources:
            if self.kind(fid) != "AWS::Serverless::Function":
                continue
            alias = self.value(self.props(fid).get("AutoPublishAlias"))
            if isinstance(alias, str) and rid == sam_alias_id(fid, alias):
                return fid, alias
        return None


def canon_principal(expr: Any) -> str:
    text = as_sub(expr)
    if text is None:
        return "?" + _key(expr)
    m = re.fullmatch(r"\$\{(\w+)\.Arn\}", text) or re.fullmatch(
        r"arn:(?:aws|\$\{AWS::Partition\}):iam::(?:\d{12}|\$\{AWS::AccountId\}):role/\$\{(\w+)\}", text
    )
    return m.group(1) if m else text


def permission_keys(before: Any, after: Any) -> set[Canon]:
    """The injected invoke permissions, canonical."""
    resources = resources_of(after)
    out: set[Canon] = set()
    for resource in injected(before, after).values():
        props = resource.get("Properties") if isinstance(resource, Mapping) else None
        if not isinstance(props, Mapping):
            continue
        fid, qualifier = canon_function(props.get("FunctionName"), resources)
        out.add((fid, qualifier, canon_principal(props.get("Principal"))))
    return out


def principal_of(template: Mapping[str, Any], caller: str) -> str:
    """The execution role of a caller as a canonical principal (a role is its own principal)."""
    resource = resources_of(template).get(caller)
    if not isinstance(resource, Mapping) or resource.get("Type") == "AWS::IAM::Role":
        return caller
    props = resource.get("Properties")
    role = props.get("Role") if isinstance(props, Mapping) else None
    if role is None and resource.get("Type") == "AWS::Serverless::Function":
        return caller + "Role"
    return canon_principal(role)


# ------------------------------------------------------------------ cfn-lint
IGNORED_LINT_RULES = ("E2533", "E3030")  # runtime deprecation and allowed values: not the macro's doing


def lint_errors(template: Mapping[str, Any], region: str = REGION) -> set[str]:
    """cfn-lint E-level matches, as `rule:path:message`."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template), config=ManualArgs(regions=[region]))
    return {
        f"{m.rule.id}:{'/'.join(map(str, getattr(m, 'path', []) or []))}:{m.message}"
        for m in matches
        if m.rule.id.startswith("E") and m.rule.id not in IGNORED_LINT_RULES
    }


def format_problems(problems: list[str], limit: int = 200) -> str:
    shown = "\n".join(f"  - {p}" for p in problems[:limit])
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problem(s):\n{shown}{more}"
