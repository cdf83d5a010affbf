"""CloudFormation conditions: the condition sets the core carries, their algebra, the `Fn::If`
splitter and the condition expressions written into permissions.

A condition set is a conjunction of literals `(name, truth)`: every `Fn::If` branch, resource
`Condition` and alias a grant depends on. A permission's condition is a disjunction of such sets,
simplified, then written as `Condition`/`Fn::Not`/`Fn::And`/`Fn::Or`.

One rule for `Fn::If` everywhere (values, statements, documents, roles, policy lists): a condition
name that Conditions does not define is an `UndefinedCondition`, which its reader reports (AIP116);
nothing is built on it. When Conditions is not visible (`Fn::Transform` under Resources) every
name is taken as defined: the macro cannot know.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from .findings import FindingCode
from .records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeAlias

CondLit: TypeAlias = tuple[str, bool]
CondSet: TypeAlias = frozenset[CondLit]
NO_CONDITIONS: CondSet = frozenset()

MAX_IF_DEPTH = 10
MAX_CONDITION_OPERANDS = 10  # CloudFormation's limit for Fn::And and Fn::Or
MAX_CYCLE_DEPTH = 50


# ------------------------------------------------------------------ the algebra
def negated(lit: CondLit) -> CondLit:
    name, truth = lit
    return (name, not truth)


def and_conditions(*sets: CondSet) -> CondSet:
    if not any(sets):  # the commonest case: no condition anywhere
        return NO_CONDITIONS
    nonempty = [s for s in sets if s]
    if len(nonempty) == 1:
        return nonempty[0]
    return frozenset().union(*nonempty)


def contradictory(conds: CondSet) -> bool:
    """Whether a conjunction holds a literal and its negation: it can never be true."""
    return any((name, not truth) in conds for name, truth in conds)


def condition_of(resource: Any) -> CondSet:
    """The resource-level Condition of a resource, as a condition set."""
    if isinstance(resource, dict):
        name = resource.get("Condition")
        if isinstance(name, str) and name:
            return frozenset({(name, True)})
    return NO_CONDITIONS


def simplify(terms: Iterable[CondSet]) -> list[CondSet] | None:
    """Disjunction of conjunctions, minus contradictions, complementary pairs (`a AND C` or
    `a AND NOT C` is `a`) and absorbed terms.

    Returns None when no term can be true (the permission must not exist), and
    [frozenset()] when one term is always true.
    """
    pool = {t for t in terms if not contradictory(t)}
    merged = True
    while merged and len(pool) > 1:
        merged = False
        for term in sorted(pool, key=lambda t: (len(t), sorted(t))):
            for lit in sorted(term):
                rest = term - {lit}
                twin = rest | {negated(lit)}
                if twin in pool:
                    pool -= {term, twin}
                    pool.add(rest)
                    merged = True
                    break
            if merged:
                break
    live = sorted(pool, key=lambda t: (len(t), sorted(t)))
    kept: list[CondSet] = []
    for term in live:
        if not any(k <= term for k in kept):
            kept.append(term)
    return kept or None


# ------------------------------------------------------- condition expressions
def _literal(lit: CondLit) -> dict[str, Any]:
    name, truth = lit
    ref = {"Condition": name}
    return ref if truth else {"Fn::Not": [ref]}


def _combine(op: str, items: list[Any]) -> Any:
    if len(items) == 1:
        return items[0]
    if len(items) <= MAX_CONDITION_OPERANDS:
        return {op: items}
    chunks = [items[i : i + MAX_CONDITION_OPERANDS] for i in range(0, len(items), MAX_CONDITION_OPERANDS)]
    return _combine(op, [_combine(op, chunk) for chunk in chunks])


def condition_expression(common: CondSet, alternatives: list[CondSet]) -> Any | None:
    """`common AND (alt1 OR alt2 ...)` as a CloudFormation condition; None when always true."""
    rest = [t - common for t in alternatives]
    operands = [_literal(lit) for lit in sorted(common)]
    if rest and all(rest):
        ors = [_combine("Fn::And", [_literal(lit) for lit in sorted(t)]) for t in rest]
        import json  # here: only alternatives of several conditions are sorted (and `check` of YAML
        # never imports json otherwise)

        ors.sort(key=lambda x: json.dumps(x, sort_keys=True))
        operands.append(_combine("Fn::Or", ors))
    if not operands:
        return None
    if len(operands) == 1 and "Fn::Not" not in operands[0] and set(operands[0]) == {"Condition"}:
        return operands[0]
    if len(operands) == 1 and set(operands[0]) & {"Fn::Not", "Fn::Or", "Fn::And"}:
        return operands[0]
    return _combine("Fn::And", operands)


# ------------------------------------------------------------- decided values
# The value of a Fn::Equals operand as a string, or None when it cannot be known at transform time.
OperandValue: TypeAlias = Callable[["Any"], "str | None"]


def decide(definitions: Mapping[str, Any], operand: OperandValue) -> dict[str, bool]:
    """The conditions whose value the event's parameter values decide. Three-valued: `Fn::And` with
    one false operand is false, `Fn::Or` with one true operand is true, whatever the others are; a
    condition that cannot be decided is left out (the permission then carries it, as before)."""
    decision = _Decision(definitions, operand)
    decided = {name: decision.named(name, 0) for name in definitions}
    return {name: truth for name, truth in decided.items() if truth is not None}


class _Decision:
    """The state of one `decide` call. Methods, not nested closures: two closures that call each
    other form a reference cycle, which would keep the whole template alive after the call until a
    full collection (and the handler pauses the collector)."""

    __slots__ = ("definitions", "memo", "operand")

    def __init__(self, definitions: Mapping[str, Any], operand: OperandValue) -> None:
        self.definitions = definitions
        self.operand = operand
        self.memo: dict[str, bool | None] = {}

    def named(self, name: str, depth: int) -> bool | None:
        memo = self.memo
        if name not in memo:
            memo[name] = None  # a cycle (rejected earlier anyway) stays undecided
            memo[name] = self.value(self.definitions[name], depth + 1) if name in self.definitions else None
        return memo[name]

    def value(self, node: Any, depth: int) -> bool | None:
        if depth > MAX_CYCLE_DEPTH or not (isinstance(node, dict) and len(node) == 1):
            return None
        key, arg = next(iter(node.items()))
        if key == "Condition":
            return self.named(arg, depth) if isinstance(arg, str) else None
        if not isinstance(arg, list):
            return None
        if key == "Fn::Equals":
            return self.equals(arg)
        combine = _COMBINE.get(key)
        return None if combine is None else combine([self.value(item, depth + 1) for item in arg])

    def equals(self, arg: list[Any]) -> bool | None:
        if len(arg) != 2:
            return None
        left, right = self.operand(arg[0]), self.operand(arg[1])
        return None if left is None or right is None else left == right


def _not(operands: list[bool | None]) -> bool | None:
    return None if len(operands) != 1 or operands[0] is None else not operands[0]


def _and(operands: list[bool | None]) -> bool | None:
    return False if False in operands else (True if None not in operands else None)


def _or(operands: list[bool | None]) -> bool | None:
    return True if True in operands else (False if None not in operands else None)


# Three-valued Fn::Not / Fn::And / Fn::Or over their operands' values (None: cannot know)
_COMBINE: dict[str, Callable[[list[bool | None]], bool | None]] = {
    "Fn::Not": _not,
    "Fn::And": _and,
    "Fn::Or": _or,
}


class Conditions(Mapping[str, "Any"]):
    """The template's Conditions (name -> definition, as written) with the values that the event's
    parameter values decide. Readers split `Fn::If` and resources on it: a branch or resource whose
    condition is decided false is not read at all. Only the reading for this deploy's findings
    decides; the permissions come from a reading that decides nothing (core._for_every_value)."""

    __slots__ = ("_definitions", "decided")

    def __init__(self, definitions: Mapping[str, Any], decided: Mapping[str, bool]) -> None:
        self._definitions = definitions
        self.decided = decided

    def __getitem__(self, name: str) -> Any:
        return self._definitions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._definitions)

    def __len__(self) -> int:
        return len(self._definitions)


def decided_false(conds: CondSet, conditions: Mapping[str, Any] | None) -> bool:
    """Whether a condition set can never hold with this deploy's parameter values."""
    if not conds or not isinstance(conditions, Conditions) or not conditions.decided:
        return False
    decided = conditions.decided
    return any(decided.get(name, truth) != truth for name, truth in conds)


