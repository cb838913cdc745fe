"""Trials, metric points and experiments as CSV or JSON Lines, streamed from the database.

One code path for the window's CSV export and `hpdesk export`: the same columns, whoever
writes. Rows are written as SQLite returns them (a cursor per trial), so a database with
millions of metric points exports with the memory of one row. Times are ISO 8601 with a UTC
offset (`2026-12-06T01:23:45.123456+00:00`) and pandas reads them as tz-aware datetimes; a
missing value or a NaN is an empty CSV cell and a JSON `null`.

A file is written beside its target under a temporary name and renamed into place at the end,
so a failure (a full disk) leaves no half-written export and keeps a file it would replace.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import math
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, Protocol, TextIO

from hpdesk.jsonsafe import dumps
from hpdesk.plan.model import objective_entries
from hpdesk.store import Store, Trial

FORMATS = ("csv", "jsonl")
UTC = timezone.utc
PARAM_PREFIX = "param."
OBJECTIVE_PREFIX = "objective."
TRIAL_HEAD = ("id", "experiment_id", "number", "state", "objective")
TRIAL_TAIL = ("started_at", "ended_at", "duration_s", "device", "host", "exit_code", "message")
METRIC_COLUMNS = ("experiment_id", "trial_id", "trial_number", "name", "step", "value",
                  "wall_time")
EXPERIMENT_COLUMNS = ("id", "name", "task", "state", "created_at", "updated_at",
                      "objective_metric", "direction", "trials", "archived")
#: Row = the values of one record, in column order: None for missing, times as ISO strings.
Row = Sequence[Any]


class TextSink(Protocol):
    """Where rows go: a text file, stdout, or anything with `write(str)`."""

    def write(self, text: str, /) -> Any: ...


class ExportError(OSError):
    """An export that could not be written, said in one sentence (an OSError, so callers that
    catch file errors catch it)."""


def iso_time(seconds: float | None, tz: tzinfo | None = UTC) -> str | None:
    """Unix seconds as ISO 8601 with the UTC offset of `tz` (None: this machine's zone); None
    for no time.

    >>> iso_time(0.25)
    '1970-01-01T00:00:00.250000+00:00'
    """
    if seconds is None or not math.isfinite(seconds):
        return None
    return datetime.fromtimestamp(seconds, tz).astimezone(tz).isoformat(timespec="microseconds")


# --- columns and rows -----------------------------------------------------------------------
def trial_columns(plans: Mapping[int, Mapping[str, Any]], param_names: Iterable[str]
                  ) -> list[str]:
    """The trials table's header: fixed columns, `objective.<metric>` for every objective of
    the plans (the first is also `objective`), then `param.<name>` for the plans' parameters
    in plan order followed by any other parameter a trial had."""
    objectives: list[str] = []
    params: list[str] = []
    for plan in plans.values():
        for entry in objective_entries(plan):
            if entry["metric"] not in objectives:
                objectives.append(entry["metric"])
        params.extend(n for n in plan.get("space", {}) if n not in params)
    params.extend(n for n in param_names if n not in params)
    return [*TRIAL_HEAD, *(OBJECTIVE_PREFIX + m for m in objectives), *TRIAL_TAIL,
            *(PARAM_PREFIX + n for n in params)]


def trial_row(trial: Trial, plan: Mapping[str, Any], columns: Sequence[str],
              tz: tzinfo | None = UTC) -> list[Any]:
    """One trial's values in `columns` order (see `trial_columns`)."""
    values: dict[str, Any] = {
        "id": trial.id, "experiment_id": trial.experiment_id, "number": trial.number,
        "state": trial.state, "objective": trial.objective,
        "started_at": iso_time(trial.started_at, tz), "ended_at": iso_time(trial.ended_at, tz),
        "duration_s": (trial.ended_at - trial.started_at
                       if trial.started_at is not None and trial.ended_at is not None else None),
        "device": trial.device, "host": trial.host, "exit_code": trial.exit_code,
        "message": trial.message,
    }
    for i, entry in enumerate(objective_entries(plan)):
        several = trial.objectives or []
        value = several[i] if i < len(several) else (trial.objective if i == 0 else None)
        values[OBJECTIVE_PREFIX + entry["metric"]] = value
    for name, value in trial.params.items():
        values[PARAM_PREFIX + name] = value
    return [values.get(c) for c in columns]


def trial_table(store: Store, experiment_ids: Sequence[int], *, tz: tzinfo | None = UTC
                ) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the rows of the trials of `experiment_ids`, read in two passes over the
    table (parameter names first, for the header), one trial in memory at a time."""
    plans = {e: store.experiment(e).plan for e in experiment_ids}
    names: dict[str, None] = {}
    for exp_id in experiment_ids:
        for (params,) in _plain(store.conn).execute(
                "SELECT params FROM trials WHERE experiment_id = ?", (exp_id,)):
            names.update(dict.fromkeys(_params(params)))
    columns = trial_columns(plans, names)

    def rows() -> Iterator[list[Any]]:
        for exp_id in experiment_ids:
            for row in store.conn.execute(
                    "SELECT * FROM trials WHERE experiment_id = ? ORDER BY number", (exp_id,)):
                yield trial_row(Trial.from_row(row), plans[exp_id], columns, tz)
    return columns, rows()


def metric_rows(store: Store, trials: Iterable[tuple[int, int, int]], *,
                tz: tzinfo | None = UTC) -> Iterator[tuple[Any, ...]]:
    """Every point of `trials` ((experiment id, trial id, number) each) in `METRIC_COLUMNS`
    order, by trial, metric name and step: one index-ordered cursor per trial, never the
    whole table in memory."""
    cursor = _plain(store.conn)
    for exp_id, trial_id, number in trials:
        for name, step, value, wall in cursor.execute(
                "SELECT name, step, value, wall_time FROM metrics WHERE trial_id = ?"
                " ORDER BY name, step", (trial_id,)):
            yield exp_id, trial_id, number, name, step, value, iso_time(wall, tz)


def trial_keys(store: Store, experiment_ids: Sequence[int]) -> list[tuple[int, int, int]]:
    """(experiment id, trial id, number) of every trial of `experiment_ids`, in order."""
    keys: list[tuple[int, int, int]] = []
    for exp_id in experiment_ids:
        keys.extend(_plain(store.conn).execute(
            "SELECT experiment_id, id, number FROM trials WHERE experiment_id = ?"
            " ORDER BY number", (exp_id,)))
    return keys


def experiment_rows(store: Store, experiment_ids: Sequence[int], *, tz: tzinfo | None = UTC
                    ) -> Iterator[list[Any]]:
    """One row per experiment in `EXPERIMENT_COLUMNS` order."""
    counts = dict(_plain(store.conn).execute(
        "SELECT experiment_id, COUNT(*) FROM trials GROUP BY experiment_id").fetchall())
    for exp_id in experiment_ids:
        exp = store.experiment(exp_id)
        first = objective_entries(exp.plan)[0]
        yield [exp.id, exp.name, exp.task, exp.state, iso_time(exp.created_at, tz),
               iso_time(exp.updated_at, tz), first["metric"], first["direction"],
               counts.get(exp.id, 0), exp.archived]


def experiment_ids(store: Store, experiment_id: int | None) -> list[int]:
    """`[experiment_id]` once it is known to exist (StoreError otherwise), or every one."""
    if experiment_id is not None:
        return [store.experiment(experiment_id).id]
    return [e for (e,) in _plain(store.conn).execute("SELECT id FROM experiments ORDER BY id")]


# --- formats --------------------------------------------------------------------------------
def write_rows(fh: TextSink, fmt: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
    """Write a header (CSV) and `rows` to `fh` as `fmt` ("csv" or "jsonl"); returns the row
    count. CSV: None and NaN are empty cells, floats keep every digit, dicts and lists are
    JSON. JSONL: one object per line, NaN and infinities null."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    count = 0
    if fmt == "csv":
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(columns)
        for row in rows:
            out.writerow([_cell(v) for v in row])
            count += 1
        return count
    for row in rows:
        fh.write(dumps(dict(zip(columns, row, strict=True))))
        fh.write("\n")
        count += 1
    return count


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, (dict, list)):
        return dumps(value)
    return value


