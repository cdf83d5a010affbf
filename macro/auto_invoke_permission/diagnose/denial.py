"""Reading an invoke denial: the IAM AccessDenied text, or a function URL's 403.

IAM writes one sentence (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html):

    User: <principal> is not authorized to perform: <action> on resource: <resource>
        because no <policy type> allows the <action> action          (implicit deny)
        with an explicit deny in a <policy type>                     (explicit deny)
        [nothing]                                                    (the older form)

The sentence may sit inside a log line, a boto3 `ClientError` string, a Java SDK message or a JSON
body; it is found wherever it is. Only the three invoke actions are read (`lambda:InvokeFunction`,
`lambda:InvokeFunctionUrl`, `lambda:InvokeAsync`); anything else is a `DenialError` that says what
was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Which policy type the message names, and whether the deny was explicit."""

    NO_IDENTITY_ALLOW = "no identity-based policy allows"
    NO_RESOURCE_ALLOW = "no resource-based policy allows"
    NO_BOUNDARY_ALLOW = "no permissions boundary allows"
    NO_SESSION_ALLOW = "no session policy allows"
    NO_ENDPOINT_ALLOW = "no VPC endpoint policy allows"
    DENY_IDENTITY = "explicit deny in an identity-based policy"
    DENY_RESOURCE = "explicit deny in a resource-based policy"
    DENY_SCP = "explicit deny in a service control policy"
    DENY_RCP = "explicit deny in a resource control policy"
    DENY_BOUNDARY = "explicit deny in a permissions boundary"
    DENY_SESSION = "explicit deny in a session policy"
    DENY_ENDPOINT = "explicit deny in a VPC endpoint policy"
    DENY_UNNAMED = "explicit deny"  # the form before the policy type was named (2019)
    UNSPECIFIED = "no reason given"  # the older form: nothing after the resource
    URL_FORBIDDEN = "function URL 403 Forbidden"

    @property
    def explicit(self) -> bool:
        return self.name.startswith("DENY_")


INVOKE_ACTIONS = ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:InvokeAsync")

_POLICY_TYPES = {
    "identity-based policy": ("NO_IDENTITY_ALLOW", "DENY_IDENTITY"),
    "resource-based policy": ("NO_RESOURCE_ALLOW", "DENY_RESOURCE"),
    "permissions boundary": ("NO_BOUNDARY_ALLOW", "DENY_BOUNDARY"),
    "session policy": ("NO_SESSION_ALLOW", "DENY_SESSION"),
    "vpc endpoint policy": ("NO_ENDPOINT_ALLOW", "DENY_ENDPOINT"),
    "service control policy": ("", "DENY_SCP"),
    "resource control policy": ("", "DENY_RCP"),
}

# The sentence, tolerant of line breaks (Java SDKs and issue threads wrap it) and of quoting.
_SENTENCE = re.compile(
    r"User:\s*(?P<principal>\S+)\s+is\s+not\s+authorized\s+to\s+perform:\s*(?P<action>[\w:*-]+)"
    r"(?:\s+on\s+resource:\s*(?P<resource>arn:[^\s\"'\\,;)]+))?"
    r"(?P<tail>[^\"\n]*(?:\n[^\"\n]*){0,2})",
    re.IGNORECASE,
)
_IMPLICIT = re.compile(r"^\s*because\s+no\s+(?P<type>[\w -]+?)\s+allows\s+the\s+", re.IGNORECASE)
_EXPLICIT = re.compile(r"^\s*with\s+an\s+explicit\s+deny(?:\s+in\s+(?:an?|the)\s+(?P<type>[\w -]+))?", re.I)
_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):sts::(?P<account>\d{12}):assumed-role/(?P<role>[\w+=,.@-]+)/(?P<session>[\w+=,.@-]+)$"
)
_IAM_PRINCIPAL = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):iam::(?P<account>\d{12}):(?P<kind>role|user)/(?:[\w+=,.@/-]*/)?(?P<name>[\w+=,.@-]+)$"
)
_FUNCTION = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<name>[\w-]+)(?::(?P<qualifier>[\w$-]+))?$"
)
_URL = re.compile(
    r"^https://(?P<id>[a-z0-9]+)\.lambda-url\.(?P<region>[a-z0-9-]+)\.on\.aws(?P<path>/\S*)?$", re.IGNORECASE
)
_FORBIDDEN = re.compile(r"\bForbidden\b|\b403\b", re.IGNORECASE)

EXPECTED = (
    "expected the AccessDenied text of an invoke, like `User: arn:aws:sts::123456789012:assumed-role/"
    "ROLE/SESSION is not authorized to perform: lambda:InvokeFunction on resource: "
    "arn:aws:lambda:REGION:123456789012:function:NAME[:QUALIFIER] because no identity-based policy "
    "allows the lambda:InvokeFunction action` (a whole log line or a boto3 ClientError string is fine), "
    "or, with --url, a function URL's 403 Forbidden response"
)


class DenialError(Exception):
    """The text is not an invoke denial this tool reads; the message says what was expected."""


