"""Where results go: stdout, one file (-o FILE), or one file per input in a directory (-o DIR)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from ..offline.template_read import LoadedTemplate, OutputFormat
from .common import Streams, UsageError, write_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Output:
    """Where results go: stdout, one file (-o FILE), or one file per input in a directory (-o DIR).

    Several inputs without -o: one document per input on stdout (YAML documents
    separated by `---`, JSON one object per line).
    """

    def __init__(self, target: str | None, several: bool, streams: Streams) -> None:
        self.target, self.streams, self.several = target, streams, several
        self.directory = target is not None and target != "-" and (several or os.path.isdir(target))
        self.written: dict[str, str] = {}
        self.count = 0

    def write(self, source: str, text: str, suffix: str, compact: Callable[[], str] | None = None) -> None:
        if self.directory:
            self._to_directory(source, text, suffix)
        elif self.target not in (None, "-") and not self.several:
            assert self.target is not None
            write_file(self.target, text)
        elif self.several and compact is not None:
            self.streams.out.write(compact())
        else:
            if self.several and self.count:
                self.streams.out.write("---\n")
            self.streams.out.write(text)
        self.count += 1

    def _to_directory(self, source: str, text: str, suffix: str) -> None:
        assert self.target is not None
        name = "stdin" if source == "<stdin>" else Path(source).stem
        path = os.path.join(self.target, name + suffix)
        if path in self.written:
            raise UsageError(f"{source} and {self.written[path]} would both be written to {path}")
        self.written[path] = source
        os.makedirs(self.target, exist_ok=True)
        write_file(path, text)


def output_format(requested: str | None, template: LoadedTemplate) -> OutputFormat:
    if requested == "json" or (requested is None and template.source_format == "json"):
        return "json"
    return "yaml"


def write_template(
    data: Mapping[str, Any], fmt: OutputFormat, output: Output, source: str, text: str | None = None
) -> None:
    """Write `data`; with `text`, the YAML it was read from, its comments and layout are kept."""
    from ..offline.template_io import dump_template

    output.write(
        source,
        dump_template(data, fmt, source=text),
        ".json" if fmt == "json" else ".yaml",
        (lambda: json.dumps(data, ensure_ascii=False) + "\n") if fmt == "json" else None,
    )
