"""The classification task: real torch, in-process for speed, a few real subprocesses.

In-process runs start from ``cls.SMOKE_PARAMS`` (one epoch of a tiny CNN, about 0.1 s) with a
recorder in place of the SDK, and most stop after a few updates; the subprocess runs check the
process contract the runner relies on: JSON lines on stdout outside hpdesk, exit codes 0 / 2 / 3,
a one-line reason as the last line on stderr, checkpoints in $HPDESK_TRIAL_DIR.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from hpdesk.tasks import classification as cls
from hpdesk.tasks import common
from hpdesk.tasks.common import ParamError, TrainResult
from hpdesk.tasks.layers import ConvBackbone, FrozenBatchNorm2d
from hpdesk.tasks.optim import OPTIMIZERS
from hpdesk.tasks.training import ENV_TRIAL_DIR
from tests.tasks.recorder import Recorder

TASK = [sys.executable, "-m", "hpdesk.tasks.classification"]
N_TRAIN, N_VAL = 1438, 359
STEPS_PER_EPOCH = math.ceil(N_TRAIN / 64)                      # 23


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """Tiny convolutions: one intra-op thread is fastest, and fair to parallel test runs."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _no_trial_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_TRIAL_DIR, raising=False)
    monkeypatch.delenv("HPDESK_PAUSE_AT_EPOCH", raising=False)





def run(stop_after: int | None = None, **overrides: Any) -> tuple[TrainResult, Recorder]:
    rec = Recorder(stop_after)
    params = {**cls.SMOKE_PARAMS, **overrides}
    result = cls.train(params, rec.report, should_stop=rec.should_stop, event=rec.event,
                       device=torch.device("cpu"))
    return result, rec


def curve(stop_after: int | None = 4, **overrides: Any) -> tuple[float, ...]:
    return tuple(run(stop_after, **overrides)[1].values("train_loss"))


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


# --- digits ---------------------------------------------------------------------------------------

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
    rec = Recorder()
    result = cls.train({}, rec.report, should_stop=rec.should_stop, event=rec.event,
                       device=torch.device("cpu"))
    assert result.status == "completed" and cls.DEFAULTS["model"] == "cnn"
    assert rec.values("val_acc")[-1] >= 0.95
    assert rec.values("epoch") == [float(e) for e in range(1, cls.DEFAULTS["epochs"] + 1)]


def test_smoke_params_train_and_are_quick(baseline: tuple[TrainResult, Recorder]) -> None:
    result, rec = baseline
    assert result.status == "completed" and result.steps == STEPS_PER_EPOCH
    losses = rec.values("train_loss")
    assert losses[-1] < losses[0]


def test_report_schedule(baseline: tuple[TrainResult, Recorder]) -> None:
    result, rec = baseline
    steps = [s for s, _ in rec.series("train_loss")]
    assert steps == list(range(1, STEPS_PER_EPOCH + 1))         # every update, from 1
    (end_step, end), (last_step, classes) = [(s, m) for s, m in rec.points if "train_loss" not in m]
    assert end_step == last_step == steps[-1] == result.steps
    assert set(end) == {"val_loss", "val_acc", "train_acc", "lr", "epoch", "epoch_time",
                        "n_params"}
    assert end["n_params"] == result.n_params and end["epoch_time"] > 0
    assert set(classes) == {f"{split}_acc_class_{d}" for d in range(10)
                            for split in ("val", "train")}
    values = [v for _, m in rec.points for v in m.values()]
    assert all(isinstance(v, float) and math.isfinite(v) for v in values)


def test_per_class_accuracy_agrees_with_the_overall_accuracy(
        baseline: tuple[TrainResult, Recorder]) -> None:
    _, rec = baseline
    counts = np.bincount(common.digits_split()[3])
    per_class = [rec.values(f"val_acc_class_{d}")[0] for d in range(10)]
    overall = float(np.dot(per_class, counts) / counts.sum())
    assert overall == pytest.approx(rec.values("val_acc")[-1], abs=1e-5)


