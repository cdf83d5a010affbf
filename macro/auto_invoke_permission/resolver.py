"""Symbolic resolution of CloudFormation intrinsic functions.

A value that cannot be known at transform time stays a `Token` (a `Ref` to a
resource, an attribute, `AWS::StackName`, a parameter without a value); we
never invent a value. `Fn::If` yields one branch per side, each carrying the
condition literals it sits under. Anything else that cannot be resolved is an
`Unresolved` with the reason, which callers turn into a finding.

Every function here is bounded: nesting deeper than `MAX_DEPTH`, more than
`MAX_BRANCHES` combinations or more than `MAX_STEPS` nodes visited for one value
end in `Unresolved`, never in RecursionError or exponential time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple, TypeAlias

MAX_DEPTH = 40
MAX_BRANCHES = 64
MAX_STEPS = 4000  # nodes visited for one top-level value: bounds work on hostile shapes

CondLit: TypeAlias = tuple[str, bool]
CondSet: TypeAlias = frozenset[CondLit]
NO_CONDITIONS: CondSet = frozenset()


class Token(NamedTuple):
    """An opaque part of a string: `ref` (resource or parameter), `getatt`, or `pseudo`."""

    kind: str
    name: str
    attr: str = ""

    def __str__(self) -> str:
        # no "${": report text lands in Metadata, where cfn-lint reads "${x}" as a misplaced Sub
        if self.kind == "getatt":
            return "{" + self.name + "." + self.attr + "}"
        return "{" + self.name + "}"


Part: TypeAlias = "str | Token"
# A symbolic string: literal text and tokens, adjacent literals merged, no empty literal.
Sym: TypeAlias = tuple[Part, ...]


class Unresolved:
    """A value that cannot be resolved, with the finding code that explains it."""

    __slots__ = ("code", "reason")

    def __init__(self, reason: str, code: str = "AIP116") -> None:
        self.reason = reason
        self.code = code  # AIP114 for Fn::ImportValue, AIP115 for parameters without a value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Unresolved):
            return NotImplemented
        return (self.reason, self.code) == (other.reason, other.code)

    def __hash__(self) -> int:
        return hash((self.reason, self.code))

    def __repr__(self) -> str:
        return f"Unresolved(reason={self.reason!r}, code={self.code!r})"


Value: TypeAlias = "Sym | Unresolved"
Branch: TypeAlias = tuple[Value, CondSet]

INTRINSICS = frozenset(
    {
        "Ref",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::Join",
        "Fn::If",
        "Fn::Select",
        "Fn::Split",
        "Fn::FindInMap",
        "Fn::ImportValue",
        "Fn::GetAZs",
        "Fn::Base64",
        "Fn::Cidr",
        "Fn::Length",
        "Fn::ToJsonString",
        "Fn::Transform",
        "Fn::Equals",
        "Fn::And",
        "Fn::Or",
        "Fn::Not",
        "Condition",
    }
)

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


@lru_cache(maxsize=1024)
def _parse_sub(text: str) -> tuple[tuple[tuple[str, str], ...], str] | None:
    """`Fn::Sub` text as (literal, variable) pieces and a tail; None when a `${` is unterminated."""
    pieces = []
    pos = 0
    for m in _SUB_VAR.finditer(text):
        pieces.append((text[pos : m.start()], m.group(1)))
        pos = m.end()
    tail = text[pos:]
    return None if "${" in tail else (tuple(pieces), tail)


def sym_text(sym: Sym) -> str:
    """Readable form of a symbolic string, as Fn::Sub would write it."""
    return "".join(str(p) for p in sym)


def single_token(sym: Sym) -> Token | None:
    """The token a symbolic string is, when it is nothing else (`Ref X`, `GetAtt X.Attr`)."""
    return sym[0] if len(sym) == 1 and isinstance(sym[0], Token) else None


def concat(parts: list[Part]) -> Sym:
    out: list[Part] = []
    text = ""  # literal text not yet added
    for p in parts:
        if isinstance(p, str):
            text += p
            continue
        if text:
            out.append(text)
            text = ""
        out.append(p)
    if text:
        out.append(text)
    return tuple(out)


def literal(sym: Sym) -> str | None:
    """The text of a symbolic string without tokens, else None."""
    if not sym:
        return ""
    if len(sym) == 1 and isinstance(sym[0], str):
        return sym[0]
    return None


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("eu-isoe-"):
        return "aws-iso-e"
    return "aws"


def url_suffix_for(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


class Resolver:
    """Resolves values of one template against the event's region, account and parameters."""

    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        resources: Mapping[str, Any],
        parameters: Mapping[str, Any],
        parameter_values: Mapping[str, Any],
        mappings: Mapping[str, Any],
        conditions: Mapping[str, Any] | None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.partition = partition_for(region)
        self.resources = resources
        self.parameters = parameters
        self.mappings = mappings
        # None: the Conditions section is not visible (Fn::Transform under Resources)
        self.conditions = conditions
        self.pseudo: dict[str, str] = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": url_suffix_for(region),
        }
        self._pseudo_values: dict[str, Sym] = {name: (value,) for name, value in self.pseudo.items()}
        # resources SAM generates later (transform listed before SAM): `<Function>Role`, aliases
        self.implicit: set[str] = set()
        self._steps = 0
        self.values: dict[str, Any] = {}
        # NoEcho parameters stay symbolic: their values must never reach a message or the report
        self.secret: set[str] = set()
        for name, decl in parameters.items():
            ptype = decl.get("Type", "String") if isinstance(decl, dict) else "String"
            if isinstance(decl, dict) and str(decl.get("NoEcho", "")).lower() == "true":
                self.secret.add(name)
                continue
            if isinstance(ptype, str) and ptype.startswith("AWS::SSM::Parameter::Value"):
                continue  # the event carries the SSM key, not the value
            if name in parameter_values:
                self.values[name] = parameter_values[name]

    # ------------------------------------------------------------------ refs
    def ref(self, name: Any) -> Value | None:
        """A Ref as a symbolic string; None for AWS::NoValue."""
        if not isinstance(name, str):
            return Unresolved(f"Ref to {name!r}, which is not a name")
        if name == "AWS::NoValue":
            return None
        known = self._pseudo_values.get(name)
        if known is not None:
            return known
        if name.startswith("AWS::"):
            return (Token("pseudo", name),)
        if name in self.secret:
            return (Token("ref", name),)
        if name in self.values:
            v = self.values[name]
            if isinstance(v, list):
                return (",".join(str(x) for x in v),)
            return (str(v),)
        if name in self.parameters:
            return Unresolved(f"parameter {name} has no value", "AIP115")
        if name in self.resources or name in self.implicit or "." in name:
            # `Ref F.Alias` is SAM's syntax for the AutoPublishAlias of F
            return (Token("ref", name),)
        return Unresolved(f"Ref to {name}, which is neither a parameter nor a resource")

    def parameter_list(self, name: str) -> list[str] | None:
        v = self.values.get(name)
        if isinstance(v, list):
            return [str(x) for x in v]
        if isinstance(v, str):
            decl = self.parameters.get(name)
            ptype = decl.get("Type") if isinstance(decl, dict) else None
            if isinstance(ptype, str) and (ptype.startswith("List<") or ptype == "CommaDelimitedList"):
                return [x.strip() for x in v.split(",")]
        return None

    # --------------------------------------------------------------- strings
    def strings(self, node: Any, depth: int = 0) -> list[Branch]:
        """Every string a node can stand for (lists are flattened), with the conditions of each."""
        if isinstance(node, str):  # the commonest case first
            return [((node,) if node else (), NO_CONDITIONS)]
        if depth == 0:
            self._steps = 0
        self._steps += 1
        if depth > MAX_DEPTH or self._steps > MAX_STEPS:
            return [(Unresolved("nested too deep" if depth > MAX_DEPTH else "too complex"), NO_CONDITIONS)]
        if isinstance(node, list):
            out: list[Branch] = []
            for item in node:
                out.extend(self.strings(item, depth + 1))
                if len(out) > MAX_BRANCHES:
                    return [(Unresolved("too many alternatives"), NO_CONDITIONS)]
            return out
        if isinstance(node, dict) and len(node) == 1:
            key = next(iter(node))
            if key == "Fn::If":
                return self._if(node[key], depth)
            if key == "Fn::Sub":
                return self._sub(node[key], depth)
            if key == "Fn::Join":
                return self._join(node[key], depth)
            if key == "Ref":
                items = self._list_intrinsic(key, node[key], depth)  # a List parameter: its items
                if items is not None:
                    return items
                v = self.ref(node[key])
                return [] if v is None else [(v, NO_CONDITIONS)]
            if key in INTRINSICS and key not in ("Fn::Split",):
                items = self._list_intrinsic(key, node[key], depth)
                if items is not None:
                    return items
                v = self.scalar(node, depth)
                return [] if v is None else [(v, NO_CONDITIONS)]
            if key == "Fn::Split":
                return self._list_intrinsic(key, node[key], depth) or []
            if key.startswith("Fn::"):
                return [(Unresolved(f"unknown intrinsic function {key}"), NO_CONDITIONS)]
        if isinstance(node, bool | int | float):
            return [(Unresolved(f"{node!r} is not a string"), NO_CONDITIONS)]
        if node is None:
            return [(Unresolved("empty value"), NO_CONDITIONS)]
        return [(Unresolved("a mapping where a string is expected"), NO_CONDITIONS)]

    def _if(self, arg: Any, depth: int) -> list[Branch]:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            return [(Unresolved("Fn::If needs [condition, then, else]"), NO_CONDITIONS)]
        name = arg[0]
        if self.conditions is not None and name not in self.conditions:
            return [
                (
                    Unresolved(f"Fn::If names condition {name}, which Conditions does not define"),
                    NO_CONDITIONS,
                )
            ]
        out: list[Branch] = []
        for side, truth in ((arg[1], True), (arg[2], False)):
            lit = frozenset({(name, truth)})
            for value, conds in self.strings(side, depth + 1):
                if (name, not truth) in conds:
                    continue  # contradictory branch: never taken
                out.append((value, and_conditions(conds, lit)))
        return out

    def _list_intrinsic(self, key: str, arg: Any, depth: int) -> list[Branch] | None:
        """Intrinsics that can stand for a list; None when the result is a single string."""
        if key == "Ref" and isinstance(arg, str):
            items = self.parameter_list(arg)
            if items is not None:
                return [((s,) if s else (), NO_CONDITIONS) for s in items]
            return None
        if key == "Fn::Split":
            if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and arg[0]):
                return [(Unresolved("Fn::Split needs [delimiter, string]"), NO_CONDITIONS)]
            out: list[Branch] = []
            for value, conds in self.strings(arg[1], depth + 1):
                text = literal(value) if isinstance(value, tuple) else None
                if text is None:
                    out.append((Unresolved("Fn::Split of a value unknown at transform time"), conds))
                else:
                    out.extend(((s,) if s else (), conds) for s in text.split(arg[0]))
            return out
        if key == "Fn::FindInMap":
            found = self._find_in_map(arg, depth)
            if isinstance(found, Unresolved):
                return [(found, NO_CONDITIONS)]
            return self.strings(found, depth + 1)
        return None

    def scalar(self, node: Any, depth: int = 0) -> Value | None:
        """One string value (not a list). None for AWS::NoValue."""
        if depth == 0:
            self._steps = 0
        self._steps += 1
        if depth > MAX_DEPTH or self._steps > MAX_STEPS:
            return Unresolved("nested too deep" if depth > MAX_DEPTH else "too complex")
        if isinstance(node, str):
            return (node,) if node else ()
        if not (isinstance(node, dict) and len(node) == 1):
            return Unresolved("not a string")
        key, arg = next(iter(node.items()))
        if key == "Ref":
            return self.ref(arg)
        if key == "Fn::GetAtt":
            return self._getatt(arg)
        if key == "Fn::Sub":
            return self._single(self._sub(arg, depth), "Fn::Sub")
        if key == "Fn::Join":
            return self._single(self._join(arg, depth), "Fn::Join")
        if key == "Fn::Select":
            return self._select(arg, depth)
        if key == "Fn::ImportValue":
            return Unresolved("Fn::ImportValue cannot be resolved by a macro", "AIP114")
        if key == "Fn::If":
            return self._single(self._if(arg, depth), "Fn::If")
        if key == "Fn::FindInMap":
            found = self._find_in_map(arg, depth)
            if isinstance(found, Unresolved):
                return found
            return self.scalar(found, depth + 1)
        if key in INTRINSICS:
            return Unresolved(f"{key} cannot be resolved at transform time")
        return Unresolved(f"unknown intrinsic function {key}")

    @staticmethod
    def _single(branches: list[Branch], what: str) -> Value:
        if len(branches) == 1 and not branches[0][1]:
            return branches[0][0]
        return Unresolved(f"{what} with conditional parts")

    def _getatt(self, arg: Any) -> Value:
        if isinstance(arg, str) and "." in arg:
            name, attr = arg.split(".", 1)
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], str):
            name, attr = arg
        else:
            return Unresolved("Fn::GetAtt needs [resource, attribute]")
        if name not in self.resources and name not in self.implicit:
            return Unresolved(f"Fn::GetAtt of {name}, which is not a resource of the template")
        return (Token("getatt", name, attr),)

    def sub_variable(self, name: str) -> Value | None:
        if name.startswith("!"):
            return ("${" + name[1:] + "}",)
        name = name.strip()
        if "." in name and not name.startswith("AWS::"):
            res, attr = name.split(".", 1)
            if res in self.resources or res in self.implicit:
                return (Token("getatt", res, attr),)
        return self.ref(name)

    def _sub(self, arg: Any, depth: int) -> list[Branch]:
        variables: Mapping[str, Any]
        if isinstance(arg, str):
            text, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
            text, variables = arg[0], arg[1]
        else:
            return [(Unresolved("Fn::Sub needs a string or [string, variables]"), NO_CONDITIONS)]
        parsed = _parse_sub(text)
        if parsed is None:
            return [(Unresolved("Fn::Sub with an unterminated ${"), NO_CONDITIONS)]
        pieces, tail = parsed
        # the common case, one value per variable, builds one string
        parts: list[Part] = []
        conds: CondSet = NO_CONDITIONS
        for lit, inner in pieces:
            parts.append(lit)
            value: Value | None
            if inner in variables:
                options = self.strings(variables[inner], depth + 1)
                if len(options) != 1:
                    return self._sub_alternatives(pieces, tail, variables, depth)
                value, vconds = options[0]
                conds = and_conditions(conds, vconds)
            else:
                known = self.pseudo.get(inner)
                if known is not None:
                    parts.append(known)
                    continue
                value = self.sub_variable(inner)
            if isinstance(value, Unresolved):
                return [(value, NO_CONDITIONS)]
            if value:
                parts.extend(value)
        parts.append(tail)
        return [(concat(parts), conds)]

    def _sub_alternatives(
        self, pieces: tuple[tuple[str, str], ...], tail: str, variables: Mapping[str, Any], depth: int
    ) -> list[Branch]:
        """`Fn::Sub` where a variable has several values (Fn::If, a List parameter): the cross product."""
        combos: list[tuple[list[Part], CondSet]] = [([], NO_CONDITIONS)]
        for lit, inner in pieces:
            if inner in variables:
                options: list[Branch] = self.strings(variables[inner], depth + 1)
            else:
                v = self.sub_variable(inner)
                options = [(v if v is not None else (), NO_CONDITIONS)]
            nxt: list[tuple[list[Part], CondSet]] = []
            for prefix, pconds in combos:
                for value, vconds in options:
                    if isinstance(value, Unresolved):
                        return [(value, NO_CONDITIONS)]
                    nxt.append(([*prefix, lit, *value], and_conditions(pconds, vconds)))
            if len(nxt) > MAX_BRANCHES:
                return [(Unresolved("too many alternatives"), NO_CONDITIONS)]
            combos = nxt
        return [(concat([*p, tail]), c) for p, c in combos]

    def _join(self, arg: Any, depth: int) -> list[Branch]:
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
            return [(Unresolved("Fn::Join needs [delimiter, list]"), NO_CONDITIONS)]
        delim, items = arg
        elements = self.strings(items, depth + 1) if isinstance(items, dict) else None
        if elements is not None:
            # a list-valued intrinsic (Fn::Split, a List parameter): join its items
            if any(isinstance(v, Unresolved) for v, _ in elements):
                return [next((v, c) for v, c in elements if isinstance(v, Unresolved))]
            if any(c for _, c in elements):
                return [(Unresolved("Fn::Join over a conditional list"), NO_CONDITIONS)]
            parts: list[Part] = []
            for i, (v, _) in enumerate(elements):
                if i:
                    parts.append(delim)
                parts.extend(v)  # type: ignore[arg-type]
            return [(concat(parts), NO_CONDITIONS)]
        if not isinstance(items, list):
            return [(Unresolved("Fn::Join needs [delimiter, list]"), NO_CONDITIONS)]
        combos: list[tuple[list[Part], CondSet]] = [([], NO_CONDITIONS)]
        for index, item in enumerate(items):
            options = (
                self.strings(item, depth + 1) if not isinstance(item, str) else [((item,), NO_CONDITIONS)]
            )
            nxt: list[tuple[list[Part], CondSet]] = []
            for parts, conds in combos:
                for value, vconds in options:
                    if isinstance(value, Unresolved):
                        return [(value, NO_CONDITIONS)]
                    sep = [delim] if index else []
                    nxt.append(([*parts, *sep, *value], and_conditions(conds, vconds)))
            if len(nxt) > MAX_BRANCHES:
                return [(Unresolved("too many alternatives"), NO_CONDITIONS)]
            combos = nxt
        return [(concat(parts), conds) for parts, conds in combos]

    def _select(self, arg: Any, depth: int) -> Value | None:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unresolved("Fn::Select needs [index, list]")
        index_value = arg[0] if isinstance(arg[0], int) else self.scalar(arg[0], depth + 1)
        if isinstance(index_value, tuple):
            text = literal(index_value)
            index_value = int(text) if text is not None and text.isdigit() else None
        if not isinstance(index_value, int) or isinstance(index_value, bool):
            return Unresolved("Fn::Select index unknown at transform time")
        items = self.strings(arg[1], depth + 1)
        if any(c for _, c in items):
            return Unresolved("Fn::Select over a conditional list")
        if not 0 <= index_value < len(items):
            return Unresolved(f"Fn::Select index {index_value} out of range")
        return items[index_value][0]

    def _find_in_map(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) in (3, 4)):
            return Unresolved("Fn::FindInMap needs [map, top key, second key]")
        keys: list[str] = []
        for part in arg[:3]:
            v = self.scalar(part, depth + 1)
            text = literal(v) if isinstance(v, tuple) else None
            if text is None:
                return Unresolved("Fn::FindInMap key unknown at transform time")
            keys.append(text)
        top = self.mappings.get(keys[0]) if isinstance(self.mappings, dict) else None
        second = top.get(keys[1]) if isinstance(top, dict) else None
        if not isinstance(second, dict) or keys[2] not in second:
            if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                return arg[3]["DefaultValue"]
            return Unresolved(f"Fn::FindInMap [{', '.join(keys)}] is not in Mappings")
        return second[keys[2]]


