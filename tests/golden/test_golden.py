"""Golden samples: each directory of samples/ with template.yaml and expected.json.

The template (short-form YAML read with cfn-lint's decoder, its Transform
dropped) goes through the handler with region us-east-1, account 123456789012
and requestId "golden"; the response fragment must equal expected.json
exactly, key order included.

Regenerate after an intended change, then review the diff by eye:

    python tests/golden/test_golden.py --regenerate                  # every sample
    python tests/golden/test_golden.py --regenerate samples/seed     # only these

Also here: the seed sample in both transform orders (macro before SAM, then the
SAM translator; SAM, then the macro) gives the same permission.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# run as a script (--regenerate): the shared helpers live in tests/
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest
from auto_invoke_permission import handler
from corpus_support import (
    clean_handler_environment,
    event,
    load_template,
    permission_keys,
    sam_translate,
    without_transform,
)
from repository import REPO, SAMPLES

SEED = SAMPLES / "seed"
REQUEST_ID = "golden"


def sample_dirs(with_expected: bool = True) -> list[Path]:
    """Directories under samples/ holding template.yaml (and expected.json, unless regenerating)."""
    return sorted(
        t.parent
        for t in SAMPLES.rglob("template.yaml")
        if not any(part.startswith(".") for part in t.relative_to(SAMPLES).parts)  # .aws-sam/build
        and (not with_expected or (t.parent / "expected.json").is_file())
    )


def respond(fragment: Any) -> dict[str, Any]:
    with clean_handler_environment():
        return handler.handler(event(fragment, REQUEST_ID))


def render(directory: Path) -> dict[str, Any]:
    """The handler's response for the sample's template.yaml, without its Transform."""
    return respond(without_transform(load_template(directory / "template.yaml")))


def serialize(fragment: Any) -> str:
    return json.dumps(fragment, indent=2, sort_keys=False) + "\n"


@pytest.mark.parametrize("directory", sample_dirs(), ids=lambda d: str(d.relative_to(SAMPLES)))
def test_golden(directory: Path) -> None:
    response = render(directory)
    expected_text = (directory / "expected.json").read_text(encoding="utf-8")
    expected = json.loads(expected_text)
    note = (
        f" ({response.get('status')}: {response.get('errorMessage')})"
        if response.get("status") != "success"
        else ""
    )
    assert response.get("requestId") == REQUEST_ID
    assert response.get("fragment") == expected, f"fragment differs from expected.json{note}; " + (
        "if the change is intended: python tests/golden/test_golden.py --regenerate"
    )
    assert serialize(response["fragment"]) == expected_text, (
        "same data, different key order or formatting: python tests/golden/test_golden.py --regenerate"
    )


def test_golden_samples_exist() -> None:
    assert SEED in sample_dirs(), (
        "samples/seed/expected.json is missing: python tests/golden/test_golden.py --regenerate"
    )


SEED_PERMISSION = {("ProcessorFunction", None, "RequestFunctionRole")}


def test_seed_same_permission_in_both_orders() -> None:
    """Issue 2 item 8: `Transform: [AutoInvokePermission, SAM]` and `[SAM, AutoInvokePermission]` agree."""
    template = load_template(SEED / "template.yaml")
    raw = without_transform(template)
    sam_of_input = without_transform(sam_translate(template))

    # macro first: the macro on the raw SAM template, then the SAM translator on its output
    first = respond(raw)
    assert first["status"] == "success", first.get("errorMessage")
    macro_then_sam = without_transform(sam_translate(first["fragment"]))
    assert permission_keys(sam_of_input, macro_then_sam) == SEED_PERMISSION

    # macro after SAM: the macro on the SAM translator's output
    after = respond(sam_of_input)
    assert after["status"] == "success", after.get("errorMessage")
    assert permission_keys(sam_of_input, after["fragment"]) == SEED_PERMISSION


def regenerate(only: list[str]) -> int:
    """Write expected.json for every sample directory with a template.yaml (or only those named)."""
    wanted = {Path(d).resolve() for d in only}
    status = 0
    for directory in sample_dirs(with_expected=False):
        if wanted and directory.resolve() not in wanted:
            continue
        response = render(directory)
        (directory / "expected.json").write_text(serialize(response.get("fragment")), encoding="utf-8")
        state = response.get("status")
        print(f"{directory.relative_to(REPO)}/expected.json: {state}", file=sys.stderr)
        if state != "success":
            print(f"  {response.get('errorMessage')}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    if sys.argv[1:2] != ["--regenerate"]:
        sys.exit("usage: python tests/golden/test_golden.py --regenerate [SAMPLE_DIR ...]")
    sys.exit(regenerate(sys.argv[2:]))
