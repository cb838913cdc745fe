"""`hpdesk` and its sub-commands for headless use.

Exit codes: 0 success; 1 a runtime problem (database, a scheduler that will not start); 2 bad
input (a plan that does not validate, a wrong option); 130 stopped with Ctrl-C. Errors are one
line each, never a traceback (set HPDESK_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hpdesk import __version__
from hpdesk.cli import diagnose, diagnostics, exports, inspect, lr_find, plans, runs, window
from hpdesk.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUNTIME,
    EXIT_USAGE,
    CliError,
    db_path,
    say,
)

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_RUNTIME", "EXIT_USAGE", "CliError",
           "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpdesk",
        description="Plan, run and inspect deep-learning hyperparameter experiments.",
    )
    parser.add_argument("--version", action="version", version=f"hpdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    runs.add_parsers(sub)
    inspect.add_parsers(sub)
    plans.add_parsers(sub)
    exports.add_parsers(sub)
    diagnostics.add_parsers(sub)
    diagnostics.add_data_parsers(sub)
    diagnose.add_parsers(sub)
    lr_find.add_parsers(sub)
    window.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from hpdesk.runner.paths import keep_files_private

    keep_files_private()  # what hpdesk creates is the user's alone (docs/security.md)
    logging.basicConfig(level=logging.WARNING, format="hpdesk: %(message)s")
    logging.raiseExceptions = False  # a full disk under stderr loses a warning, no traceback
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    nul = next((i for i, a in enumerate(argv) if "\x00" in a), None)
    if nul is not None:  # no file name, plan or id can hold one; the OS refuses it as a path
        say(f"hpdesk: argument {nul + 1} contains a NUL character (\\x00), which no file "
            "name or value can hold", err=True)
        return EXIT_USAGE
    if not argv or _is_file_argument(argv[0], parser):
        argv = ["gui", *argv]  # `hpdesk` and `hpdesk plan.yaml` (the desktop entry) open the window
    args = parser.parse_args(argv)
    for name in ("experiment", "trial"):  # ids are SQLite integers: 19 digits at most
        value = getattr(args, name, None)
        if isinstance(value, int) and abs(value) >= 2**63:
            print(f"hpdesk: {name} id: expected at most 19 digits, found a longer number",
                  file=sys.stderr)
            return EXIT_USAGE
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # `hpdesk trials --json | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except CliError as exc:
        say(f"hpdesk: {exc}", err=True)
        return exc.code
    except Exception as exc:  # the user sees one sentence; developers can ask for more
        if os.environ.get("HPDESK_DEBUG"):
            raise
        return _report(exc, getattr(args, "db", None))


def _is_file_argument(first: str, parser: argparse.ArgumentParser) -> bool:
    """A first argument that is not a command but an existing file: a plan opened from a file
    manager (`Exec=hpdesk %f`)."""
    commands = {name for action in parser._actions
                if isinstance(action, argparse._SubParsersAction) for name in action.choices}
    return first not in commands and not first.startswith("-") and os.path.isfile(first)


def _report(exc: Exception, db: Path | None) -> int:
    """One line for `exc`: a plan's problems, a store's sentence, or what the disk or the
    database file did (full, read-only, damaged: `storage_failure`), else "unexpected"."""
    from hpdesk.plan import PlanError
    from hpdesk.store import StoreError
    from hpdesk.store.connection import DiskFullError, storage_failure

    if isinstance(exc, PlanError):
        for problem in exc.problems:
            say(str(problem), err=True)
        return EXIT_USAGE
    if isinstance(exc, StoreError):
        say(f"hpdesk: {exc}", err=True)
        return EXIT_RUNTIME
    failure = storage_failure(exc, db_path(db))
    if failure is not None:
        hint = "; free space and try again" if isinstance(failure, DiskFullError) else ""
        say(f"hpdesk: {failure}{hint}", err=True)
        return EXIT_RUNTIME
    say(f"hpdesk: unexpected {type(exc).__name__}: {exc}", err=True)
    return EXIT_RUNTIME