MAX_IF_DEPTH = 10


def if_branches(node: Any, conds: CondSet = NO_CONDITIONS, depth: int = 0) -> list[tuple[Any, CondSet]]:
    """Split a structure (a role, a policy, a statement) on Fn::If into (value or None for AWS::NoValue,
    conditions). Past MAX_IF_DEPTH the Fn::If is left whole, and its reader reports it as malformed."""
    if isinstance(node, dict) and len(node) == 1 and depth < MAX_IF_DEPTH:
        if node.get("Ref") == "AWS::NoValue":
            return [(None, conds)]
        arg = node.get("Fn::If")
        if isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
            return [
                *if_branches(arg[1], conds | {(arg[0], True)}, depth + 1),
                *if_branches(arg[2], conds | {(arg[0], False)}, depth + 1),
            ]
    return [(node, conds)]


def condition_of(resource: Any) -> CondSet:
    """The resource-level Condition of a resource, as a condition set."""
    if isinstance(resource, dict):
        name = resource.get("Condition")
        if isinstance(name, str) and name:
            return frozenset({(name, True)})
    return NO_CONDITIONS


def and_conditions(*sets: CondSet) -> CondSet:
    if not any(sets):  # the commonest case: no condition anywhere
        return NO_CONDITIONS
    nonempty = [s for s in sets if s]
    if len(nonempty) == 1:
        return nonempty[0]
    return frozenset().union(*nonempty)


def contradictory(conds: CondSet) -> bool:
    return any((name, not truth) in conds for name, truth in conds)
