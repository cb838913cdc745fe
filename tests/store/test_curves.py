"""Packed curves (schema m003): chunks plus unpacked rows always read as the rows themselves."""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpdesk.store import SCHEMA_VERSION, Store, compact_curves, read_curves
from hpdesk.store import curves as curves_module
from hpdesk.store.curves import extremes, last_points, metric_names

ASSETS = Path(__file__).parent / "assets"


def _expected(store: Store, trial_id: int, name: str) -> tuple[list[int], list[float], list[float]]:
    rows = store.conn.execute(
        "SELECT step, value, wall_time FROM metrics WHERE trial_id = ? AND name = ? ORDER BY step",
        (trial_id, name)).fetchall()
    return ([r[0] for r in rows], [math.nan if r[1] is None else r[1] for r in rows],
            [r[2] for r in rows])


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(x == y or (math.isnan(x) and math.isnan(y))
                                    for x, y in zip(a, b))


def _assert_reads_like_rows(store: Store, trial_id: int, name: str) -> None:
    steps, values, walls = _expected(store, trial_id, name)
    got = read_curves(store, name, [trial_id]).curves.get(trial_id)
    if not steps:
        assert got is None
        return
    assert got is not None
    assert list(got.steps) == steps
    assert _same(list(got.values), values)
    assert list(got.walls) == walls


def _trial(store: Store, state: str = "running") -> int:
    exp = store.create_experiment("e", "classification", {})
    tid = store.add_trial(exp.id, {}).id
    store.update_trial(tid, state=state, started_at=time.time() - 100)
    return tid


_value = st.one_of(st.none(), st.just(math.nan), st.just(math.inf),
                   st.floats(allow_nan=False, allow_infinity=False, width=64))
