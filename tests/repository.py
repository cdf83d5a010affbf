"""Where the tests find the repository's files, whatever folder of tests/ they sit in."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SAMPLES = REPO / "samples"
README = REPO / "README.md"
DATA = TESTS / "data"  # data files shared by the tests (schemas, golden hook responses)
