"""The knowledge presets promise hyperparameters; each built-in task must honour exactly those.

For every hyperparameter a task's preset lists, a tiny in-process run with the default value and
one with another value must differ (in the curves they report, or in the network they build).
And the preset lists every hyperparameter the task reads, so nothing a person could tune is
missing from the plan.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import torch

from hpdesk.knowledge import catalogue, preset

TASKS = ("classification", "detection", "gan")
# Keys a task reads that are not hyperparameters: where its data and hand-run checkpoints live.
NOT_HYPERPARAMETERS = {"data", "checkpoint_dir"}

# (the rates stay above the fingerprint's rounding to 1e-9, so the reported lr differs)
_STALL: dict[str, Any] = {"lr_schedule": "plateau", "epochs": 3, "lr": 1e-7,
                          "normalization": "none", "lr_plateau_patience": 1}
_GAN_STALL: dict[str, Any] = {"lr_schedule": "plateau", "epochs": 3, "lr_g": 1e-7,
                              "lr_d": 1e-7, "lr_plateau_patience": 1,
                              "data": {"source": "ring", "samples_per_epoch": 1024}, "width": 32}

# name -> (context that makes the parameter matter, the other value to try)
COMMON: dict[str, tuple[dict[str, Any], Any]] = {
    "optimizer": ({}, "sgd"),
    "momentum": ({"optimizer": "sgd_momentum"}, 0.5),
    "nesterov": ({"optimizer": "sgd_momentum"}, True),
    "beta1": ({"optimizer": "adam"}, 0.5),
    "beta2": ({"optimizer": "adam"}, 0.9),
    "eps": ({"optimizer": "adam"}, 0.1),
    "rho": ({"optimizer": "adadelta"}, 0.5),
    "alpha": ({"optimizer": "rmsprop"}, 0.5),
    "lars": ({"optimizer": "sgd_momentum"}, True),
    "lars_eta": ({"optimizer": "sgd_momentum", "lars": True}, 0.05),
    "lr_schedule": ({}, "cosine"),
    "lr_final_ratio": ({"lr_schedule": "exponential", "lr_staircase": False}, 0.5),
    "lr_staircase": ({"lr_schedule": "exponential"}, False),
    "lr_step_epochs": ({"lr_schedule": "step", "epochs": 3, "lr_step_epochs": 1}, 2),
    "lr_gamma": ({"lr_schedule": "step", "epochs": 2, "lr_step_epochs": 1}, 0.5),
    "lr_decay_form": ({"lr_schedule": "exponential", "lr_staircase": False,
                       "lr_decay_steps": 1}, "rate"),
    "lr_decay_rate": ({"lr_schedule": "exponential", "lr_decay_form": "rate",
                       "lr_decay_steps": 1}, 0.5),
    "lr_decay_steps": ({"lr_schedule": "exponential", "lr_decay_form": "rate",
                        "lr_decay_rate": 0.5}, 1),
    # a rate too small to move the loss, without normalisation statistics: a forced stall
    "lr_plateau_patience": (_STALL, 2),
    "lr_plateau_factor": (_STALL, 0.25),
    "lr_plateau_raise": (_STALL, True),
    "warmup_epochs": ({}, 1.0),
    "grad_accum_steps": ({}, 2),
    "weight_decay": ({}, 0.05),
    "dropout": ({}, 0.3),
    "grad_clip": ({}, 0.01),
    "label_smoothing": ({}, 0.2),
    "kernel_size": ({}, "7x1+1x7"),
    "activation": ({}, "tanh"),
    "normalization": ({}, "none"),
    "epochs": ({}, 2),
    "seed": ({}, 1),
    "model": ({}, "mlp"),
}
PER_TASK: dict[str, dict[str, tuple[dict[str, Any], Any]]] = {
    "classification": {"gn_groups": ({"normalization": "groupnorm", "gn_groups": 2}, 4)},
    "detection": {"gn_groups": ({"normalization": "groupnorm", "gn_groups": 1}, 2),
                  # decoding settings show once the detector finds something: train a bit longer
                  "score_threshold": ({"epochs": 6, "lr": 0.01, "width": 8}, 0.4),
                  "nms_iou": ({"epochs": 6, "lr": 0.01, "width": 8}, 0.3)},
    # the GAN's defaults are DCGAN's beta1 0.5, smoothing 0.2 and a cosine schedule
    "gan": {"beta1": ({}, 0.9), "label_smoothing": ({}, 0.0), "lr_schedule": ({}, "constant"),
            "lr_final_ratio": ({"lr_schedule": "cosine"}, 0.5),
            "lr_plateau_patience": (_GAN_STALL, 2), "lr_plateau_factor": (_GAN_STALL, 0.25),
            "lr_plateau_raise": (_GAN_STALL, True)},
}


def _module(task: str) -> Any:
    return importlib.import_module(preset(task).module or "")


def _fingerprint(module: Any, params: dict[str, Any]) -> tuple[Any, ...]:
    torch.set_num_threads(1)
    points: list[tuple[Any, ...]] = []

    def reporter(step: int, **metrics: float) -> None:       # epoch_time: the wall clock
        points.append((step, tuple(sorted((k, round(v, 9)) for k, v in metrics.items()
                                          if k != "epoch_time"))))

    result = module.train(params, reporter, should_stop=lambda: False,
                          event=lambda *a, **k: None)
    return result.n_params, tuple(points)


def _smoke(module: Any) -> dict[str, Any]:
    smoke = getattr(module, "SMOKE_PARAMS_PRESET", None) or module.SMOKE_PARAMS
    return dict(smoke)


def _alternative(task: str, name: str, base: dict[str, Any], module: Any) -> Any:
    hp = catalogue()[name]
    current = base.get(name, module.DEFAULTS.get(name))
    if hp.type == "bool":
        return not current
    if hp.type in ("float", "int"):
        if name.startswith("lr") or name.endswith("_weight") or name in ("focal_gamma",):
            return current * 2 if current else 0.1
        if name in ("width",):
            return current * 2
        if name in ("depth",):
            return current + 1 if current < 3 else current - 1
        if name in ("batch_size",):
            return current * 2
        if name in ("d_steps",):
            return current + 1
        return current * 2 if current else 0.1
    others = [c for c in hp.choices or () if c != current]
    return others[0]


def _cases() -> list[tuple[str, str]]:
    # Every task is built: a preset whose module is missing fails in _module, never skips.
    return [(task, name) for task in TASKS for name in preset(task).params]


@pytest.mark.parametrize(("task", "name"), _cases(), ids=[f"{t}-{n}" for t, n in _cases()])
def test_each_preset_hyperparameter_changes_what_the_task_does(
        task: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HPDESK_TRIAL_DIR", raising=False)
    monkeypatch.delenv("HPDESK_PAUSE_AT_EPOCH", raising=False)
    module = _module(task)
    if name == "amp" and not torch.cuda.is_available():
        pytest.skip("amp (mixed precision) acts on CUDA only; this machine has no GPU")
    context, alt = {**COMMON, **PER_TASK[task]}.get(name, ({}, None))
    base = {**_smoke(module), **context}
    if name in ("pretrained", "init_checkpoint"):
        base = {**base, "pretrained": name == "init_checkpoint",
                "init_checkpoint": _classification_checkpoint(tmp_path, base) if name ==
                "init_checkpoint" else ""}
        alt = True if name == "pretrained" else _classification_checkpoint(tmp_path / "b", base,
                                                                           seed=1)
        if name == "pretrained":
            base_other = {**base, "init_checkpoint": _classification_checkpoint(tmp_path, base)}
            assert _fingerprint(module, base_other | {"pretrained": False}) != _fingerprint(
                module, base_other | {"pretrained": True})
            return
    if alt is None:
        alt = _alternative(task, name, base, module)
    assert _fingerprint(module, base) != _fingerprint(module, {**base, name: alt}), (
        f"{task}: {name}={alt!r} changed nothing")


def _classification_checkpoint(folder: Path, detection: dict[str, Any], seed: int = 0) -> str:
    """A classification CNN whose backbone fits the detection smoke network."""
    folder.mkdir(parents=True, exist_ok=True)
    cls = importlib.import_module("hpdesk.tasks.classification")
    cls.train({"model": "cnn", "epochs": 1, "seed": seed, "width": detection["width"],
               "depth": detection["depth"], "checkpoint_dir": str(folder)},
              lambda *a, **k: None, should_stop=lambda: False, event=lambda *a, **k: None)
    return str(folder / "checkpoint.pt")


@pytest.mark.parametrize("task", TASKS)
def test_presets_list_exactly_what_each_task_reads(task: str) -> None:
    module = _module(task)  # a preset naming a module that is not there fails here
    reads = set(module.DEFAULTS) - NOT_HYPERPARAMETERS
    assert set(preset(task).params) == reads
