"""The `autoinvoke` console script: `main`, in a process that ends when the command does.

Almost everything a run of the CLI makes lives until the process exits: the modules with their
classes, functions and tables, the parser, the templates it reads. The cyclic collector can only
traverse them, over and over (a young collection every 700 allocations), and at exit the
interpreter traverses all of them once more. So the script pauses the collector while it imports
the CLI, freezes what that made out of its reach (`gc.freeze`), runs the command with a young
collection every `YOUNG_COLLECTION_THRESHOLD` allocations instead, and freezes everything before
it exits (the exit-time collection then has nothing to traverse; the system frees the memory).
About a tenth of the work of a small `check` (`make bench` (e)); the collector still runs during a
long command, so what it leaves in reference cycles (argparse's parser, some of PyYAML's nodes) is
freed as before.

`main` itself leaves the collector alone: tests and `python -m auto_invoke_permission.cli.main`
call it as they always did.
"""

from __future__ import annotations

import gc
import sys

# Allocations (net of frees) between two young collections while a command runs; Python's is 700.
YOUNG_COLLECTION_THRESHOLD = 50_000


def run() -> None:
    """Run the command line and exit with its code."""
    gc.disable()
    from .main import main  # here: imported with the collector paused

    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    gc.enable()
    code = main()
    gc.freeze()
    sys.exit(code)
