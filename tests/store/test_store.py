from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from hpdesk.store import SCHEMA_VERSION, Store, StoreError


def test_new_file_is_migrated_in_wal_mode(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert {"experiments", "trials", "metrics", "events", "_sqlite_migrations"} <= tables


def test_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "classification", {"hpdesk": 1, "lr": 1e-3})
        trial = store.add_trial(exp.id, {"lr": 0.01})
        store.write_metrics([(trial.id, "loss", 1, 0.5, 1.0)])
    with Store(path) as store:
        assert store.experiment(exp.id).plan == {"hpdesk": 1, "lr": 1e-3}
        assert store.trial(trial.id).params == {"lr": 0.01}
        assert store.series(trial.id, "loss") == ([1], [0.5])


def test_foreign_and_broken_files_are_refused_with_a_sentence(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an hpdesk database"):
        Store(other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(StoreError, match="junk.db"):
        Store(junk)
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "missing.db", must_exist=True)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer hpdesk"):
        Store(path)


def test_trials_are_numbered_per_experiment(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        a = store.create_experiment("a", "classification", {})
        b = store.create_experiment("b", "classification", {})
        numbers = [store.add_trial(a.id, {}).number for _ in range(3)]
        assert numbers == [0, 1, 2]
        assert store.add_trial(b.id, {}).number == 0
        assert [t.number for t in store.trials(a.id)] == [0, 1, 2]


def test_update_rejects_unknown_fields(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        exp = store.create_experiment("a", "classification", {})
        trial = store.add_trial(exp.id, {})
        store.update_trial(trial.id, state="running", pid=123)
        assert store.trial(trial.id).state == "running"
        with pytest.raises(ValueError, match="cannot set"):
            store.update_trial(trial.id, id=5)


def test_points_after_watermark_and_replace_on_same_step(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        exp = store.create_experiment("a", "classification", {})
        t1, t2 = store.add_trial(exp.id, {}), store.add_trial(exp.id, {})
        store.write_metrics([(t1.id, "loss", s, 1.0 / s, 0.0) for s in range(1, 4)])
        first = store.points_after(0)
        assert [(p.trial_id, p.step) for p in first] == [(t1.id, 1), (t1.id, 2), (t1.id, 3)]
        mark = first[-1].rowid
        store.write_metrics([(t2.id, "loss", 1, 2.0, 0.0), (t1.id, "loss", 3, 9.0, 0.0)])
        new = store.points_after(mark)
        assert {(p.trial_id, p.step, p.value) for p in new} == {(t2.id, 1, 2.0), (t1.id, 3, 9.0)}
        assert store.points_after(mark, trial_ids=[t2.id])[0].value == 2.0
        # a re-reported step replaces the point, never duplicates it
        assert store.series(t1.id, "loss") == ([1, 2, 3], [1.0, 0.5, 9.0])


def _writer(path: str, trial_id: int, n: int) -> None:
    store = Store(path)
    for start in range(0, n, 50):
        store.write_metrics([(trial_id, "loss", s, float(s), time.time())
                             for s in range(start, start + 50)])
    store.close()


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        exp = store.create_experiment("a", "classification", {})
        ids = [store.add_trial(exp.id, {}).id for _ in range(4)]
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), tid, 2000)) for tid in ids]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with Store(path) as store:
        for tid in ids:
            steps, _ = store.series(tid, "loss")
            assert steps == list(range(2000))


def _slow_writer(path: str, trial_id: int) -> None:
    store = Store(path)
    s = 0
    while True:
        store.write_metrics([(trial_id, "loss", s + i, 1.0, 0.0) for i in range(100)])
        s += 100


