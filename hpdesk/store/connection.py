"""Opening the one SQLite file that the GUI, the scheduler and the trials share.

Contract: every process (and every thread) opens its own connection with `connect` (or
`open_database`, which also says whether it could only be opened for reading). Writers wrap
their work in `BEGIN IMMEDIATE ... COMMIT` (see `write_transaction`): a deferred transaction that
reads then writes can fail at once with SQLITE_BUSY, an immediate one waits up to the busy
timeout. WAL lets one writer and any number of readers work at the same time.

Opening never needs to write. A file hpdesk cannot write (a read-only file or mount, a full disk
where the WAL index cannot be created) is opened read-only instead, so reading still works; a
write then fails with SQLite's read-only error, which `storage_failure` turns into a sentence.
A file hpdesk did not make is looked at through a read-only connection (`vet`) before anything
could switch its journal mode. Damage is found by `check_intact` before the first write.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.request import pathname2url

BUSY_TIMEOUT_S = 30.0
_MAGIC = b"SQLite format 3\x00"
_LOW_SPACE_BYTES = 64 * 1024  # less than this free beside the file: an I/O error means "full"


class StoreError(Exception):
    """A database problem worth one sentence to the user (missing file, not an hpdesk file...)."""


class DiskFullError(StoreError):
    """The disk holding the database (or a file hpdesk writes) has no space left."""


class ReadOnlyError(StoreError):
    """The database can be read but not written (read-only file, folder or mount)."""


class DamagedError(StoreError):
    """The database file is corrupt: hpdesk refuses to write to it."""


class OpenedDatabase(NamedTuple):
    conn: sqlite3.Connection
    #: Why the connection is read-only (a `ReadOnlyError` or `DiskFullError` to raise when
    #: someone wants to write), or None when it may write.
    read_only: StoreError | None


def connect(
    path: str | os.PathLike[str], *, synchronous: str = "NORMAL", must_exist: bool = False,
    read_only: bool = False,
) -> sqlite3.Connection:
    """Open `path` in WAL mode with a busy timeout; autocommit unless a transaction is begun.

    `synchronous=NORMAL` is safe in WAL (a power cut may lose the last commits, never corrupt)
    and 4x faster than FULL for the many small metric commits (PLATFORM.md). A file that cannot
    be written is opened read-only (see `open_database`).

    Raises:
        StoreError: a missing file (`must_exist`), not an SQLite file, or unreadable.
    """
    return open_database(path, synchronous=synchronous, must_exist=must_exist,
                         read_only=read_only).conn


def open_database(
    path: str | os.PathLike[str], *, synchronous: str = "NORMAL", must_exist: bool = False,
    read_only: bool = False, vet: Callable[[sqlite3.Connection], None] | None = None,
) -> OpenedDatabase:
    """A connection to `path`, writable when the file, its folder and its disk allow it,
    otherwise read-only (with the reason). `vet` sees an existing file first, through a
    read-only connection, and raises to refuse it before anything is written to it.

    Raises:
        StoreError: as `connect`; whatever `vet` raises.

    Example:
        >>> import tempfile
        >>> opened = open_database(Path(tempfile.mkdtemp()) / "x.db")
        >>> opened.read_only is None
        True
    """
    db_path = Path(path)
    exists = db_path.exists()
    if must_exist and not exists:
        raise StoreError(f"database {db_path} does not exist")
    has_content = exists and _check_header(db_path)
    if has_content and vet is not None:
        _vet(db_path, vet)
    if read_only:
        return OpenedDatabase(_open_read_only(db_path),
                              ReadOnlyError(f"{db_path} is open read-only"))
    if has_content and not os.access(db_path, os.W_OK):  # SQLite would open it read-only,
        why = why_read_only(db_path) or "the file cannot be written"  # and not say so
        return OpenedDatabase(_open_read_only(db_path),
                              ReadOnlyError(f"{db_path} is read-only: {why}"))
    if not exists:
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_failure(exc, db_path) or StoreError(
                f"cannot create the folder of {db_path}: {exc.strerror}") from exc
    conn = None
    try:
        conn = sqlite3.connect(_uri(db_path, "rw" if exists else "rwc"), uri=True,
                               timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        failure = storage_failure(exc, db_path)
        if has_content and isinstance(failure, (ReadOnlyError, DiskFullError)):
            return OpenedDatabase(_open_read_only(db_path), failure)
        if failure is not None:
            raise failure from exc
        raise StoreError(f"{db_path} is not a usable SQLite database: {exc}") from exc
    if mode.lower() != "wal":
        conn.close()
        raise StoreError(f"{db_path}: SQLite refused WAL mode (a network file system?)")
    return OpenedDatabase(conn, None)


def _uri(path: Path, mode: str, *, immutable: bool = False) -> str:
    uri = f"file:{pathname2url(os.path.abspath(path))}?mode={mode}"
    return uri + "&immutable=1" if immutable else uri


def _check_header(path: Path) -> bool:
    """Whether `path` holds an SQLite database (False for an empty file: SQLite makes it one).

    Raises:
        StoreError: a file that is not SQLite, or that cannot be read.
    """
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except IsADirectoryError as exc:
        raise StoreError(f"{path} is a folder, not a database") from exc
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
    if not header:
        return False
    if not header.startswith(_MAGIC):
        raise StoreError(f"{path} is not a usable SQLite database: file is not a database")
    return True


def _has_wal(path: Path) -> bool:
    try:
        return os.path.getsize(f"{path}-wal") > 0
    except OSError:
        return False


def _open_read_only(path: Path) -> sqlite3.Connection:
    """Read `path` without writing it or its side files, as SQLite's rules for WAL databases on
    read-only media allow: through the WAL when its index (-shm) exists or can be created;
    `immutable=1` when there is no WAL to read (a cleanly closed file, a read-only folder or a
    full disk where no index can be made).

    Raises:
        StoreError: unreadable; or a WAL that cannot be read here (no index and none creatable).
    """
    for immutable in (False, True):
        conn = None
        try:
            conn = sqlite3.connect(_uri(path, "ro", immutable=immutable), uri=True,
                                   timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA user_version").fetchone()  # reads the header and the WAL index
            conn.execute("PRAGMA query_only = 1")
            return conn
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            failure = storage_failure(exc, path)
            if isinstance(failure, DamagedError):
                raise failure from exc
            if immutable or _has_wal(path):
                raise StoreError(
                    f"{path} cannot be read here ({exc}): its recent changes are in {path}-wal, "
                    f"and SQLite cannot make the index it needs to read them; copy {path.name} "
                    "and its -wal file to a folder with free space that you can write") from exc
    raise AssertionError("unreachable")


def _vet(path: Path, vet: Callable[[sqlite3.Connection], None]) -> None:
    """Show an existing file to `vet` through a read-only connection that writes nothing and
    leaves no side files: `immutable=1` when no WAL holds changes (so no -wal or -shm is made),
    else a plain read-only connection (the WAL is in use; its -shm exists)."""
    try:
        conn = sqlite3.connect(_uri(path, "ro", immutable=not _has_wal(path)), uri=True,
                               timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.DatabaseError:
        return  # unreadable this way: the normal open says why, and it writes nothing first
    try:
        vet(conn)
    except sqlite3.DatabaseError as exc:
        failure = storage_failure(exc, path)
        if isinstance(failure, DamagedError):
            raise failure from exc
    finally:
        conn.close()


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` ... `COMMIT`, rolled back on any exception (a kill rolls back too).

    A failed COMMIT (a full disk) is rolled back too, so the connection does not keep the write
    lock; where SQLite already rolled back by itself, the original error is the one raised."""
    try:
        # BEGIN inside the try: a signal's exception (KeyboardInterrupt in a script at Ctrl-C)
        # landing just after it still rolls back, so the process never keeps the write lock.
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


