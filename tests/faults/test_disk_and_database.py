"""Faults of the disk and of the database file (issue 11, item 5): a full disk, a read-only file
or mount, a damaged file, a foreign SQLite file.

A full disk and a read-only mount are real: a small tmpfs mounted inside the test (CI runs as
root; elsewhere those cases skip and say why). The same behaviour is also tested portably, with
SQLite's `PRAGMA max_page_count` (SQLITE_FULL, "database or disk is full") and /dev/full.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from hpdesk.cli import CliError
from hpdesk.store import Store
from hpdesk.store.connection import (
    DamagedError,
    DiskFullError,
    ReadOnlyError,
    StoreError,
    write_transaction,
)
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "fixtures" / "fake_train.py"
PLAIN = ROOT / "tests" / "fixtures" / "plain_train.py"


# --- helpers --------------------------------------------------------------------------------
def hpdesk(*args: str, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, **kwargs)


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exit 1 and said so in one `hpdesk:` line, no traceback."""
    assert out.returncode == 1, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("hpdesk: ")]
    assert len(lines) == 1, out.stderr
    return lines[0]


def script_plan(folder: Path, command: list[str], space: dict[str, Any], **top: Any) -> Path:
    plan = {"hpdesk": 1, "task": "script", "name": "disk", "command": command,
            "objective": {"metric": "val_acc", "direction": "maximize"}, "strategy": "grid",
            "budget": {"trials": 1}, "concurrency": 1, "space": space, **top}
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    return path


def quick_plan(folder: Path) -> Path:
    return script_plan(folder, [sys.executable, str(FAKE)], {"lr": [0.1], "steps": 3})


def filled_database(path: Path, *, points: int = 200, running: bool = False) -> int:
    """An experiment with one finished trial (a log, `points` points); with `running`, a
    second experiment still "running" under a scheduler that is gone, so opening it wants to
    write (recovery). Returns the first experiment's id."""
    with Store(path) as store:
        exp = store.create_experiment("done", "script", {"hpdesk": 1})
        trial = store.add_trial(exp.id, {"lr": 0.1})
        log = path.parent / "trial-0.log"
        log.write_text("epoch 1: loss: 0.5\nall done\n")
        store.update_trial(trial.id, state="completed", objective=0.5, log_path=str(log))
        store.update_experiment(exp.id, state="completed")
        store.write_metrics([(trial.id, "loss", s, 1.0 / s, float(s)) for s in range(1, points)])
        if running:
            lost = store.create_experiment("lost", "script", {"hpdesk": 1})
            store.update_experiment(lost.id, state="running", scheduler_pid=2**22 + 7,
                                    scheduler_host=os.uname().nodename, heartbeat_at=time.time())
        return exp.id


def fill_disk(folder: Path) -> Path:
    """Write a file until the file system holding `folder` has no byte left."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\xff" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def fingerprint(path: Path) -> tuple[str, int, list[str]]:
    """The file's bytes, its modification time and the side files beside it."""
    side = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns, side


def kill_users_of(folder: Path) -> None:
    """End every process that runs from, or was started for, `folder` (a test's schedulers and
    trials), so the mount can go."""
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        with contextlib.suppress(psutil.Error):
            info = proc.info
            if proc.pid == os.getpid():
                continue
            text = " ".join(info["cmdline"] or []) + " " + (info["cwd"] or "")
            if str(folder) in text:
                proc.send_signal(signal.SIGKILL)


