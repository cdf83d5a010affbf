"""The macro over every template of the public corpus (../shared/corpus), in both transform orders.

Oracles that need no labels, checked on ~1,900 templates nobody here wrote:

* the handler and the core never raise; a failure always carries a message;
* on success nothing of the input is lost or changed: only `Resources` and
  `Conditions` entries and `Metadata.AutoInvokePermission.Report` are added;
* a second run on the output changes nothing (idempotence);
* every added permission names a function (or alias) of the template, with
  `lambda:InvokeFunction` and a principal that is not `*` or a service;
* a success carries the report in `Metadata.AutoInvokePermission.Report`;
* SAM templates: the macro before SAM (raw order) and after SAM (on the SAM
  translator's output) add the same permissions, canonically
  (callee, alias, principal role);
* a seeded sample of outputs gets no new cfn-lint errors.

Each test aggregates every problem of the corpus into one assertion message.
Problems already known in the core are listed in KNOWN_PROBLEMS; the tests also
fail when a listed problem no longer occurs, so the list shrinks as the core is
fixed.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from corpus_support import (
    CORPUS,
    Canon,
    Outcome,
    clean_handler_environment,
    format_problems,
    injected,
    invoke,
    is_sam,
    lint_errors,
    load_template,
    permission_keys,
    preservation_problems,
    read_tsv,
    sam_translate,
    without_report,
    without_transform,
)

pytestmark = pytest.mark.corpus

if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip(f"corpus not found at {CORPUS}", allow_module_level=True)

LINT_SAMPLE = 40
LINT_SEED = 7

# (template, order, kind) of problems known in the core, waiting for a fix.
# Order is "raw" (macro before SAM, or a plain CloudFormation template) or
# "sam" (macro on the SAM translator's output). Remove entries as they are fixed.
KNOWN_PROBLEMS: set[tuple[str, str, str]] = set()


@dataclass
class Job:
    name: str  # MANIFEST local_file
    order: str  # "raw" or "sam"
    fragment: Any
    outcome: Outcome | None = None
    permissions: set[Canon] = field(default_factory=set)


@dataclass
class CorpusRun:
    jobs: list[Job]
    unreadable: int
    sam_rejected: int
    seconds: float
    problems: list[tuple[str, str, str, str]]  # (template, order, kind, detail)

    def succeeded(self) -> list[Job]:
        return [j for j in self.jobs if j.outcome is not None and j.outcome.status == "success"]


def _jobs() -> tuple[list[Job], int, int]:
    jobs: list[Job] = []
    unreadable = sam_rejected = 0
    for row in read_tsv(CORPUS / "MANIFEST.tsv"):
        try:
            template = load_template(CORPUS / row["local_file"])
        except Exception:
            unreadable += 1
            continue
        if not isinstance(template, dict):
            unreadable += 1
            continue
        jobs.append(Job(row["local_file"], "raw", without_transform(template)))
        if is_sam(template):
            try:
                jobs.append(Job(row["local_file"], "sam", without_transform(sam_translate(template))))
            except Exception:
                sam_rejected += 1
    return jobs, unreadable, sam_rejected


def _check(job: Job, problems: list[tuple[str, str, str, str]]) -> None:
    def problem(kind: str, detail: str) -> None:
        problems.append((job.name, job.order, kind, detail))

    outcome = job.outcome = invoke(job.fragment)
    for kind, detail in outcome.problems:
        problem(kind, detail)
    if outcome.status == "crash":
        problem("crash", outcome.message)
        return
    if outcome.status != "success":
        return
    lost = preservation_problems(job.fragment, outcome.fragment)
    if lost:
        problem("input lost or changed", "; ".join(lost[:3]))
        return
    job.permissions = permission_keys(job.fragment, outcome.fragment)
    for fid, qualifier, named in sorted(job.permissions, key=str):
        if fid == "?":
            problem("permission names no function of the template", f"{qualifier} <- {named}")
    for rid, resource in injected(job.fragment, outcome.fragment).items():
        props: dict[str, Any] = resource.get("Properties") or {}
        principal = props.get("Principal")
        if props.get("Action") != "lambda:InvokeFunction":
            problem("malformed permission", f"{rid}: Action {props.get('Action')!r}")
        if principal == "*" or (isinstance(principal, str) and principal.endswith(".amazonaws.com")):
            problem("malformed permission", f"{rid}: Principal {principal!r} is not an execution role")
    if wants_report(job.fragment) and not report_of(outcome.fragment):
        problem("no report", "success without Metadata.AutoInvokePermission.Report")
    again = invoke(outcome.fragment, "corpus-again")
    if again.status != "success":
        problem("not idempotent", f"second run: {again.status}: {again.message[:160]}")
    elif without_report(again.fragment) != without_report(outcome.fragment):
        added = sorted(set(again.fragment.get("Resources", {})) - set(outcome.fragment.get("Resources", {})))
        problem("not idempotent", f"second run changed the fragment; added {added[:3]}")


def wants_report(fragment: Any) -> bool:
    own = (fragment.get("Metadata") or {}).get("AutoInvokePermission")
    return not (isinstance(own, dict) and str(own.get("Report", "true")).lower() == "false")


def report_of(fragment: Any) -> Any:
    own = (fragment.get("Metadata") or {}).get("AutoInvokePermission")
    return own.get("Report") if isinstance(own, dict) else None


def _compare_orders(run: CorpusRun) -> None:
    by_key = {(j.name, j.order): j for j in run.jobs}
    for (name, order), sam_job in by_key.items():
        raw_job = by_key.get((name, "raw"))
        if order != "sam" or raw_job is None or raw_job.outcome is None or sam_job.outcome is None:
            continue
        raw_status, sam_status = raw_job.outcome.status, sam_job.outcome.status
        if "crash" in (raw_status, sam_status):
            continue
        if raw_status != sam_status:
            failed = raw_job if raw_status != "success" else sam_job
            message = failed.outcome.message if failed.outcome else ""
            run.problems.append(
                (
                    name,
                    "sam",
                    "order status mismatch",
                    f"raw {raw_status}, sam {sam_status}: {message[:200]}",
                )
            )
        elif raw_job.permissions != sam_job.permissions:
            raw_only = sorted(raw_job.permissions - sam_job.permissions, key=str)
            sam_only = sorted(sam_job.permissions - raw_job.permissions, key=str)
            run.problems.append(
                (name, "sam", "order mismatch", f"raw only {raw_only[:4]}, sam only {sam_only[:4]}")
            )


@pytest.fixture(scope="module")
def corpus(clean_handler: None) -> CorpusRun:
    started = time.perf_counter()
    jobs, unreadable, sam_rejected = _jobs()
    problems: list[tuple[str, str, str, str]] = []
    for job in jobs:
        _check(job, problems)
    run = CorpusRun(jobs, unreadable, sam_rejected, time.perf_counter() - started, problems)
    _compare_orders(run)
    _print_figures(run)
    return run


@pytest.fixture(scope="module")
def clean_handler() -> Iterator[None]:
    with clean_handler_environment():
        yield


def _print_figures(run: CorpusRun) -> None:
    statuses = Counter(j.outcome.status for j in run.jobs if j.outcome is not None)
    kinds = Counter(p[2] for p in run.problems)
    print(
        f"\ncorpus: {len(run.jobs)} runs ({sum(j.order == 'raw' for j in run.jobs)} raw, "
        f"{sum(j.order == 'sam' for j in run.jobs)} after SAM); {run.unreadable} unreadable, "
        f"{run.sam_rejected} rejected by SAM; {dict(statuses)}; "
        f"permissions {sum(len(j.permissions) for j in run.jobs)}; {run.seconds:.1f}s"
    )
    print(f"corpus problems by kind: {dict(kinds)}")


def _unexpected(problems: list[tuple[str, str, str, str]], known: set[tuple[str, str, str]]) -> list[str]:
    """Problems not in `known`, plus entries of `known` that no longer occur."""
    seen = {(n, o, k) for n, o, k, _ in problems}
    out = [f"{k}: {n} [{o}]: {d}" for n, o, k, d in problems if (n, o, k) not in known]
    out += [f"fixed (remove it from KNOWN_PROBLEMS): {k}: {n} [{o}]" for n, o, k in sorted(known - seen)]
    return out


LINT_KIND = "new cfn-lint error"


def test_corpus_invariants(corpus: CorpusRun) -> None:
    assert len(corpus.jobs) > 1000, "the corpus should give well over a thousand runs"
    known = {p for p in KNOWN_PROBLEMS if p[2] != LINT_KIND}
    problems = _unexpected(corpus.problems, known)
    assert not problems, format_problems(problems)


def lint_sample(jobs: list[Job]) -> list[Job]:
    """LINT_SAMPLE runs, seeded: half from those that added permissions (few, and the interesting
    ones: most runs only add the report), the rest from all other runs."""
    rnd = random.Random(LINT_SEED)
    changed = [j for j in jobs if j.permissions]
    first = rnd.sample(changed, min(LINT_SAMPLE // 2, len(changed)))
    chosen = {id(j) for j in first}
    rest = [j for j in jobs if id(j) not in chosen]
    return first + rnd.sample(rest, min(LINT_SAMPLE - len(first), len(rest)))


def test_corpus_lint_sample(corpus: CorpusRun) -> None:
    """cfn-lint a seeded sample of outputs: the macro adds no E-level error.

    A raw-order SAM template is compared after the SAM translator: SAM(input) against SAM(output).
    """
    ok = sorted(corpus.succeeded(), key=lambda j: (j.name, j.order))
    sample = lint_sample(ok)
    problems: list[tuple[str, str, str, str]] = []
    for job in sample:
        output = job.outcome.fragment  # type: ignore[union-attr]
        if job.order == "raw" and is_sam(job.fragment):
            try:
                before, after = sam_translate(job.fragment), sam_translate(output)
            except Exception as error:
                try:
                    sam_translate(job.fragment)
                except Exception:
                    continue  # SAM rejects the input itself: nothing to compare
                problems.append((job.name, job.order, LINT_KIND, f"SAM rejects the output: {error}"[:300]))
                continue
        else:
            before, after = job.fragment, output
        new = sorted(lint_errors(after) - lint_errors(before))
        if new:
            problems.append((job.name, job.order, LINT_KIND, "; ".join(n[:200] for n in new[:3])))
    sampled = {(j.name, j.order) for j in sample}
    known = {(n, o, k) for n, o, k in KNOWN_PROBLEMS if k == LINT_KIND and (n, o) in sampled}
    unexpected = _unexpected(problems, known)
    assert not unexpected, format_problems(unexpected)
