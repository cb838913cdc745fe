"""The digits classification task: real torch, in-process for speed, a few real subprocesses.

In-process runs use one epoch (23 updates, tens of milliseconds) and a recorder in place of the
SDK; the subprocess runs check the process contract the runner relies on: JSON lines on stdout
outside hpdesk, exit codes 0 / 2 / 3, and a one-line reason as the last line on stderr.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from hpdesk.tasks import classification as cls
from hpdesk.tasks import common
from hpdesk.tasks.common import OPTIMIZERS, ParamError, TrainResult

TASK = [sys.executable, "-m", "hpdesk.tasks.classification"]
N_TRAIN, N_VAL = 1438, 359


class Recorder:
    """Stands in for hpdesk.sdk: keeps reports and events; can ask for a stop after N updates."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.points: list[tuple[int, dict[str, float]]] = []
        self.events: list[tuple[str, str, int | None]] = []
        self.stop_after = stop_after

    def report(self, step: int, **metrics: float) -> None:
        self.points.append((step, metrics))

    def event(self, kind: str, message: str, *, step: int | None = None,
              level: str = "info") -> None:
        self.events.append((kind, message, step))

    def should_stop(self) -> bool:
        return self.stop_after is not None and len(self.series("train_loss")) >= self.stop_after

    def series(self, name: str) -> list[tuple[int, float]]:
        return [(step, m[name]) for step, m in self.points if name in m]

    def values(self, name: str) -> list[float]:
        return [value for _, value in self.series(name)]


def run(stop_after: int | None = None, **overrides: Any) -> tuple[TrainResult, Recorder]:
    rec = Recorder(stop_after)
    params = {"epochs": 1, **overrides}
    result = cls.train(params, rec.report, should_stop=rec.should_stop, event=rec.event,
                       device=torch.device("cpu"))
    return result, rec


def weights(result: TrainResult) -> torch.Tensor:
    assert result.model is not None
    return torch.cat([p.detach().flatten() for p in result.model.parameters()])


@pytest.fixture(scope="module")
def baseline() -> tuple[TrainResult, Recorder]:
    return run()


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPDESK_")}
    env.update(extra)
    return env


