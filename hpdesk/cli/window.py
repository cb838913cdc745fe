"""`hpdesk` with no command, and `hpdesk gui`: the desktop window."""

from __future__ import annotations

import argparse
from pathlib import Path

from hpdesk.cli.common import CliError, db_arg


def add_parsers(sub: argparse._SubParsersAction) -> None:
    gui = sub.add_parser("gui", help="open the desktop window (what `hpdesk` alone does)",
                         description="Open the window on a database (default: the one in your "
                                     "data folder), optionally with a plan file in the editor.")
    gui.add_argument("plan", nargs="?", type=Path, metavar="PLAN",
                     help="a plan file (YAML, TOML or JSON) to open in the plan editor")
    db_arg(gui)
    gui.add_argument("--lang", choices=("en", "zh_CN"), default=None,
                     help="the window's language (default: the one chosen in Settings, "
                          "else the system's)")
    gui.set_defaults(handler=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    if args.plan is not None and not args.plan.exists():
        raise CliError(f"no plan file at {args.plan}", 2)
    try:
        from hpdesk.gui.shell.app import run
    except ImportError as exc:  # a headless server without Qt's system libraries
        raise CliError(f"the window cannot start here ({exc}); the sub-commands work "
                       "without it (hpdesk --help)") from exc
    return run(db=args.db, plan_file=args.plan, language=args.lang)