def test_per_class_training_accuracy_agrees_with_the_overall_one(
        baseline: tuple[TrainResult, Recorder]) -> None:
    # train_acc_class_* (for the advice's rare-class check) is each class's share of
    # the training accuracy, read in the same eval mode as train_acc.
    result, rec = baseline
    counts = np.bincount(common.digits_split()[1])
    per_class = [rec.values(f"train_acc_class_{d}")[0] for d in range(10)]
    overall = float(np.dot(per_class, counts) / counts.sum())
    assert overall == pytest.approx(rec.values("train_acc")[-1], abs=1e-5)
    assert {f"train_acc_class_{d}" for d in range(10)} <= set(result.metrics)


@pytest.mark.parametrize("lr", [1e-4, 0.05])
def test_reported_lr_is_the_parameter_for_a_constant_schedule(lr: float) -> None:
    _, rec = run(lr=lr, epochs=2, batch_size=512)
    assert rec.values("lr") == [lr, lr]


def epoch_lrs(**overrides: Any) -> list[float]:
    """The lr reported at each epoch's end of a 4-epoch run with 3 updates an epoch."""
    return run(epochs=4, batch_size=512, lr=0.1, optimizer="sgd", **overrides)[1].values("lr")


@pytest.mark.parametrize("staircase", [True, False])
def test_exponential_decay_lr_each_epoch_is_the_guides_formula(staircase: bool) -> None:
    steps, epochs, initial, final = math.ceil(N_TRAIN / 512), 4, 0.1, 1e-4
    decay_rate = (final / initial) ** (1 / epochs)
    lrs = epoch_lrs(lr_schedule="exponential", lr_final_ratio=final / initial,
                    lr_staircase=staircase)
    for epoch, lr in enumerate(lrs, start=1):
        last_update = epoch * steps - 1                        # the update the report describes
        exponent = last_update / steps
        exponent = math.floor(exponent) if staircase else exponent
        assert lr == pytest.approx(initial * decay_rate ** exponent, rel=1e-12)


def test_step_cosine_and_warmup_lrs_per_epoch() -> None:
    assert epoch_lrs(lr_schedule="step", lr_step_epochs=2, lr_gamma=0.5) == pytest.approx(
        [0.1, 0.1, 0.05, 0.05])
    cosine = epoch_lrs(lr_schedule="cosine", lr_final_ratio=0.01)
    assert all(b < a for a, b in zip(cosine, cosine[1:])) and cosine[-1] == pytest.approx(1e-3)
    warm = epoch_lrs(warmup_epochs=2.0)                        # 6 warm-up updates of 3 an epoch
    assert warm == pytest.approx([0.1 * 3 / 6, 0.1, 0.1, 0.1])


def test_every_optimizer_runs_and_gives_its_own_result() -> None:
    finals = {}
    for name in OPTIMIZERS:
        result, rec = run(stop_after=3, optimizer=name, lr=1e-2, weight_decay=1e-3)
        assert result.status == "stopped" and len(rec.values("train_loss")) == 3, name
        finals[name] = tuple(rec.values("train_loss"))
    assert len(set(finals.values())) == len(OPTIMIZERS)