# --- the disk and the file ------------------------------------------------------------------
def storage_failure(exc: BaseException, path: str | os.PathLike[str]) -> StoreError | None:
    """The sentence for an error that comes from the disk or the file rather than from hpdesk:
    a full disk, a read-only file, folder or mount, a damaged file; None for anything else.

    `path` is the database the error came from (an OSError names its own file when it can).

    Example:
        >>> storage_failure(sqlite3.OperationalError("database or disk is full"), "/d/x.db")
        DiskFullError('the disk holding /d/x.db is full (database or disk is full)')
    """
    db = Path(path)
    if isinstance(exc, (DiskFullError, ReadOnlyError, DamagedError)):
        return exc
    if isinstance(exc, OSError):  # a file hpdesk writes (a log, a folder), or a stream
        where = exc.filename if isinstance(exc.filename, str) else None
        detail = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskFullError(f"the disk holding {where} is full ({detail})" if where
                                 else f"the disk being written to is full ({detail})")
        if exc.errno == errno.EROFS:
            return ReadOnlyError(f"{where or 'the file being written'} is read-only: its file "
                                 "system is mounted read-only")
        return None
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL") or "database or disk is full" in str(exc):
        return DiskFullError(f"the disk holding {db} is full ({exc})")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in str(exc):
        return DamagedError(
            f"{db} is damaged ({exc}); hpdesk will not write to it; "
            f"`sqlite3 {db} .recover` may save its data")
    if name.startswith(("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN")) or (
            "readonly" in str(exc)):
        if disk_full(db):  # the WAL index (-shm) or a journal could not be made or grown
            return DiskFullError(f"the disk holding {db} is full (no space left; SQLite: {exc})")
        why = why_read_only(db)
        if why is not None:
            return ReadOnlyError(f"{db} is read-only: {why}")
        if name.startswith("SQLITE_READONLY") or "readonly" in str(exc):
            return ReadOnlyError(f"{db} is read-only: {exc}")
    return None


