"""The fenced shell blocks of the README and docs/, with the markers written before them.

A block is ```bash, ```sh or ```console (in console blocks only the lines after `$ ` are
commands). An HTML comment on the line before the fence, blank lines allowed between, says what
the block needs or expects:

    <!-- needs: aws -->        real AWS credentials and resources: not run
    <!-- needs: network -->    a download (a release tag, a package index): not run
    <!-- needs: suite -->      `make test` itself: not run from inside the suite
    <!-- needs: minutes -->    a benchmark that takes minutes: run by `make bench`, not here
    <!-- exit: 1 -->           the commands end with this exit status (default 0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from repository import REPO

SHELL_LANGUAGES = frozenset({"bash", "sh", "console", "shell"})
NEEDS = frozenset({"aws", "network", "suite", "minutes"})
_FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*(needs|exit):\s*([\w-]+)\s*-->\s*$")


@dataclass(frozen=True)
class ShellBlock:
    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    text: str
    needs: str  # "" when the block runs offline
    exit_status: int

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    def script(self) -> str:
        """The commands as a shell runs them (console blocks: the `$ ` lines only)."""
        if self.language != "console":
            return self.text
        return "\n".join(line[2:] for line in self.text.splitlines() if line.startswith("$ "))


def documents() -> list[Path]:
    return [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").rglob("*.md"))]


def _markers(lines: list[str], fence_index: int) -> dict[str, str]:
    found: dict[str, str] = {}
    index = fence_index - 1
    while index >= 0 and (not lines[index].strip() or _MARKER.match(lines[index])):
        match = _MARKER.match(lines[index])
        if match:
            found.setdefault(match.group(1), match.group(2))
        index -= 1
    return found


def blocks_of(path: Path) -> list[ShellBlock]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[ShellBlock] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening or not opening.group(2):
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        language = opening.group(2)
        if language in SHELL_LANGUAGES:
            indent = len(opening.group(1))
            body = "\n".join(line[indent:] for line in lines[index + 1 : end])
            markers = _markers(lines, index)
            needs, exit_status = markers.get("needs", ""), int(markers.get("exit", "0"))
            found.append(ShellBlock(path, index + 1, language, body, needs, exit_status))
        index = end + 1
    return found


def all_blocks() -> list[ShellBlock]:
    return [block for path in documents() for block in blocks_of(path)]