# --- the file -------------------------------------------------------------------------------
def write_file(path: str | os.PathLike[str], write: Callable[[TextIO], int]) -> int:
    """Call `write` with a text file that becomes `path` only once it succeeded (replacing a
    file there); on any failure the partial file is removed and an `ExportError` says why in
    one sentence. A device or a pipe (`/dev/stdout`, a FIFO) is written to directly."""
    target = Path(path)
    if target.is_dir():
        raise ExportError(f"cannot write {target}: it is a folder")
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        try:
            with open(target, "w", newline="", encoding="utf-8") as fh:
                return write(fh)
        except OSError as exc:
            raise write_failure(exc, target, removed=False) from exc
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with open(partial, "x", newline="", encoding="utf-8") as fh:
            count = write(fh)
        os.replace(partial, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, ExportError):
            raise write_failure(exc, target) from exc
        raise
    return count


def write_failure(exc: OSError, target: Path, *, removed: bool = True) -> ExportError:
    """The sentence for a failed write of `target`; its `errno` is the cause's (ENOSPC: the
    disk is full, which a caller may tell from a path that cannot be written)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        failure = ExportError(f"cannot write {target}: the disk is full" + (
            "; the partial export was removed" if removed else ""))
    elif exc.errno == errno.ENOENT and not target.parent.exists():
        failure = ExportError(f"cannot write {target}: the folder {target.parent} does not "
                              "exist")
    else:
        failure = ExportError(f"cannot write {target}: {exc.strerror or exc}")
    failure.errno = exc.errno
    return failure


def export_trials(store: Store, fh: TextSink, fmt: str, experiment_id: int | None = None, *,
                  tz: tzinfo | None = UTC) -> int:
    """Every trial of one experiment (or all) to `fh`; returns the row count."""
    ids = experiment_ids(store, experiment_id)
    with store.snapshot():
        columns, rows = trial_table(store, ids, tz=tz)
        return write_rows(fh, fmt, columns, rows)


def export_metrics(store: Store, fh: TextSink, fmt: str, experiment_id: int | None = None, *,
                   tz: tzinfo | None = UTC) -> int:
    """Every metric point of one experiment (or all) to `fh`, streamed; returns the count."""
    ids = experiment_ids(store, experiment_id)
    with store.snapshot():
        return write_rows(fh, fmt, METRIC_COLUMNS,
                          metric_rows(store, trial_keys(store, ids), tz=tz))


def export_experiments(store: Store, fh: TextSink, fmt: str, experiment_id: int | None = None,
                       *, tz: tzinfo | None = UTC) -> int:
    """One row per experiment (its name, task, state, times, objective, trial count)."""
    ids = experiment_ids(store, experiment_id)
    with store.snapshot():
        return write_rows(fh, fmt, EXPERIMENT_COLUMNS, experiment_rows(store, ids, tz=tz))


EXPORTS: dict[str, Callable[..., int]] = {
    "trials": export_trials, "metrics": export_metrics, "experiments": export_experiments}


def _plain(conn: sqlite3.Connection) -> sqlite3.Cursor:
    cursor = conn.cursor()
    cursor.row_factory = None  # tuples: far cheaper than sqlite3.Row per point
    return cursor


def _params(text: str | None) -> Iterable[str]:
    import json

    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}