def disk_full(path: str | os.PathLike[str]) -> bool:
    """Whether the file system holding `path` (or its folder) has (almost) no space left."""
    try:
        st = os.statvfs(_existing(Path(path)))
    except OSError:
        return False
    free = st.f_bfree if os.geteuid() == 0 else st.f_bavail  # root may use reserved blocks
    return free * st.f_frsize < _LOW_SPACE_BYTES


def why_read_only(path: str | os.PathLike[str]) -> str | None:
    """Why `path` (a database) cannot be written, in words, or None when nothing stops it."""
    db = Path(path)
    folder = db.parent
    try:
        if os.statvfs(_existing(db)).f_flag & os.ST_RDONLY:
            return "its file system is mounted read-only"
    except OSError:
        pass
    if db.exists() and not os.access(db, os.W_OK):
        return "the file's permissions do not allow writing"
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} cannot be written (SQLite keeps its -wal and -shm files there)"
    return None


def _existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


_INTACT: set[tuple[int, int]] = set()


def check_intact(conn: sqlite3.Connection, path: str | os.PathLike[str]) -> None:
    """Refuse to write into a damaged file: `PRAGMA quick_check`, once per process and file.

    It reads every page (0.7 s for 320 MB when cached, about 5 s from a cold disk), so it runs
    before a process's first write where damage would spread (an experiment created, a scheduler
    started, a migration, recovery), not on every open.

    Raises:
        DamagedError: the check found a problem (the first one is named).
    """
    db = Path(path)
    try:
        st = os.stat(db)
        key: tuple[int, int] | None = (st.st_dev, st.st_ino)
    except OSError:
        key = None
    if key is not None and key in _INTACT:
        return
    try:
        problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(1)").fetchall()]
    except sqlite3.DatabaseError as exc:
        failure = storage_failure(exc, db)
        if failure is not None:
            raise failure from exc
        problems = [str(exc)]
    if problems != ["ok"]:
        first = problems[0].replace("*** in database main ***", "").strip()
        raise DamagedError(f"{db} is damaged ({first}); hpdesk will not write to it; "
                           f"`sqlite3 {db} .recover` may save its data")
    if key is not None:
        _INTACT.add(key)
