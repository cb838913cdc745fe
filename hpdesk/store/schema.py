"""The schema, as forward-only sqlite-utils migrations, and the version check that skips them.

`PRAGMA user_version` holds the number of migrations applied, so an up-to-date file is recognised
with one pragma and no import of sqlite-utils (trials open the database at start-up). `vet`
tells an hpdesk file from a foreign one without writing; `migrate` never touches a foreign file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from hpdesk.store.connection import StoreError, write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

SCHEMA_VERSION = 6


def _m001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE experiments (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            task TEXT NOT NULL,
            plan TEXT NOT NULL,
            state TEXT NOT NULL,
            requested_state TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            scheduler_pid INTEGER,
            scheduler_host TEXT,
            heartbeat_at REAL,
            workdir TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE trials (
            id INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            params TEXT NOT NULL,
            state TEXT NOT NULL,
            requested_state TEXT,
            device TEXT,
            pid INTEGER,
            host TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            ended_at REAL,
            exit_code INTEGER,
            objective REAL,
            log_path TEXT,
            message TEXT,
            UNIQUE (experiment_id, number)
        )"""
    )
    # Points are identified by (trial, metric, step): a resumed trial re-reporting a step
    # replaces the point instead of duplicating it. The same index serves "points of trial T,
    # metric M, in step order"; "what is new" uses the rowid watermark.
    db.execute(
        """
        CREATE TABLE metrics (
            trial_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            step INTEGER NOT NULL,
            value REAL,
            wall_time REAL NOT NULL
        )"""
    )
    db.execute("CREATE UNIQUE INDEX metrics_trial_name_step ON metrics (trial_id, name, step)")
    db.execute(
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            experiment_id INTEGER,
            trial_id INTEGER,
            kind TEXT NOT NULL,
            level TEXT NOT NULL DEFAULT 'info',
            message TEXT NOT NULL,
            step INTEGER,
            created_at REAL NOT NULL
        )"""
    )
    db.execute("CREATE INDEX events_trial ON events (trial_id)")
    db.execute("CREATE INDEX trials_experiment ON trials (experiment_id, number)")


def _m002_trial_provenance(db: Database) -> None:
    """Provenance (command, git commit, versions, devices, seed) and retries of failed trials."""
    db.execute("ALTER TABLE trials ADD COLUMN provenance TEXT")
    db.execute("ALTER TABLE trials ADD COLUMN retry_of INTEGER")


def _m003_curve_chunks(db: Database) -> None:
    """Curves packed into chunks of little-endian arrays, so the window reads a 100,000-point
    curve as a few BLOBs instead of 100,000 rows. A cache: the `metrics` rows stay the truth,
    and `hpdesk.store.curves` rebuilds a curve's chunks whenever they disagree.

    `curves` has one row per packed (trial, metric): every row of that curve with a rowid up to
    `packed_rowid` is in its chunks (rowids only grow, a re-reported step gets a new one);
    `final` marks the packing done when the trial ended, at `compacted_at`."""
    db.execute(
        """
        CREATE TABLE curves (
            trial_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            n INTEGER NOT NULL,
            last_step INTEGER NOT NULL,
            packed_rowid INTEGER NOT NULL,
            final INTEGER NOT NULL DEFAULT 0,
            compacted_at REAL NOT NULL,
            vmin REAL,
            vmax REAL,
            PRIMARY KEY (trial_id, name)
        )"""
    )
    db.execute(
        """
        CREATE TABLE curve_chunks (
            trial_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            first_step INTEGER NOT NULL,
            last_step INTEGER NOT NULL,
            n INTEGER NOT NULL,
            steps BLOB NOT NULL,
            vals BLOB NOT NULL,
            walls BLOB NOT NULL
        )"""
    )
    db.execute(
        "CREATE UNIQUE INDEX curve_chunks_curve ON curve_chunks (trial_id, name, first_step)"
    )


def _m004_search_state(db: Database) -> None:
    """What the search keeps per trial and per note, so a scheduler that restarts rebuilds its
    strategy, its pruner and its stages exactly: `trials.search_state` (the stage, the sampler's
    and the pruner's own notes, JSON), `trials.objectives` (every objective's value when a plan
    has several, JSON) and `events.data` (a structured payload beside the message: a stage's
    open parameters, an importance ranking, a population member's new hyperparameters)."""
    db.execute("ALTER TABLE trials ADD COLUMN search_state TEXT")
    db.execute("ALTER TABLE trials ADD COLUMN objectives TEXT")
    db.execute("ALTER TABLE events ADD COLUMN data TEXT")
    db.execute("CREATE INDEX events_experiment_kind ON events (experiment_id, kind)")


def _m005_liveness(db: Database) -> None:
    """Who is alive, told apart from a reused pid: the start time of the scheduler's and of each
    trial's process (psutil's create_time, as recorded when it was claimed or started), when a
    trial last showed progress (a point or a printed line, for stall detection), and since when
    it is stalled (NULL while it reports)."""
    db.execute("ALTER TABLE experiments ADD COLUMN scheduler_started_at REAL")
    db.execute("ALTER TABLE trials ADD COLUMN process_started_at REAL")
    db.execute("ALTER TABLE trials ADD COLUMN last_report_at REAL")
    db.execute("ALTER TABLE trials ADD COLUMN stalled_since REAL")


def _m006_archived(db: Database) -> None:
    """An experiment put away by a person: the window's list hides it unless asked to show
    archived ones; its trials and files stay (deleting is a separate, confirmed act)."""
    db.execute("ALTER TABLE experiments ADD COLUMN archived INTEGER NOT NULL DEFAULT 0")


_MIGRATIONS = (_m001_initial, _m002_trial_provenance, _m003_curve_chunks, _m004_search_state,
               _m005_liveness, _m006_archived)
assert len(_MIGRATIONS) == SCHEMA_VERSION


def migrate(conn: sqlite3.Connection, *, before_write: Callable[[], None] | None = None) -> None:
    """Bring the file to `SCHEMA_VERSION`; safe when several processes open a new file at once.

    A foreign file is refused before anything is written; `before_write` (an integrity check)
    runs before an existing file's schema is changed.

    Raises:
        StoreError: a newer schema, or not an hpdesk file; whatever `before_write` raises.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    check_version(version)
    if version == 0 and _has_foreign_tables(conn):
        raise StoreError(_FOREIGN)  # before BEGIN IMMEDIATE: nothing written, not even a -wal
    if before_write is not None and _has_tables(conn):
        before_write()
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    migrations = Migrations("hpdesk")
    for fn in _MIGRATIONS:
        migrations(name=fn.__name__.lstrip("_"))(fn)
    db = Database(conn)
    with write_transaction(conn):
        # Re-read inside the lock: another process may have migrated while we waited.
        if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            if version == 0 and _has_foreign_tables(conn):
                raise StoreError(_FOREIGN)
            migrations.apply(db)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


_FOREIGN = "this SQLite file is not an hpdesk database; hpdesk leaves it unchanged"


def check_version(version: int) -> None:
    """Raises StoreError for a schema newer than this hpdesk reads."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database was written by a newer hpdesk (schema {version}, "
            f"this version reads up to {SCHEMA_VERSION})"
        )


def vet(conn: sqlite3.Connection) -> None:
    """Refuse a file that is not hpdesk's (or too new), looking only: `conn` is read-only.

    An hpdesk file has no tables yet (new), or the `experiments` table and a `user_version`;
    anything else with tables (another program's database) is refused untouched.

    Raises:
        StoreError: not an hpdesk file, or a newer schema.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    check_version(version)
    tables = _tables(conn)
    if tables - {"_sqlite_migrations"} and (version == 0 or "experiments" not in tables):
        raise StoreError(_FOREIGN)


def require_current(conn: sqlite3.Connection, why: str) -> None:
    """A file opened read-only is read as it is: it must already have this schema.

    Raises:
        StoreError: an older schema (it cannot be upgraded without writing), or a newer one.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    check_version(version)
    if version < SCHEMA_VERSION:
        raise StoreError(f"{why}, and it has the schema of an older hpdesk ({version}, not "
                         f"{SCHEMA_VERSION}); open it once where it can be written to upgrade it")


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _has_tables(conn: sqlite3.Connection) -> bool:
    return bool(_tables(conn))


def _has_foreign_tables(conn: sqlite3.Connection) -> bool:
    return bool(_tables(conn) - {"_sqlite_migrations"})
