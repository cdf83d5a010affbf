"""Checks that change nothing (behaviour.md section 6): one module per check, each declaring its
`CHECK` (the codes it reports and its function); `REGISTERED` is the one list the core runs."""

from __future__ import annotations

from ..findings import Finding
from . import boundaries, environment
from .base import Check, Facts

REGISTERED: tuple[Check, ...] = (boundaries.CHECK, environment.CHECK)


def run_all(facts: Facts) -> list[Finding]:
    findings: list[Finding] = []
    for check in REGISTERED:
        findings.extend(check.run(facts))
    return findings


__all__ = ["REGISTERED", "Check", "Facts", "run_all"]
