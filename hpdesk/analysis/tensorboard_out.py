"""Experiments as TensorBoard runs: every metric point as a scalar, and the HParams plugin's
records so TensorBoard's HParams tab shows the trials as a table.

Layout under the output folder: `experiment-<id>/` holds the experiment's HParams config (its
hyperparameters with their domains from the plan, and its metrics); `experiment-<id>/trial-<n>/`
holds trial n's scalars (step, value, wall time as stored), its session start (its parameter
values) and, once it finished, its session end (its status). Open TensorBoard on
`experiment-<id>` for that experiment's HParams table: the tab reads one experiment config.

tensorboardX (the `hpdesk[tensorboard]` extra) is imported only when exporting; its protocol
buffers and TFRecord writer are used directly, so a write that fails (a full disk) fails here,
not silently in a writer thread.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpdesk.analysis.results_out import ExportError, experiment_ids, write_failure
from hpdesk.jsonsafe import dumps
from hpdesk.store import Store, Trial

INSTALL_HINT = "pip install 'hpdesk[tensorboard]'"
EVENTS_PREFIX = "events.out.tfevents."
PLUGIN = "hparams"
EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_TAG = "_hparams_/session_start_info"
SESSION_END_TAG = "_hparams_/session_end_info"
#: hpdesk's trial states as the HParams plugin's session status (absent: still running).
STATUS = {"completed": "STATUS_SUCCESS", "no_objective": "STATUS_FAILURE",
          "failed": "STATUS_FAILURE", "diverged": "STATUS_FAILURE",
          "pruned": "STATUS_UNKNOWN", "stopped": "STATUS_UNKNOWN",
          "interrupted": "STATUS_UNKNOWN"}


class NeedsTensorboardX(ExportError):
    """tensorboardX is not installed."""


@dataclass(frozen=True)
class TensorBoardExport:
    experiments: int
    runs: int  # trial folders written
    points: int  # scalars written


def load_tensorboardx() -> None:
    """Import the parts of tensorboardX used here without torch: its package `__init__`
    tries `import torch` (a second of start-up, and only hpdesk.tasks may load torch), so
    torch is marked absent while tensorboardX loads, unless something already loaded it.

    Raises:
        NeedsTensorboardX: tensorboardX is not installed.
    """
    hide = "torch" not in sys.modules
    if hide:
        sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` fails at once
    try:
        import tensorboardX.proto.api_pb2  # noqa: F401
        import tensorboardX.proto.plugin_hparams_pb2  # noqa: F401
        import tensorboardX.record_writer  # noqa: F401
    except ImportError as exc:
        raise NeedsTensorboardX(
            f"the TensorBoard export needs tensorboardX: {INSTALL_HINT}") from exc
    finally:
        if hide and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def run_folder(out: Path, experiment_id: int, number: int | None = None) -> Path:
    """`out/experiment-<id>` or, with a trial number, `out/experiment-<id>/trial-<n>`."""
    folder = out / f"experiment-{experiment_id}"
    return folder if number is None else folder / f"trial-{number}"


def existing_events(out: Path, ids: Sequence[int]) -> list[Path]:
    """Event files already under the experiments' folders (an earlier export)."""
    found: list[Path] = []
    for exp_id in ids:
        folder = run_folder(out, exp_id)
        found += folder.glob(EVENTS_PREFIX + "*")
        found += folder.glob(f"trial-*/{EVENTS_PREFIX}*")
    return sorted(found)