# ------------------------------------------------------------------ Fn::If
class UndefinedCondition(Record):
    """An `Fn::If` naming a condition that Conditions does not define: cannot know, never a branch."""

    name: str
    code: FindingCode = "AIP116"

    @property
    def reason(self) -> str:
        return f"Fn::If names condition {self.name}, which Conditions does not define"


def undefined(name: str, conditions: Mapping[str, Any] | None) -> UndefinedCondition | None:
    """The one rule: a name is undefined when Conditions is visible and does not hold it."""
    if conditions is not None and name not in conditions:
        return UndefinedCondition(name)
    return None


def if_branches(
    node: Any, conditions: Mapping[str, Any] | None, conds: CondSet = NO_CONDITIONS, depth: int = 0
) -> list[tuple[Any, CondSet]]:
    """Split a structure (a role, a policy, a statement) on Fn::If into (value, conditions): None for
    AWS::NoValue, an `UndefinedCondition` where an Fn::If names a condition that is not defined.
    Past MAX_IF_DEPTH the Fn::If is left whole, and its reader reports it as malformed."""
    if isinstance(node, dict) and len(node) == 1 and depth < MAX_IF_DEPTH:
        if node.get("Ref") == "AWS::NoValue":
            return [(None, conds)]
        arg = node.get("Fn::If")
        if isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
            name = arg[0]
            missing = undefined(name, conditions)
            if missing is not None:
                return [(missing, conds)]
            out = []
            for side, truth in ((arg[1], True), (arg[2], False)):
                if not decided_false(frozenset({(name, truth)}), conditions):
                    out.extend(if_branches(side, conditions, conds | {(name, truth)}, depth + 1))
            return out
    return [(node, conds)]