@dataclass(frozen=True)
class Denial:
    """What a denial says. Caller fields are None when the message does not name them (a URL 403)."""

    reason: Reason
    action: str  # as AWS spells it: lambda:InvokeFunction
    principal: str | None  # the ARN in the message
    caller_account: str | None
    role: str | None  # role name (assumed-role or role ARN)
    session: str | None  # role session name (Lambda's execution role session)
    partition: str
    region: str | None
    function_account: str | None
    function: str | None  # function name
    qualifier: str | None  # alias or version; None for the unqualified ARN
    url: str | None = None  # the function URL (--url)
    user: str | None = None  # an IAM user as the caller

    @property
    def function_arn(self) -> str | None:
        if self.function is None or self.region is None or self.function_account is None:
            return None
        base = f"arn:{self.partition}:lambda:{self.region}:{self.function_account}:function:{self.function}"
        return base if self.qualifier is None else f"{base}:{self.qualifier}"

    @property
    def role_arn(self) -> str | None:
        """The role's ARN as IAM writes it without a path (the session ARN does not carry the path)."""
        if self.role is None or self.caller_account is None:
            return None
        return f"arn:{self.partition}:iam::{self.caller_account}:role/{self.role}"

    @property
    def service_caller(self) -> bool:
        """The caller is an AWS service principal (sns.amazonaws.com), not an IAM identity."""
        return self.principal is not None and self.principal.endswith(".amazonaws.com")

    @property
    def cross_account(self) -> bool:
        return (
            self.caller_account is not None
            and self.function_account is not None
            and self.caller_account != self.function_account
        )

    def as_dict(self) -> dict[str, str | bool | None]:
        return {
            "reason": self.reason.value,
            "explicit_deny": self.reason.explicit,
            "action": self.action,
            "principal": self.principal,
            "caller_account": self.caller_account,
            "role": self.role,
            "session": self.session,
            "user": self.user,
            "partition": self.partition,
            "region": self.region,
            "function_account": self.function_account,
            "function": self.function,
            "qualifier": self.qualifier,
            "function_arn": self.function_arn,
            "url": self.url,
            "cross_account": self.cross_account,
        }


def parse_denial(text: str) -> Denial:
    """The denial in `text`. Raises DenialError naming what is missing and what was expected."""
    match = _SENTENCE.search(text)
    if match is None:
        raise DenialError(f"no `User: ... is not authorized to perform: ...` sentence found; {EXPECTED}")
    action = _canonical_action(match["action"])
    resource = match["resource"]
    if resource is None:
        raise DenialError(f"the message names no resource (`on resource: arn:...`); {EXPECTED}")
    function = _FUNCTION.match(resource.rstrip(".:"))
    if function is None:
        raise DenialError(f"{resource} is not a Lambda function ARN; {EXPECTED}")
    principal = match["principal"]
    caller = _caller(principal)
    return Denial(
        reason=_reason(match["tail"]),
        action=action,
        principal=principal,
        caller_account=caller.account,
        role=caller.role,
        session=caller.session,
        partition=function["partition"],
        region=function["region"],
        function_account=function["account"],
        function=function["name"],
        qualifier=function["qualifier"],
        user=caller.user,
    )


def parse_url_denial(url: str, text: str) -> Denial:
    """A function URL's 403: the URL names the region only (its ID is not the function name).

    When the text carries an IAM sentence after all, that is read instead, and the URL kept."""
    found = _URL.match(url.strip())
    if found is None:
        raise DenialError(
            f"{url!r} is not a function URL (https://<url-id>.lambda-url.<region>.on.aws/); {EXPECTED}"
        )
    if _SENTENCE.search(text):
        denial = parse_denial(text)
        return Denial(**{**denial.__dict__, "url": url.strip()})
    if text.strip() and not _FORBIDDEN.search(text):
        raise DenialError(f"the response is not a 403 Forbidden; {EXPECTED}")
    return Denial(
        reason=Reason.URL_FORBIDDEN,
        action="lambda:InvokeFunctionUrl",
        principal=None,
        caller_account=None,
        role=None,
        session=None,
        partition="aws",
        region=found["region"].lower(),
        function_account=None,
        function=None,
        qualifier=None,
        url=url.strip(),
    )


def _canonical_action(action: str) -> str:
    for known in INVOKE_ACTIONS:
        if action.lower() == known.lower():
            return known
    raise DenialError(f"the denied action is {action}, not an invoke ({', '.join(INVOKE_ACTIONS)})")


def _reason(tail: str) -> Reason:
    implicit = _IMPLICIT.match(tail)
    if implicit is not None:
        kinds = _POLICY_TYPES.get(" ".join(implicit["type"].lower().split()))
        if kinds is None or not kinds[0]:
            raise DenialError(f"unknown policy type in `because no {implicit['type']} allows`; {EXPECTED}")
        return Reason[kinds[0]]
    explicit = _EXPLICIT.match(tail)
    if explicit is not None:
        if explicit["type"] is None:
            return Reason.DENY_UNNAMED
        named = " ".join(explicit["type"].lower().split())
        for policy_type, kinds in _POLICY_TYPES.items():
            if named.startswith(policy_type):
                return Reason[kinds[1]]
        raise DenialError(f"unknown policy type in `with an explicit deny in {explicit['type']}`; {EXPECTED}")
    return Reason.UNSPECIFIED


@dataclass(frozen=True)
class _Caller:
    account: str | None = None
    role: str | None = None
    session: str | None = None
    user: str | None = None


def _caller(principal: str) -> _Caller:
    assumed = _ASSUMED_ROLE.match(principal)
    if assumed is not None:
        return _Caller(assumed["account"], assumed["role"], assumed["session"])
    iam = _IAM_PRINCIPAL.match(principal)
    if iam is not None:
        if iam["kind"] == "role":
            return _Caller(iam["account"], role=iam["name"])
        return _Caller(iam["account"], user=iam["name"])
    return _Caller()  # a service principal (sns.amazonaws.com) or an anonymous caller