def export_tensorboard(store: Store, out: str | os.PathLike[str], experiment_id: int | None,
                       *, replace: bool = False) -> TensorBoardExport:
    """Write one experiment (or every one) under `out`; with `replace`, event files of an
    earlier export of those experiments are deleted first, else they are refused. On failure
    the files this call wrote are removed.

    Raises:
        NeedsTensorboardX: tensorboardX is missing.
        ExportError: earlier event files (without `replace`), or a write failed.
        StoreError: no such experiment.
    """
    load_tensorboardx()
    folder = Path(out)
    ids = experiment_ids(store, experiment_id)
    earlier = existing_events(folder, ids)
    if earlier and not replace:
        raise ExportError(f"{earlier[0].parent} already holds TensorBoard event files from an "
                          "earlier export; pass --force to replace them")
    written: list[Path] = []
    try:
        for path in earlier:
            path.unlink()
        runs = points = 0
        with store.snapshot():
            for exp_id in ids:
                r, p = _experiment(store, folder, exp_id, written)
                runs, points = runs + r, points + p
    except BaseException as exc:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, ExportError):
            raise write_failure(exc, Path(exc.filename) if isinstance(exc.filename, str)
                           else folder) from exc
        raise
    return TensorBoardExport(len(ids), runs, points)


def _experiment(store: Store, out: Path, exp_id: int, written: list[Path]) -> tuple[int, int]:
    from tensorboardX.proto import api_pb2

    exp = store.experiment(exp_id)
    trials = store.trials(exp_id)
    types, infos = hparam_infos(exp.plan.get("space", {}), trials)
    metrics = store.experiment_metric_names(exp_id)
    config = api_pb2.Experiment(
        name=exp.name, description=f"hpdesk experiment {exp.id} ({exp.task})",
        time_created_secs=exp.created_at, hparam_infos=infos,
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=m),
                                         dataset_type=_dataset(m)) for m in metrics])
    with _events(run_folder(out, exp_id), written) as write:
        write(_plugin_event(EXPERIMENT_TAG, experiment=config), exp.created_at, 0)
    points = 0
    for trial in trials:
        points += _trial(store, out, trial, types, written)
    return len(trials), points


def _trial(store: Store, out: Path, trial: Trial, types: Mapping[str, int],
           written: list[Path]) -> int:
    from tensorboardX.proto import api_pb2, plugin_hparams_pb2
    from tensorboardX.proto.summary_pb2 import Summary

    start = trial.started_at if trial.started_at is not None else trial.created_at
    session = plugin_hparams_pb2.SessionStartInfo(start_time_secs=start)
    for name, value in trial.params.items():
        if value is not None:
            _set_value(session.hparams[name], value, types.get(name))
    count, last_step = 0, 0
    cursor = store.conn.cursor()
    cursor.row_factory = None
    with _events(run_folder(out, trial.experiment_id, trial.number), written) as write:
        write(_plugin_event(SESSION_START_TAG, session_start_info=session), start, 0)
        for name, step, value, wall in cursor.execute(
                "SELECT name, step, value, wall_time FROM metrics WHERE trial_id = ?"
                " ORDER BY name, step", (trial.id,)):
            scalar = Summary(value=[Summary.Value(
                tag=name, simple_value=math.nan if value is None else value)])
            write(scalar, wall, step)
            count, last_step = count + 1, max(last_step, step)
        status = STATUS.get(trial.state)
        if status is not None:
            end = plugin_hparams_pb2.SessionEndInfo(
                status=api_pb2.Status.Value(status),
                end_time_secs=trial.ended_at or start)
            write(_plugin_event(SESSION_END_TAG, session_end_info=end),
                  trial.ended_at or start, last_step)
    return count


