"""Findings: the one table of codes, and the finding record.

A finding never changes the template; it explains a grant that could not be
mirrored, or a mistake that causes AccessDeniedException at run time. The
README's table of codes is written by hand; `tests/project/test_readme.py` fails when it
and `CODES` disagree. Each module that creates a code lists it in its `PRODUCES` (a
check: in its `CHECK`); `tests/unit/test_registries.py` reads the modules' text and fails
on a code created and not claimed, claimed and not created, or in no claim at all.
"""

from __future__ import annotations

from enum import StrEnum

from .paths import TemplatePath
from .records import Record


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class EdgeStatus(StrEnum):
    """How `autoinvoke graph` draws a caller -> callee edge."""

    ADDED = "added"
    PRESENT = "already present"
    PLANNED = "planned"  # audit mode: would be added
    EXTERNAL = "external"
    WILDCARD = "wildcard"
    BROKEN = "broken"


TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal, TypeGuard

    # Every finding code: mypy rejects any other string where a code is expected.
    # tests/unit/test_findings.py holds this list and the table CODES to the same codes.
    FindingCode = Literal[
        "AIP101",
        "AIP102",
        "AIP103",
        "AIP104",
        "AIP110",
        "AIP111",
        "AIP112",
        "AIP113",
        "AIP114",
        "AIP115",
        "AIP116",
        "AIP117",
        "AIP118",
        "AIP119",
        "AIP120",
        "AIP121",
        "AIP122",
        "AIP123",
        "AIP124",
        "AIP125",
        "AIP126",
        "AIP127",
        "AIP128",
        "AIP130",
        "AIP131",
        "AIP132",
        "AIP133",
        "AIP134",
        "AIP140",
        "AIP141",
        "AIP142",
        "AIP143",
        "AIP150",
        "AIP151",
        "AIP160",
        "AIP161",
        "AIP162",
        "AIP163",
        "AIP164",
        "AIP165",
        "AIP170",
        "AIP171",
    ]
else:
    FindingCode = str  # at run time a code is a string: the list above is the type checker's


class Code(Record):
    """One kind of finding. `blocks_enforce`: enforce mode refuses the deploy. `edge`: how the graph
    draws the grant the finding is about (None: the finding draws no edge). `suppressible`: an
    `Ignore` may name it (not a hard limit, which fails the run whatever the findings say)."""

    code: FindingCode
    severity: Severity
    title: str
    explanation: str
    fix: str
    blocks_enforce: bool
    edge: EdgeStatus | None = None
    suppressible: bool = True


E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO
BROKEN, EXTERNAL, WILDCARD = EdgeStatus.BROKEN, EdgeStatus.EXTERNAL, EdgeStatus.WILDCARD

