"""Where something is in a template: a path of keys and indexes, as data.

A `TemplatePath` is a tuple of mapping keys (`str`) and list indexes (`int`), built with `/`
(`TemplatePath.of("Fn", "Properties") / "Policies" / 0`). It is rendered once, by `str`, for
messages, reports and SARIF: `Fn.Properties.Policies[0].Statement[1].Resource`. Look-ups (a line
in the source, a node of the template) follow its parts with `steps`; they never parse the text.

Finding paths start at the logical ID the finding is about (`Fn....`), or at a top-level key
(`Metadata.AutoInvokePermission.Mode`). `parse` reads a rendered path back: only for paths that
arrive as text (a report written before, a finding whose builder still renders its own text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PathPart = str | int

# compiled on first use (`re` caches it): compiling at import slowed the cold start, `make bench` (d)
_RENDERED_PART = r"([^.\[\]]+)|\[(\d+)\]"


# `[0]`, `[1]`...: the commonest list indexes of a rendered path, formatted once (formatting an int
# costs more than the rest of rendering a part)
_INDEXES = tuple(f"[{i}]" for i in range(16))


def indexed(text: str, index: int) -> str:
    """`text[index]`: a rendered path followed by a list index (`Statement` and 1: `Statement[1]`)."""
    return text + _INDEXES[index] if 0 <= index < 16 else f"{text}[{index}]"


class TemplatePath(tuple[PathPart, ...]):
    """Keys and indexes from a logical ID (or a top-level key) down; immutable, hashable."""

    __slots__ = ()

    @classmethod
    def of(cls, *parts: PathPart) -> TemplatePath:
        return cls(parts)

    @classmethod
    def parse(cls, text: str) -> TemplatePath:
        """`Fn.Properties.Policies[0]` -> ("Fn", "Properties", "Policies", 0): the one reading of a
        rendered path."""
        parts = re.finditer(_RENDERED_PART, text)
        return cls(m.group(1) if m.group(1) is not None else int(m.group(2)) for m in parts)

    def __truediv__(self, part: PathPart) -> TemplatePath:
        # concatenation, not `(*self, part)`: unpacking a tuple subclass goes through a list
        return TemplatePath(self + (part,))  # noqa: RUF005

    def __str__(self) -> str:
        # one f-string per part: a new string each time costs less than `+=` on the one before
        text = ""
        for part in self:
            if isinstance(part, str):  # keys first: most parts are
                text = f"{text}.{part}" if text else f"{part}"
                continue
            text = indexed(text, part)
        return text

    @property
    def resource(self) -> str:
        """The first part: the logical ID the path starts at ("" for an empty path)."""
        return str(self[0]) if self else ""

    def steps(self, root: Any) -> Iterator[tuple[Any, PathPart, Any]]:
        """(parent, part, child) for each part the nodes under `root` have, in order; stops at the
        first part that is not there (a missing key, an index past the end, a scalar)."""
        node = root
        for part in self:
            if isinstance(part, int):
                if not (isinstance(node, list) and part < len(node)):
                    return
            elif not (isinstance(node, Mapping) and part in node):
                return
            child = node[part]
            yield node, part, child
            node = child