def hparam_infos(space: Mapping[str, Any], trials: Sequence[Trial]
                 ) -> tuple[dict[str, int], list[Any]]:
    """Each hyperparameter's HParams type and info: ranges (`float`, `int`) as intervals,
    choices and fixed values as discrete domains (from the stored plan), and parameters only
    the trials know (added by a search) typed by their values, with the values' span or set
    as the domain."""
    from google.protobuf import struct_pb2
    from tensorboardX.proto import api_pb2

    seen: dict[str, list[Any]] = {}
    for trial in trials:
        for name, value in trial.params.items():
            seen.setdefault(name, []).append(value)
    names = [*space, *(n for n in seen if n not in space)]
    types: dict[str, int] = {}
    infos = []
    for name in names:
        spec = space.get(name)
        kind = spec.get("type") if isinstance(spec, Mapping) else None
        info = api_pb2.HParamInfo(name=name)
        if kind in ("float", "int"):
            info.type = api_pb2.DataType.Value("DATA_TYPE_FLOAT64")
            info.domain_interval.min_value = float(spec["low"])  # type: ignore[index]
            info.domain_interval.max_value = float(spec["high"])  # type: ignore[index]
        else:
            choices: list[Any] = []
            if kind == "categorical":
                choices = list(spec.get("choices", []))  # type: ignore[union-attr]
            elif kind == "fixed":
                choices = [spec.get("value")]  # type: ignore[union-attr]
            values = choices or [v for v in seen.get(name, []) if v is not None]
            info.type = _data_type(values)
            if not choices and info.type == api_pb2.DataType.Value("DATA_TYPE_FLOAT64"):
                # TensorBoard's table filters and sorts a column by its domain: give the
                # values' span to a number the plan does not range
                info.domain_interval.min_value = float(min(values))
                info.domain_interval.max_value = float(max(values))
            elif values:
                domain = struct_pb2.ListValue()
                for value in _unique(values):
                    _set_value(domain.values.add(), value, info.type)
                info.domain_discrete.CopyFrom(domain)
        types[name] = info.type
        infos.append(info)
    return types, infos


def _unique(values: Sequence[Any]) -> list[Any]:
    """`values` without repeats, in order (as JSON text: 1 and True stay apart)."""
    return list({dumps(v): v for v in values}.values())


def _data_type(values: Sequence[Any]) -> int:
    from tensorboardX.proto import api_pb2

    if values and all(isinstance(v, bool) for v in values):
        return int(api_pb2.DataType.Value("DATA_TYPE_BOOL"))
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return int(api_pb2.DataType.Value("DATA_TYPE_FLOAT64"))
    return int(api_pb2.DataType.Value("DATA_TYPE_STRING"))


def _set_value(target: Any, value: Any, data_type: int | None) -> None:
    """A parameter value as a protobuf Value of the hyperparameter's type (a value that does
    not fit its type, or a list or a mapping, becomes its text)."""
    from tensorboardX.proto import api_pb2

    as_text = value if isinstance(value, str) else dumps(value)
    if data_type == api_pb2.DataType.Value("DATA_TYPE_BOOL") and isinstance(value, bool):
        target.bool_value = value
    elif (data_type in (None, api_pb2.DataType.Value("DATA_TYPE_FLOAT64"))
          and isinstance(value, (int, float)) and not isinstance(value, bool)):
        target.number_value = float(value)
    else:
        target.string_value = as_text


def _dataset(metric: str) -> int:
    from tensorboardX.proto import api_pb2

    if metric.startswith(("val", "valid", "test", "eval")):
        return int(api_pb2.DatasetType.Value("DATASET_VALIDATION"))
    if metric.startswith("train"):
        return int(api_pb2.DatasetType.Value("DATASET_TRAINING"))
    return int(api_pb2.DatasetType.Value("DATASET_UNKNOWN"))


def _plugin_event(tag: str, **data: Any) -> Any:
    """A Summary holding HParams plugin data (the shape TensorBoard's hparams plugin reads)."""
    from tensorboardX.proto import plugin_hparams_pb2
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata

    content = plugin_hparams_pb2.HParamsPluginData(version=0, **data)
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name=PLUGIN, content=content.SerializeToString()))
    return Summary(value=[Summary.Value(tag=tag, metadata=meta)])


@contextlib.contextmanager
def _events(folder: Path, written: list[Path]) -> Iterator[Any]:
    """An event file in `folder`, yielding `write(summary, wall_time, step)`."""
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.record_writer import RecordWriter

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (f"{EVENTS_PREFIX}{int(time.time())}.{socket.gethostname()}."
                     f"{os.getpid()}.hpdesk")
    written.append(path)
    writer = RecordWriter(str(path))
    try:
        writer.write(Event(wall_time=time.time(), file_version="brain.Event:2")
                     .SerializeToString())

        def write(summary: Any, wall: float, step: int) -> None:
            writer.write(Event(wall_time=wall, step=step, summary=summary).SerializeToString())

        yield write
        writer.flush()
    finally:
        writer.close()