#: (parameter, changed value, other parameters it needs to apply): each must move the curve.
CHANGES: list[tuple[str, Any, dict[str, Any]]] = [
    ("lr", 1e-2, {}),
    ("momentum", 0.5, {"optimizer": "sgd_momentum", "lr": 0.05}),
    ("nesterov", True, {"optimizer": "sgd_momentum", "lr": 0.05}),
    ("beta1", 0.5, {}),
    ("beta2", 0.9, {}),
    ("beta1", 0.5, {"optimizer": "nadam"}),
    ("beta2", 0.9, {"optimizer": "adamax"}),
    ("eps", 1e-2, {}),
    ("rho", 0.5, {"optimizer": "adadelta", "lr": 1.0}),
    ("alpha", 0.5, {"optimizer": "rmsprop"}),
    ("weight_decay", 1e-2, {}),
    ("weight_decay", 1e-2, {"optimizer": "adamw"}),
    ("lars", True, {"optimizer": "sgd_momentum", "lr": 1.0}),
    ("lars_eta", 0.01, {"optimizer": "sgd_momentum", "lr": 1.0, "lars": True}),
    ("lr_schedule", "cosine", {"epochs": 1}),
    ("lr_final_ratio", 0.5, {"lr_schedule": "exponential", "lr_staircase": False}),
    ("lr_staircase", False, {"lr_schedule": "exponential"}),
    ("warmup_epochs", 0.5, {}),
    ("batch_size", 32, {}),
    ("grad_accum_steps", 2, {}),
    ("dropout", 0.3, {}),
    ("width", 12, {}),
    ("depth", 3, {}),
    ("kernel_size", "5x5", {}),
    ("kernel_size", "7x1+1x7", {}),
    ("activation", "tanh", {}),
    ("normalization", "groupnorm", {}),
    ("gn_groups", 2, {"normalization": "groupnorm"}),
    ("grad_clip", 0.05, {}),
    ("label_smoothing", 0.2, {}),
    ("seed", 1, {}),
    ("model", "mlp", {}),
]


@pytest.mark.parametrize(("key", "value", "context"), CHANGES,
                         ids=[f"{k}={v}" + ("+" if c else "") for k, v, c in CHANGES])
def test_hyperparameter_changes_the_curve(key: str, value: Any, context: dict[str, Any]) -> None:
    assert curve(**context, **{key: value}) != curve(**context)


@pytest.mark.parametrize(("key", "value", "other"), [
    ("lr_step_epochs", 1, {"lr_schedule": "step", "lr_gamma": 0.5}),
    ("lr_gamma", 0.5, {"lr_schedule": "step", "lr_step_epochs": 1}),
])
def test_epoch_schedule_parameters_change_the_second_epoch(key: str, value: Any,
                                                           other: dict[str, Any]) -> None:
    kwargs = {"epochs": 2, "batch_size": 512, **other}
    base, changed = curve(None, **kwargs), curve(None, **kwargs, **{key: value})
    assert changed[:3] == base[:3] and changed[3:] != base[3:]


def test_amp_is_a_no_op_on_cpu() -> None:
    assert curve(amp=True) == curve()


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_grad_accumulation_4x16_equals_1x64(model: str) -> None:
    big, big_rec = run(stop_after=1, model=model, normalization="none", batch_size=64)
    acc, acc_rec = run(stop_after=1, model=model, normalization="none", batch_size=16,
                       grad_accum_steps=4)
    assert torch.allclose(weights(acc), weights(big), atol=1e-6)
    assert acc_rec.values("train_loss")[0] == pytest.approx(big_rec.values("train_loss")[0],
                                                            rel=1e-5)
    assert run(grad_accum_steps=4, batch_size=16)[0].steps == STEPS_PER_EPOCH


def test_grad_accumulation_weights_a_short_last_micro_batch_by_its_size() -> None:
    """1438 = 2 x 700 + 38: the last update's micro-batches hold 20 + 18 samples."""
    one, _ = run(epochs=1, model="mlp", batch_size=700, optimizer="sgd", lr=0.5)
    split, _ = run(epochs=1, model="mlp", batch_size=20, grad_accum_steps=35, optimizer="sgd",
                   lr=0.5)
    assert one.steps == split.steps == 3
    assert torch.allclose(weights(one), weights(split), atol=1e-5)