CODES: dict[FindingCode, Code] = {
    c.code: c
    for c in (
        Code(
            "AIP101",
            E,
            "Function name where IAM needs an ARN",
            "The Resource is `Ref` of a function, which returns its name. IAM matches ARNs only, "
            "so the caller's identity policy does not allow the call. The permission is still added.",
            "Use `!GetAtt <Function>.Arn` in the Resource.",
            True,
            BROKEN,
        ),
        Code(
            "AIP102",
            E,
            "Resource is not a Lambda function",
            "The Resource of an invoke grant points at a resource of the template that is not a "
            "function or alias (for example the role instead of the function).",
            "Point the Resource at `!GetAtt <Function>.Arn` or an alias.",
            True,
            BROKEN,
        ),
        Code(
            "AIP103",
            E,
            "Malformed policy statement",
            "A policy document or statement has a shape IAM rejects (not a mapping, Effect not Allow/Deny, "
            "Action not a string).",
            "Fix the statement at the path given.",
            True,
        ),
        Code(
            "AIP104",
            E,
            "Resource is not an ARN",
            "The Resource of an invoke grant is not an ARN (a literal such as `abc`, an empty string, or a "
            "parameter whose value is not an ARN). IAM requires an ARN or `*` and rejects the policy; an "
            "empty value is never read as a pattern.",
            "Use the callee's ARN (`!GetAtt <Function>.Arn`); for an optional value, put the statement "
            "under a condition that is false when the value is empty.",
            True,
            BROKEN,
        ),
        Code(
            "AIP110",
            W,
            "Wildcard invoke grant",
            "The grant allows invoking functions by a pattern (`*`, `function:*`, a name prefix). "
            "Mirroring it would grant more than the template can enumerate, so no permission is added.",
            "Name each callee (`!GetAtt <Function>.Arn`), or set `Wildcards: expand` to add one "
            "permission per matching function of the template.",
            True,
            WILDCARD,
        ),
        Code(
            "AIP111",
            W,
            "Callee in another account",
            "The grant targets a function in another account. Cross-account calls need the callee "
            "account's resource policy too, which this template cannot add.",
            "Ask the owner of that account to add the permission shown in the message.",
            True,
            EXTERNAL,
        ),
        Code(
            "AIP112",
            W,
            "Callee in another region or partition",
            "The ARN names another region or partition than the stack's, "
            "so it is not a function of this template.",
            "Check the region in the ARN; build it from the AWS::Region pseudo parameter.",
            True,
            EXTERNAL,
        ),
        Code(
            "AIP113",
            N,
            "Callee outside the template",
            "The grant targets a function of this account that is not defined in the template, so no "
            "permission can be attached to it here.",
            "Add the permission in the stack that defines the callee, or accept the finding "
            "(`Ignore: [AIP113]`): in one account the identity grant alone allows the call.",
            False,
            EXTERNAL,
        ),
        Code(
            "AIP114",
            W,
            "Callee from Fn::ImportValue",
            "The callee comes from another stack's export; macros cannot resolve Fn::ImportValue.",
            "Add the permission in the exporting stack.",
            True,
            EXTERNAL,
        ),
        Code(
            "AIP115",
            W,
            "Parameter without a value",
            "The callee is built from a template parameter that has no value at transform time.",
            "Give the parameter a value or a Default.",
            True,
            EXTERNAL,
        ),
        Code(
            "AIP116",
            W,
            "Unresolvable Resource",
            "The Resource uses an intrinsic or shape that cannot be resolved at transform time.",
            "Write the Resource as `!GetAtt <Function>.Arn` or a literal ARN.",
            True,
            BROKEN,
        ),
        Code(
            "AIP117",
            W,
            "Callee from a nested stack's output",
            "The callee is an output of a nested stack (`!GetAtt Stack.Outputs.X` of "
            "AWS::CloudFormation::Stack or AWS::Serverless::Application). The function lives in the "
            "nested stack, so no permission can be attached to it here.",
            "Add the permission in the nested stack that defines the callee (list the macro in its "
            "Transform).",
            False,
            EXTERNAL,
        ),
        Code(
            "AIP118",
            E,
            "Callee exists only under a condition",
            "The grant names a function or alias whose Condition is false with this deploy's parameter "
            "values: it exists only when that condition holds, and a grant outside the condition refers "
            "to a resource that is not created (CloudFormation fails the deploy, as cfn-lint's W1001 says).",
            "Put the grant's statement (or its policy) under the callee's condition, for example "
            "`Fn::If [<Condition>, <statement>, !Ref AWS::NoValue]`.",
            True,
            BROKEN,
        ),
        Code(
            "AIP119",
            E,
            "Parameter value outside its constraints",
            "A parameter value is outside the parameter's AllowedValues, AllowedPattern, MinLength, "
            "MaxLength, MinValue or MaxValue: CloudFormation rejects the deploy.",
            "Pass a value the parameter allows, or widen its constraints.",
            True,
        ),
        Code(
            "AIP120",
            W,
            "Grant with an IAM Condition",
            "A Lambda permission cannot express IAM Condition blocks, so no (broader) permission is added.",
            "Add the permission by hand if the condition allows it, or drop the Condition.",
            True,
            BROKEN,
        ),
        Code(
            "AIP121",
            W,
            "Grant with NotResource",
            "An Allow with NotResource grants everything but a list; it cannot be mirrored.",
            "Use Resource with the callee ARNs.",
            True,
            WILDCARD,
        ),
        Code(
            "AIP122",
            W,
            "Grant on a function version",
            "The grant targets a numbered version or $LATEST. Versions get no permission "
            "(Lambda attaches no policy to $LATEST, and versions change on every publish).",
            "Invoke through an alias and grant the alias ARN.",
            True,
            BROKEN,
        ),
        Code(
            "AIP123",
            W,
            "Alias not in the template",
            "The grant targets an alias that the template does not define.",
            "Define the alias (AWS::Lambda::Alias or AutoPublishAlias) or fix its name.",
            True,
            BROKEN,
        ),
        Code(
            "AIP124",
            N,
            "Qualified wildcard without aliases",
            "The grant covers every alias of the function (`NAME:*`), but the template defines none.",
            "Grant the unqualified ARN if the caller invokes it unqualified.",
            False,
            WILDCARD,
        ),
        Code(
            "AIP125",
            N,
            "Grant removed by a Deny",
            "An explicit Deny reachable from the same role removes this grant, so nothing is added.",
            "None needed, unless the Deny is a mistake.",
            False,
        ),
        Code(
            "AIP126",
            W,
            "Callee has an AWS::Lambda::ResourcePolicy",
            "AWS::Lambda::ResourcePolicy replaces the whole resource policy and would overwrite "
            "AWS::Lambda::Permission statements, so none is added on this function.",
            "Add the caller's role to the ResourcePolicy document.",
            True,
        ),
        Code(
            "AIP127",
            W,
            "Permission condition unavailable",
            "With Fn::Transform under Resources the macro cannot add to Conditions, and this "
            "permission needs a combined condition.",
            "Use the template-level Transform instead.",
            True,
        ),
        Code(
            "AIP128",
            E,
            "Match depends on a value no condition can compare",
            "The grant names a function of the template only with this deploy's parameter values, and "
            "no generated `Fn::Equals` condition can say so (a list value, a role or callee named by a "
            "parameter, Conditions not visible): no permission is added, as it could outlive the value.",
            "Name the callee with `!GetAtt <Function>.Arn` or an alias's `!Ref`, or grant it a literal ARN.",
            True,
            BROKEN,
        ),
        Code(
            "AIP130",
            W,
            "Environment names a callee without a grant",
            "The caller's Environment references a function it has no invoke grant for: the classic "
            "AccessDeniedException at run time.",
            "Grant `lambda:InvokeFunction` on `!GetAtt <Callee>.Arn` (SAM: `LambdaInvokePolicy`).",
            False,
        ),
        Code(
            "AIP131",
            W,
            "Alias called, unqualified ARN granted",
            "The caller's Environment references an alias of the callee, but its grant covers only the "
            "unqualified ARN. Calls to the alias are denied.",
            "Grant the alias ARN (`!Ref <Alias>`) or `<arn>:*`.",
            False,
        ),
        Code(
            "AIP132",
            W,
            "Service principal for a function caller",
            "A permission names `lambda.amazonaws.com` for a function caller. A function calls with its "
            "execution role's credentials, which that statement never matches.",
            "Name the caller's execution role as Principal (this macro adds that permission).",
            False,
        ),
        Code(
            "AIP133",
            W,
            "Permissions boundary blocks the call",
            "The caller's role has a permissions boundary (a managed policy of the template) that allows "
            "no lambda:InvokeFunction on the callee, so the call is denied despite the grant.",
            "Allow lambda:InvokeFunction on the callee in the boundary policy.",
            False,
        ),
        Code(
            "AIP134",
            W,
            "Existing permission never matches a direct call",
            "A permission naming the caller's role has SourceArn, SourceAccount, EventSourceToken, "
            "FunctionUrlAuthType or InvokedViaFunctionUrl. A call made with the role's credentials "
            "carries none of those keys (the URL ones only come with function URL calls), so the "
            "permission never matches it and does not cover the pair; the macro adds its own.",
            "Remove the permission, or drop those properties from it.",
            False,
        ),
        Code(
            "AIP140",
            N,
            "Resource skipped",
            "The resource has `Metadata.AutoInvokePermission.Skip: true` and is left out of the analysis.",
            "None.",
            False,
        ),
        Code(
            "AIP141",
            N,
            "Mode raised to the account minimum",
            "The template asked for a mode below the minimum set by the macro stack.",
            "None; ask the platform team to change MinimumMode.",
            False,
        ),
        Code(
            "AIP142",
            N,
            "Part of Resources not analyzed",
            "`Fn::ForEach::*` keys or an `Fn::Transform` (such as AWS::Include) sit under Resources beside "
            "the resources. What they generate does not exist yet when the macro runs, so it is kept "
            "untouched and not analyzed.",
            "List AWS::LanguageExtensions (or the included transform) before the macro in `Transform`, "
            "so that the macro sees the generated resources.",
            False,
        ),
        Code(
            "AIP143",
            N,
            "Suppression refused by the macro stack",
            "An `Ignore` names a code the macro stack's `NeverIgnore` forbids suppressing, so its "
            "findings are reported, and block enforce mode, as if it were not ignored.",
            "Fix the findings; ask the platform team to change NeverIgnore.",
            False,
            suppressible=False,
        ),
        Code(
            "AIP150",
            E,
            "Too many resources",
            "The processed template would exceed CloudFormation's limit of 500 resources.",
            "Split the stack, or name fewer callers per callee.",
            True,
            suppressible=False,
        ),
        Code(
            "AIP151",
            E,
            "Resource policy too large",
            "The permissions on one function would exceed Lambda's 20 KB resource-policy limit.",
            "Share one role between callers, or split the callee's callers.",
            True,
            suppressible=False,
        ),
        Code(
            "AIP160",
            W,
            "Function URL grant without lambda:InvokeFunction",
            "The role grants `lambda:InvokeFunctionUrl` on a callee whose function URL has `AuthType: "
            "AWS_IAM`, but no `lambda:InvokeFunction` on it. Since 2026-11-01 every URL call needs both "
            "actions, so calls through the URL are denied (403).",
            "Add the statement the message names: `lambda:InvokeFunction` on the callee, optionally under "
            "`Condition: {Bool: {lambda:InvokedViaFunctionUrl: 'true'}}`.",
            True,
        ),
        Code(
            "AIP161",
            W,
            "Function URL permission without its partner",
            "A hand-written permission allows `lambda:InvokeFunctionUrl` with no `lambda:InvokeFunction` "
            "permission for the same function and principal (or `InvokedViaFunctionUrl` without the "
            "`lambda:InvokeFunctionUrl` one). A URL call needs both.",
            "Add the partner permission (`Action: lambda:InvokeFunction` with `InvokedViaFunctionUrl: "
            "true`, or `Action: lambda:InvokeFunctionUrl` with `FunctionUrlAuthType`).",
            False,
        ),
        Code(
            "AIP162",
            N,
            "Public function URL on a called function",
            "The function URL has `AuthType: NONE`, so anyone can call it, and other functions of the "
            "template call this function.",
            "If only these callers need the URL, use `AuthType: AWS_IAM`: the macro then adds their "
            "permissions.",
            False,
        ),
        Code(
            "AIP163",
            W,
            "Environment names a function URL without a grant",
            "The caller's Environment references a callee's function URL, and its role grants neither "
            "`lambda:InvokeFunctionUrl` nor `lambda:InvokeFunction` on the callee.",
            "Grant both `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` on the callee (the "
            "second optionally under `Bool lambda:InvokedViaFunctionUrl: true`).",
            False,
        ),
        Code(
            "AIP164",
            W,
            "Function URL grant on a form without the URL",
            "The role grants `lambda:InvokeFunctionUrl` on a form of the callee (its unqualified ARN, or "
            "an alias) that has no function URL, while the callee's `AWS_IAM` URL is on another form "
            "(SAM puts `FunctionUrlConfig` on the `AutoPublishAlias`). A URL call is authorized against "
            "the form the URL is on, so every call through the URL is denied (403).",
            "Grant `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` on the form the URL is on "
            "(`!Ref <Function>.Alias` for SAM's alias).",
            True,
        ),
        Code(
            "AIP165",
            W,
            "Environment names a function URL, and only lambda:InvokeFunction is granted",
            "The caller's Environment references a callee's `AWS_IAM` function URL, and its role may "
            "call `lambda:InvokeFunction` on the callee but not `lambda:InvokeFunctionUrl`. A call "
            "through the URL needs both actions, so it is denied (403).",
            "Grant `lambda:InvokeFunctionUrl` on the form the URL is on, beside `lambda:InvokeFunction`.",
            False,
        ),
        Code(
            "AIP170",
            N,
            "Declared caller is a caller of this template",
            "An `AllowCallers` item names a role of the stack's account that a function of this "
            "template runs as; the macro already mirrors that role's grants, so no declared permission "
            "is added for it.",
            "Remove the item; grant the callee in the caller's identity policy instead.",
            False,
        ),
        Code(
            "AIP171",
            W,
            "Declared caller cannot be resolved",
            "An `AllowCallers` value (a parameter without a value, Fn::ImportValue, a NoEcho parameter, "
            "an intrinsic the macro cannot read) is unknown at transform time, so no permission is added.",
            "Give the parameter a value, or write the account, role ARN or organization literally.",
            True,
        ),
    )
}


