"""The GAN task: real torch, tiny in-process runs (SMOKE_PARAMS), one real subprocess.

Every honoured hyperparameter is flipped against a smoke run and must change what is reported;
the one quality check (the ring's default trial covers >= 6 of 8 modes) is marked slow.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from hpdesk.tasks import gan
from hpdesk.tasks.common import ParamError, TrainResult
from hpdesk.tasks.optim import OPTIMIZERS
from tests.tasks.recorder import Recorder

STEP_KEYS = {"g_loss", "d_loss", "d_real", "d_fake"}
DIGITS_EPOCH_KEYS = {"fid", "lr_g", "lr_d", "epoch", "epoch_time"}
RING_EPOCH_KEYS = {"modes_covered", "high_quality", "lr_g", "lr_d", "epoch", "epoch_time"}


@pytest.fixture(scope="module", autouse=True)
def gan_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """For the module (its baseline fixtures too): one feature-classifier cache for the session,
    no trial folder from the environment, one torch thread (tiny nets: a second thread only
    adds waiting on a busy machine, and the thread count changes the last bits of results)."""
    folder = tmp_path_factory.getbasetemp() / "gan-shared-cache"
    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(folder))
        mp.delenv("HPDESK_TRIAL_DIR", raising=False)
        mp.delenv("HPDESK_PAUSE_AT_EPOCH", raising=False)
        torch.set_num_threads(1)
        yield folder
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def shared_cache(_isolated_user_dirs: None, gan_env: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test: the shared cache again, over the per-test folders of tests/conftest.py."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(gan_env))
    monkeypatch.delenv("HPDESK_TRIAL_DIR", raising=False)
    monkeypatch.delenv("HPDESK_PAUSE_AT_EPOCH", raising=False)
    return gan_env





def run(ring: bool = False, stop_after: int | None = None,
        **overrides: Any) -> tuple[TrainResult, Recorder]:
    base = gan.SMOKE_PARAMS_RING if ring else gan.SMOKE_PARAMS
    params = {**base, **overrides}
    if ring and isinstance(overrides.get("data"), dict):
        params["data"] = {**base["data"], **overrides["data"]}
    rec = Recorder(stop_after, per_update="g_loss")
    result = gan.train(params, rec.report, should_stop=rec.should_stop, event=rec.event,
                       device=torch.device("cpu"))
    return result, rec


@pytest.fixture(scope="module")
def ring_baseline() -> tuple[TrainResult, Recorder]:
    return run(ring=True)


@pytest.fixture(scope="module")
def digits_baseline() -> tuple[TrainResult, Recorder]:
    return run()


# --- what a run reports -------------------------------------------------------------------------

def test_digits_report_schedule(digits_baseline: tuple[TrainResult, Recorder]) -> None:
    result, rec = digits_baseline
    assert result.status == "completed" and result.steps == math.ceil(1438 / 64) == 23
    assert [s for s, m in rec.points if "g_loss" in m] == list(range(1, 24))
    assert all(set(m) == STEP_KEYS for _, m in rec.points[:-1])
    assert rec.points[-2][0] == rec.points[-1][0]            # epoch metrics at its last step
    (end_step, end), = [(s, m) for s, m in rec.points if "epoch" in m]
    assert end_step == 23 and set(end) == DIGITS_EPOCH_KEYS | {"n_params"}   # once, here
    assert end["fid"] > 0 and end["epoch"] == 1.0
    assert all(0 <= v <= 1 for k in ("d_real", "d_fake") for v in rec.values(k))


def test_ring_report_schedule(ring_baseline: tuple[TrainResult, Recorder]) -> None:
    result, rec = ring_baseline
    assert result.steps == 2 * 1024 // 128 and result.epochs == 2
    epochs = [(s, m) for s, m in rec.points if "epoch" in m]
    assert [(s, m["epoch"]) for s, m in epochs] == [(8, 1.0), (16, 2.0)]
    assert set(epochs[0][1]) == RING_EPOCH_KEYS | {"n_params"}     # the first epoch only
    assert set(epochs[1][1]) == RING_EPOCH_KEYS
    assert result.model is not None                              # n_params: the generator's
    assert epochs[0][1]["n_params"] == sum(w.numel() for w in result.model.parameters())
    values = [v for _, m in rec.points for v in m.values()]
    assert all(isinstance(v, float) and math.isfinite(v) for v in values)


def test_digits_fid_falls_over_the_first_epochs() -> None:
    _, rec = run(epochs=4, width=gan.DEFAULTS["width"], batch_size=gan.DEFAULTS["batch_size"])
    fid = rec.values("fid")
    assert fid[-1] < 0.5 * fid[0], fid


# --- every honoured hyperparameter changes the run ----------------------------------------------

CHANGES = [
    ("optimizer", "rmsprop"), ("lr_g", 1e-3), ("lr_d", 1e-3), ("beta1", 0.9), ("beta2", 0.9),
    ("batch_size", 32), ("d_steps", 2), ("label_smoothing", 0.0), ("spectral_norm", True),
    ("width", 24), ("epochs", 3), ("seed", 1), ("weight_decay", 1e-2), ("grad_clip", 0.1),
    ("lr_schedule", "constant"), ("lr_final_ratio", 0.5), ("eps", 1e-3), ("lars", True),
]


@pytest.mark.parametrize(("key", "value"), CHANGES)
def test_hyperparameter_changes_the_ring_run(ring_baseline: tuple[TrainResult, Recorder],
                                             key: str, value: Any) -> None:
    _, changed = run(ring=True, **{key: value})
    assert changed.fingerprint() != ring_baseline[1].fingerprint()


@pytest.mark.parametrize(("key", "value"), [
    ("lr_g", 1e-3), ("d_steps", 2), ("label_smoothing", 0.0), ("spectral_norm", True),
    ("width", 24), ("beta1", 0.9), ("optimizer", "nadam"),
])
def test_hyperparameter_changes_the_digits_run(digits_baseline: tuple[TrainResult, Recorder],
                                               key: str, value: Any) -> None:
    _, changed = run(**{key: value})
    assert changed.fingerprint() != digits_baseline[1].fingerprint()


@pytest.mark.parametrize("option", [{"modes": 4}, {"radius": 1.0}, {"std": 0.1},
                                    {"samples_per_epoch": 512}])
def test_ring_data_options_change_the_run(ring_baseline: tuple[TrainResult, Recorder],
                                          option: dict[str, Any]) -> None:
    _, changed = run(ring=True, data={"source": "ring", **option})
    assert changed.fingerprint() != ring_baseline[1].fingerprint()


def test_every_optimizer_runs_and_gives_its_own_result() -> None:
    fingerprints = set()
    for name in OPTIMIZERS:
        result, rec = run(ring=True, epochs=1, optimizer=name, lr_g=1e-2, lr_d=1e-2,
                          weight_decay=0.1)             # adam and adamw differ only here
        assert result.status == "completed", name
        fingerprints.add(tuple(rec.values("g_loss")))
    assert len(fingerprints) == len(OPTIMIZERS)


def test_width_sets_the_parameter_count(ring_baseline: tuple[TrainResult, Recorder]) -> None:
    def mlp(n_in: int, n_out: int, w: int) -> int:
        return (n_in * w + w) + 2 * (w * w + w) + (w * n_out + n_out)

    assert ring_baseline[0].n_params == mlp(2, 2, 32) + mlp(2, 1, 32)
    assert run(ring=True, epochs=1, width=64)[0].n_params == mlp(2, 2, 64) + mlp(2, 1, 64)
    assert run(epochs=1, width=32)[0].n_params < run(epochs=1, width=64)[0].n_params


def test_d_steps_sets_generator_updates_per_epoch() -> None:
    assert run(ring=True, epochs=1, d_steps=3)[0].steps == math.ceil(8 / 3)
    assert run(ring=True, epochs=1, batch_size=100)[0].steps == math.ceil(1024 / 100)


def test_amp_is_a_no_op_on_cpu(ring_baseline: tuple[TrainResult, Recorder]) -> None:
    assert run(ring=True, amp=True)[1].fingerprint() == ring_baseline[1].fingerprint()


def test_same_seed_same_run(ring_baseline: tuple[TrainResult, Recorder]) -> None:
    assert run(ring=True)[1].fingerprint() == ring_baseline[1].fingerprint()


# --- the GAN tricks reach the right place -------------------------------------------------------

def test_ttur_rates_reach_the_right_optimisers(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[int, float]] = []
    real_make = gan.make_optimizer

    def recording(parameters: Any, p: Any, *, lr: float | None = None) -> Any:
        params = list(parameters)
        built.append((sum(t.numel() for t in params), float(lr or 0)))
        return real_make(params, p, lr=lr)

    monkeypatch.setattr(gan, "make_optimizer", recording)
    result, rec = run(ring=True, epochs=1, lr_g=1e-4, lr_d=3e-3, lr_schedule="constant")
    assert result.model is not None                               # the generator
    g_size = sum(t.numel() for t in result.model.parameters())
    assert built == [(g_size, 1e-4), (result.n_params - g_size, 3e-3)]
    assert rec.values("lr_g") == [1e-4] and rec.values("lr_d") == [3e-3]


def test_schedule_scales_both_rates() -> None:
    _, rec = run(ring=True, epochs=2, lr_g=1e-3, lr_d=4e-3)     # cosine to 1 %
    assert rec.values("lr_g") == pytest.approx([1e-3 * r for r in _cosine_ends()])
    assert rec.values("lr_d") == pytest.approx([4e-3 * r for r in _cosine_ends()])


def _cosine_ends() -> list[float]:
    from hpdesk.tasks.schedules import LRSchedule

    schedule = LRSchedule(gan.resolve_params({}), steps_per_epoch=8, epochs=2)
    return [schedule.factor(7), schedule.factor(15)]            # the last update of each epoch


def test_spectral_norm_bounds_the_trained_discriminator(tmp_path: Path) -> None:
    result, _ = run(ring=True, spectral_norm=True, checkpoint_dir=str(tmp_path))
    assert result.status == "completed"
    p = gan.resolve_params({**gan.SMOKE_PARAMS_RING, "spectral_norm": True})
    _, d = gan.build_models(p)
    d.load_state_dict(torch.load(tmp_path / "checkpoint.pt")["modules"]["discriminator"])
    d.eval()
    linears = [m for m in d.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 4

    def sigmas() -> list[float]:
        return [torch.linalg.matrix_norm(m.weight.detach(), ord=2).item() for m in linears]

    assert sigmas() == pytest.approx([1.0] * 4, abs=0.1)      # as trained (16 power steps)
    d.train()
    with torch.no_grad():
        for _ in range(30):                                   # each pass: one power step
            d(torch.randn(8, 2))
    d.eval()
    assert sigmas() == pytest.approx([1.0] * 4, abs=0.01)
    _, plain = gan.build_models(gan.resolve_params(gan.SMOKE_PARAMS_RING))
    plain_sigmas = [torch.linalg.matrix_norm(m.weight, ord=2).item()
                    for m in plain.modules() if isinstance(m, torch.nn.Linear)]
    assert any(abs(s - 1) > 0.2 for s in plain_sigmas)


def test_spectral_norm_wraps_the_digits_convolutions() -> None:
    _, d = gan.build_models(gan.resolve_params({"spectral_norm": True}))
    wrapped = [m for m in d.modules() if hasattr(m, "parametrizations")]
    assert len(wrapped) == 3                                  # two convs and the score


@pytest.mark.parametrize(("smoothing", "real_target"), [(0.0, 1.0), (0.2, 0.8)])
def test_label_smoothing_sets_the_real_targets(monkeypatch: pytest.MonkeyPatch,
                                               smoothing: float, real_target: float) -> None:
    targets: set[float] = set()
    real_bce = F.binary_cross_entropy_with_logits

    def recording(logits: torch.Tensor, target: torch.Tensor, *args: Any,
                  **kwargs: Any) -> torch.Tensor:
        targets.update(round(v, 6) for v in target.unique().tolist())
        return real_bce(logits, target, *args, **kwargs)

    monkeypatch.setattr(F, "binary_cross_entropy_with_logits", recording)
    run(ring=True, epochs=1, label_smoothing=smoothing)
    assert targets == {0.0, 1.0, real_target}           # fakes 0, the generator's target 1


# --- stop, divergence, resume -------------------------------------------------------------------

def test_stop_request_ends_after_the_current_step() -> None:
    result, rec = run(ring=True, stop_after=3)
    assert result.status == "stopped" and result.steps == 3
    assert [s for s, _ in rec.series("g_loss")] == [1, 2, 3]
    assert [(kind, step) for kind, _, step in rec.events] == [("stopped", 3)]


def test_divergence_ends_the_run_with_an_event() -> None:
    result, rec = run(ring=True, optimizer="sgd", lr_g=1e6, lr_d=1e6)
    assert result.status == "diverged" and "became nan" in result.message
    assert [kind for kind, _, _ in rec.events] == ["diverged"]
    assert rec.events[0][2] == result.steps + 1               # the update that failed
    assert all(math.isfinite(v) for v in rec.values("g_loss"))


def test_resume_continues_without_gap_or_duplicate(tmp_path: Path) -> None:
    whole, whole_rec = run(ring=True, epochs=3)
    # First attempt: stopped in the middle of epoch 2; its checkpoint holds epoch 1 (step 8).
    first, _ = run(ring=True, epochs=3, stop_after=11, checkpoint_dir=str(tmp_path))
    assert first.status == "stopped"
    state = torch.load(tmp_path / "checkpoint.pt")
    assert (state["epoch"], state["step"]) == (1, 8)
    assert set(state["modules"]) == set(state["optimizers"]) == {"generator", "discriminator"}
    second, rec = run(ring=True, epochs=3, checkpoint_dir=str(tmp_path))
    assert second.status == "completed" and second.steps == whole.steps == 24
    assert [s for s, _ in rec.series("g_loss")] == list(range(9, 25))
    same = ("epoch_time", "n_params")          # the wall clock; n_params: once in each run
    assert rec.points_without(*same) == [(s, m) for s, m in whole_rec.points_without(*same)
                                         if s > 8]                # same numbers
    third, rec3 = run(ring=True, epochs=3, checkpoint_dir=str(tmp_path))
    assert third.status == "completed" and rec3.points == []            # nothing left to do


# --- parameters ---------------------------------------------------------------------------------

def test_defaults_are_the_gan_practice() -> None:
    d = gan.DEFAULTS
    assert (d["optimizer"], d["beta1"], d["data"]) == ("adam", 0.5, {"source": "digits"})
    assert {"lr_g", "lr_d", "d_steps", "label_smoothing", "spectral_norm"} <= set(d)
    assert "lr" not in d


@pytest.mark.parametrize("bad", [
    {"lr_g": 0}, {"lr_d": -1}, {"d_steps": 0}, {"label_smoothing": 1.0}, {"width": 1},
    {"batch_size": 1}, {"optimizer": "lion"}, {"beta1": 1.0}, {"epochs": 0},
    {"data": {"source": "mnist"}}, {"data": {"source": "ring", "modes": 0}},
    {"data": {"source": "ring", "std": 0}}, {"data": {"source": "ring", "radius": "inf"}},
    {"data": {"source": "ring", "mode": 8}}, {"data": {"source": "digits", "modes": 8}},
    {"data": 3}, {"lr_schedule": "cyclic"},
])
def test_bad_parameters_are_rejected_before_training(bad: dict[str, Any]) -> None:
    with pytest.raises(ParamError):
        gan.resolve_params(bad)


def test_strings_from_config_files_are_coerced() -> None:
    p = gan.resolve_params({"lr_g": "1e-3", "spectral_norm": "true", "data": "ring",
                            "d_steps": "2"})
    assert (p["lr_g"], p["spectral_norm"], p["d_steps"]) == (1e-3, True, 2)
    assert p["data"] == {"source": "ring", **gan.DATA_OPTIONS["ring"]}


# --- the process --------------------------------------------------------------------------------

def test_subprocess_prints_json_lines(tmp_path: Path, shared_cache: Path) -> None:
    path = tmp_path / "params.json"
    path.write_text(json.dumps(gan.SMOKE_PARAMS_RING))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPDESK_")}
    env["HPDESK_NUM_THREADS"] = "1"
    proc = subprocess.run([sys.executable, "-m", "hpdesk.tasks.gan", "--params", str(path)],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [line["step"] for line in lines] == list(range(1, 17))
    assert [(line["step"], line["epoch"]) for line in lines if "epoch" in line] == [
        (8, 1.0), (16, 2.0)]
    assert "torch threads: 1" in proc.stderr


@pytest.mark.slow
def test_ring_defaults_cover_at_least_six_modes() -> None:
    rec = Recorder(per_update="g_loss")
    gan.train({"data": {"source": "ring"}}, rec.report, should_stop=rec.should_stop,
              event=rec.event, device=torch.device("cpu"))
    assert rec.values("modes_covered")[-1] >= 6
    assert rec.values("high_quality")[-1] > 0.7
