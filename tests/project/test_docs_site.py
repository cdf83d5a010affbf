"""The README and the docs site: short README, generated findings page, complete nav, no dead
citations of the design record, no internal words."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml
from auto_invoke_permission.findings import CODES
from repository import REPO

DOCS = REPO / "docs"
README = REPO / "README.md"
# docs/gen_findings.py is a script, not a module of a package: load it from its file.
_SPEC = importlib.util.spec_from_file_location("gen_findings", DOCS / "gen_findings.py")
assert _SPEC is not None and _SPEC.loader is not None
gen_findings = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(gen_findings)

# Written by the performance work, which rewrites it; checked here once that lands.
PAGES_CHECKED_ELSEWHERE = {DOCS / "performance.md"}
INTERNAL_WORDS = re.compile(r"the contract|issue \d+|\.\./shared|perfcheck|/work/", re.IGNORECASE)
CITATION = re.compile(
    r"docs/design/(?P<file>[\w.-]+\.md)`?,?\s*(?:sections?|§)?\s*"
    r"(?P<numbers>\d+(?:\.\d+)?(?:(?:\s*,\s*|\s+and\s+(?:§\s*)?|\s*§\s*)\d+(?:\.\d+)?)*)?"
)


def markdown_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in nav_pages(value)]
    return []


def section_numbers(page: Path) -> set[str]:
    headings = re.findall(r"^#{2,3} (\d+(?:\.\d+)?)[.\s]", page.read_text(encoding="utf-8"), re.MULTILINE)
    return set(headings)


def test_readme_is_short_and_says_what_it_fixes() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert "Principal: lambda.amazonaws.com" in text and "SourceArn" in text
    assert "Transform: [AutoInvokePermission" in text
    assert "CAPABILITY_AUTO_EXPAND" in text


def test_contributors_quick_start_has_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start (contributors)", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]


def test_findings_reference_is_generated_from_codes() -> None:
    page = gen_findings.PAGE.read_text(encoding="utf-8")
    assert page == gen_findings.render(), "run: python docs/gen_findings.py"
    for code in CODES.values():
        assert f"## {code.code}: {code.title} {{#{code.code.lower()}}}" in page
        assert code.explanation in page and code.fix in page


def test_generator_check_mode_fails_on_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "findings.md"
    stale.write_text(gen_findings.render().replace("AIP101", "AIP1O1", 1), encoding="utf-8")
    monkeypatch.setattr(gen_findings, "PAGE", stale)
    assert gen_findings.main(["--check"]) == 1
    assert gen_findings.main([]) == 0
    assert gen_findings.main(["--check"]) == 0


def test_every_page_is_in_the_nav() -> None:
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    in_nav = set(nav_pages(config["nav"]))
    on_disk = {page.relative_to(DOCS).as_posix() for page in markdown_pages()}
    assert on_disk == in_nav


@pytest.mark.parametrize("page", [README, REPO / "CONTRIBUTING.md", *markdown_pages()], ids=lambda p: p.name)
def test_no_internal_words(page: Path) -> None:
    if page in PAGES_CHECKED_ELSEWHERE:
        pytest.skip("checked with the performance work")
    assert INTERNAL_WORDS.findall(page.read_text(encoding="utf-8")) == []


def cited_sections() -> list[tuple[str, str, str]]:
    """(where, design file, section number or "") for every citation of docs/design in the repository."""
    found: list[tuple[str, str, str]] = []
    roots = ["macro", "tests", "org", "bench", "docs", "README.md", "CONTRIBUTING.md", "template.yaml"]
    paths = [REPO / root for root in roots]
    files = [p for path in paths for p in ([path] if path.is_file() else path.rglob("*"))]
    for path in files:
        if path.suffix not in {".py", ".md", ".yaml", ".sh"} or "__pycache__" in path.parts:
            continue
        text = re.sub(r"\s*\n\s*#?\s*", " ", path.read_text(encoding="utf-8"))  # citations wrap lines
        for match in CITATION.finditer(text):
            numbers = re.findall(r"\d+(?:\.\d+)?", match.group("numbers") or "")
            where = str(path.relative_to(REPO))
            found.extend((where, match.group("file"), number) for number in numbers or [""])
    return found


def test_the_code_cites_the_design_record() -> None:
    assert len({where for where, _, _ in cited_sections()}) >= 20


def test_every_design_citation_points_at_a_section_that_exists() -> None:
    missing = []
    for where, name, number in cited_sections():
        page = DOCS / "design" / name
        if not page.is_file():
            missing.append(f"{where}: docs/design/{name} does not exist")
        elif number and number not in section_numbers(page):
            missing.append(f"{where}: docs/design/{name} has no section {number}")
    assert missing == []


TEST_REFERENCE = re.compile(r"\b(?P<file>tests/[\w/]+\.py)(?:::(?P<name>\w+))?")


@pytest.mark.parametrize("page", [README, REPO / "CONTRIBUTING.md", *markdown_pages()], ids=lambda p: p.name)
def test_every_test_the_docs_name_exists(page: Path) -> None:
    """A page that points readers at a test names a file (and function) that is there."""

    def exists(file: str, name: str | None) -> bool:
        path = REPO / file
        return path.is_file() and (name is None or f"def {name}(" in path.read_text(encoding="utf-8"))

    references = TEST_REFERENCE.finditer(page.read_text(encoding="utf-8"))
    missing = [match.group(0) for match in references if not exists(match.group("file"), match.group("name"))]
    assert missing == []