def is_finding_code(word: str) -> TypeGuard[FindingCode]:
    """Whether `word` is one of the codes, as written (`AIP113`)."""
    return word in CODES


class Finding(Record):
    code: FindingCode
    resource: str  # the logical ID the finding is about: where `path` starts
    path: str
    message: str
    # where the finding was accepted (an `Ignore`'s path, or `--ignore`); "" when it is not:
    # set once, by `suppressions.apply`, after every finding is collected
    suppressed_by: str = ""

    @classmethod
    def at(cls, code: FindingCode, path: TemplatePath | str, message: str) -> Finding:
        """A finding at `path`; every path starts at the logical ID the finding is about.
        A `TemplatePath` is rendered here, once; text is taken as its builder rendered it."""
        if isinstance(path, TemplatePath):
            return cls(code, path.resource, str(path), message)
        return cls(code, path.split(".", 1)[0], path, message)

    @property
    def template_path(self) -> TemplatePath:
        """`path` as keys and indexes, for look-ups (a line in the source, a node of the template)."""
        return TemplatePath.parse(self.path)

    @property
    def logical_id(self) -> str:
        return self.resource

    @property
    def fix(self) -> str:
        return CODES[self.code].fix

    @property
    def edge(self) -> EdgeStatus | None:
        return CODES[self.code].edge

    @property
    def spec(self) -> Code:
        return CODES[self.code]

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    @property
    def suppressed(self) -> bool:
        """Accepted by an `Ignore`: still reported, never blocking."""
        return bool(self.suppressed_by)

    @property
    def blocks_enforce(self) -> bool:
        """Whether this finding refuses the deploy in enforce mode: its code's rule, unless suppressed."""
        return CODES[self.code].blocks_enforce and not self.suppressed_by

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "resource": self.resource,
            "path": self.path,
            "message": self.message,
            "fix": self.spec.fix,
        }
        if self.suppressed_by:  # only then: reports without suppressions stay as they were
            out["suppressed"] = True
            out["suppressedBy"] = self.suppressed_by
        return out

    def one_line(self) -> str:
        return f"{self.code} {self.severity.value} {self.path}: {self.message} Fix: {self.spec.fix}"

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.resource, self.path, self.code, self.message)
