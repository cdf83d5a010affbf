"""`Memo`: a dict that computes a missing key's value once, and keeps at most `bound` of them."""

from __future__ import annotations

from auto_invoke_permission.memo import Memo


def test_a_value_is_computed_once_and_kept() -> None:
    asked: list[str] = []

    def length(key: str) -> int:
        asked.append(key)
        return len(key)

    memo: Memo[str, int] = Memo(length)
    assert [memo["ab"], memo["ab"], memo["abc"]] == [2, 2, 3]
    assert asked == ["ab", "abc"]
    assert memo == {"ab": 2, "abc": 3}


def test_past_its_bound_a_memo_computes_without_keeping() -> None:
    memo: Memo[int, int] = Memo(lambda key: key * 2, bound=2)
    assert [memo[1], memo[2], memo[3], memo[3]] == [2, 4, 6, 6]
    assert memo == {1: 2, 2: 4}
