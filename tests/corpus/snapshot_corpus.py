"""Snapshot of the macro's behaviour on every readable corpus template, for before/after comparisons.

Not a test module. Usage (from the project root, with the dev tools installed):

    .venv/bin/python tests/corpus/snapshot_corpus.py OUT.jsonl          # write the snapshot
    .venv/bin/python tests/corpus/snapshot_corpus.py OUT.jsonl --diff BEFORE.jsonl

One JSON line per (template, order): the handler's whole response (raw order; and on the SAM
translator's output for SAM templates) and the text graph of `core.analyze`. `--diff` prints the
(template, order) pairs whose line differs, and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: corpus_support

from auto_invoke_permission import core, handler
from auto_invoke_permission.cli.formats.graph import render_graph
from auto_invoke_permission.model import TransformContext
from corpus_support import (
    CORPUS,
    clean_handler_environment,
    event,
    is_sam,
    load_template,
    read_tsv,
    sam_translate,
    template_options,
    without_transform,
)


def _graph(fragment: Any) -> str:
    context = TransformContext(region="us-east-1", account_id="123456789012", parameter_values={})
    try:
        result = core.analyze(copy.deepcopy(fragment), template_options(fragment), context)
    except Exception as error:  # a failure is part of the behaviour
        return f"failure: {type(error).__name__}: {error}"
    return render_graph(result.edges, "text")


def _line(name: str, order: str, fragment: Any) -> str:
    with contextlib.redirect_stderr(io.StringIO()):
        response = handler.handler(event(copy.deepcopy(fragment), "snapshot"))
    record = {"template": name, "order": order, "response": response, "graph": _graph(fragment)}
    return json.dumps(record, sort_keys=True, default=str)


def snapshot() -> list[str]:
    lines = []
    with clean_handler_environment():
        for row in read_tsv(CORPUS / "MANIFEST.tsv"):
            name = row["local_file"]
            try:
                template = load_template(CORPUS / name)
            except Exception:
                continue
            if not isinstance(template, dict):
                continue
            lines.append(_line(name, "raw", without_transform(template)))
            if is_sam(template):
                try:
                    translated = sam_translate(template)
                except Exception:
                    continue
                lines.append(_line(name, "sam", without_transform(translated)))
    return lines


def _keyed(lines: list[str]) -> dict[tuple[str, str], str]:
    out = {}
    for line in lines:
        record = json.loads(line)
        out[(record["template"], record["order"])] = line
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--diff", metavar="BEFORE")
    args = parser.parse_args()
    lines = snapshot()
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} runs written to {args.out}")
    if args.diff is None:
        return 0
    before = _keyed(Path(args.diff).read_text(encoding="utf-8").splitlines())
    after = _keyed(lines)
    differing = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    for name, order in differing:
        print(f"differs: {name} [{order}]")
    print(f"{len(differing)} of {len(after)} runs differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