def test_label_smoothing_raises_the_first_loss_and_changes_the_update() -> None:
    plain, smooth = curve(1), curve(1, label_smoothing=0.3)
    assert smooth[0] != plain[0]
    a, _ = run(stop_after=1)
    b, _ = run(stop_after=1, label_smoothing=0.3)
    assert not torch.equal(weights(a), weights(b))


def test_grad_clip_limits_the_first_update() -> None:
    from hpdesk.tasks.image_data import load_digits_data

    common.seed_everything(0)                                  # the initial weights of the run
    initial = cls.build_model(cls.resolve_params(cls.SMOKE_PARAMS), load_digits_data())
    start_w = torch.cat([p.detach().flatten() for p in initial.parameters()])
    plain, _ = run(stop_after=1, optimizer="sgd", lr=0.5)
    clipped, _ = run(stop_after=1, optimizer="sgd", lr=0.5, grad_clip=0.01)
    huge, _ = run(stop_after=1, optimizer="sgd", lr=0.5, grad_clip=1e6)
    assert (weights(plain) - start_w).norm().item() > 0.1
    assert (weights(clipped) - start_w).norm().item() == pytest.approx(0.5 * 0.01, rel=1e-3)
    assert torch.equal(weights(huge), weights(plain))          # a bound never reached: no-op


@pytest.mark.parametrize(("norm", "kind"), [
    ("batchnorm", nn.BatchNorm2d), ("groupnorm", nn.GroupNorm),
    ("frozen_batchnorm", FrozenBatchNorm2d), ("none", None),
])
def test_normalization_builds_its_layers(norm: str, kind: type[nn.Module] | None) -> None:
    result, _ = run(stop_after=1, normalization=norm, gn_groups=4)
    assert result.model is not None
    types = {type(m) for m in result.model.modules()}
    norms = {nn.BatchNorm2d, nn.GroupNorm, FrozenBatchNorm2d} & types
    assert norms == ({kind} if kind else set())


def test_frozen_batchnorm_trains_nothing_and_keeps_its_statistics() -> None:
    frozen, _ = run(stop_after=3, normalization="frozen_batchnorm")
    bn, _ = run(stop_after=3, normalization="batchnorm")
    assert frozen.n_params == bn.n_params - 2 * (8 + 16)       # no affine weights to train
    assert frozen.model is not None
    for module in frozen.model.modules():
        if isinstance(module, FrozenBatchNorm2d):
            assert torch.equal(module.running_mean, torch.zeros_like(module.running_mean))
            assert torch.equal(module.running_var, torch.ones_like(module.running_var))


def test_kernel_size_sets_the_parameter_count() -> None:
    counts = {k: run(stop_after=1, kernel_size=k)[0].n_params
              for k in ("1x1", "3x3", "5x5", "7x7", "7x1+1x7")}
    assert len(set(counts.values())) == 5
    assert counts["3x3"] - counts["1x1"] == 8 * (1 * 8 + 8 * 16)   # 8 more weights per pair


def test_width_and_depth_set_the_mlp_parameter_count() -> None:
    def n(**kw: Any) -> int:
        return run(stop_after=1, model="mlp", **kw)[0].n_params

    assert n(width=128, depth=2) == (64 * 128 + 128) + (128 * 128 + 128) + (128 * 10 + 10)
    assert n(width=32, depth=2) == (64 * 32 + 32) + (32 * 32 + 32) + (32 * 10 + 10)
    assert n(width=128, depth=3) == n(width=128, depth=2) + 128 * 128 + 128
    assert n(depth=0) == 64 * 10 + 10


@pytest.mark.parametrize("batch_size", [16, 500, 5000])
def test_batch_size_sets_updates_per_epoch(batch_size: int) -> None:
    result, _ = run(batch_size=batch_size, model="mlp")
    assert result.steps == math.ceil(N_TRAIN / batch_size)


def test_epochs_sets_the_number_of_epoch_reports() -> None:
    result, rec = run(epochs=3, batch_size=512)
    assert rec.values("epoch") == [1.0, 2.0, 3.0] and result.epochs == 3