@contextlib.contextmanager
def tmpfs(folder: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of `size_kb` mounted at `folder` for the test, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root); the max_page_count "
                    "and /dev/full cases test the same behaviour without it")
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command here; the max_page_count and /dev/full cases test the "
                    "same behaviour without it")
    folder.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs",
                          str(folder)], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({out.stderr.strip() or out.returncode}): a "
                    "container without CAP_SYS_ADMIN? The max_page_count and /dev/full cases "
                    "test the same behaviour without it")
    try:
        yield folder
    finally:
        kill_users_of(folder)
        for _ in range(50):
            if subprocess.run(["umount", str(folder)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def remount(folder: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True,
                   capture_output=True)


# --- a full disk (a real one) ---------------------------------------------------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize("side_files", ["absent", "present"])
def test_reading_commands_work_on_a_full_disk(tmp_path: Path, side_files: str) -> None:
    """`absent`: every connection was closed, so SQLite must create the WAL index (-shm) to
    read, and cannot; `present`: another process holds the file open (its -wal and -shm
    exist). Either way the reading commands answer, and recovery, which would write, says why
    it did not."""
    with tmpfs(tmp_path / "disk", 2048) as disk:
        db = disk / "x.db"
        filled_database(db, running=True)
        holder = sqlite3.connect(db) if side_files == "present" else None
        try:
            if holder is not None:
                holder.execute("SELECT COUNT(*) FROM experiments").fetchone()
            assert (disk / "x.db-shm").exists() == (side_files == "present")
            fill_disk(disk)
            status = hpdesk("status", "--db", str(db))
            assert status.returncode == 0, status.stderr
            assert "done: completed" in status.stdout and "lost: running" in status.stdout
            assert "is no longer running" in status.stdout  # liveness still told
            if side_files == "present":
                assert "is full" in status.stderr and "Traceback" not in status.stderr
            trials = hpdesk("trials", "--json", "--db", str(db))
            assert trials.returncode == 0, trials.stderr
            assert json.loads(trials.stdout)[0]["metrics"] == {"loss": pytest.approx(1 / 199)}
            logs = hpdesk("logs", "1", "--db", str(db))
            assert logs.returncode == 0 and "all done" in logs.stdout, logs.stderr
            experiments = hpdesk("experiments", "--db", str(db))
            assert experiments.returncode == 0 and "lost" in experiments.stdout
        finally:
            if holder is not None:
                holder.close()


@pytest.mark.timeout(90)
def test_a_detached_scheduler_on_a_full_disk_says_why_and_marks_the_experiment(
        tmp_path: Path) -> None:
    """The disk fills while trials report: the scheduler stops them, frees the space it kept
    for this moment, marks the experiment interrupted with a "disk full" event and writes one
    line to scheduler.log; each trial's log says in one line why it stopped."""
    with tmpfs(tmp_path / "disk", 4096) as disk:
        db = disk / "x.db"
        plan = script_plan(tmp_path, [sys.executable, str(FAKE)],
                           {"lr": [0.1, 0.2], "steps": 10**6, "sleep": 0.0005},
                           budget={"trials": 2}, concurrency=2)
        started = hpdesk("start", str(plan), "--db", str(db))
        assert started.returncode == 0, started.stderr
        exp_id = int(started.stdout.split()[-1])

        def points() -> int:
            with Store(db, read_only=True) as store:
                return store.max_rowid()

        wait_until(lambda: points() > 100, 30, what="trials reporting points")
        with Store(db, read_only=True) as store:
            pid = store.experiment(exp_id).scheduler_pid
        filler = fill_disk(disk)
        wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() ==
                   psutil.STATUS_ZOMBIE, 40, what="the scheduler to stop")
        log = (disk / "x-runs" / f"experiment-{exp_id}" / "scheduler.log").read_text()
        assert "Traceback" not in log, log
        assert (f"hpdesk: the disk holding {db} is full (database or disk is full); free space "
                f"and run `hpdesk resume {exp_id}`") in log, log
        trial_logs = [p.read_text() for p in (disk / "x-runs").glob("*/trial-*.log")]
        said = [t for t in trial_logs if "hpdesk: this trial's metrics cannot be saved: the "
                f"disk holding {db} is full" in t]
        assert said, trial_logs  # where the log itself had room for the line
        assert all("Traceback" not in t or "sdk.py" not in t for t in trial_logs), trial_logs
        filler.unlink()
        status = hpdesk("status", str(exp_id), "--json", "--db", str(db))
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["state"] == "interrupted"
        with Store(db, read_only=True) as store:
            events = store.events(experiment_id=exp_id, kinds=["disk_full"])
            assert [e.message.split(":")[0] for e in events] == ["disk full"]
            assert {t.state for t in store.trials(exp_id)} == {"interrupted"}


# --- a full disk, portably -------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_a_scheduler_whose_database_cannot_grow_stops_and_records_why(tmp_path: Path) -> None:
    """SQLITE_FULL from `PRAGMA max_page_count` (no root needed): the scheduler ends with one
    sentence naming the file and the command to resume, and the experiment says why."""
    from hpdesk.cli.runs import _run_scheduler
    from hpdesk.plan import load_plan
    from hpdesk.runner import create_experiment

    db = tmp_path / "x.db"
    plan = script_plan(tmp_path, [sys.executable, str(PLAIN), "--epochs", "{epochs}"],
                       {"epochs": 20000, "lr": 1e-5})  # 40,000 points the scheduler stores
    with Store(db) as store:
        exp = create_experiment(store, load_plan(plan).resolved(tmp_path))
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # this connection only
        with pytest.raises(CliError) as raised:
            _run_scheduler(store, exp.id, summary=False)
    message = str(raised.value)
    assert message == (f"the disk holding {db} is full (database or disk is full); free space "
                       f"and run `hpdesk resume {exp.id}`")
    with Store(db, read_only=True) as store:
        assert store.experiment(exp.id).state == "interrupted"
        [event] = store.events(experiment_id=exp.id, kinds=["disk_full"])
        assert event.level == "error" and event.message.startswith("disk full: the disk")
        trial = store.trials(exp.id)[0]
        assert trial.state == "interrupted"  # by the scheduler as it stopped, or after it
        assert not psutil.pid_exists(trial.pid or 0) or psutil.Process(
            trial.pid or 0).status() == psutil.STATUS_ZOMBIE


@pytest.mark.timeout(30)
def test_a_trial_whose_database_is_full_says_so_in_one_line_and_stops(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from hpdesk import sdk

    db = tmp_path / "x.db"
    with Store(db) as store:
        trial = store.add_trial(store.create_experiment("e", "script", {}).id, {})
    sink = sdk.DatabaseSink(str(db), trial.id)
    pages = sink._conn.execute("PRAGMA page_count").fetchone()[0]
    sink._conn.execute(f"PRAGMA max_page_count = {pages}")
    reporter = sdk.Reporter(sink)
    with pytest.raises(SystemExit) as ended:
        for step in range(100_000):
            reporter.report(step, {"loss": 1.0 / (step + 1), "acc": step * 1e-6})
    assert ended.value.code == 1
    assert reporter.should_stop()
    reporter.flush()  # what atexit does: nothing more is said
    reporter.close(wait_s=0.1)
    err = capfd.readouterr().err
    assert err.splitlines() == [
        f"hpdesk: this trial's metrics cannot be saved: the disk holding {db} is full "
        "(database or disk is full); it stops"]


@pytest.mark.timeout(60)
def test_a_scheduler_whose_log_is_on_a_full_device_still_runs_the_experiment(
        tmp_path: Path) -> None:
    """A detached scheduler's stdout and stderr (its scheduler.log) on /dev/full, where every
    write fails with ENOSPC: its lines are lost, the experiment is not (before, the first line
    it printed ended it)."""
    from hpdesk.plan import load_plan
    from hpdesk.runner import create_experiment

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    db = tmp_path / "x.db"
    with Store(db) as store:
        exp = create_experiment(store, load_plan(quick_plan(tmp_path)).resolved(tmp_path))
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "scheduler", "--experiment",
                              str(exp.id), "--db", str(db)], stdout=full, stderr=full,
                             cwd=ROOT, timeout=50)
    assert out.returncode == 0
    with Store(db, read_only=True) as store:
        assert store.experiment(exp.id).state == "completed"
        assert [t.state for t in store.trials(exp.id)] == ["completed"]


