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

from hpdesk import __version__
from hpdesk.cli import inspect, plans, runs, window
from hpdesk.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUNTIME,
    EXIT_USAGE,
    CliError,
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
    window.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="hpdesk: %(message)s")
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or _is_file_argument(argv[0], parser):
        argv = ["gui", *argv]  # `hpdesk` and `hpdesk plan.yaml` (the desktop entry) open the window
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # `hpdesk trials --json | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except CliError as exc:
        print(f"hpdesk: {exc}", file=sys.stderr)
        return exc.code
    except Exception as exc:  # the user sees one sentence; developers can ask for more
        if os.environ.get("HPDESK_DEBUG"):
            raise
        return _report(exc)


def _is_file_argument(first: str, parser: argparse.ArgumentParser) -> bool:
    """A first argument that is not a command but an existing file: a plan opened from a file
    manager (`Exec=hpdesk %f`)."""
    commands = {name for action in parser._actions
                if isinstance(action, argparse._SubParsersAction) for name in action.choices}
    return first not in commands and not first.startswith("-") and os.path.isfile(first)


def _report(exc: Exception) -> int:
    from hpdesk.plan import PlanError
    from hpdesk.store import StoreError

    if isinstance(exc, PlanError):
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    if isinstance(exc, StoreError):
        print(f"hpdesk: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    print(f"hpdesk: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
    return EXIT_RUNTIME