def test_same_seed_same_curve_other_seed_other_curve(
        baseline: tuple[TrainResult, Recorder]) -> None:
    _, again = run()
    assert again.fingerprint() == baseline[1].fingerprint()
    assert curve(seed=1) != curve()


def test_seed_is_reproducible_with_dropout() -> None:
    assert run(4, dropout=0.5, seed=7)[1].points == run(4, dropout=0.5, seed=7)[1].points


def test_stop_request_ends_after_the_current_step() -> None:
    result, rec = run(stop_after=5, epochs=3)
    assert result.status == "stopped" and result.steps == 5
    assert [s for s, _ in rec.series("train_loss")] == [1, 2, 3, 4, 5]
    assert [(kind, step) for kind, _, step in rec.events] == [("stopped", 5)]


def test_batchnorm_on_a_single_1x1_map_is_a_param_error() -> None:
    with pytest.raises(ParamError, match="batchnorm saw a batch of one") as info:
        run(stop_after=1, depth=4, batch_size=1)                # 8x8 -> 4 -> 2 -> 1
    assert "\n" not in str(info.value)
    assert run(stop_after=1, depth=4, batch_size=1, normalization="groupnorm")[0].steps == 1


def test_divergence_ends_the_run_with_an_event() -> None:
    result, rec = run(optimizer="sgd", lr=1e6, model="mlp")
    assert result.status == "diverged"
    assert [kind for kind, _, _ in rec.events] == ["diverged"]
    assert rec.events[0][2] == result.steps + 1                  # the update that failed
    assert rec.events[0][1] == f"train_loss became nan at step {result.steps + 1}"
    assert all(math.isfinite(v) for v in rec.values("train_loss"))


# --- checkpoints and resume -----------------------------------------------------------------------

RESUME: dict[str, Any] = {"epochs": 3, "batch_size": 128, "dropout": 0.3}     # 12 updates an epoch


def test_resume_continues_the_curve_exactly(tmp_path: Path) -> None:
    whole, whole_rec = run(**RESUME, checkpoint_dir=str(tmp_path / "whole"))
    cut, cut_rec = run(stop_after=17, **RESUME, checkpoint_dir=str(tmp_path / "cut"))
    assert cut.status == "stopped" and cut.epochs == 1           # checkpoint after epoch 1
    rest, rest_rec = run(**RESUME, checkpoint_dir=str(tmp_path / "cut"))
    assert rest.status == "completed" and rest.steps == whole.steps == 36
    resumed_steps = [s for s, _ in rest_rec.series("train_loss")]
    assert resumed_steps == list(range(13, 37))                  # no gap, no duplicate
    # The same curve, bit for bit (but the wall-clock epoch_time, and n_params, which each run
    # reports once, with its first epoch's end).
    def curve_of(rec: Recorder) -> list[tuple[int, dict[str, float]]]:
        return rec.points_without("epoch_time", "n_params")

    kept = [(s, m) for s, m in curve_of(cut_rec) if s <= 12]     # what the checkpoint covers
    assert kept + curve_of(rest_rec) == curve_of(whole_rec)
    assert rest.metrics.pop("epoch_time") > 0 and whole.metrics.pop("epoch_time") > 0
    assert rest.metrics == whole.metrics


def test_resume_reads_the_trial_dir_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TRIAL_DIR, str(tmp_path))
    run(stop_after=14, **RESUME)
    assert (tmp_path / "checkpoint.pt").is_file()
    _, rec = run(**RESUME)
    assert rec.series("train_loss")[0][0] == 13
    finished, again = run(**RESUME)                              # nothing left to train
    assert finished.status == "completed" and finished.epochs == 3
    assert again.values("train_loss") == [] and finished.metrics["epoch"] == 3.0