# --- read-only files and mounts -------------------------------------------------------------
@pytest.mark.timeout(60)
def test_a_read_only_mount_is_read_and_writing_says_read_only(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", 2048) as folder:
        db = folder / "x.db"
        exp_id = filled_database(db)
        remount(folder, "ro")
        try:
            status = hpdesk("status", "--db", str(db))
            assert status.returncode == 0 and "done: completed" in status.stdout, status.stderr
            trials = hpdesk("trials", "--db", str(db))
            assert trials.returncode == 0 and "completed" in trials.stdout, trials.stderr
            line = one_line_error(hpdesk("run", str(quick_plan(tmp_path)), "--db", str(db)))
            assert line == f"hpdesk: {db} is read-only: its file system is mounted read-only"
            line = one_line_error(hpdesk("resume", str(exp_id), "--db", str(db)))
            assert " is read-only: " in line
            with Store(db) as store:
                assert store.read_only
                with pytest.raises(ReadOnlyError, match="is read-only: its file system"):
                    store.ensure_writable()
        finally:
            remount(folder, "rw")


@pytest.mark.timeout(60)
def test_a_read_only_copy_with_its_wal_is_read_through_the_wal(tmp_path: Path) -> None:
    """SQLite's rules for WAL files on read-only media: with -wal and -shm beside it the file
    is read through its WAL (the newest rows); with a -wal but no -shm it cannot be, and hpdesk
    says so instead of showing older data."""
    source = tmp_path / "src" / "x.db"
    source.parent.mkdir()
    filled_database(source)
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE experiments SET name = 'newest' WHERE id = 1")  # only in the WAL
    copies = {}
    for name, sides in (("both", ("-wal", "-shm")), ("wal-only", ("-wal",))):
        copies[name] = tmp_path / name
        copies[name].mkdir()
        for side in ("", *sides):
            shutil.copy(f"{source}{side}", copies[name] / f"x.db{side}")
    writer.close()
    with tmpfs(tmp_path / "ro", 2048) as folder:
        for name, copy in copies.items():
            shutil.copytree(copy, folder / name)
        remount(folder, "ro")
        try:
            with Store(folder / "both" / "x.db") as store:
                assert store.read_only and store.experiment(1).name == "newest"
            with pytest.raises(StoreError, match=r"cannot be read here .*x\.db-wal"):
                Store(folder / "wal-only" / "x.db")
        finally:
            remount(folder, "rw")


def _bound_by_permissions() -> None:
    """In the child, before exec: root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (taken
    out of the bounding set), so file permissions bind it as they bind any user."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.timeout(60)
def test_a_file_in_a_folder_this_user_cannot_write_is_read(tmp_path: Path) -> None:
    """Portable: a read-only file in a read-only folder (no -wal or -shm can be made there).
    Root ignores permissions, so as root the check runs without the capabilities that let it."""
    folder = Path(tempfile.mkdtemp(prefix="hpdesk-ro-"))
    try:
        db = folder / "x.db"
        filled_database(db)
        code = (
            "import sys\n"
            "from hpdesk.store import Store\n"
            "from hpdesk.store.connection import ReadOnlyError\n"
            "with Store(sys.argv[1]) as store:\n"
            "    assert store.read_only, 'opened for writing'\n"
            "    print(store.experiment(1).name, len(store.series(1, 'loss')[0]))\n"
            "    try:\n"
            "        store.ensure_writable()\n"
            "    except ReadOnlyError as exc:\n"
            "        print(exc)\n")
        db.chmod(0o444)
        folder.chmod(0o555)
        out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True,
                             text=True, timeout=30, cwd=ROOT,
                             preexec_fn=_bound_by_permissions if os.geteuid() == 0 else None)
        assert out.returncode == 0, out.stderr
        name_and_count, said = out.stdout.splitlines()
        assert name_and_count == "done 199"
        assert said.startswith(f"{db} is read-only: ")
        assert sorted(p.name for p in folder.iterdir()) == ["trial-0.log", "x.db"]  # no -wal
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


# --- damage ---------------------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_a_database_damaged_in_the_middle_is_refused_before_anything_is_written(
        tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    filled_database(db, points=20_000)
    pages = db.stat().st_size // 4096
    with open(db, "r+b") as fh:  # a page of the metrics in the middle of the file, zeroed
        fh.seek(pages // 2 * 4096)
        fh.write(bytes(4096))
    before = fingerprint(db)
    line = one_line_error(hpdesk("run", str(quick_plan(tmp_path)), "--db", str(db)))
    assert line.startswith(f"hpdesk: {db} is damaged (Page ")
    assert line.endswith(f"hpdesk will not write to it; `sqlite3 {db} .recover` may save "
                         "its data")
    assert fingerprint(db)[0] == before[0]  # no experiment was written into it
    line = one_line_error(hpdesk("start", str(quick_plan(tmp_path)), "--db", str(db)))
    assert " is damaged (" in line
    listed = hpdesk("experiments", "--db", str(db))  # reading what can be read still works
    assert listed.returncode == 0 and listed.stdout.split() == ["1", "completed", "script",
                                                                 "done"], listed.stderr
    with Store(db) as store, pytest.raises(DamagedError):
        store.ensure_writable()
    assert fingerprint(db)[0] == before[0]


# --- foreign files ---------------------------------------------------------------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_a_foreign_sqlite_file_is_refused_and_never_modified(tmp_path: Path,
                                                            journal: str) -> None:
    db = tmp_path / "notes.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    before = fingerprint(db)
    assert before[2] == []  # closed cleanly: no -wal, no -shm, no -journal
    time.sleep(0.01)  # a write now would show in the modification time
    for args in (("run", str(quick_plan(tmp_path))), ("status",)):
        line = one_line_error(hpdesk(*args, "--db", str(db)))
        assert line == (f"hpdesk: {db}: this SQLite file is not an hpdesk database; hpdesk "
                        "leaves it unchanged")
    for read_only in (False, True):
        with pytest.raises(StoreError, match="not an hpdesk database"):
            Store(db, read_only=read_only)
    assert fingerprint(db) == before


# --- the pieces ------------------------------------------------------------------------------
def test_a_failed_write_leaves_no_transaction_open(tmp_path: Path) -> None:
    """SQLITE_FULL inside `write_transaction`: rolled back, the write lock released (others
    can write at once), and the original error raised, not "no transaction is active"."""
    db = tmp_path / "x.db"
    Store(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        with write_transaction(conn):
            conn.executemany("INSERT INTO events (kind, message, created_at) VALUES (?, ?, ?)",
                             [("k", "x" * 500, 0.0)] * 200)
    assert not conn.in_transaction
    other = sqlite3.connect(db, timeout=0.1, isolation_level=None)
    other.execute("INSERT INTO events (kind, message, created_at) VALUES ('k', 'm', 0)")
    other.close()
    conn.close()


def test_disk_full_read_only_and_damage_each_read_as_one_sentence(tmp_path: Path) -> None:
    import errno

    from hpdesk.store.connection import storage_failure

    db = tmp_path / "x.db"
    full = storage_failure(sqlite3.OperationalError("database or disk is full"), db)
    assert isinstance(full, DiskFullError)
    assert str(full) == f"the disk holding {db} is full (database or disk is full)"
    enospc = storage_failure(OSError(errno.ENOSPC, "No space left on device", "/d/log"), db)
    assert str(enospc) == "the disk holding /d/log is full (No space left on device)"
    rofs = storage_failure(OSError(errno.EROFS, "Read-only file system", "/d/log"), db)
    assert isinstance(rofs, ReadOnlyError)
    assert str(rofs) == "/d/log is read-only: its file system is mounted read-only"
    stream = storage_failure(OSError(errno.ENOSPC, "No space left on device"), db)
    assert str(stream) == "the disk being written to is full (No space left on device)"
    damaged = storage_failure(sqlite3.DatabaseError("database disk image is malformed"), db)
    assert isinstance(damaged, DamagedError) and ".recover" in str(damaged)
    assert storage_failure(sqlite3.OperationalError("no such table: x"), db) is None
    assert storage_failure(OSError(errno.ENOENT, "No such file"), db) is None
