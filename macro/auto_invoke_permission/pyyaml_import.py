"""PyYAML, imported without compiling the one regular expression that only its pure reader uses.

`import yaml` imports PyYAML's pure-Python reader, whose class body compiles `Reader.NON_PRINTABLE`:
a negated character class over the whole of Unicode, which `re` compiles by walking some 63,000
code points in Python. On CPython 3.11 that is about 5 ms: more than the rest of PyYAML's import,
and a tenth of `autoinvoke check` on a small YAML template (`make bench` (e)). The CLI and the hook
read with PyYAML's C loader, whose reader is libyaml's, so the pattern is compiled for nothing.

`re` keeps each compiled pattern in a cache keyed by the pattern's text. Before importing PyYAML,
this module puts there, under PyYAML's text, the same class written the other way round: the
characters YAML forbids (`NON_PRINTABLE`), which compiles in about a millisecond. The two match
exactly the same characters (`tests/unit/test_pyyaml_import.py` compares them on every code
point), so PyYAML without libyaml, whose pure reader does use the pattern, reads as before. Where
`re` keeps no such cache (a future Python), nothing is put there and PyYAML compiles its own.

Every module of the package that reads YAML with PyYAML imports it from here:
`from ..pyyaml_import import yaml`.
"""

from __future__ import annotations

import re
import sys

__all__ = ["NON_PRINTABLE", "PYYAML_NON_PRINTABLE", "yaml"]

# `yaml.reader.Reader.NON_PRINTABLE`'s text (PyYAML 5.1 to 6.0.x): every character but tab, line
# feed, carriage return, printable ASCII, NEL, and the rest of Unicode outside the surrogates and
# U+FFFE, U+FFFF
PYYAML_NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
# the same set, listed: C0 controls but tab, LF and CR; DEL and C1 controls but NEL; the surrogates;
# U+FFFE and U+FFFF
NON_PRINTABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]"


def _precompile_non_printable() -> None:
    """Put the listed set in `re`'s cache under PyYAML's text (see the module's docstring)."""
    cache = getattr(re, "_cache", None)
    if isinstance(cache, dict):
        cache.setdefault((str, PYYAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE))


if "yaml" not in sys.modules:
    _precompile_non_printable()

import yaml  # noqa: E402 - after the cache is seeded
