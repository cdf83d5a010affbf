"""`Memo`: a dict that computes the value of a key it lacks, and keeps it.

For answers asked for over and over in a call (an action's verdict, a function's target, a parsed
`Fn::Sub` text): once a key is known, its answer is a subscript, not a Python call (`make bench`
(a)). `compute` must not hold the object that holds the memo (a bound method of it would make a
reference cycle: the whole template kept until a full collection).
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    K = TypeVar("K")
    V = TypeVar("V")
else:
    K = V = object  # never read at run time: the Lambda path does not import `typing`


class Memo(dict[K, V]):
    """`memo[key]`: `compute(key)` the first time, the kept value after. With a `bound`, at most that
    many values are kept; the others are computed each time (templates are hostile input too)."""

    __slots__ = ("bound", "compute")

    def __init__(self, compute: Callable[[K], V], bound: int | None = None) -> None:
        super().__init__()
        self.compute = compute
        self.bound = bound

    def __missing__(self, key: K) -> V:
        value = self.compute(key)
        if self.bound is None or len(self) < self.bound:
            self[key] = value
        return value
