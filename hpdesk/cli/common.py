"""What every sub-command shares: exit codes, the one-sentence error, opening the database, and
what a scheduler does when the disk or the database fails under it."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hpdesk.store import Store
    from hpdesk.store.connection import StoreError

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Space a scheduler keeps beside the database for the moment the disk fills: freed then, it
#: lets the experiment's state, an event and the log line be written (about 60 WAL pages).
RESERVE_BYTES = 256 * 1024
RESERVE_NAME = ".space-for-last-words"
log = logging.getLogger(__name__)


class CliError(Exception):
    """Printed as `hpdesk: <message>` and turned into the exit code."""

    def __init__(self, message: str, code: int = EXIT_RUNTIME) -> None:
        super().__init__(message)
        self.code = code


def db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="the SQLite database (default: hpdesk.db in the user data folder)")


def db_path(db: Path | None) -> Path:
    """The database a command works on: `--db`, or the default one."""
    from hpdesk.runner import default_db_path

    return db or default_db_path()


def open_store(db: Path | None, *, must_exist: bool = False, for_writing: bool = False) -> Store:
    """The database, with experiments whose scheduler died already marked interrupted.

    `for_writing`: the command is about to write (a new experiment, a scheduler); a read-only,
    full or damaged database is refused now, in one sentence (see `recovery.open_store`)."""
    from hpdesk.runner.recovery import open_store as open_recovered

    return open_recovered(db_path(db), must_exist=must_exist, for_writing=for_writing)


def say(line: str, *, err: bool = False) -> None:
    """Print a line; a full disk or a closed pipe under stdout or stderr loses the line rather
    than ending the command with a traceback (the database, not the terminal, is the record)."""
    stream = sys.stderr if err else sys.stdout
    try:
        print(line, file=stream, flush=True)
    except OSError:  # ENOSPC, EPIPE, EIO: there is nowhere else to say it
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


# --- a scheduler that the disk or the database stops ------------------------------------------
class SpaceReserve:
    """A small file of incompressible bytes kept while a scheduler runs, deleted when the disk
    fills so that its last words fit (a ballast file). Creating it on a full disk just fails."""

    def __init__(self, folder: Path, *, owner: int, size: int = RESERVE_BYTES) -> None:
        import psutil

        self.path = folder / f"{RESERVE_NAME}-{owner}"
        for stale in folder.glob(f"{RESERVE_NAME}-*"):  # left by a scheduler that was killed
            pid = stale.name.rsplit("-", 1)[1]
            if pid.isdigit() and int(pid) != owner and not psutil.pid_exists(int(pid)):
                with contextlib.suppress(OSError):
                    stale.unlink()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, os.urandom(size))
            finally:
                os.close(fd)
        except OSError:
            self.release()

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def storage_stop(store: Store, experiment_id: int, failure: StoreError,
                 reserve: SpaceReserve | None = None) -> str:
    """After a scheduler died of `failure` (a full disk, a read-only or damaged file): its
    leftover trial processes are stopped and the one sentence for the person is returned. On a
    full disk the reserve is freed first, then the experiment and its running trials are marked
    interrupted with a "disk full" event (best effort, through a fresh connection); a read-only
    or damaged file is not written to."""
    from hpdesk.runner.recovery import stop_trial_process
    from hpdesk.store import Store as FreshStore
    from hpdesk.store.connection import DiskFullError

    with contextlib.suppress(sqlite3.Error):
        for trial in store.trials(experiment_id):
            if trial.state == "running":
                stop_trial_process(trial, grace_s=2.0)
    if reserve is not None:
        reserve.release()
    if not isinstance(failure, DiskFullError):
        return f"{failure}; experiment {experiment_id} stopped"
    why = f"disk full: {failure}"
    note = ""
    try:
        with FreshStore(store.path, must_exist=True) as fresh:
            with contextlib.suppress(sqlite3.Error):
                fresh.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # may give space back
            now = time.time()
            for trial in fresh.trials(experiment_id):
                if trial.state == "running":
                    fresh.update_trial(trial.id, state="interrupted", ended_at=now,
                                       message=f"interrupted: {why}")
            fresh.update_experiment(experiment_id, state="interrupted", requested_state=None)
            fresh.add_event("disk_full", why, experiment_id=experiment_id, level="error")
    except Exception:  # the same full disk: the log line still says it
        log.debug("could not record why the scheduler stopped", exc_info=True)
        note = " (the database could not record this)"
    return f"{failure}; free space and run `hpdesk resume {experiment_id}`{note}"
