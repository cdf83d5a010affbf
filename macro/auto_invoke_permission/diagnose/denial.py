"""Reading an invoke denial as people paste it: the IAM AccessDenied text, or a function URL's 403.

IAM writes one sentence (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html):

    User: <principal> is not authorized to perform: <action> on resource: <resource>
        because no <policy type> allows the <action> action          (implicit deny)
        with an explicit deny in a <policy type>[: <policy ARN>]     (explicit deny)
        with an explicit deny in a VPC endpoint policy transitively through a service control policy
        [nothing]                                                    (the older form)

Newer messages add the denying policy's ARN and an authorization ID ("... call the
GetRequestAuthorizationDetails API with the following authorization id: ID"). The sentence may sit
inside a log line, a boto3 traceback, a Java/Go/.NET exception, SDK v3 JSON or a Markdown code span;
it is found wherever it is, also when wrapped over lines, masked (`xxxx`, `***`, `[redacted]`,
`<ACCOUNT_ID>`, `...`) or followed by a stray backtick or bracket. A masked field is reported in
`Denial.masked`; what is left is still read. Only the three invoke actions are diagnosed; a text
that names neither caller nor callee is refused with a `DenialError` saying what is missing.

Texts that are not IAM denials are recognised as what they are: an invalid or expired security token
or a bad signature (`NOT_PERMISSION`), Lambda's "Cross-account log access is not allowed" (LogType=Tail
across accounts) and API Gateway's "Invalid permissions on Lambda function".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum


class Reason(StrEnum):
    """Which policy type the message names, and whether the deny was explicit; or what else it is."""

    NO_IDENTITY_ALLOW = "no identity-based policy allows"
    NO_RESOURCE_ALLOW = "no resource-based policy allows"
    NO_BOUNDARY_ALLOW = "no permissions boundary allows"
    NO_SESSION_ALLOW = "no session policy allows"
    NO_ENDPOINT_ALLOW = "no VPC endpoint policy allows"
    NO_SCP_ALLOW = "no service control policy allows"
    NO_RCP_ALLOW = "no resource control policy allows"
    NO_TRUST_ALLOW = "no role trust policy allows"
    DENY_IDENTITY = "explicit deny in an identity-based policy"
    DENY_RESOURCE = "explicit deny in a resource-based policy"
    DENY_SCP = "explicit deny in a service control policy"
    DENY_RCP = "explicit deny in a resource control policy"
    DENY_BOUNDARY = "explicit deny in a permissions boundary"
    DENY_SESSION = "explicit deny in a session policy"
    DENY_ENDPOINT = "explicit deny in a VPC endpoint policy"
    DENY_TRUST = "explicit deny in a role trust policy"
    DENY_UNNAMED = "explicit deny"  # the form before the policy type was named (2019)
    UNSPECIFIED = "no reason given"  # the older form: nothing after the resource
    UNKNOWN = "a reason this tool does not know"  # the wording is kept in Denial.reason_text
    URL_FORBIDDEN = "function URL 403 Forbidden"
    TOKEN_INVALID = "the security token is invalid"
    TOKEN_EXPIRED = "the security token has expired"
    SIGNATURE_MISMATCH = "the request signature does not match"
    CROSS_ACCOUNT_LOG = "cross-account log access is not allowed"
    APIGATEWAY_PERMISSION = "API Gateway: invalid permissions on Lambda function"

    @property
    def explicit(self) -> bool:
        return self.name.startswith("DENY_")

    @property
    def permission(self) -> bool:
        """Whether the text is about a missing or denying policy (not a token or a LogType problem)."""
        return self not in NOT_PERMISSION


NOT_PERMISSION = frozenset(
    {Reason.TOKEN_INVALID, Reason.TOKEN_EXPIRED, Reason.SIGNATURE_MISMATCH, Reason.CROSS_ACCOUNT_LOG}
)

INVOKE_ACTIONS = ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:InvokeAsync")

# policy type as written (lower case, whitespace folded) -> (implicit reason, explicit reason)
_POLICY_TYPES: tuple[tuple[str, Reason, Reason], ...] = (
    (r"identity[- ]based\b", Reason.NO_IDENTITY_ALLOW, Reason.DENY_IDENTITY),
    (r"resource[- ]based\b", Reason.NO_RESOURCE_ALLOW, Reason.DENY_RESOURCE),
    (r"permissions? boundar", Reason.NO_BOUNDARY_ALLOW, Reason.DENY_BOUNDARY),
    (r"sessions? pol", Reason.NO_SESSION_ALLOW, Reason.DENY_SESSION),
    (r"vpc endpoint\b", Reason.NO_ENDPOINT_ALLOW, Reason.DENY_ENDPOINT),
    (r"service control\b|scps?\b", Reason.NO_SCP_ALLOW, Reason.DENY_SCP),
    (r"resource control\b|rcps?\b", Reason.NO_RCP_ALLOW, Reason.DENY_RCP),
    (r"(?:role )?trust pol", Reason.NO_TRUST_ALLOW, Reason.DENY_TRUST),
)

# ------------------------------------------------------------------ masks
# A whole field replaced by a placeholder: xxxx, XXXXXXXXXX, ***, ..., [redacted], <ACCOUNT_ID>,
# {account}, $user_arn, accountid, account_number, REDACTED
_MASK = re.compile(
    r"^(?:[xX]{3,}|\*+|\.{2,}|…|-{3,}|\[[^\]]*\]|<[^>]*>|\{[^}]*\}|\$\{?\w+\}?|"
    r"account[-_ ]?(?:id|number|no)?s?|redacted|hidden|removed|masked)$",
    re.IGNORECASE,
)
# a mask inside a name: ***LambdaRole****-dev, auth-[redacted]-fn
_MASK_PART = re.compile(r"\*+|\.{3,}|…|\[[^\]]*\]|<[^>]*>|\{[^}]*\}")

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
_PARTITION = re.compile(r"^aws(?:-[a-z]+)*$")
_NAME = re.compile(r"^[\w+=,.@-]+$")
_FUNCTION_NAME = re.compile(r"^[\w-]{1,140}$")
_QUALIFIER = re.compile(r"^(?:[\w-]+|\$LATEST)$")


def is_mask(text: str) -> bool:
    """Whether a whole field is a placeholder put in place of the value."""
    return bool(_MASK.match(text))


def _glob(text: str) -> str | None:
    """The name with its masked parts as `*` (None when nothing of it is left)."""
    pattern = _MASK_PART.sub("*", text)
    pattern = re.sub(r"\*+", "*", pattern)
    return None if pattern.strip("*") == "" else pattern


# ------------------------------------------------------------------ the sentence
_HEAD = re.compile(
    r"User:\s*(?P<principal>[^\n]{0,300}?(?:\n[^\n]{0,300}?)?)\s+is\s+not\s+authori[sz]ed\s+to\s+perform:?\s*"
    r"(?P<action>[\w:*-]+)",
    re.IGNORECASE,
)
_ON_RESOURCE = re.compile(r"\A\s+on\s+resource:?\s*", re.IGNORECASE)
_TOKEN = re.compile(r"[^\s\"'\\,;()`]+")
_TAIL_END = re.compile(r"\"|\\\"|\(Service:|\(Status Code|\n\s*\n|```|\bStatus Code:|\bstatus code:", re.I)

_IMPLICIT = re.compile(r"^\W*because no (?P<type>.+?)(?: allows?\b.*|\W*$)", re.IGNORECASE)
_EXPLICIT = re.compile(
    r"^\W*(?:with|due to|because of) an explicit deny(?: in (?:an?|the) (?P<type>.+?))?"
    r"(?: transitively through (?:an?|the) (?P<via>.+?))?(?:\s*[:.,(]|\s*$)",
    re.IGNORECASE,
)
_POLICY_ARN = re.compile(r"explicit deny[^\n:]*?:\s*(?P<arn>arn:[\w-]+:iam::[^\s\"'`,;)]+)", re.IGNORECASE)
_AUTHORIZATION_ID = re.compile(r"authorization id:?\s*(?P<id>[A-Za-z0-9_-]{8,})", re.IGNORECASE)

_OTHER_TEXTS: tuple[tuple[re.Pattern[str], Reason], ...] = (
    (re.compile(r"security token included in the request is invalid", re.I), Reason.TOKEN_INVALID),
    (re.compile(r"InvalidClientTokenId|UnrecognizedClientException", re.I), Reason.TOKEN_INVALID),
    (
        re.compile(r"security token included in the request is expired|ExpiredToken", re.I),
        Reason.TOKEN_EXPIRED,
    ),
    (
        re.compile(r"signature we calculated does not match|SignatureDoesNotMatch", re.I),
        Reason.SIGNATURE_MISMATCH,
    ),
    (re.compile(r"Signature expired", re.I), Reason.TOKEN_EXPIRED),
    (re.compile(r"Cross-account log access is not allowed", re.I), Reason.CROSS_ACCOUNT_LOG),
    (re.compile(r"Invalid permissions on Lambda function", re.I), Reason.APIGATEWAY_PERMISSION),
)
_PASS_ROLE = re.compile(r"Cross-account pass role is not allowed", re.I)
_URL = re.compile(
    r"^https://(?P<id>[a-z0-9]+)\.lambda-url\.(?P<region>[a-z0-9-]+)\.on\.aws(?P<path>/\S*)?$", re.IGNORECASE
)
_FORBIDDEN = re.compile(r"\bForbidden\b|\b403\b", re.IGNORECASE)

EXPECTED = (
    "expected the AccessDenied text of an invoke, like `User: arn:aws:sts::123456789012:assumed-role/"
    "ROLE/SESSION is not authorized to perform: lambda:InvokeFunction on resource: "
    "arn:aws:lambda:REGION:123456789012:function:NAME[:QUALIFIER] because no identity-based policy "
    "allows the lambda:InvokeFunction action` (a whole log line, traceback or JSON body is fine, masks "
    "too), or, with --url, a function URL's 403 Forbidden response"
)


class DenialError(Exception):
    """The text is not an invoke denial this tool reads; the message says what is missing."""


@dataclass(frozen=True)
class Denial:
    """What a denial says. Fields are None when the message does not name them or masks them."""

    reason: Reason
    action: str  # as AWS spells it: lambda:InvokeFunction
    principal: str | None  # the principal as written (masks included)
    caller_account: str | None
    role: str | None  # role name (assumed-role or role ARN); None when masked
    session: str | None  # role session name (Lambda's execution role session)
    partition: str
    region: str | None
    function_account: str | None
    function: str | None  # function name; None when masked
    qualifier: str | None  # alias or version; None for the unqualified ARN
    url: str | None = None  # the function URL (--url)
    user: str | None = None  # an IAM user as the caller
    masked: tuple[str, ...] = ()  # the fields a mask hides: "caller account", "role", "function", ...
    role_glob: str | None = None  # a partly masked role name, masks as `*`
    function_glob: str | None = None  # a partly masked function name, masks as `*`
    reason_text: str = ""  # the reason as written (after the resource)
    via: Reason | None = None  # "... transitively through a service control policy": the policy behind
    policy_arn: str | None = None  # the denying policy, in newer messages
    authorization_id: str | None = None  # for GetRequestAuthorizationDetails, in newer messages
    bare_function: bool = False  # the message named the function without its ARN

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

    @property
    def effective_reason(self) -> Reason:
        """The policy type to fix: the one behind "transitively through", else the one named."""
        return self.via or self.reason

    def as_dict(self) -> dict[str, str | bool | list[str] | None]:
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
            "masked": list(self.masked),
            "role_glob": self.role_glob,
            "function_glob": self.function_glob,
            "reason_text": self.reason_text,
            "via": None if self.via is None else self.via.value,
            "policy_arn": self.policy_arn,
            "authorization_id": self.authorization_id,
        }


# ------------------------------------------------------------------ entry points
def parse_denial(text: str) -> Denial:
    """The denial in `text`. Raises DenialError naming what is missing and what was expected."""
    text = _unescape(text)
    match = _HEAD.search(text)
    if match is None:
        return _other_text(text)
    action = _canonical_action(match["action"])
    resource, rest = _resource(text[match.end() :])
    caller = _caller(_join_wrapped(match["principal"]))
    callee = _callee(resource)
    if caller.unreadable and callee.unreadable:
        raise DenialError(
            f"the text holds no caller and no callee: the principal {match['principal'].strip()!r} "
            f"and the resource {resource or '(none)'!r} are masked or missing; paste the message "
            f"with at least the role or the function name left in; {EXPECTED}"
        )
    reading = read_reason(rest)
    return Denial(
        reason=reading.reason,
        action=action,
        principal=caller.principal,
        caller_account=caller.account,
        role=caller.role,
        session=caller.session,
        partition=callee.partition or caller.partition or "aws",
        region=callee.region,
        function_account=callee.account,
        function=callee.name,
        qualifier=callee.qualifier,
        user=caller.user,
        masked=caller.masked + callee.masked,
        role_glob=caller.role_glob,
        function_glob=callee.glob,
        reason_text=reading.text,
        via=reading.via,
        policy_arn=reading.policy_arn,
        authorization_id=_authorization_id(text),
        bare_function=callee.bare,
    )


def parse_url_denial(url: str, text: str) -> Denial:
    """A function URL's 403: the URL names the region only (its ID is not the function name).

    When the text carries an IAM sentence after all, that is read instead, and the URL kept."""
    found = _URL.match(url.strip())
    if found is None:
        raise DenialError(
            f"{url!r} is not a function URL (https://<url-id>.lambda-url.<region>.on.aws/); {EXPECTED}"
        )
    if _HEAD.search(_unescape(text)):
        denial = parse_denial(text)
        return Denial(**{**denial.__dict__, "url": url.strip()})
    other = _other_reason(text)
    if other is None and text.strip() and not _FORBIDDEN.search(text):
        raise DenialError(f"the response is not a 403 Forbidden; {EXPECTED}")
    return _without_sentence(other or Reason.URL_FORBIDDEN, found["region"].lower(), url.strip())


def reason_of(text: str) -> ReasonReading | None:
    """The reason of any IAM denial sentence in `text`, whatever its action (None without one)."""
    text = _unescape(text)
    match = _HEAD.search(text)
    if match is None:
        return None
    _, rest = _resource(text[match.end() :])
    return read_reason(rest)


# ------------------------------------------------------------------ the reason
@dataclass(frozen=True)
class ReasonReading:
    reason: Reason
    text: str  # the wording as found, whitespace folded
    via: Reason | None = None
    policy_arn: str | None = None


def read_reason(rest: str) -> ReasonReading:
    """The reason of the text after the resource (or after the action when there is none)."""
    end = _TAIL_END.search(rest)
    tail = " ".join((rest[: end.start()] if end else rest)[:600].split())
    policy = _POLICY_ARN.search(rest[:800])
    policy_arn = policy["arn"].rstrip(".") if policy else None
    implicit = _IMPLICIT.match(tail)
    if implicit is not None:
        kind = _policy_type(implicit["type"])
        return ReasonReading(kind[0] if kind else Reason.UNKNOWN, tail, None, policy_arn)
    explicit = _EXPLICIT.match(tail)
    if explicit is not None:
        if explicit["type"] is None:
            return ReasonReading(Reason.DENY_UNNAMED, tail, None, policy_arn)
        kind = _policy_type(explicit["type"])
        via = _policy_type(explicit["via"]) if explicit["via"] else None
        return ReasonReading(kind[1] if kind else Reason.UNKNOWN, tail, via[1] if via else None, policy_arn)
    words = tail.lstrip(" .:-)]").lower()
    if words.startswith(("because", "with an", "due to", "with explicit")):
        return ReasonReading(Reason.UNKNOWN, tail, None, policy_arn)
    return ReasonReading(Reason.UNSPECIFIED, tail, None, policy_arn)


def _policy_type(words: str) -> tuple[Reason, Reason] | None:
    named = " ".join(words.lower().split()).strip(" .:")
    for pattern, implicit, explicit in _POLICY_TYPES:
        if re.match(pattern, named):
            return implicit, explicit
    return None


def _authorization_id(text: str) -> str | None:
    found = _AUTHORIZATION_ID.search(text)
    if found is not None:
        return found["id"]
    link = re.search(r"#/authorization-details/(?P<id>[A-Za-z0-9_-]{8,})", text)
    return link["id"] if link else None


# ------------------------------------------------------------------ texts without the sentence
def _other_reason(text: str) -> Reason | None:
    for pattern, reason in _OTHER_TEXTS:
        if pattern.search(text):
            return reason
    return None


def _other_text(text: str) -> Denial:
    if _PASS_ROLE.search(text):
        raise DenialError(
            "this is Lambda's 'Cross-account pass role is not allowed': a function's Role must be a role of "
            "the function's own account (CreateFunction/UpdateFunctionConfiguration), not an invoke denial"
        )
    reason = _other_reason(text)
    if reason is None:
        raise DenialError(
            "no `User: <principal> is not authorized to perform: <action>` sentence found, so the text "
            f"names neither the caller nor the callee; {EXPECTED}"
        )
    denial = _without_sentence(reason, None, None)
    arn = re.search(r"arn:[\w-]+:lambda:[^\s\"'/]+", text)  # API Gateway logs the function's ARN
    if arn is None:
        return denial
    callee = _callee(_strip_artefacts(arn[0]))
    return replace(
        denial,
        partition=callee.partition or "aws",
        region=callee.region,
        function_account=callee.account,
        function=callee.name,
        qualifier=callee.qualifier,
    )


def _without_sentence(reason: Reason, region: str | None, url: str | None) -> Denial:
    return Denial(
        reason=reason,
        action="lambda:InvokeFunctionUrl" if url else "lambda:InvokeFunction",
        principal="apigateway.amazonaws.com" if reason is Reason.APIGATEWAY_PERMISSION else None,
        caller_account=None,
        role=None,
        session=None,
        partition="aws",
        region=region,
        function_account=None,
        function=None,
        qualifier=None,
        url=url,
    )


# ------------------------------------------------------------------ pasting artefacts
def _unescape(text: str) -> str:
    """JSON inside JSON (`\\"`, `\\n`) and Python bytes reprs pasted as they were printed."""
    if '\\"' in text or "\\n" in text:
        text = text.replace('\\\\"', '"').replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t")
    # a mask with blanks inside ([account id]) is one field
    return re.sub(r"\[([^\]\n]{1,30})\]", lambda m: "[" + m[1].replace(" ", "_") + "]", text)


def _join_wrapped(text: str) -> str:
    """A name wrapped over lines: a line ending in `-`, `_`, `/` or `:` continues on the next."""
    joined = re.sub(r"(?<=[-_/:])[ \t]*\r?\n[ \t]*(?=\S)", "", text.strip())
    return joined.split()[0] if joined.split() else ""


def _resource(after_action: str) -> tuple[str | None, str]:
    """The resource token after `on resource:` (wrapping joined, stray punctuation dropped), and the rest."""
    on = _ON_RESOURCE.match(after_action)
    if on is None:
        return None, after_action
    rest = after_action[on.end() :]
    token = _TOKEN.match(rest)
    if token is None:
        return None, rest
    end = token.end()
    value = token[0]
    while value.endswith(("-", "_", "/", ":")) and (
        more := re.match(r"[ \t]*\r?\n[ \t]*([^\s\"'`]+)", rest[end:])
    ):
        if more[1].lower() in ("because", "with"):
            break
        value += more[1]
        end += more.end()
    return _strip_artefacts(value), rest[end:]


def _strip_artefacts(value: str) -> str:
    """Trailing `.`, `:`, `]`, `}` or `>` that belong to the text around the ARN, not to it."""
    while value and value[-1] in ".:,]}>`":
        last = value[-1]
        opener = {"]": "[", "}": "{", ">": "<"}.get(last)
        if opener is not None and value.count(opener) >= value.count(last):
            break
        value = value[:-1]
    return value


# ------------------------------------------------------------------ the caller
@dataclass(frozen=True)
class _Caller:
    principal: str | None = None
    partition: str | None = None
    account: str | None = None
    role: str | None = None
    session: str | None = None
    user: str | None = None
    masked: tuple[str, ...] = ()
    role_glob: str | None = None
    unreadable: bool = False


def _caller(principal: str) -> _Caller:
    if not principal or is_mask(principal) or not (principal.startswith("arn:") or "." in principal):
        return _Caller(principal or None, masked=("caller",), unreadable=True)
    if not principal.startswith("arn:"):
        return _Caller(principal)  # a service principal (sns.amazonaws.com)
    parts = principal.split(":", 5)
    if len(parts) < 6:
        return _Caller(principal, masked=("caller",), unreadable=True)
    _, partition, _service, _region, account, rest = parts
    masked: list[str] = []
    account_value = _field(account, _ACCOUNT, "caller account", masked)
    found = _identity(rest, masked)
    return _Caller(
        principal,
        partition if _PARTITION.match(partition) else None,
        account_value,
        found.get("role"),
        found.get("session"),
        found.get("user"),
        tuple(masked),
        found.get("role_glob"),
        unreadable=not any(found.get(k) for k in ("role", "user", "role_glob", "session"))
        and not account_value,
    )


def _identity(rest: str, masked: list[str]) -> dict[str, str | None]:
    """role/session/user of `assumed-role/R/S`, `role/path/R`, `user/path/U` (masked parts noted)."""
    kind, _, path = rest.partition("/")
    if kind == "assumed-role":
        role, _, session = path.partition("/")
        role_value = _name_field(role, "role", masked)
        session_value = _field(session, _NAME, "session", masked) if session else None
        return {"role": role_value, "session": session_value, "role_glob": _partial(role)}
    if kind in ("role", "user"):
        name = path.rsplit("/", 1)[-1]
        value = _name_field(name, kind, masked)
        return {kind: value, "role_glob": _partial(name) if kind == "role" else None}
    masked.append("caller")
    return {}


def _partial(name: str) -> str | None:
    """The glob of a name with a mask inside it (None when it has none, or is all mask)."""
    return _glob(name) if not is_mask(name) and _MASK_PART.search(name) else None


def _field(value: str, pattern: re.Pattern[str], label: str, masked: list[str]) -> str | None:
    if pattern.match(value) and not is_mask(value):
        return value
    masked.append(label)
    return None


def _name_field(value: str, label: str, masked: list[str]) -> str | None:
    if value and _NAME.match(value) and not is_mask(value) and not _MASK_PART.search(value):
        return value
    masked.append(label if is_mask(value) or not value else f"{label} (partly)")
    return None


# ------------------------------------------------------------------ the callee
@dataclass(frozen=True)
class _Callee:
    partition: str | None = None
    region: str | None = None
    account: str | None = None
    name: str | None = None
    qualifier: str | None = None
    masked: tuple[str, ...] = ()
    glob: str | None = None
    bare: bool = False
    unreadable: bool = False


def _callee(resource: str | None) -> _Callee:
    if resource is None:
        return _Callee(masked=("function",), unreadable=True)
    if not resource.startswith("arn:"):
        return _bare_callee(resource)
    parts = resource.split(":", 7)
    if len(parts) >= 3 and parts[2] != "lambda" and not is_mask(parts[2]):
        raise DenialError(f"{resource} is not a Lambda function ARN; {EXPECTED}")
    if len(parts) < 7 or parts[5] != "function":
        return _Callee(masked=("function",), unreadable=True, partition=_partition(parts))
    masked: list[str] = []
    region = _field(parts[3], _REGION, "region", masked)
    account = _field(parts[4], _ACCOUNT, "function account", masked)
    name = _name_field(parts[6], "function", masked)
    qualifier = parts[7] if len(parts) > 7 and _QUALIFIER.match(parts[7]) else None
    glob = _partial(parts[6])
    return _Callee(
        _partition(parts), region, account, name, qualifier, tuple(masked), glob, False, not name and not glob
    )


def _partition(parts: list[str]) -> str | None:
    return parts[1] if len(parts) > 1 and _PARTITION.match(parts[1]) else None


def _bare_callee(resource: str) -> _Callee:
    """A function named without its ARN (`on resource: my-function`), as AWS's own pages show."""
    name, _, qualifier = resource.partition(":")
    if is_mask(resource) or not _FUNCTION_NAME.match(name):
        return _Callee(masked=("function",), unreadable=True)
    return _Callee(None, None, None, name, qualifier or None, ("region", "function account"), None, True)


def _canonical_action(action: str) -> str:
    for known in INVOKE_ACTIONS:
        if action.lower() == known.lower():
            return known
    raise DenialError(f"the denied action is {action}, not an invoke ({', '.join(INVOKE_ACTIONS)})")
