"""`pyyaml_import`: PyYAML imported with its reader's pattern precompiled as an equivalent set."""

from __future__ import annotations

import re
import sys

import pytest
from auto_invoke_permission.pyyaml_import import NON_PRINTABLE, PYYAML_NON_PRINTABLE
from fresh_python import run_python

EVERY_CODE_POINT = "".join(map(chr, range(sys.maxunicode + 1)))


def test_the_listed_set_matches_the_same_characters_as_pyyamls() -> None:
    # re.UNICODE is the default for text: the flag only keys the compilation apart from the cache
    pyyaml = re.compile(PYYAML_NON_PRINTABLE, re.UNICODE)
    listed = re.compile(NON_PRINTABLE)
    assert listed.findall(EVERY_CODE_POINT) == pyyaml.findall(EVERY_CODE_POINT)
    assert len(listed.findall(EVERY_CODE_POINT)) == 2111  # 29 C0, 1 DEL, 32 C1, 2048 surrogates, 2 U+FFFx


def test_pyyaml_takes_the_precompiled_set_in_a_fresh_interpreter() -> None:
    """Fails when PyYAML's text changes: PYYAML_NON_PRINTABLE must then follow it."""
    code = (
        "import sys\n"
        "from auto_invoke_permission.pyyaml_import import NON_PRINTABLE, yaml\n"
        "sys.stdout.write(str(yaml.reader.Reader.NON_PRINTABLE.pattern == NON_PRINTABLE))\n"
    )
    assert run_python(code) == "True"


def test_the_pure_reader_still_refuses_a_control_character() -> None:
    from auto_invoke_permission.pyyaml_import import yaml

    with pytest.raises(yaml.reader.ReaderError, match="#x0007"):
        yaml.load("Resources: {A: {Type: 'x\x07'}}", Loader=yaml.SafeLoader)
