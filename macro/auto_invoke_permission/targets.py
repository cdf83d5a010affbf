"""What the Resource of an invoke grant points at (docs/design/behaviour.md section 4).

`classify` turns one resolved Resource value into the callee forms of the
template it covers, or into the finding that explains why it covers none.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .conditions import NO_CONDITIONS, CondSet
from .findings import FindingCode
from .memo import Memo
from .model import CalleeForm
from .names import NameMatch, NameMatcher, Opaque, certain_match
from .resolver import Part, Sym, Token, concat, literal, single_token, sym_text
from .statements import glob_match
from .template import LAMBDA_ALIAS, LAMBDA_VERSION, TemplateIndex

# compiled on first use (`re` caches it): compiling at import slowed the cold start, `make bench` (d)
_VERSION = r"^(\d+|\$LATEST)$"
# resources whose `Outputs.X` attributes are a nested stack's outputs (SAM's application becomes a stack)
MAX_LISTED = 10  # functions AIP110's message names
NESTED_STACK_TYPES = frozenset({"AWS::CloudFormation::Stack", "AWS::Serverless::Application"})


class Target:
    """Callee forms (each with the conditions under which it is the one named) and/or a finding.
    Slotted, like `model.Grant`: read for every grant."""

    __slots__ = (
        "arn",
        "code",
        "forms",
        "function",
        "lambda_related",
        "maybe_forms",
        "message",
        "wildcard_forms",
    )

    def __init__(
        self,
        forms: tuple[tuple[CalleeForm, CondSet], ...] = (),
        code: FindingCode | None = None,
        message: str = "",
        wildcard_forms: tuple[tuple[CalleeForm, CondSet], ...] = (),
        lambda_related: bool = True,
        arn: str = "",
        maybe_forms: tuple[tuple[CalleeForm, CondSet], ...] = (),
        function: str = "",
    ) -> None:
        self.forms = forms
        self.code = code
        self.message = message
        # wildcard grants: the forms the pattern certainly matches (what `Wildcards: expand` adds),
        # and those it may match (a generated name's random suffix decides): never expanded
        self.wildcard_forms = wildcard_forms
        self.maybe_forms = maybe_forms
        self.lambda_related = lambda_related  # False: the Resource is not a Lambda function ARN at all
        self.arn = arn  # the callee's ARN as written, for AIP111's statement
        self.function = function  # AIP124: the function of the template whose aliases it names


NOT_LAMBDA = Target(lambda_related=False)


def _matches(pattern: str, text: str) -> bool:
    return pattern == text or glob_match(pattern, text)


def _name_prefix(name: Sym) -> Sym | None:
    """`NAME` of `NAME*` (a trailing star only), else None."""
    final = name[-1] if name else None
    if isinstance(final, str) and final.endswith("*"):
        stem = final[:-1]
        return (*name[:-1], stem) if stem else name[:-1]
    return None


def _has_glob(sym: Sym) -> bool:
    for p in sym:  # noqa: SIM110 - a plain loop: any() would build a generator for every Resource
        if isinstance(p, str) and ("*" in p or "?" in p):
            return True
    return False


def _split_colons(sym: Sym) -> list[Sym]:
    segments: list[list[Part]] = [[]]
    for part in sym:
        if isinstance(part, str):
            pieces = part.split(":")
            segments[-1].append(pieces[0])
            segments.extend([piece] for piece in pieces[1:])
        else:
            segments[-1].append(part)
    return [concat(s) for s in segments]


class TargetClassifier:
    def __init__(self, index: TemplateIndex) -> None:
        self.index = index
        resolver = index.resolver
        self.region = resolver.region
        self.account = resolver.account_id
        self.partition = resolver.partition
        self._opaque = Opaque()
        self._memo: dict[Sym, Target] = {}
        # `unqualified_target(fid)`: function `fid` of the template, unqualified, under no condition:
        # what `!GetAtt F.Arn` names (the commonest Resource of all, read without building its symbolic
        # value) and what `_named` gives for one function. Built once per function, on its first
        # look-up; a look-up, not a call, after (the memo holds the functions, not the classifier)
        functions = index.functions
        self.unqualified_target: Callable[[str], Target] = Memo[str, Target](
            lambda fid: Target(((functions[fid].form, NO_CONDITIONS),))
        ).__getitem__
        self._alias_targets: dict[str, Target] = {}  # a function and all its aliases
        # the commonest ARN: this partition, region and account, then a plain function name
        self._arn_prefix = f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:"
        self._names: NameMatcher | None = None  # built by the first wildcard

    # -------------------------------------------------------------- helpers
    def _unqualified(self, fid: str, conds: CondSet = NO_CONDITIONS) -> tuple[CalleeForm, CondSet]:
        return (self.index.functions[fid].form, conds)

    def _aliases(self, fid: str, conds: CondSet = NO_CONDITIONS) -> list[tuple[CalleeForm, CondSet]]:
        return [(a.form(fid), conds) for a in self.index.functions[fid].aliases]

    def _qualified(self, fid: str, qualifier: Sym, conds: CondSet, shown: str) -> Target:
        """F with a qualifier: empty (unqualified), `*`, an alias name, a version."""
        if not qualifier:
            return Target(forms=(self._unqualified(fid, conds),))
        text = literal(qualifier)
        if text is None and single_token(qualifier) is not None:
            # a parameter without a value: only an alias whose Name is the same parameter matches
            symbol = sym_text(qualifier)
            named = [(a.form(fid), conds) for a in self.index.functions[fid].aliases if a.name == symbol]
            if named:
                return Target(forms=tuple(named))
        if text is None:
            return Target(code="AIP116", message=f"the qualifier of {shown} is unknown at transform time")
        aliases = self.index.functions[fid].aliases
        if re.match(_VERSION, text):
            return Target(code="AIP122", message=f"{shown} names version {text} of {fid}")
        if "*" in text or "?" in text:
            hits = [(a.form(fid), conds) for a in aliases if glob_match(text, a.name)]
            if not hits:
                return Target(
                    code="AIP124",
                    message=f"{shown} covers aliases of {fid}, and the template has none",
                    function=fid,
                )
            return Target(forms=tuple(hits))
        for alias in aliases:
            if alias.name == text:
                return Target(forms=((alias.form(fid), conds),))
        return Target(
            code="AIP123",
            message=f"{shown} names alias {text!r} of {fid}, which the template does not define",
        )

    def _named(self, owners: list[tuple[str, CondSet]], with_aliases: bool = False) -> Target:
        """The functions a name stands for: unqualified, and through every alias with `with_aliases`.
        The commonest case, one function under no condition, is built once per function."""
        if len(owners) == 1 and not owners[0][1]:
            fid = owners[0][0]
            if with_aliases and self.index.functions[fid].aliases:
                known = self._alias_targets.get(fid)
                if known is None:
                    known = self._alias_targets[fid] = Target(forms=self._with_aliases(owners))
                return known
            return self.unqualified_target(fid)
        if with_aliases:
            return Target(forms=self._with_aliases(owners))
        return Target(forms=tuple(self._unqualified(fid, conds) for fid, conds in owners))

    def _with_aliases(self, owners: list[tuple[str, CondSet]]) -> tuple[tuple[CalleeForm, CondSet], ...]:
        """Each function unqualified and through every alias of the template (`NAME*`, `ARN*`)."""
        forms: list[tuple[CalleeForm, CondSet]] = []
        for fid, conds in owners:
            forms.append(self._unqualified(fid, conds))
            forms.extend(self._aliases(fid, conds))
        return tuple(forms)

    def _wildcard(self, pattern: str, shown: str, qualifier: str | None = None) -> Target:
        """A pattern grant: no permission. `Wildcards: expand` adds the unqualified form of each function
        the pattern certainly matches, or with a `qualifier` (itself a glob, or unknown: None) only the
        forms of their aliases that it names, never an unqualified one."""
        if self._names is None:
            self._names = NameMatcher(self.index, self._opaque)
        certain: list[tuple[CalleeForm, CondSet]] = []
        maybe: list[tuple[CalleeForm, CondSet]] = []
        labels: list[str] = []
        for match in self._names.match(pattern):
            for form in self._matched_forms(match, qualifier):
                (certain if match.certain else maybe).append((form, match.conditions))
                labels.append(_label(form, match))
        if labels:
            unique = list(dict.fromkeys(labels))
            names = ", ".join(unique[:MAX_LISTED])
            if len(unique) > MAX_LISTED:
                names += f" and {len(unique) - MAX_LISTED} more"
            message = f"{shown} allows invoking every function that matches it; of this template: {names}"
        else:
            message = f"{shown} allows invoking every function that matches it, none of this template"
        return Target(code="AIP110", message=message, wildcard_forms=tuple(certain), maybe_forms=tuple(maybe))

    def _matched_forms(self, match: NameMatch, qualifier: str | None) -> list[CalleeForm]:
        """The callee forms of a matched function a pattern covers: unqualified (no qualifier), or the
        aliases whose name the qualifier matches (an unknown qualifier: none)."""
        fn = self.index.functions[match.function]
        if qualifier is None:
            return [fn.form]
        return [alias.form(match.function) for alias in fn.aliases if certain_match(qualifier, alias.name)]

    # ------------------------------------------------------------- classify
    def classify(self, value: Sym) -> Target:
        """Memoized: callers name the same callees over and over."""
        known = self._memo.get(value)
        if known is None:
            known = self._memo[value] = self._classify(value)
        return known

    def _classify(self, value: Sym) -> Target:
        if not value:  # never a pattern: IAM rejects an empty Resource
            return Target(code="AIP104", message="the Resource is empty; IAM requires an ARN or '*'")
        first = value[0]
        if isinstance(first, str) and first.startswith(self._arn_prefix):
            fast = self._same_account_arn(value, first)
            if fast is not None:
                return fast
        shown = sym_text(value) or "''"  # for messages: not built on the fast path
        if isinstance(first, Token):
            return self._token_first(first, value, shown)
        text = literal(value)
        if text is not None and text.strip("*") == "":
            return self._wildcard("*", shown)
        if not first.startswith("arn:"):
            owners = self.index.by_name.get(value)
            if owners and not _has_glob(value):
                return Target(
                    forms=tuple(self._unqualified(fid, c) for fid, c in owners),
                    code="AIP101",
                    message=f"{shown} is a function name; IAM matches ARNs only",
                )
            if text is not None and not _has_glob(value):
                # a pattern such as `ar*` is left alone: whether IAM accepts it is not confirmed
                return Target(code="AIP104", message=f"{shown} is not an ARN; IAM requires an ARN or '*'")
            return NOT_LAMBDA
        return self._arn(value, shown)

    def _same_account_arn(self, value: Sym, first: str) -> Target | None:
        """`<prefix>NAME` naming a template function by its exact name, or `<prefix>NAME*` (SAM's
        LambdaInvokePolicy: the function and its aliases); None for anything else."""
        rest = first[len(self._arn_prefix) :]
        name = (rest, *value[1:]) if rest else value[1:]  # normalized, as `value` is
        glob = False
        for part in name:
            if isinstance(part, str):
                if ":" in part:
                    return None
                glob = glob or "*" in part or "?" in part
        prefix = _name_prefix(name) if glob else None  # NAME of NAME*: the function and its aliases
        if glob and (prefix is None or _has_glob(prefix)):
            return None
        owners = self.index.by_name.get(name if prefix is None else prefix)
        if not owners:
            return None
        return self._named(owners, with_aliases=prefix is not None)

    def _token_first(self, token: Token, value: Sym, shown: str) -> Target:
        rest = value[1:]
        if token.kind == "getatt":
            return self._getatt_first(token, rest, shown)
        if token.kind == "ref":
            ref = self._ref_first(token.name, rest, shown)
            if ref is not None:
                return ref
        if token.kind == "pseudo":
            pseudo = token.name
            return Target(code="AIP116", message=f"{shown} depends on {pseudo}, unknown at transform time")
        return Target(code="AIP116", message=f"{shown} is not a function ARN the macro can read")

    def _getatt_first(self, token: Token, rest: Sym, shown: str) -> Target:
        """A value that starts with `!GetAtt NAME.ATTR`."""
        index = self.index
        name = token.name
        if name in index.functions and token.attr == "Arn":
            return self._after_arn(name, rest, shown)
        if token.attr == "AliasArn" and name in index.alias_ids and not rest:
            fid, alias = index.alias_ids[name]  # the alias's ARN, as `!Ref Alias` is
            return Target(forms=((alias.form(fid), NO_CONDITIONS),))
        nested = self._nested_output((token,), shown)
        if nested is not None:
            return nested
        rtype = _type_of(index, name)
        if name in index.functions or rtype in (LAMBDA_ALIAS, LAMBDA_VERSION):
            return Target(code="AIP116", message=f"{shown} is not an ARN a grant can use")
        kind = rtype or "a resource SAM generates"
        return _absent(index, name, shown) or Target(
            code="AIP102", message=f"{shown} is an attribute of {name} ({kind}), not a function"
        )

    def _ref_first(self, name: str, rest: Sym, shown: str) -> Target | None:
        """A value that starts with `!Ref NAME`; None where the generic answer applies."""
        index = self.index
        if not rest:
            return self._bare_ref(name, shown)
        if name in index.alias_ids and rest in (("*",),):
            fid, _ = index.alias_ids[name]
            return Target(forms=tuple(self._aliases(fid)))
        return None

    def _bare_ref(self, name: str, shown: str) -> Target | None:
        """`!Ref NAME` alone: a function's name, an alias's ARN, a version, or another resource."""
        index = self.index
        if name in index.functions:
            return Target(
                forms=(self._unqualified(name),),
                code="AIP101",
                message=f"!Ref {name} is the function's name; IAM matches ARNs only",
            )
        if name in index.alias_ids:
            fid, alias = index.alias_ids[name]
            return Target(forms=((alias.form(fid), NO_CONDITIONS),))
        if name in index.versions:
            return Target(code="AIP122", message=f"{shown} is a function version")
        rtype = _type_of(index, name)
        if rtype is not None:
            return _absent(index, name, shown) or Target(
                code="AIP102", message=f"{shown} refers to {name} ({rtype}), not a function"
            )
        return None

    def _after_arn(self, fid: str, rest: Sym, shown: str) -> Target:
        """What follows `${F.Arn}`: nothing, `:QUALIFIER`, `:*`, or `*` (the function and its aliases)."""
        if not rest:
            return self._named([(fid, NO_CONDITIONS)])
        head = rest[0]
        if isinstance(head, str) and head == "*" and len(rest) == 1:
            return self._named([(fid, NO_CONDITIONS)], with_aliases=True)
        if isinstance(head, str) and head.startswith(":"):
            return self._qualified(fid, concat([head[1:], *rest[1:]]), NO_CONDITIONS, shown)
        return Target(code="AIP116", message=f"{shown} is not a function ARN the macro can read")

    def _arn(self, value: Sym, shown: str) -> Target:
        """An ARN not on the fast path: its service and resource type, then where, then which function."""
        segments = _split_colons(value)
        service = literal(segments[2]) if len(segments) > 2 else None
        if len(segments) < 7:
            return self._short_arn(segments, service, shown)
        if service is None or not _matches(service, "lambda"):
            return NOT_LAMBDA
        rtype = literal(segments[5])
        if rtype is None or not _matches(rtype, "function"):
            return NOT_LAMBDA
        elsewhere = self._elsewhere(segments, shown)
        if elsewhere is not None:
            return elsewhere
        name = segments[6]
        if any(isinstance(p, Token) and p.kind == "getatt" and p.attr == "Arn" for p in name):
            return Target(
                code="AIP116",
                message=f"{shown} puts an ARN where the function name goes "
                "(LambdaInvokePolicy's FunctionName takes !Ref, not !GetAtt .Arn)",
            )
        nested = self._nested_output(name, shown)
        if nested is not None:
            return nested
        qualifier_segments = segments[7:]
        if len(qualifier_segments) > 1:
            return Target(code="AIP116", message=f"{shown} has too many ':' parts for a function ARN")
        qualifier = qualifier_segments[0] if qualifier_segments else ()
        if rtype != "function":
            return self._wildcard(self._opaque.text(concat([*name, "*"])), shown)  # `func*:...`: any form
        if not _has_glob(name):
            return self._exact_name(name, qualifier, shown)
        return self._name_pattern(name, qualifier, shown)

    def _short_arn(self, segments: list[Sym], service: str | None, shown: str) -> Target:
        """An ARN of fewer than seven parts: a pattern over functions (`arn:aws:lambda:*`), or no
        function ARN at all."""
        last = literal(segments[-1])
        crosses = last is not None and last.endswith("*")
        if service is not None and glob_match(service, "lambda") and crosses and len(segments) >= 3:
            return self._wildcard("*", shown)
        if service != "lambda":
            return NOT_LAMBDA
        return Target(code="AIP116", message=f"{shown} is not a function ARN")

    def _nested_output(self, name: Sym, shown: str) -> Target | None:
        """AIP117 when a function name or ARN comes from a nested stack's output, else None."""
        for part in name:
            if (
                isinstance(part, Token)
                and part.kind == "getatt"
                and part.attr.startswith("Outputs.")
                and _type_of(self.index, part.name) in NESTED_STACK_TYPES
            ):
                return Target(
                    code="AIP117",
                    message=f"{shown} is an output of the nested stack {part.name}; the callee is defined "
                    "there",
                )
        return None

    def _elsewhere(self, segments: list[Sym], shown: str) -> Target | None:
        """The finding when the ARN's partition, region or account is not the stack's (or unknown)."""
        partition, region, account = literal(segments[1]), literal(segments[3]), literal(segments[4])
        if partition is None or region is None or account is None:
            return Target(code="AIP116", message=f"the partition, region or account of {shown} is unknown")
        if not _matches(partition, self.partition) or not _matches(region, self.region):
            return Target(
                code="AIP112",
                message=f"{shown} is in region {region!r} / partition {partition!r}, the stack in "
                f"{self.region!r} / {self.partition!r}",
            )
        if not _matches(account, self.account):
            return Target(
                code="AIP111",
                message=f"{shown} is in account {account}; the stack is in {self.account}",
                arn=shown,
            )
        return None

    def _exact_name(self, name: Sym, qualifier: Sym, shown: str) -> Target:
        """A function name without a glob, with its qualifier (none, an alias, a version, `*`)."""
        owners = self.index.by_name.get(name)
        if not owners:
            return Target(
                code="AIP113",
                message=f"{shown} names function {sym_text(name)!r}, which is not defined in this template",
            )
        targets = [self._qualified(fid, qualifier, conds, shown) for fid, conds in owners]
        forms = tuple(f for t in targets for f in t.forms)
        problem = next((t for t in targets if t.code), None)
        if forms or problem is None:
            return Target(forms=forms)
        return problem

    def _name_pattern(self, name: Sym, qualifier: Sym, shown: str) -> Target:
        """A function name with a glob: `NAME*` (LambdaInvokePolicy: the function and all its
        aliases), or a pattern over the template's functions (their generated names included)."""
        prefix = _name_prefix(name) if qualifier == () else None
        if prefix is not None and _has_glob(prefix):
            prefix = None
        if prefix is not None:
            owners = self.index.by_name.get(prefix)
            if owners:
                return Target(forms=self._with_aliases(owners))
        pattern = self._opaque.text(name)
        if not qualifier:
            wildcard = self._wildcard(pattern, shown)
        else:
            qualifier_text = literal(qualifier)
            wildcard = self._wildcard(pattern, shown, "*" if qualifier_text is None else qualifier_text)
            if qualifier_text is None:  # which aliases it names is unknown: none is certain
                maybe = wildcard.wildcard_forms + wildcard.maybe_forms
                wildcard = Target(code="AIP110", message=wildcard.message, maybe_forms=maybe)
        matched = wildcard.wildcard_forms or wildcard.maybe_forms
        if prefix is not None and not matched and _reads_as_name(prefix):
            # NAME* matching no function of the template, NAME a whole name (what LambdaInvokePolicy
            # writes): the function NAME, outside the template
            return Target(
                code="AIP113",
                message=f"{shown} names function {sym_text(prefix)!r} (and its versions and aliases), "
                "which is not defined in this template",
            )
        return wildcard