def test_checkpoint_of_another_network_is_a_param_error(tmp_path: Path) -> None:
    run(stop_after=None, batch_size=512, checkpoint_dir=str(tmp_path))
    with pytest.raises(ParamError, match="checkpoint does not fit"):
        run(batch_size=512, width=16, epochs=2, checkpoint_dir=str(tmp_path))


def test_checkpoint_keeps_the_backbone_for_the_detector(tmp_path: Path) -> None:
    run(batch_size=512, kernel_size="5x5", normalization="groupnorm", gn_groups=4,
        checkpoint_dir=str(tmp_path))
    kwargs, state = cls.backbone_from_checkpoint(tmp_path / "checkpoint.pt")
    assert kwargs == {"in_channels": 1, "width": 8, "depth": 2, "kernel_size": "5x5",
                      "norm": "groupnorm", "groups": 4, "activation": "relu"}
    backbone = ConvBackbone(**kwargs)
    backbone.load_state_dict(state)                              # strict: every key fits
    with pytest.raises(ParamError, match="does not exist"):
        cls.backbone_from_checkpoint(tmp_path / "missing.pt")
    mlp_dir = tmp_path / "mlp"
    run(batch_size=512, model="mlp", checkpoint_dir=str(mlp_dir))
    with pytest.raises(ParamError, match="not a checkpoint of a classification cnn"):
        cls.backbone_from_checkpoint(mlp_dir / "checkpoint.pt")


# --- data: folders and npz files -----------------------------------------------------------------

