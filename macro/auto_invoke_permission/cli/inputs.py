"""The templates a command reads: files, directories, quoted globs, and `-` for stdin.

Directories are walked recursively (hidden directories and SAM's build output
skipped); a template is recognized by its content, not its name
(`template_io.is_template`), so files that are not templates are skipped with
a note, whichever way they were named.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

from ..offline.template_read import STDIN, LoadedTemplate, NotATemplate, TemplateError, read_template
from ..records import Record

# What a directory walk reads; each is then judged by its content.
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_SKIPPED_DIRECTORIES = ("node_modules", "__pycache__")
_GLOB_CHARACTERS = frozenset("*?[")


class InputError(Exception):
    """An input names nothing: a glob without matches, or stdin twice. One line."""


class Input(Record):
    """One file to read, and whether the user named it (else a directory or a glob found it)."""

    path: str
    named: bool


def expand_inputs(arguments: Sequence[str]) -> list[Input]:
    """Every file the arguments name, in order, each once. Raises InputError."""
    if list(arguments).count(STDIN) > 1:
        raise InputError("- (stdin) given twice")
    seen: set[str] = set()
    found: list[Input] = []
    for argument in arguments:
        for item in _one_argument(argument):
            key = item.path if item.path == STDIN else os.path.normpath(item.path)
            if key not in seen:
                seen.add(key)
                found.append(item)
    return found


def _one_argument(argument: str) -> Iterator[Input]:
    if argument == STDIN or os.path.isfile(argument):
        yield Input(argument, named=True)
    elif os.path.isdir(argument):
        yield from (Input(path, named=False) for path in _walk(argument))
    elif _GLOB_CHARACTERS & set(argument):
        import glob  # only for a pattern

        matches = sorted(glob.glob(argument, recursive=True))
        if not matches:
            raise InputError(f"{argument}: no file matches")
        for match in matches:
            if os.path.isdir(match):
                yield from (Input(path, named=False) for path in _walk(match))
            else:
                yield Input(match, named=False)
    else:
        yield Input(argument, named=True)  # reading it reports what is wrong


def _walk(directory: str) -> Iterator[str]:
    for root, directories, files in os.walk(directory):
        directories[:] = sorted(
            d for d in directories if not d.startswith(".") and d not in _SKIPPED_DIRECTORIES
        )
        for name in sorted(files):
            if name.endswith(TEMPLATE_SUFFIXES):
                yield os.path.join(root, name)


def read_inputs(
    inputs: Sequence[Input], note: Callable[[str], None], error: Callable[[TemplateError], None]
) -> Iterator[LoadedTemplate]:
    """The templates among `inputs`; non-templates are noted and skipped, unreadable ones reported.

    A file found by a walk or a glob that does not parse is skipped too when it does
    not even mention a template's keys (a Helm chart, say): only templates are judged.
    """
    for item in inputs:
        try:
            yield read_template(item.path)
        except NotATemplate as err:
            note(f"skipped {err}")
        except TemplateError as err:
            if not item.named and not _mentions_template_keys(item.path):
                note(f"skipped {item.path}: not a template (it does not parse: {err})")
            else:
                error(err)


def _mentions_template_keys(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return True
    return any(key in text for key in ("Resources", "AWSTemplateFormatVersion", "Transform"))
