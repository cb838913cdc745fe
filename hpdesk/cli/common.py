"""What every sub-command shares: exit codes, the one-sentence error, opening the database."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hpdesk.store import Store

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """Printed as `hpdesk: <message>` and turned into the exit code."""

    def __init__(self, message: str, code: int = EXIT_RUNTIME) -> None:
        super().__init__(message)
        self.code = code


def db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="the SQLite database (default: hpdesk.db in the user data folder)")


def open_store(db: Path | None, *, must_exist: bool = False) -> Store:
    """The database, with experiments whose scheduler died already marked interrupted."""
    from hpdesk.runner import default_db_path
    from hpdesk.runner.recovery import open_store as open_recovered

    return open_recovered(db or default_db_path(), must_exist=must_exist)
