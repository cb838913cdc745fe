"""Opening the one SQLite file that the GUI, the scheduler and the trials share.

Contract: every process (and every thread) opens its own connection with `connect`. Writers wrap
their work in `BEGIN IMMEDIATE ... COMMIT` (see `write_transaction`): a deferred transaction that
reads then writes can fail at once with SQLITE_BUSY, an immediate one waits up to the busy
timeout. WAL lets one writer and any number of readers work at the same time.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

BUSY_TIMEOUT_S = 30.0


class StoreError(Exception):
    """A database problem worth one sentence to the user (missing file, not an hpdesk file...)."""


def connect(
    path: str | os.PathLike[str], *, synchronous: str = "NORMAL", must_exist: bool = False
) -> sqlite3.Connection:
    """Open `path` in WAL mode with a busy timeout; autocommit unless a transaction is begun.

    `synchronous=NORMAL` is safe in WAL (a power cut may lose the last commits, never corrupt)
    and 4x faster than FULL for the many small metric commits (PLATFORM.md).
    """
    db_path = Path(path)
    if must_exist and not db_path.exists():
        raise StoreError(f"database {db_path} does not exist")
    if not must_exist:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db_path} is not a usable SQLite database: {exc}") from exc
    if mode.lower() != "wal":
        conn.close()
        raise StoreError(f"{db_path}: SQLite refused WAL mode (a network file system?)")
    return conn


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` ... `COMMIT`, rolled back on any exception (a kill rolls back too)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
