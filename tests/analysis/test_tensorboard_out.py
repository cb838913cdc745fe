"""The TensorBoard export read back from its event files: every point as a scalar, and the
HParams plugin's experiment config, session starts and ends with the trials' values."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hpdesk.analysis.results_out import ExportError
from hpdesk.analysis.tensorboard_out import (
    EXPERIMENT_TAG,
    SESSION_END_TAG,
    SESSION_START_TAG,
    NeedsTensorboardX,
    export_tensorboard,
    load_tensorboardx,
)
from hpdesk.store import Store
from tests.analysis.results_db import T0, ResultsDb, make_results_db

load_tensorboardx()
from tensorboardX.crc32c import crc32c  # noqa: E402
from tensorboardX.proto import api_pb2, plugin_hparams_pb2  # noqa: E402
from tensorboardX.proto.event_pb2 import Event  # noqa: E402


def _masked(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(folder: Path) -> list[Any]:
    """Every event of the one event file in `folder`, its TFRecord checksums verified."""
    files = list(folder.glob("events.out.tfevents.*"))
    assert len(files) == 1, files
    data, events, at = files[0].read_bytes(), [], 0
    while at < len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[at + 8:at + 12])[0] == _masked(header)
        body = data[at + 12:at + 12 + length]
        assert struct.unpack("<I", data[at + 12 + length:at + 16 + length])[0] == _masked(body)
        events.append(Event.FromString(body))
        at += 16 + length
    assert events[0].file_version == "brain.Event:2"
    return events[1:]


def plugin_data(events: list[Any], tag: str) -> Any:
    found = [v for e in events for v in e.summary.value if v.tag == tag]
    if not found:
        return None
    assert len(found) == 1 and found[0].metadata.plugin_data.plugin_name == "hparams"
    return plugin_hparams_pb2.HParamsPluginData.FromString(
        found[0].metadata.plugin_data.content)


def scalars(events: list[Any]) -> dict[tuple[str, int], tuple[float, float]]:
    return {(v.tag, e.step): (v.simple_value, e.wall_time) for e in events
            for v in e.summary.value if not v.tag.startswith("_hparams_/")}


@pytest.fixture
def db(tmp_path: Path) -> ResultsDb:
    return make_results_db(tmp_path)


def _export(db: ResultsDb, out: Path, experiment: int | None, **kw: Any):
    with Store(db.path) as store:
        return export_tensorboard(store, out, experiment, **kw)


def test_every_point_is_a_scalar_in_its_trials_run(db: ResultsDb, tmp_path: Path) -> None:
    out = tmp_path / "tb"
    done = _export(db, out, db.classification)
    assert (done.experiments, done.runs, done.points) == (1, 3, 10)
    exp = out / f"experiment-{db.classification}"
    assert sorted(p.name for p in exp.iterdir() if p.is_dir()) == [
        "trial-0", "trial-1", "trial-2"]
    points = scalars(read_events(exp / "trial-0"))
    assert set(points) == {("val_acc", 0), ("val_acc", 1), ("val_acc", 2), ("train_loss", 0)}
    assert points[("val_acc", 2)] == (pytest.approx(0.7), T0 + 20)
    assert math.isnan(points[("train_loss", 0)][0])  # a NaN point stays a NaN scalar
    assert scalars(read_events(exp / "trial-1"))[("val_acc", 0)][0] == pytest.approx(0.51)


def test_hparams_sessions_carry_values_and_status(db: ResultsDb, tmp_path: Path) -> None:
    out = tmp_path / "tb"
    _export(db, out, db.classification)
    exp = out / f"experiment-{db.classification}"
    first = read_events(exp / "trial-0")
    start = plugin_data(first, SESSION_START_TAG).session_start_info
    assert start.hparams["lr"].number_value == 0.01
    assert start.hparams["batch_size"].number_value == 32
    assert start.hparams["optimizer"].string_value == "adam"
    assert start.hparams["amp"].bool_value is True and start.start_time_secs == T0
    status = api_pb2.Status.Name
    assert status(plugin_data(first, SESSION_END_TAG).session_end_info.status) == \
        "STATUS_SUCCESS"
    failed = read_events(exp / "trial-1")
    assert status(plugin_data(failed, SESSION_END_TAG).session_end_info.status) == \
        "STATUS_FAILURE"
    assert plugin_data(failed, SESSION_START_TAG).session_start_info.hparams[
        "amp"].bool_value is False
    assert plugin_data(read_events(exp / "trial-2"), SESSION_END_TAG) is None  # running


def test_the_experiment_config_lists_domains_and_metrics(db: ResultsDb, tmp_path: Path) -> None:
    out = tmp_path / "tb"
    _export(db, out, None)
    config = plugin_data(read_events(out / f"experiment-{db.classification}"),
                         EXPERIMENT_TAG).experiment
    infos = {h.name: h for h in config.hparam_infos}
    assert list(infos)[:2] == ["optimizer", "lr"]  # the plan's order
    lr = infos["lr"]
    assert api_pb2.DataType.Name(lr.type) == "DATA_TYPE_FLOAT64"
    assert (lr.domain_interval.min_value, lr.domain_interval.max_value) == (0.001, 0.01)
    assert [v.string_value for v in infos["optimizer"].domain_discrete.values] == ["adam"]
    assert api_pb2.DataType.Name(infos["amp"].type) == "DATA_TYPE_BOOL"
    assert {m.name.tag for m in config.metric_infos} == {"train_loss", "val_acc"}
    assert config.name == "sweep"

    script = plugin_data(read_events(out / f"experiment-{db.script}"), EXPERIMENT_TAG)
    infos = {h.name: h for h in script.experiment.hparam_infos}
    assert [v.string_value for v in infos["act"].domain_discrete.values] == ["relu", "gelu"]
    assert api_pb2.DataType.Name(infos["act"].type) == "DATA_TYPE_STRING"
    seed = infos["extra_seed"]  # not in the plan: typed and bounded by its values
    assert api_pb2.DataType.Name(seed.type) == "DATA_TYPE_FLOAT64"
    assert (seed.domain_interval.min_value, seed.domain_interval.max_value) == (3, 3)
    start = plugin_data(read_events(out / f"experiment-{db.script}" / "trial-0"),
                        SESSION_START_TAG).session_start_info
    assert start.hparams["act"].string_value == "gelu"
    assert start.hparams["extra_seed"].number_value == 3


def test_an_earlier_export_is_refused_then_replaced(db: ResultsDb, tmp_path: Path) -> None:
    out = tmp_path / "tb"
    _export(db, out, db.script)
    with pytest.raises(ExportError, match="pass --force"):
        _export(db, out, db.script)
    _export(db, out, db.script, replace=True)
    exp = out / f"experiment-{db.script}"
    assert len(list(exp.glob("events.out.tfevents.*"))) == 1
    assert len(read_events(exp / "trial-0")) == 4  # start, two points, end: not doubled


def test_a_failed_export_removes_what_it_wrote(db: ResultsDb, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from hpdesk.analysis import tensorboard_out

    real = tensorboard_out._trial
    calls = []

    def fails_on_the_second_trial(*args: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args)

    monkeypatch.setattr(tensorboard_out, "_trial", fails_on_the_second_trial)
    with pytest.raises(ExportError, match="disk is full"):
        _export(db, tmp_path / "tb", db.classification)
    assert not list((tmp_path / "tb").rglob("events.out.tfevents.*"))


def test_without_tensorboardx_the_extra_is_named(db: ResultsDb, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "tensorboardX"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(NeedsTensorboardX, match=r"pip install 'hpdesk\[tensorboard\]'"):
        _export(db, tmp_path / "tb", None)
    assert not (tmp_path / "tb").exists()


def test_the_export_never_loads_torch(db: ResultsDb, tmp_path: Path) -> None:
    code = ("import sys\nfrom hpdesk.store import Store\n"
            "from hpdesk.analysis.tensorboard_out import export_tensorboard\n"
            f"with Store({str(db.path)!r}) as s:\n"
            f"    export_tensorboard(s, {str(tmp_path / 'tb')!r}, None)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