def run_task(tmp_path: Path, params: dict[str, Any],
             **env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "params.json"
    path.write_text(json.dumps(params))
    return subprocess.run(TASK + ["--params", str(path)], capture_output=True, text=True,
                          env=subprocess_env(**env), timeout=120, cwd=tmp_path)


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def last_stderr_line(proc: subprocess.CompletedProcess[str]) -> str:
    return [line for line in proc.stderr.splitlines() if line.strip()][-1]


# --- data ---------------------------------------------------------------------------------------

def test_split_is_fixed_stratified_and_scaled() -> None:
    x_tr, y_tr, x_va, y_va = common.digits_split()
    assert x_tr.shape == (N_TRAIN, 64) and x_va.shape == (N_VAL, 64)
    assert x_tr.dtype == np.float32 and 0.0 <= x_tr.min() and x_tr.max() == 1.0
    train_share = np.bincount(y_tr) / np.bincount(np.concatenate([y_tr, y_va]))
    assert np.allclose(train_share, 0.8, atol=0.01)              # every class split 80/20
    again = common.stratified_split(np.concatenate([y_tr, y_va]), 0.2, 0)
    assert [len(a) for a in again] == [N_TRAIN, N_VAL]


def test_fast_digits_loader_matches_sklearn() -> None:
    from sklearn.datasets import load_digits

    x, y = common.load_digits_arrays()
    bunch = load_digits()
    assert np.array_equal(y, bunch.target)
    assert np.allclose(x, bunch.data / 16.0)


# --- training -----------------------------------------------------------------------------------

def test_defaults_reach_95_percent_validation_accuracy() -> None:
    result, rec = run(epochs=cls.DEFAULTS["epochs"])
    assert result.status == "completed"
    assert rec.values("val_acc")[-1] >= 0.95
    assert rec.values("epoch") == [float(e) for e in range(1, cls.DEFAULTS["epochs"] + 1)]


def test_report_schedule(baseline: tuple[TrainResult, Recorder]) -> None:
    result, rec = baseline
    steps = [s for s, _ in rec.series("train_loss")]
    assert steps == list(range(1, math.ceil(N_TRAIN / 64) + 1))  # every update, from 1
    (end_step, end), = [(s, m) for s, m in rec.points if "val_loss" in m]
    assert end_step == steps[-1] == result.steps
    assert set(end) == {"val_loss", "val_acc", "train_acc", "lr", "epoch"}
    values = [v for _, m in rec.points for v in m.values()]
    assert all(isinstance(v, float) and math.isfinite(v) for v in values)


@pytest.mark.parametrize("lr", [1e-4, 0.05])
def test_reported_lr_is_the_parameter(lr: float) -> None:
    _, rec = run(lr=lr, epochs=2)
    assert rec.values("lr") == [lr, lr]


def test_every_optimizer_runs_and_gives_its_own_result() -> None:
    finals = {}
    for name in OPTIMIZERS:
        result, rec = run(optimizer=name, lr=1e-2)
        assert result.status == "completed", name
        finals[name] = tuple(rec.values("train_loss"))
    assert len(set(finals.values())) == len(OPTIMIZERS)


@pytest.mark.parametrize(("key", "value", "optimizer"), [
    ("lr", 1e-2, "adam"),
    ("momentum", 0.5, "sgd_momentum"),
    ("beta1", 0.5, "adam"),
    ("beta2", 0.9, "adam"),
    ("beta1", 0.5, "nadam"),
    ("beta2", 0.9, "adamax"),
    ("dropout", 0.3, "adam"),
    ("activation", "tanh", "adam"),
    ("weight_decay", 1e-2, "adam"),
])
def test_hyperparameter_changes_the_curve(key: str, value: Any, optimizer: str) -> None:
    _, base = run(optimizer=optimizer)
    _, changed = run(optimizer=optimizer, **{key: value})
    assert changed.values("train_loss") != base.values("train_loss")


def test_every_activation_differs() -> None:
    curves = {name: tuple(run(activation=name)[1].values("train_loss"))
              for name in common.ACTIVATIONS}
    assert len(set(curves.values())) == len(common.ACTIVATIONS)


def test_weight_decay_shrinks_weights() -> None:
    plain, _ = run(optimizer="sgd", lr=0.1, epochs=2)
    decayed, _ = run(optimizer="sgd", lr=0.1, epochs=2, weight_decay=0.05)
    assert weights(decayed).norm() < weights(plain).norm()


def test_width_and_depth_set_the_parameter_count(baseline: tuple[TrainResult, Recorder]) -> None:
    assert baseline[0].n_params == (64 * 128 + 128) + (128 * 128 + 128) + (128 * 10 + 10)
    assert run(width=32)[0].n_params == (64 * 32 + 32) + (32 * 32 + 32) + (32 * 10 + 10)
    assert run(depth=3)[0].n_params == baseline[0].n_params + 128 * 128 + 128
    assert run(depth=0)[0].n_params == 64 * 10 + 10


@pytest.mark.parametrize("batch_size", [16, 500, 5000])
def test_batch_size_sets_updates_per_epoch(batch_size: int) -> None:
    result, _ = run(batch_size=batch_size)
    assert result.steps == math.ceil(N_TRAIN / batch_size)


def test_epochs_sets_the_number_of_epoch_reports() -> None:
    result, rec = run(epochs=3)
    assert rec.values("epoch") == [1.0, 2.0, 3.0] and result.epochs == 3


def test_same_seed_same_curve_other_seed_other_curve(
        baseline: tuple[TrainResult, Recorder]) -> None:
    _, again = run()
    _, other = run(seed=1)
    assert again.points == baseline[1].points
    assert other.values("train_loss") != baseline[1].values("train_loss")


def test_seed_is_reproducible_with_dropout() -> None:
    assert run(dropout=0.5, seed=7)[1].points == run(dropout=0.5, seed=7)[1].points


def test_stop_request_ends_after_the_current_step() -> None:
    result, rec = run(stop_after=5, epochs=3)
    assert result.status == "stopped" and result.steps == 5
    assert [s for s, _ in rec.series("train_loss")] == [1, 2, 3, 4, 5]
    assert [(kind, step) for kind, _, step in rec.events] == [("stopped", 5)]


def test_divergence_ends_the_run_with_an_event() -> None:
    result, rec = run(optimizer="sgd", lr=1e6)
    assert result.status == "diverged"
    assert [kind for kind, _, _ in rec.events] == ["diverged"]
    assert rec.events[0][2] == result.steps + 1                  # the update that failed
    assert all(math.isfinite(v) for v in rec.values("train_loss"))


# --- parameters ---------------------------------------------------------------------------------

def test_unknown_optimizer_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'lion'") as info:
        run(optimizer="lion")
    assert all(name in str(info.value) for name in OPTIMIZERS)


@pytest.mark.parametrize("bad", [
    {"activation": "swish"}, {"model": "resnet"}, {"lr": 0}, {"lr": "fast"}, {"batch_size": 0},
    {"batch_size": 2.5}, {"dropout": 1.0}, {"depth": -1}, {"epochs": 0}, {"beta1": 1.0},
])
def test_bad_parameters_are_rejected_before_training(bad: dict[str, Any]) -> None:
    with pytest.raises(ParamError):
        cls.resolve_params(bad)


def test_strings_from_config_files_are_coerced() -> None:
    p = cls.resolve_params({"lr": "1e-3", "batch_size": "32", "epochs": 2.0, "optimizer": "Adam",
                            "note": "kept"})
    assert (p["lr"], p["batch_size"], p["epochs"], p["optimizer"]) == (1e-3, 32, 2, "adam")
    assert p["note"] == "kept"


def test_thread_count_comes_from_the_environment() -> None:
    before = torch.get_num_threads()
    try:
        assert common.configure_threads({"HPDESK_NUM_THREADS": "1"}) == 1
        assert torch.get_num_threads() == 1
        assert common.configure_threads({}) == common.default_thread_count()
        with pytest.raises(ParamError):
            common.configure_threads({"HPDESK_NUM_THREADS": "many"})
    finally:
        torch.set_num_threads(before)


def test_device_is_cuda_only_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert common.select_device().type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert common.select_device().type == "cuda"


# --- the process --------------------------------------------------------------------------------

def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, hpdesk.tasks; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=subprocess_env(), check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_subprocess_prints_json_lines(tmp_path: Path) -> None:
    proc = run_task(tmp_path, {"epochs": 2, "lr": 0.01}, HPDESK_NUM_THREADS="1")
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    assert [line["step"] for line in lines if "train_loss" in line] == list(range(1, 2 * 23 + 1))
    epochs = [line for line in lines if "epoch" in line]
    assert [(e["step"], e["epoch"], e["lr"]) for e in epochs] == [(23, 1.0, 0.01), (46, 2.0, 0.01)]
    assert epochs[-1]["val_acc"] > 0.8
    assert "torch threads: 1" in proc.stderr


@pytest.mark.slow
def test_subprocess_divergence_exits_3(tmp_path: Path) -> None:
    proc = run_task(tmp_path, {"optimizer": "sgd", "lr": 1e6})
    assert proc.returncode == common.EXIT_DIVERGED
    assert "diverged" in last_stderr_line(proc) and "Traceback" not in proc.stderr
    events = [line for line in json_lines(proc.stdout) if "event" in line]
    assert [e["event"] for e in events] == ["diverged"]


@pytest.mark.slow
def test_subprocess_unknown_optimizer_fails_with_one_line(tmp_path: Path) -> None:
    proc = run_task(tmp_path, {"optimizer": "lion"})
    assert proc.returncode == common.EXIT_BAD_PARAMS
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown optimizer 'lion'" in proc.stderr and "nadam" in proc.stderr


@pytest.mark.slow
def test_subprocess_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"epochs": 10_000}))
    proc = subprocess.Popen(TASK + ["--params", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=subprocess_env(), cwd=tmp_path)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()                    # training has started
        assert json.loads(first)["step"] == 1
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    lines = json_lines(first + out)
    assert [e["event"] for e in lines if "event" in e] == ["stopped"]
    last_step = max(line["step"] for line in lines if "step" in line and "event" not in line)
    assert lines[-1]["step"] == last_step                 # the event names the last step