def test_killed_writer_leaves_whole_batches_and_a_sound_file(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        exp = store.create_experiment("a", "classification", {})
        tid = store.add_trial(exp.id, {}).id
    proc = mp.get_context("spawn").Process(target=_slow_writer, args=(str(path), tid))
    proc.start()
    with Store(path) as store:
        deadline = time.time() + 30
        while store.last_step(tid) is None and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        steps, _ = store.series(tid, "loss")
        assert steps and len(steps) % 100 == 0 and steps == list(range(len(steps)))


def test_events_are_attached_to_trial_and_experiment(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        exp = store.create_experiment("a", "classification", {})
        trial = store.add_trial(exp.id, {})
        store.add_event("diverged", "loss is nan", trial_id=trial.id, step=5, level="warning")
        (event,) = store.events(experiment_id=exp.id)
        assert (event.trial_id, event.kind, event.step, event.level) == (
            trial.id, "diverged", 5, "warning")


def test_a_schema_1_file_is_upgraded_in_place_and_keeps_its_data(tmp_path: Path) -> None:
    """Old database files are kept as test assets and every release opens them (Optuna's habit)."""
    import shutil

    path = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "assets" / "schema-v1.db", path)
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (exp,) = store.experiments()
        (trial,) = store.trials(exp.id)
        assert (exp.name, trial.state, trial.objective) == ("digits-v1", "completed", 0.9)
        assert trial.provenance is None and trial.retry_of is None
        assert store.series(trial.id, "val_acc")[0] == list(range(1, 10))
        store.update_trial(trial.id, provenance={"git": {"commit": "abc"}})
        assert store.trial(trial.id).provenance == {"git": {"commit": "abc"}}
        applied = [r[0] for r in store.conn.execute(
            "SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert applied == ["m001_initial", "m002_trial_provenance", "m003_curve_chunks",
                           "m004_search_state", "m005_liveness", "m006_archived"]
        assert not exp.archived  # an old experiment is listed, not archived


def test_a_schema_3_file_gains_search_state_and_event_data(tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "v3.db"
    shutil.copy(Path(__file__).parent / "assets" / "schema-v3.db", path)
    with Store(path) as store:
        (exp,) = store.experiments()
        (trial,) = store.trials(exp.id)
        assert (exp.name, trial.objective, trial.search_state, trial.objectives) == (
            "digits-v3", 0.95, None, None)
        assert [e.data for e in store.events(experiment_id=exp.id)] == [None]
        store.update_trial(trial.id, search_state={"stage": 2}, objectives=[0.95, 1200.0])
        store.add_event("stage", "stage 2", experiment_id=exp.id, data={"open": ["lr"]})
        again = store.trial(trial.id)
        assert (again.stage, again.objectives) == (2, [0.95, 1200.0])
        assert store.events(experiment_id=exp.id, kinds=["stage"])[0].data == {"open": ["lr"]}
        assert store.series(trial.id, "val_acc")[0] == [1, 2, 3, 4]


def test_a_requested_state_is_set_once_so_a_pruner_never_overrides_a_person(tmp_path) -> None:
    with Store(tmp_path / "x.db") as store:
        exp = store.create_experiment("x", "classification", {})
        trial = store.add_trial(exp.id, {"lr": 0.1})
        assert not store.request_trial_state(trial.id, "pruned")  # not running yet
        store.update_trial(trial.id, state="running")
        assert store.request_trial_state(trial.id, "stopped")
        assert not store.request_trial_state(trial.id, "pruned")
        assert store.trial(trial.id).requested_state == "stopped"


def test_a_damaged_old_file_is_refused_before_its_schema_is_changed(tmp_path: Path) -> None:
    """The migration is a write: the integrity check comes first, and the file stays as it was."""
    import hashlib
    import shutil

    from hpdesk.store.connection import DamagedError

    path = tmp_path / "v3.db"
    shutil.copy(Path(__file__).parent / "assets" / "schema-v3.db", path)
    with open(path, "r+b") as fh:  # the last page, a table's, zeroed
        fh.seek(-4096, os.SEEK_END)
        fh.write(bytes(4096))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DamagedError, match=r"v3\.db is damaged \(.*hpdesk will not write to it"):
        Store(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3


def test_a_read_only_store_reads_and_refuses_writes_in_one_sentence(tmp_path: Path) -> None:
    from hpdesk.store.connection import ReadOnlyError, storage_failure

    path = tmp_path / "a.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "classification", {})
    with Store(path, read_only=True) as store:
        assert store.read_only and store.experiment(exp.id).name == "e"
        with pytest.raises(ReadOnlyError, match="a.db is open read-only"):
            store.ensure_writable()
        with pytest.raises(sqlite3.OperationalError) as raised:
            store.update_experiment(exp.id, name="renamed")
        assert isinstance(storage_failure(raised.value, path), ReadOnlyError)
    with Store(path) as store:
        assert not store.read_only and store.experiment(exp.id).name == "e"
        store.ensure_writable()  # writable and intact


def _experiment_with_data(store: Store, name: str) -> tuple[int, int]:
    exp = store.create_experiment(name, "classification", {})
    trial = store.add_trial(exp.id, {"lr": 0.1})
    store.write_metrics([(trial.id, "loss", step, 1.0 / step, 0.0) for step in range(1, 50)])
    store.compact_curves(trial.id, final=True)
    store.add_event("note", "started", experiment_id=exp.id)
    store.add_event("note", "a trial note", trial_id=trial.id)
    store.update_trial(trial.id, state="completed")
    return exp.id, trial.id


def _rows_of(store: Store, exp_id: int, trial_id: int) -> dict[str, int]:
    one = lambda sql, *a: store.conn.execute(sql, a).fetchone()[0]  # noqa: E731
    return {
        "experiments": one("SELECT COUNT(*) FROM experiments WHERE id = ?", exp_id),
        "trials": one("SELECT COUNT(*) FROM trials WHERE experiment_id = ?", exp_id),
        "metrics": one("SELECT COUNT(*) FROM metrics WHERE trial_id = ?", trial_id),
        "curves": one("SELECT COUNT(*) FROM curves WHERE trial_id = ?", trial_id),
        "curve_chunks": one("SELECT COUNT(*) FROM curve_chunks WHERE trial_id = ?", trial_id),
        "events": one("SELECT COUNT(*) FROM events WHERE experiment_id = ? OR trial_id = ?",
                      exp_id, trial_id),
    }


def test_deleting_an_experiment_removes_all_of_its_rows_and_nothing_else(tmp_path) -> None:
    with Store(tmp_path / "x.db") as store:
        gone, gone_trial = _experiment_with_data(store, "gone")
        kept, kept_trial = _experiment_with_data(store, "kept")
        before = _rows_of(store, kept, kept_trial)
        assert all(before.values()) and all(_rows_of(store, gone, gone_trial).values())
        assert store.delete_experiment(gone).name == "gone"
        assert set(_rows_of(store, gone, gone_trial).values()) == {0}
        assert _rows_of(store, kept, kept_trial) == before
        with pytest.raises(StoreError, match="no experiment"):
            store.delete_experiment(gone)


def test_a_running_experiment_cannot_be_deleted_and_keeps_everything(tmp_path) -> None:
    with Store(tmp_path / "x.db") as store:
        exp_id, trial_id = _experiment_with_data(store, "busy")
        store.update_experiment(exp_id, state="running")
        with pytest.raises(StoreError, match="stop it before deleting"):
            store.delete_experiment(exp_id)
        store.update_experiment(exp_id, state="stopped")
        store.update_trial(trial_id, state="running")  # a trial still winding down
        with pytest.raises(StoreError, match="stop it before deleting"):
            store.delete_experiment(exp_id)
        assert all(_rows_of(store, exp_id, trial_id).values())
        assert not store.conn.in_transaction  # the refusal rolled back and let go of the lock


def test_rename_and_archive_change_only_what_they_say(tmp_path) -> None:
    with Store(tmp_path / "x.db") as store:
        exp = store.create_experiment("old", "classification", {"name": "old"})
        assert not exp.archived
        renamed = store.rename_experiment(exp.id, "  sweep lr  ")
        assert (renamed.name, renamed.plan, renamed.state) == ("sweep lr", {"name": "old"},
                                                               "created")
        assert store.set_archived(exp.id, True).archived
        assert store.experiment(exp.id).archived and store.experiment(exp.id).name == "sweep lr"
        assert not store.set_archived(exp.id, False).archived
        for bad in ("", "   ", "x" * 201):
            with pytest.raises(ValueError, match="1 to 200 characters"):
                store.rename_experiment(exp.id, bad)
        with pytest.raises(StoreError, match="no experiment 99"):
            store.rename_experiment(99, "x")
        with pytest.raises(StoreError, match="no experiment 99"):
            store.set_archived(99, True)
