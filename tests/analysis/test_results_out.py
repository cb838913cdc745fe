"""Trials, metric points and experiments as CSV and JSON Lines: read back by pandas with the
right types, streamed with bounded memory, and never left half-written."""

from __future__ import annotations

import errno
import io
import json
import sqlite3
import tracemalloc
import types
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from hpdesk.analysis import results_out
from hpdesk.analysis.export import write_metrics_csv, write_trials_csv
from hpdesk.analysis.results_out import (
    ExportError,
    export_experiments,
    export_metrics,
    export_trials,
    write_file,
)
from hpdesk.store import Store
from tests.analysis.results_db import MESSAGE, T0, ResultsDb, make_results_db

TIMES = ["started_at", "ended_at"]


@pytest.fixture
def db(tmp_path: Path) -> ResultsDb:
    return make_results_db(tmp_path)


def _export(db: ResultsDb, export, fmt: str, experiment: int | None, path: Path) -> int:
    with Store(db.path) as store:
        return write_file(path, lambda fh: export(store, fh, fmt, experiment))


def _is_utc(dtype: object) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC"


def test_trials_csv_reads_in_pandas_with_types_and_values(db: ResultsDb, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    assert _export(db, export_trials, "csv", db.classification, path) == 3
    df = pd.read_csv(path, parse_dates=TIMES)
    assert list(df.columns[:5]) == ["id", "experiment_id", "number", "state", "objective"]
    for column in ("id", "experiment_id", "number", "param.batch_size"):
        assert df[column].dtype == "int64", column
    for column in ("objective", "objective.val_acc", "duration_s", "param.lr"):
        assert df[column].dtype == "float64", column
    assert all(_is_utc(df[c].dtype) for c in TIMES)
    assert pd.api.types.is_string_dtype(df["state"]) and df["param.amp"].dtype == "bool"
    assert list(df["state"]) == ["completed", "failed", "running"]
    assert df["objective"][0] == 0.91 and pd.isna(df["objective"][1])
    assert list(df["param.lr"]) == [0.01, 0.02, 0.03] and list(df["param.amp"]) == [
        True, False, True]
    assert df["started_at"][0] == pd.Timestamp(T0, unit="s", tz="UTC")
    assert pd.isna(df["ended_at"][2]) and df["duration_s"][0] == 100.25
    assert df["message"][1] == MESSAGE  # a comma, quotes and a newline survive
    text = path.read_text(encoding="utf-8")
    assert "2023-11-14T22:13:20.500000+00:00" in text


def test_trials_jsonl_has_json_types(db: ResultsDb, tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _export(db, export_trials, "jsonl", db.classification, path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3
    first, failed = rows[0], rows[1]
    assert first["id"] == 1 and first["param.batch_size"] == 32 and first["param.amp"] is True
    assert first["objective"] == 0.91 and failed["objective"] is None
    assert first["started_at"] == "2023-11-14T22:13:20.500000+00:00"
    assert rows[2]["ended_at"] is None and failed["message"] == MESSAGE
    df = pd.read_json(path, lines=True, dtype={"objective": "float64", "duration_s": "float64"})
    assert df["id"].dtype == "int64" and df["objective"].dtype == "float64"
    assert df["param.amp"].dtype == "bool" and all(_is_utc(df[c].dtype) for c in TIMES)
    assert pd.api.types.is_string_dtype(df["state"])


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_metrics_long_format_in_pandas(db: ResultsDb, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"m.{fmt}"
    assert _export(db, export_metrics, fmt, db.classification, path) == 10
    df = (pd.read_csv(path, parse_dates=["wall_time"])
          if fmt == "csv" else  # pandas' JSON reader rounds floats unless asked not to
          pd.read_json(path, lines=True, dtype={"value": "float64"}, precise_float=True))
    assert list(df.columns) == list(results_out.METRIC_COLUMNS)
    for column in ("experiment_id", "trial_id", "trial_number", "step"):
        assert df[column].dtype == "int64", column
    assert df["value"].dtype == "float64" and _is_utc(df["wall_time"].dtype)
    assert pd.api.types.is_string_dtype(df["name"])
    first = df[df.trial_number == 0]
    assert list(first["name"]) == ["train_loss", "val_acc", "val_acc", "val_acc"]
    assert pd.isna(first["value"].iloc[0])  # the NaN point: empty cell / null
    assert list(first["value"].iloc[1:]) == [0.5, 0.6, 0.7]
    assert first["wall_time"].iloc[3] == pd.Timestamp(T0 + 20, unit="s", tz="UTC")
    if fmt == "csv":
        assert "\n1,1,0,train_loss,0,," in path.read_text(encoding="utf-8")
    else:
        assert '"value": null' in path.read_text(encoding="utf-8")


def test_every_experiment_with_its_id_and_every_objective(db: ResultsDb, tmp_path: Path
                                                          ) -> None:
    path = tmp_path / "all.csv"
    assert _export(db, export_trials, "csv", None, path) == 4
    df = pd.read_csv(path, parse_dates=TIMES)
    assert list(df["experiment_id"]) == [db.classification] * 3 + [db.script]
    assert {"objective.val_acc", "objective.acc", "objective.latency_ms", "param.act",
            "param.wd", "param.extra_seed"} <= set(df.columns)
    script = df[df.experiment_id == db.script].iloc[0]
    assert script["objective"] == script["objective.acc"] == 0.8
    assert script["objective.latency_ms"] == 12.5 and pd.isna(script["objective.val_acc"])
    assert script["param.act"] == "gelu" and script["param.extra_seed"] == 3
    assert _export(db, export_metrics, "jsonl", None, tmp_path / "all.jsonl") == 12


def test_experiments_table(db: ResultsDb, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    assert _export(db, export_experiments, "csv", None, path) == 2
    df = pd.read_csv(path, parse_dates=["created_at", "updated_at"])
    assert list(df["name"]) == ["sweep", "script"] and list(df["trials"]) == [3, 1]
    assert list(df["objective_metric"]) == ["val_acc", "acc"]
    assert _is_utc(df["created_at"].dtype) and df["id"].dtype == "int64"


def test_window_csv_and_command_line_csv_are_the_same(db: ResultsDb, tmp_path: Path) -> None:
    with Store(db.path) as store:
        trials = store.trials(db.classification)
        write_trials_csv(tmp_path / "w.csv", db.plan, trials, tz=timezone.utc)
        write_metrics_csv(tmp_path / "wm.csv", store, trials, tz=timezone.utc)
    _export(db, export_trials, "csv", db.classification, tmp_path / "c.csv")
    _export(db, export_metrics, "csv", db.classification, tmp_path / "cm.csv")
    assert (tmp_path / "w.csv").read_text() == (tmp_path / "c.csv").read_text()
    assert (tmp_path / "wm.csv").read_text() == (tmp_path / "cm.csv").read_text()


class _Counting(io.TextIOBase):
    """A sink that keeps nothing: what a streamed export holds is its own doing."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def test_metrics_stream_with_bounded_memory(tmp_path: Path) -> None:
    with Store(tmp_path / "big.db") as store:
        exp = store.create_experiment("big", "script", {"task": "script"})
        ids = [store.add_trial(exp.id, {"i": i}).id for i in range(3)]
        store.write_metrics((t, name, s, s * 0.001, T0 + s) for t in ids
                            for name in ("loss", "acc") for s in range(30_000))
        rows = results_out.metric_rows(store, [(exp.id, t, n) for n, t in enumerate(ids)])
        assert isinstance(rows, types.GeneratorType)  # lazy: nothing is read before asked
        rows.close()
        sink = _Counting()
        tracemalloc.start()
        try:
            count = export_metrics(store, sink, "csv", exp.id)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == 180_000 and sink.chars > 10_000_000
    assert peak < sink.chars / 40, (peak, sink.chars)  # a few rows at a time, not the table


def test_a_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old export\n")

    def fills_the_disk(fh) -> int:
        fh.write("id,value\n" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ExportError, match="disk is full") as caught:
        write_file(target, fills_the_disk)
    assert caught.value.errno == errno.ENOSPC and str(target) in str(caught.value)
    assert target.read_text() == "old export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]

    def database_fails(fh) -> int:
        fh.write("id\n")
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError):
        write_file(tmp_path / "new.csv", database_fails)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_unwritable_targets_are_said_in_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="folder .* does not exist"):
        write_file(tmp_path / "missing" / "x.csv", lambda fh: 0)
    with pytest.raises(ExportError, match="it is a folder"):
        write_file(tmp_path, lambda fh: 0)


def test_times_are_utc_iso_8601() -> None:
    assert results_out.iso_time(T0) == "2023-11-14T22:13:20.500000+00:00"
    assert datetime.fromisoformat(results_out.iso_time(T0) or "").timestamp() == T0
    assert results_out.iso_time(None) is None and results_out.iso_time(float("nan")) is None