_batch = st.lists(st.tuples(st.integers(0, 60), _value), min_size=1, max_size=25)
_op = st.one_of(
    st.tuples(st.just("write"), _batch),
    st.tuples(st.just("compact"), st.booleans()),
    st.tuples(st.just("restart"), st.none()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(_op, min_size=1, max_size=12))
def test_chunks_and_rows_read_as_the_rows_whatever_was_written_and_packed(ops: list) -> None:
    """Re-reported steps, None/NaN/inf values, packing in between, a trial resumed after its
    final packing: the read always equals the row-per-point series (one value per step).

    The one thing the store's contract rules out: once a trial ended (final packing), it
    writes only steps after its last one (a batch still in flight) until it runs again."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "a.db") as store:
        tid = _trial(store)
        wall = 1.0
        ended = False
        for kind, arg in ops:
            if kind == "write":
                last = store.last_step(tid)
                if ended and last is not None and min(s for s, _ in arg) <= last:
                    store.update_trial(tid, state="running", started_at=time.time() + 1)
                rows = []
                for step, value in arg:
                    wall += 0.5
                    rows.append((tid, "loss", step, value, wall))
                store.write_metrics(rows)
            elif kind == "compact":
                if arg:
                    store.update_trial(tid, state="completed", ended_at=time.time())
                compact_curves(store, tid, final=arg, min_points=3, chunk_points=7)
                ended = ended or arg  # ended until it runs again
            else:
                store.update_trial(tid, state="running", started_at=time.time() + 1)
                ended = False
            _assert_reads_like_rows(store, tid, "loss")


def test_a_running_trial_is_packed_once_enough_points_gathered(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        tid = _trial(store)
        store.write_metrics([(tid, "loss", s, 1.0 / (s + 1), float(s)) for s in range(40)])
        assert compact_curves(store, tid, min_points=50) == 0
        store.write_metrics([(tid, "loss", s, 1.0 / (s + 1), float(s)) for s in range(40, 60)])
        assert compact_curves(store, tid, min_points=50, chunk_points=25) == 60
        assert compact_curves(store, tid, min_points=50) == 0  # idempotent
        chunks = store.conn.execute(
            "SELECT first_step, last_step, n FROM curve_chunks WHERE trial_id = ?"
            " ORDER BY first_step", (tid,)).fetchall()
        assert [tuple(c) for c in chunks] == [(0, 24, 25), (25, 49, 25), (50, 59, 10)]
        store.write_metrics([(tid, "loss", 60, 0.01, 60.0), (tid, "acc", 1, 0.5, 1.0)])
        assert compact_curves(store, tid, min_points=50) == 0
        _assert_reads_like_rows(store, tid, "loss")  # chunks + the unpacked tail
        store.update_trial(tid, state="completed", ended_at=time.time())
        assert compact_curves(store, tid, final=True) == 2  # what is left, every metric
        assert compact_curves(store, tid, final=True) == 0
        _assert_reads_like_rows(store, tid, "loss")
        _assert_reads_like_rows(store, tid, "acc")


def test_a_resumed_trial_re_reporting_packed_steps_reads_the_newest_values(
        tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        tid = _trial(store)
        store.write_metrics([(tid, "loss", s, 1.0, float(s)) for s in range(100)])
        store.update_trial(tid, state="interrupted", ended_at=time.time())
        assert compact_curves(store, tid, final=True) == 100
        # resumed from the checkpoint at step 50: steps 50.. are reported again
        store.update_trial(tid, state="running", started_at=time.time() + 1, ended_at=None)
        store.write_metrics([(tid, "loss", s, 2.0, 1000.0 + s) for s in range(50, 70)])
        curve = read_curves(store, "loss", [tid]).curves[tid]
        assert list(curve.steps) == list(range(100))
        assert list(curve.values) == [1.0] * 50 + [2.0] * 20 + [1.0] * 30
        assert compact_curves(store, tid, min_points=10) == 100  # rebuilt from the rows
        _assert_reads_like_rows(store, tid, "loss")


def test_the_read_reports_the_watermark_new_points_continue_from(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        tid = _trial(store)
        other = store.add_trial(store.trial(tid).experiment_id, {}).id
        store.write_metrics([(tid, "loss", s, float(s), 0.0) for s in range(10)])
        read = read_curves(store, "loss", [tid, other, tid])
        assert set(read.curves) == {tid} and read.name == "loss"
        store.write_metrics([(tid, "loss", 10, 10.0, 0.0)])
        new = store.points_after(read.watermark, trial_ids=[tid, other])
        assert [p.step for p in new] == [10]
        assert read_curves(store, "loss", []).curves == {}


def test_metric_names_latest_points_and_extremes(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        tid = _trial(store)
        exp_id = store.trial(tid).experiment_id
        quiet = store.add_trial(exp_id, {}).id
        rows = [(tid, "val_acc", s, v, float(s)) for s, v in [(1, 0.2), (2, None), (3, 0.9)]]
        rows += [(tid, "loss", s, 5.0 - s, float(s)) for s in range(5)]
        rows += [(tid, "epoch", 3, 1.0, 3.0)]
        store.write_metrics(rows)
        assert metric_names(store, exp_id) == {tid: ["epoch", "loss", "val_acc"], quiet: []}
        assert store.experiment_metric_names(exp_id) == ["epoch", "loss", "val_acc"]
        latest = last_points(store, [tid, quiet])
        assert latest[quiet] == {}
        assert (latest[tid]["loss"].step, latest[tid]["loss"].value) == (4, 1.0)
        assert latest[tid]["val_acc"].value == 0.9
        compact_curves(store, tid, min_points=2)
        store.write_metrics([(tid, "val_acc", 4, 0.95, 4.0), (tid, "val_acc", 5, 0.1, 5.0)])
        assert extremes(store, "val_acc", [tid, quiet]) == {tid: (0.1, 0.95), quiet: (None, None)}


def test_a_compaction_racing_another_packs_each_point_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store, Store(path) as rival:
        tid = _trial(store)
        store.write_metrics([(tid, "loss", s, float(s), 0.0) for s in range(30)])
        real = curves_module.write_transaction
        raced: list[int] = []

        def rival_first(conn):  # the rival packs between our read and our write
            if conn is store.conn and not raced:
                raced.append(compact_curves(rival, tid, min_points=10))
            return real(conn)

        monkeypatch.setattr(curves_module, "write_transaction", rival_first)
        assert compact_curves(store, tid, min_points=10) == 0
        assert raced == [30]
        n = store.conn.execute("SELECT SUM(n) FROM curve_chunks WHERE trial_id = ?",
                               (tid,)).fetchone()[0]
        assert n == 30
        _assert_reads_like_rows(store, tid, "loss")


def test_a_schema_2_file_is_upgraded_and_its_curves_pack(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(ASSETS / "schema-v2.db", path)
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        applied = [r[0] for r in store.conn.execute(
            "SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert "m003_curve_chunks" in applied
        (exp,) = store.experiments()
        done, failed = store.trials(exp.id)
        assert (exp.name, done.state, done.objective) == ("digits-v2", "completed", 0.9)
        assert done.provenance == {"git": {"commit": "abc"}}
        assert store.experiment_metric_names(exp.id) == ["epoch", "train_loss", "val_acc"]
        assert compact_curves(store, done.id, final=True) == 301 + 10 + 10
        assert compact_curves(store, failed.id, final=True) == 10
        for trial in (done, failed):
            for name in ("train_loss", "val_acc"):
                _assert_reads_like_rows(store, trial.id, name)
        curve = read_curves(store, "train_loss", [done.id]).curves[done.id]
        assert math.isnan(curve.values[-1]) and curve.steps[-1] == 301


def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        with pytest.raises(ValueError, match="at least 1"):
            compact_curves(store, 1, min_points=0)
