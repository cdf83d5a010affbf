"""The README documents what the code does: its table of finding codes is the code's table."""

from __future__ import annotations

from auto_invoke_permission.findings import CODES, FindingCode
from repository import README


def _row(code: FindingCode) -> str:
    c = CODES[code]
    blocks = "yes" if c.blocks_enforce else "no"
    return f"| {c.code} | {c.severity.value} | {blocks} | {c.title} | {c.explanation} | {c.fix} |"


def test_every_finding_code_is_documented_exactly() -> None:
    text = README.read_text()
    missing = [code for code in CODES if _row(code) not in text]
    assert missing == [], f"README rows out of date for {missing}"


def test_quick_start_has_the_two_commands() -> None:
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]