# ------------------------------------------------------------------ cycles
def referenced_conditions(definition: Any) -> set[str]:
    """The condition names a definition refers to through `{"Condition": name}`, at any depth."""
    found: set[str] = set()
    stack: list[tuple[Any, int]] = [(definition, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_CYCLE_DEPTH:
            continue
        if isinstance(node, dict):
            if isinstance(node.get("Condition"), str) and len(node) == 1:
                found.add(node["Condition"])
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return found


def condition_cycles(conditions: Mapping[str, Any]) -> list[str]:
    """Conditions that refer to themselves through `{"Condition": name}` (CloudFormation rejects them,
    and the macro would otherwise build permissions on them)."""
    refs = {
        name: referenced_conditions(definition) & set(conditions) for name, definition in conditions.items()
    }
    problems = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in sorted(refs):
        path: list[str] = []
        todo: list[tuple[str, bool]] = [(start, True)]
        while todo:
            name, entering = todo.pop()
            if not entering:
                state[name] = 2
                path.pop()
                continue
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                cycle = [*path[path.index(name) :], name]
                problems.append(f"Conditions form a cycle: {' -> '.join(cycle)}")
                continue
            state[name] = 1
            path.append(name)
            todo.append((name, False))
            todo.extend((ref, True) for ref in sorted(refs[name], reverse=True))
    return problems
