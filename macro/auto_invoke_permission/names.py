"""Which functions of the template a name pattern matches: the one matcher behind AIP110's list and
`Wildcards: expand` (docs/design/behaviour.md section 4; README, "Decisions").

A function's physical name is its `FunctionName` (a literal, or symbolic: `${AWS::StackName}-Worker`),
or, without one, the name CloudFormation generates: `<stack name>-<logical ID>-<random suffix>`.
Symbolic parts become private-use characters (`Opaque`), each standing for a string the macro cannot
know: a token matches only itself or a `*`, and never a `?`, which stands for exactly one known
character. A match is *certain* when it holds whatever the unknown parts are (the only kind
`Wildcards: expand` acts on), and *possible* when some random suffix would make it hold.
CloudFormation's truncation of long generated names (Lambda's 64 characters) is not modelled
(undocumented): a certain match is certain for the untruncated name.
"""

from __future__ import annotations

from .conditions import NO_CONDITIONS, CondSet
from .records import Record
from .resolver import Sym, Token
from .template import TemplateIndex

STACK_NAME = Token("pseudo", "AWS::StackName")
# characters from here on stand for unknown text: tokens, and the random suffix of a generated name
UNKNOWN_FROM = 0xF0000
SUFFIX = chr(0x10FFFD)  # the last private-use character; tokens never reach it (Opaque.COUNT)


class Opaque:
    """Maps tokens to private-use characters so that symbolic names glob-match as text:
    a token matches only itself, or a `*`. The supplementary private-use planes hold 131,068
    characters, more distinct tokens than a 1 MB template can contain."""

    FIRST = UNKNOWN_FROM
    COUNT = 0x1FFFD  # F0000..10FFFC: SUFFIX stays apart

    def __init__(self) -> None:
        self.chars: dict[Token, str] = {}

    def text(self, sym: Sym) -> str:
        out = []
        for part in sym:
            if isinstance(part, Token):
                char = self.chars.get(part)
                if char is None:
                    char = self.chars[part] = chr(self.FIRST + len(self.chars) % self.COUNT)
                out.append(char)
            else:
                out.append(part)
        return "".join(out)


def _one_step(pattern: str, states: set[int], char: str) -> set[int]:
    """The pattern positions reached from `states` by reading `char` (`?`: one known character)."""
    out: set[int] = set()
    known = ord(char) < UNKNOWN_FROM
    for p in states:
        if p < len(pattern):
            c = pattern[p]
            if c == "*":
                out.add(p)
            elif c == char or (c == "?" and known):
                out.add(p + 1)
    return _after_stars(pattern, out)


def _after_stars(pattern: str, states: set[int]) -> set[int]:
    """`states` and every position reached by letting a `*` match nothing."""
    out = set(states)
    for start in states:
        p = start
        while p < len(pattern) and pattern[p] == "*":
            p += 1
            out.add(p)
    return out


def certain_match(pattern: str, text: str) -> bool:
    """Whether IAM's glob `pattern` matches `text` whatever its unknown characters stand for."""
    states = _after_stars(pattern, {0})
    for char in text:
        states = _one_step(pattern, states, char)
        if not states:
            return False
    return len(pattern) in states


def possible_suffix_match(pattern: str, prefix: str) -> bool:
    """Whether `pattern`, going on where `prefix` ends, matches `prefix` followed by some random suffix
    (one or more letters and digits, as CloudFormation writes them); the unknown characters of
    `prefix` still match only themselves or a `*`."""
    states = _after_stars(pattern, {0})
    for char in prefix:
        states = _one_step(pattern, states, char)
        if not states:
            return False
    # the pattern must go on right where the prefix ends (not inside a `*`, which would let `*Parser*`
    # "match" every generated name whose random suffix happened to spell Parser)
    return any(
        0 < p < len(pattern) and pattern[p - 1] != "*" and all(c in "*?" or c.isalnum() for c in pattern[p:])
        for p in states
    )


class NameMatch(Record):
    function: str
    conditions: CondSet  # under which the function has that name (an Fn::If in FunctionName)
    certain: bool


class Candidate(Record):
    function: str
    text: str  # the name, unknown parts as private-use characters; a generated name without SUFFIX
    conditions: CondSet
    generated: bool


class NameMatcher:
    """The names each function of the template can have, matched against patterns."""

    def __init__(self, index: TemplateIndex, opaque: Opaque) -> None:
        self.candidates: list[Candidate] = []
        for fid, fn in index.functions.items():
            explicit = fn.names[1:]  # the first is the function's own Ref token
            if explicit:
                for name, conds in explicit:
                    self.candidates.append(Candidate(fid, opaque.text(name), conds, False))
            elif "FunctionName" in fn.properties:  # a name the macro cannot read: any name
                self.candidates.append(Candidate(fid, opaque.text(fn.names[0][0]), NO_CONDITIONS, False))
            else:
                generated = opaque.text((STACK_NAME, f"-{fid}-"))
                self.candidates.append(Candidate(fid, generated, NO_CONDITIONS, True))

    def match(self, pattern: str) -> list[NameMatch]:
        """Every function whose name `pattern` can match, once per (function, conditions), by function."""
        out: dict[tuple[str, CondSet], NameMatch] = {}
        for cand in self.candidates:
            key = (cand.function, cand.conditions)
            known = out.get(key)
            if known is not None and known.certain:
                continue
            if cand.generated:
                certain = certain_match(pattern, cand.text + SUFFIX)
                if not certain and not possible_suffix_match(pattern, cand.text):
                    continue
            else:
                certain = certain_match(pattern, cand.text)
                if not certain:
                    continue
            out[key] = NameMatch(cand.function, cand.conditions, certain)
        return sorted(out.values(), key=lambda m: (m.function, sorted(m.conditions)))