def make_folder(root: Path, classes: tuple[str, ...] = ("cat", "dog", "zebra crossing"),
                per_class: int = 10, mode: str = "L") -> Path:
    """Class ``i``'s images are bright in quadrant ``i``, so a small net can learn them."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for label, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, size=(20, 20), dtype=np.uint8)
            r, c = divmod(label % 4, 2)
            pixels[r * 10:(r + 1) * 10, c * 10:(c + 1) * 10] += 190
            image = Image.fromarray(pixels, "L").convert(mode)
            image.save(folder / f"img{i:02d}.{'png' if i % 2 else 'jpg'}")
        (folder / "notes.txt").write_text("not an image: skipped")
    return root


def test_folder_data_loads_split_and_trains(tmp_path: Path) -> None:
    from hpdesk.tasks.image_data import load_data

    root = make_folder(tmp_path / "set")
    data = load_data({"source": "folder", "path": str(root)})
    assert data.class_names == ("cat", "dog", "zebra crossing")
    assert data.x_train.shape == (24, 1, 16, 16) and data.x_val.shape == (6, 1, 16, 16)
    assert np.bincount(data.y_val).tolist() == [2, 2, 2]
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    rgb = load_data({"source": "folder", "path": root, "channels": 3, "image_size": 12,
                     "val_fraction": 0.5})
    assert rgb.x_train.shape == (15, 3, 12, 12)
    result, rec = run(epochs=15, batch_size=8, lr=1e-2, data={"source": "folder",
                                                              "path": str(root)})
    assert result.status == "completed" and rec.values("val_acc")[-1] == 1.0
    assert {"val_acc_class_cat", "val_acc_class_dog", "val_acc_class_zebra_crossing"} <= set(
        result.metrics)


def test_folder_data_errors_name_the_path(tmp_path: Path) -> None:
    from hpdesk.tasks.image_data import load_data

    def error(spec: dict[str, Any]) -> str:
        with pytest.raises(ParamError) as info:
            load_data(spec)
        assert "\n" not in str(info.value)
        return str(info.value)

    assert str(tmp_path / "nowhere") in error({"source": "folder",
                                               "path": str(tmp_path / "nowhere")})
    (tmp_path / "empty").mkdir()
    assert "at least 2 class" in error({"source": "folder", "path": str(tmp_path / "empty")})
    root = make_folder(tmp_path / "hole", per_class=3)
    (root / "empty class").mkdir()
    assert str(root / "empty class") in error({"source": "folder", "path": str(root)})
    bad = make_folder(tmp_path / "bad", per_class=3)
    (bad / "cat" / "broken.png").write_bytes(b"no pixels here")
    assert str(bad / "cat" / "broken.png") in error({"source": "folder", "path": str(bad)})
    assert "needs a 'path'" in error({"source": "folder"})
    assert "channels must be 1 or 3" in error({"source": "folder", "path": str(root),
                                               "channels": 2})
    assert "unknown data option 'val_fration'" in error({"source": "folder", "path": str(root),
                                                         "val_fration": 0.1})
    assert "unknown data source 'imagenet'" in error({"source": "imagenet"})


def test_npz_data_shapes_labels_and_validation_arrays(tmp_path: Path) -> None:
    from hpdesk.tasks.image_data import load_data

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 10)
    np.savez(tmp_path / "hw.npz", x=rng.integers(0, 256, (30, 6, 6), dtype=np.uint8), y=y)
    data = load_data({"source": "npz", "path": str(tmp_path / "hw.npz")})
    assert data.x_train.shape == (24, 1, 6, 6) and data.x_train.max() <= 1.0
    assert data.class_names == ("0", "1", "2")
    np.savez(tmp_path / "chw.npz", x=rng.random((30, 3, 5, 5)), y=y,
             x_val=rng.random((6, 3, 5, 5)), y_val=np.arange(6) % 3,
             classes=np.array(["a", "b", "c"]))
    data = load_data({"source": "npz", "path": str(tmp_path / "chw.npz")})
    assert data.x_train.shape == (30, 3, 5, 5) and data.x_val.shape == (6, 3, 5, 5)
    assert data.class_names == ("a", "b", "c")
    features = rng.random((30, 7)).astype(np.float32)
    features[:, 0] = y                                           # learnable from column 0
    np.savez(tmp_path / "flat.npz", x=features, y=y)
    spec = {"source": "npz", "path": str(tmp_path / "flat.npz")}
    result, rec = run(model="mlp", epochs=30, batch_size=8, lr=1e-2, data=spec)
    assert result.status == "completed" and set(result.metrics) >= {"val_acc_class_2"}
    with pytest.raises(ParamError, match="model 'cnn' needs images"):
        run(model="cnn", data=spec)
    result, _ = run(epochs=1, data={"source": "npz", "path": str(tmp_path / "chw.npz")})
    assert result.status == "completed"


@pytest.mark.parametrize(("arrays", "words"), [
    ({"x": np.zeros((4, 3))}, "has no array 'y'"),
    ({"x": np.zeros((4, 3)), "y": np.zeros(5, dtype=int)}, "one label per sample"),
    ({"x": np.zeros((4, 3)), "y": np.array([0.5, 1, 0, 1])}, "integer labels"),
    ({"x": np.zeros((4, 3)), "y": np.array([0, -1, 0, 1])}, "negative labels"),
    ({"x": np.zeros(4), "y": np.zeros(4, dtype=int)}, "must be shaped"),
    ({"x": np.full((4, 3), np.nan), "y": np.array([0, 1, 0, 1])}, "NaN"),
    ({"x": np.zeros((4, 3)), "y": np.array([0, 1, 0, 1]), "x_val": np.zeros((2, 3))},
     "both x_val and y_val"),
])
def test_bad_npz_files_give_one_line_naming_the_file(
        tmp_path: Path, arrays: dict[str, np.ndarray], words: str) -> None:
    from hpdesk.tasks.image_data import load_data

    path = tmp_path / "data.npz"
    np.savez(path, **arrays)  # type: ignore[arg-type]
    with pytest.raises(ParamError, match=words) as info:
        load_data({"source": "npz", "path": str(path)})
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_or_corrupt_npz(tmp_path: Path) -> None:
    from hpdesk.tasks.image_data import load_data

    with pytest.raises(ParamError, match="does not exist"):
        load_data({"source": "npz", "path": str(tmp_path / "none.npz")})
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ParamError, match="cannot read data file"):
        load_data({"source": "npz", "path": str(tmp_path / "junk.npz")})


# --- parameters ---------------------------------------------------------------------------------

def test_unknown_optimizer_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'lion'") as info:
        run(optimizer="lion")
    assert all(name in str(info.value) for name in OPTIMIZERS)


@pytest.mark.parametrize("bad", [
    {"activation": "swish"}, {"model": "resnet"}, {"lr": 0}, {"lr": "fast"}, {"batch_size": 0},
    {"batch_size": 2.5}, {"dropout": 1.0}, {"depth": -1}, {"depth": 0}, {"epochs": 0},
    {"beta1": 1.0}, {"grad_accum_steps": 0}, {"kernel_size": "9x9"},
    {"normalization": "layernorm"}, {"normalization": "groupnorm", "gn_groups": 5},
    {"grad_clip": -1}, {"label_smoothing": 1.0}, {"lr_schedule": "linear"},
    {"warmup_epochs": -1}, {"data": {"source": "mnist"}}, {"data": 3}, {"amp": "fast"},
])
def test_bad_parameters_are_rejected_before_training(bad: dict[str, Any]) -> None:
    with pytest.raises(ParamError) as info:
        cls.resolve_params(bad)
    assert "\n" not in str(info.value)


def test_strings_from_config_files_are_coerced() -> None:
    p = cls.resolve_params({"lr": "1e-3", "batch_size": "32", "epochs": 2.0, "optimizer": "Adam",
                            "nesterov": "true", "kernel_size": "7X1+1X7", "note": "kept",
                            "data": "digits"})
    assert (p["lr"], p["batch_size"], p["epochs"], p["optimizer"]) == (1e-3, 32, 2, "adam")
    assert p["nesterov"] is True and p["kernel_size"] == "7x1+1x7"
    assert p["note"] == "kept" and p["data"]["source"] == "digits"


def test_defaults_hold_every_shared_key() -> None:
    from hpdesk.tasks.optim import OPTIMIZER_DEFAULTS
    from hpdesk.tasks.schedules import SCHEDULE_DEFAULTS

    assert OPTIMIZER_DEFAULTS.items() <= cls.DEFAULTS.items()
    assert SCHEDULE_DEFAULTS.items() <= cls.DEFAULTS.items()


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
def test_subprocess_prints_json_lines_and_checkpoints(tmp_path: Path) -> None:
    proc = run_task(tmp_path, {"epochs": 2, "lr": 0.01}, HPDESK_NUM_THREADS="1",
                    HPDESK_TRIAL_DIR=str(tmp_path / "trial"))
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    steps = [line["step"] for line in lines if "train_loss" in line]
    assert steps == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    epochs = [line for line in lines if "epoch" in line]
    assert [(e["step"], e["epoch"], e["lr"]) for e in epochs] == [(23, 1.0, 0.01), (46, 2.0, 0.01)]
    assert epochs[-1]["val_acc"] > 0.8
    assert "val_acc_class_9" in lines[-1] and lines[-1]["step"] == 46
    assert "torch threads: 1" in proc.stderr
    assert (tmp_path / "trial" / "checkpoint.pt").is_file()


@pytest.mark.slow
def test_subprocess_divergence_exits_3(tmp_path: Path) -> None:
    proc = run_task(tmp_path, {"optimizer": "sgd", "lr": 1e6, "model": "mlp"})
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
def test_subprocess_bad_data_fails_with_one_line(tmp_path: Path) -> None:
    proc = run_task(tmp_path, {"data": {"source": "folder", "path": str(tmp_path / "none")}})
    assert proc.returncode == common.EXIT_BAD_PARAMS
    assert str(tmp_path / "none") in last_stderr_line(proc) and "Traceback" not in proc.stderr


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
