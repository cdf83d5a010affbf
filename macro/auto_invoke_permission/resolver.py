"""Symbolic resolution of CloudFormation intrinsic functions.

A value that cannot be known at transform time stays a `Token` (a `Ref` to a
resource, an attribute, `AWS::StackName`, a parameter without a value); we
never invent a value. `Fn::If` yields one branch per side, each carrying the
condition literals it sits under. Anything else that cannot be resolved is an
`Unresolved` with the reason and its finding code: "cannot know" is a result, never an
exception and never a guess. Callers turn it into a finding.

`INTRINSIC_FUNCTIONS` is the one table from intrinsic name to the function that resolves it
(the shape of cfn-lint's `fn_resolvers`); `strings` and `scalar` only dispatch through it.

Every function here is bounded: nesting deeper than `MAX_DEPTH`, more than
`MAX_BRANCHES` combinations or more than `MAX_STEPS` nodes visited for one value
end in `Unresolved`, never in RecursionError or exponential time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .conditions import NO_CONDITIONS, Conditions, CondSet, and_conditions, decide, decided_false, undefined
from .memo import Memo
from .records import EMPTY_MAPPING, Record
from .template_inputs import is_list_parameter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeAlias

    from .findings import FindingCode

MAX_DEPTH = 40
MAX_BRANCHES = 64
MAX_STEPS = 4000  # nodes visited for one top-level value: bounds work on hostile shapes


class Token(Record):
    """An opaque part of a string: `ref` (resource or NoEcho parameter), `getatt`, `pseudo`, or
    `param` (a parameter without a value: the same symbol on both sides of a match is the same value,
    anything else about it is unknown, AIP115)."""

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

    def __init__(self, reason: str, code: FindingCode = "AIP116") -> None:
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

# `Fn::Sub` text read: its (literal, variable) pieces and its tail; None when a `${` is unterminated
ParsedSub: TypeAlias = "tuple[tuple[tuple[str, str], ...], str] | None"


def _parse_sub(text: str, pseudo: Mapping[str, str] = EMPTY_MAPPING) -> ParsedSub:
    """`Fn::Sub` text as (literal, variable) pieces and a tail; None when a `${` is unterminated.
    A variable runs from a `${` to the first `}` after it (read with `str.split` and
    `str.partition`: a regular expression cost half as much again). `pseudo`: pseudo parameters and
    their values, written into the literal text (what every Sub of a deploy substitutes alike), so
    that no piece is left for them."""
    chunks = iter(text.split("${"))  # the text before the first `${`, then what follows each one
    pending = next(chunks)  # literal text not yet in a piece
    pieces = []
    for chunk in chunks:
        name, close, lit = chunk.partition("}")
        while not close:  # the variable runs past the next `${` (`${a${b}`: the variable `a${b`)
            following = next(chunks, None)
            if following is None:
                return None  # no `}` ends it
            name, close, lit = (name + "${" + following).partition("}")  # `name`: all of it, so far
        known = pseudo.get(name)
        if known is None:
            pieces.append((pending, name))
            pending = lit
        else:
            pending += known + lit
    return tuple(pieces), pending


def sym_text(sym: Sym) -> str:
    """Readable form of a symbolic string, as Fn::Sub would write it."""
    return "".join(str(p) for p in sym)


def unknown_parameter(sym: Sym) -> Unresolved | None:
    """Why a symbolic string cannot be read beyond an exact match: a parameter without a value in it."""
    for part in sym:
        if isinstance(part, Token) and part.kind == "param":
            return Unresolved(f"parameter {part.name} has no value", "AIP115")
    return None


def single_token(sym: Sym) -> Token | None:
    """The token a symbolic string is, when it is nothing else (`Ref X`, `GetAtt X.Attr`)."""
    return sym[0] if len(sym) == 1 and isinstance(sym[0], Token) else None


def concat(parts: list[Part] | Sym) -> Sym:
    """The symbolic string of `parts`: adjacent literals merged, no empty literal."""
    out: list[Part] = []
    text = _extend(out, "", parts)
    if text:
        out.append(text)
    return tuple(out)


def _extend(out: list[Part], text: str, parts: list[Part] | Sym) -> str:
    """Add `parts` to the symbolic string being built in `out`, whose literal text not yet added is
    `text`: tokens go to `out`, literals join the pending text. Returns the literal text still
    pending (Fn::Sub builds its string with this, one value at a time)."""
    for part in parts:
        if isinstance(part, str):
            text += part
            continue
        if text:
            out.append(text)
            text = ""
        out.append(part)
    return text


def literal(sym: Sym) -> str | None:
    """The text of a symbolic string without tokens, else None."""
    if not sym:
        return ""
    if len(sym) == 1 and isinstance(sym[0], str):
        return sym[0]
    return None


DYNAMIC_REFERENCE = "{{resolve:"


def is_secret(decl: Any) -> bool:
    """A NoEcho parameter: its value never reaches a message, a report or a comparison."""
    return isinstance(decl, dict) and str(decl.get("NoEcho", "")).lower() == "true"


def known_value(decl: Any, value: Any) -> bool:
    """Whether the macro can know a parameter's value at transform time. Not for a NoEcho parameter,
    an `AWS::SSM::Parameter::Value<...>` type (the event carries the SSM key, not the value), or a
    value holding a dynamic reference (`{{resolve:...}}`, which CloudFormation resolves only when
    the change set executes)."""
    if is_secret(decl):
        return False
    ptype = decl.get("Type", "String") if isinstance(decl, dict) else "String"
    if isinstance(ptype, str) and ptype.startswith("AWS::SSM::Parameter::Value"):
        return False
    items = value if isinstance(value, list) else [value]
    return not any(isinstance(item, str) and DYNAMIC_REFERENCE in item for item in items)


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
        decide_conditions: bool = True,
        implicit: frozenset[str] = frozenset(),
        known_values: Mapping[str, Any] | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.parameter_values = parameter_values  # as the event gives them (SAM reads some itself)
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
        # the `Fn::Sub` texts of this template read, the pseudo parameters written in: each parsed once
        # (SAM's LambdaInvokePolicy writes the same text for every function); `pseudo`, not `self`:
        # the memo holds no reference back to the resolver
        pseudo = self.pseudo
        self._subs: Memo[str, ParsedSub] = Memo(lambda text: _parse_sub(text, pseudo))
        # resources SAM generates later (transform listed before SAM): `<Function>Role`, aliases
        self.implicit = implicit
        self._steps = 0
        # the parameter values the macro can know (`known_value`): of `known_values` when given
        # (the others are symbols, and what is built holds for any value of them), else the event's
        self.values: dict[str, Any] = {}
        self.read_a_value = False  # whether anything read so far used one of `values`
        # the parameters anything read so far asked for, known or not: a reading that asked for none
        # of the known ones reads alike with any parameter values (core._for_every_value)
        self.asked: set[str] = set()
        # NoEcho parameters stay symbolic: their values must never reach a message or the report
        self.secret: set[str] = {name for name, decl in parameters.items() if is_secret(decl)}
        readable = parameter_values if known_values is None else known_values
        for name, decl in parameters.items():
            if name in readable and known_value(decl, readable[name]):
                self.values[name] = readable[name]
        # decided last: Fn::Equals reads the parameters and pseudo parameters set above
        if conditions is not None and decide_conditions:
            self.conditions = Conditions(conditions, decide(conditions, self._operand_text))

    def decided(self, definitions: Mapping[str, Any]) -> dict[str, bool]:
        """The conditions among `definitions` that this run's parameter values decide, asked even when
        the run leaves them undecided (`explain` says which grant a false condition removes)."""
        return decide(definitions, self._operand_text)

    def _operand_text(self, node: Any) -> str | None:
        """An `Fn::Equals` operand as a string, or None when it cannot be known at transform time.
        A scalar compares as its string form (docs/design/conditions.md): `-1` as "-1", `true` as
        "true"; a number with a fraction is not guessed."""
        if isinstance(node, str):
            return node
        if isinstance(node, bool):
            return "true" if node else "false"
        if isinstance(node, int):
            return str(node)
        ref = node.get("Ref") if isinstance(node, dict) and len(node) == 1 else None
        if isinstance(ref, str) and self.parameter_list(ref) is not None:
            return None  # a list compared with a string: not guessed
        value = self.scalar(node)
        return literal(value) if isinstance(value, tuple) else None

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
        if name in self.parameters:
            self.asked.add(name)
            if name not in self.values:
                return (Token("param", name),)
            self.read_a_value = True
            v = self.values[name]
            text = ",".join(str(x) for x in v) if isinstance(v, list) else str(v)
            return (text,) if text else ()  # a Sym holds no empty literal: "" is the empty Sym
        if name in self.resources or name in self.implicit or "." in name:
            # `Ref F.Alias` is SAM's syntax for the AutoPublishAlias of F
            return (Token("ref", name),)
        return Unresolved(f"Ref to {name}, which is neither a parameter nor a resource")

    def parameter_list(self, name: str) -> list[str] | None:
        if name in self.parameters:
            self.asked.add(name)
        v = self.values.get(name)
        if v is not None:
            self.read_a_value = True
        if isinstance(v, list):
            return [str(x) for x in v]
        if isinstance(v, str) and is_list_parameter(self.parameters.get(name)):
            return [x.strip() for x in v.split(",")]
        return None

    # ------------------------------------------------------------ entry points
    def strings(self, node: Any, depth: int = 0) -> list[Branch]:
        """Every string a node can stand for (lists are flattened), with the conditions of each."""
        if isinstance(node, str):  # the commonest case first
            return [((node,) if node else (), NO_CONDITIONS)]
        if not depth:  # a top-level value: its first step, within the bounds
            self._steps = 1
        else:
            self._steps += 1
            if depth > MAX_DEPTH or self._steps > MAX_STEPS:
                reason = "nested too deep" if depth > MAX_DEPTH else "too complex"
                return [(Unresolved(reason), NO_CONDITIONS)]
        if isinstance(node, dict):  # an intrinsic, before a list: the commoner of the two
            if len(node) == 1:
                key = next(iter(node))
                function = INTRINSIC_FUNCTIONS.get(key)
                if function is not None:
                    return function(self, node[key], depth, False)
                if key.startswith("Fn::"):
                    return [(Unresolved(f"unknown intrinsic function {key}"), NO_CONDITIONS)]
        elif isinstance(node, list):
            return self._items(node, depth)
        return [(_not_a_string(node), NO_CONDITIONS)]

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
        function = INTRINSIC_FUNCTIONS.get(key)
        if function is None:
            return Unresolved(f"unknown intrinsic function {key}")
        branches = function(self, arg, depth, True)
        if len(branches) == 1 and not branches[0][1]:
            return branches[0][0]
        if not branches:
            return None  # nothing at all: AWS::NoValue (on every branch)
        return Unresolved(f"{key} with conditional parts")

    def _items(self, node: list[Any], depth: int) -> list[Branch]:
        out: list[Branch] = []
        for item in node:
            out.extend(self.strings(item, depth + 1))
            if len(out) > MAX_BRANCHES:
                return [(Unresolved("too many alternatives"), NO_CONDITIONS)]
        return out

    # ------------------------------------------------------------ intrinsics
    # Each takes the intrinsic's argument, the depth, and `one`: whether the caller wants the node as
    # one string (a scalar property) rather than every string it stands for (a list is flattened).
    # Each returns (value, conditions) branches; a value that cannot be known is an `Unresolved`.

    def _ref(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        if not one and isinstance(arg, str) and arg in self.parameters:
            items = self.parameter_list(arg)  # a List parameter: its items
            if items is not None:
                return [((s,) if s else (), NO_CONDITIONS) for s in items]
        v = self.ref(arg)
        return [] if v is None else [(v, NO_CONDITIONS)]

    def _getatt(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        if isinstance(arg, str) and "." in arg:
            name, attr = arg.split(".", 1)
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], str):
            name, attr = arg
        else:
            return [(Unresolved("Fn::GetAtt needs [resource, attribute]"), NO_CONDITIONS)]
        if name not in self.resources and name not in self.implicit:
            return [
                (Unresolved(f"Fn::GetAtt of {name}, which is not a resource of the template"), NO_CONDITIONS)
            ]
        return [((Token("getatt", name, attr),), NO_CONDITIONS)]

    def _if(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            return [(Unresolved("Fn::If needs [condition, then, else]"), NO_CONDITIONS)]
        name = arg[0]
        missing = undefined(name, self.conditions)
        if missing is not None:
            return [(Unresolved(missing.reason, missing.code), NO_CONDITIONS)]
        out: list[Branch] = []
        for side, truth in ((arg[1], True), (arg[2], False)):
            lit = frozenset({(name, truth)})
            if decided_false(lit, self.conditions):
                continue  # the branch CloudFormation does not take with these parameter values
            for value, conds in self.strings(side, depth + 1):
                if (name, not truth) in conds:
                    continue  # contradictory branch: never taken
                out.append((value, and_conditions(conds, lit)))
        return out

    def _split(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        if one:
            return [(Unresolved("Fn::Split cannot be resolved at transform time"), NO_CONDITIONS)]
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

    def _import_value(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        return [(Unresolved("Fn::ImportValue cannot be resolved by a macro", "AIP114"), NO_CONDITIONS)]

    def sub_variable(self, name: str) -> Value | None:
        if name.startswith("!"):
            return ("${" + name[1:] + "}",)
        name = name.strip()
        if "." in name and not name.startswith("AWS::"):
            res, attr = name.split(".", 1)
            if res in self.resources or res in self.implicit:
                return (Token("getatt", res, attr),)
        return self.ref(name)

    def _sub(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        variables: Mapping[str, Any]
        if isinstance(arg, str):
            text, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
            text, variables = arg[0], arg[1]
        else:
            return [(Unresolved("Fn::Sub needs a string or [string, variables]"), NO_CONDITIONS)]
        # the pseudo parameters substituted with the text, unless a variable of the same name hides one
        if not variables or variables.keys().isdisjoint(self.pseudo):
            parsed = self._subs[text]
        else:
            parsed = _parse_sub(text)
        if parsed is None:
            return [(Unresolved("Fn::Sub with an unterminated ${"), NO_CONDITIONS)]
        pieces, tail = parsed
        # the common case, one value per variable, builds one string as `concat` would: `text` is
        # the literal text not yet added to `out`
        out: list[Part] = []
        text = ""
        conds: CondSet = NO_CONDITIONS
        for lit, inner in pieces:
            text += lit
            value: Value | None
            if inner in variables:
                options = self.strings(variables[inner], depth + 1)
                if len(options) != 1:
                    return self._sub_alternatives(pieces, tail, variables, depth)
                value, vconds = options[0]
                if vconds:
                    conds = and_conditions(conds, vconds)
            else:
                value = self.sub_variable(inner)
            if isinstance(value, Unresolved):
                return [(value, NO_CONDITIONS)]
            if value:
                text = _extend(out, text, value)
        text += tail
        if text:
            out.append(text)
        return [(tuple(out), conds)]

    def _sub_alternatives(
        self, pieces: tuple[tuple[str, str], ...], tail: str, variables: Mapping[str, Any], depth: int
    ) -> list[Branch]:
        """`Fn::Sub` where a variable has several values (Fn::If, a List parameter): the cross product."""
        combos: list[Combo] = [([], NO_CONDITIONS)]
        for lit, inner in pieces:
            if inner in variables:
                options: list[Branch] = self.strings(variables[inner], depth + 1)
            else:
                v = self.sub_variable(inner)
                options = [(v if v is not None else (), NO_CONDITIONS)]
            extended = _cross(combos, [lit], options)
            if isinstance(extended, Unresolved):
                return [(extended, NO_CONDITIONS)]
            combos = extended
        return [(concat([*p, tail]), c) for p, c in combos]

    def _join(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
            return [(Unresolved("Fn::Join needs [delimiter, list]"), NO_CONDITIONS)]
        delim, items = arg
        if isinstance(items, dict):  # a list-valued intrinsic (Fn::Split, a List parameter)
            return self._join_list_value(delim, self.strings(items, depth + 1))
        if not isinstance(items, list):
            return [(Unresolved("Fn::Join needs [delimiter, list]"), NO_CONDITIONS)]
        combos: list[Combo] = [([], NO_CONDITIONS)]
        for index, item in enumerate(items):
            options: list[Branch] = (
                self.strings(item, depth + 1) if not isinstance(item, str) else [((item,), NO_CONDITIONS)]
            )
            extended = _cross(combos, [delim] if index else [], options)
            if isinstance(extended, Unresolved):
                return [(extended, NO_CONDITIONS)]
            combos = extended
        return [(concat(parts), conds) for parts, conds in combos]

    @staticmethod
    def _join_list_value(delim: str, elements: list[Branch]) -> list[Branch]:
        """`Fn::Join` over the items of a list-valued intrinsic: one string, or why not."""
        parts: list[Part] = []
        for i, (v, c) in enumerate(elements):
            if isinstance(v, Unresolved):
                return [(v, c)]
            if i:
                parts.append(delim)
            parts.extend(v)
        if any(c for _, c in elements):
            return [(Unresolved("Fn::Join over a conditional list"), NO_CONDITIONS)]
        return [(concat(parts), NO_CONDITIONS)]

    def _select(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        if not (isinstance(arg, list) and len(arg) == 2):
            return [(Unresolved("Fn::Select needs [index, list]"), NO_CONDITIONS)]
        index_value = arg[0] if isinstance(arg[0], int) else self.scalar(arg[0], depth + 1)
        if isinstance(index_value, tuple):
            text = literal(index_value)
            index_value = int(text) if text is not None and text.isdigit() else None
        if not isinstance(index_value, int) or isinstance(index_value, bool):
            return [(Unresolved("Fn::Select index unknown at transform time"), NO_CONDITIONS)]
        items = self.strings(arg[1], depth + 1)
        if any(c for _, c in items):
            return [(Unresolved("Fn::Select over a conditional list"), NO_CONDITIONS)]
        if not 0 <= index_value < len(items):
            return [(Unresolved(f"Fn::Select index {index_value} out of range"), NO_CONDITIONS)]
        return [(items[index_value][0], NO_CONDITIONS)]

    def _find_in_map(self, arg: Any, depth: int, one: bool) -> list[Branch]:
        found = self._map_value(arg, depth)
        if isinstance(found, Unresolved):
            return [(found, NO_CONDITIONS)]
        if one:
            value = self.scalar(found, depth + 1)
            return [] if value is None else [(value, NO_CONDITIONS)]
        return self.strings(found, depth + 1)

    def _map_value(self, arg: Any, depth: int) -> Any:
        """The Mappings entry an `Fn::FindInMap` names (its DefaultValue when absent), as it is."""
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


# a partial cross product of Fn::Sub or Fn::Join: the parts so far, and their conditions
Combo: TypeAlias = tuple[list[Part], CondSet]


def _cross(combos: list[Combo], glue: list[Part], options: list[Branch]) -> list[Combo] | Unresolved:
    """Each combination followed by `glue` and each option: the first Unresolved option, or too many."""
    extended: list[Combo] = []
    for parts, conds in combos:
        for value, vconds in options:
            if isinstance(value, Unresolved):
                return value
            extended.append(([*parts, *glue, *value], and_conditions(conds, vconds)))
    if len(extended) > MAX_BRANCHES:
        return Unresolved("too many alternatives")
    return extended


def _not_a_string(node: Any) -> Unresolved:
    if isinstance(node, bool | int | float):
        return Unresolved(f"{node!r} is not a string")
    if node is None:
        return Unresolved("empty value")
    return Unresolved("a mapping where a string is expected")


def _cannot_resolve(name: str) -> Intrinsic:
    """An intrinsic the macro knows but cannot evaluate at transform time."""
    unknown: list[Branch] = [(Unresolved(f"{name} cannot be resolved at transform time"), NO_CONDITIONS)]

    def resolve(resolver: Resolver, arg: Any, depth: int, one: bool) -> list[Branch]:
        return list(unknown)

    return resolve


Intrinsic: TypeAlias = Callable[[Resolver, "Any", int, bool], list[Branch]]

# Every intrinsic function CloudFormation defines (and `Condition`), each with the one function that
# resolves it; a name not in the table is an unknown intrinsic.
INTRINSIC_FUNCTIONS: dict[str, Intrinsic] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._getatt,
    "Fn::If": Resolver._if,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::ImportValue": Resolver._import_value,
    **{
        name: _cannot_resolve(name)
        for name in (
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
        )
    },
}