def _reads_as_name(prefix: Sym) -> bool:
    """Whether the stem of `NAME*` reads as a whole function name (ends in a letter or digit), rather
    than as the start of names (`orders-*`, `${AWS::StackName}*`)."""
    last = prefix[-1] if prefix else None
    return isinstance(last, str) and last[-1:].isalnum()


def _label(form: CalleeForm, match: NameMatch) -> str:
    """How AIP110's message names a form a pattern matches (saying when the random suffix decides)."""
    if not match.certain:
        return f"{form.label} (if the random suffix of its generated name fits)"
    return form.label


def _absent(index: TemplateIndex, name: str, shown: str) -> Target | None:
    """AIP118 for a function or alias whose Condition this deploy's values decide false."""
    condition = index.absent.get(name)
    if condition is None:
        return None
    message = (
        f"{shown} names {name}, which exists only when condition {condition} is true, and it is false "
        "with this deploy's parameter values: a grant outside the condition refers to a resource that "
        "is not created"
    )
    return Target(code="AIP118", message=message)


def _type_of(index: TemplateIndex, logical_id: str) -> str | None:
    res = index.resources.get(logical_id)
    if isinstance(res, dict):
        rtype = res.get("Type")
        return rtype if isinstance(rtype, str) else "unknown type"
    return None
