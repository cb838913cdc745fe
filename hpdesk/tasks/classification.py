"""Image classification: hpdesk's first built-in training program (digits by default).

Run as ``python -m hpdesk.tasks.classification [--params FILE]``. On scikit-learn's digits
(1797 8x8 images, a fixed stratified 1438 / 359 split) a trial takes seconds on a CPU, yet every
hyperparameter of the guide's three families visibly moves its curves. Other data (a folder of
class folders, an .npz file) come through the ``data`` parameter; see
:mod:`hpdesk.tasks.image_data`. Whole tensors stay on the device and batches are slices of a
shuffled index, far cheaper than a DataLoader at this size.

Models: ``cnn`` (default) is a :class:`~hpdesk.tasks.layers.ConvBackbone` (``depth`` stages from
``width`` channels, ``kernel_size``, ``normalization``) then global average pooling, dropout and
a linear layer; its weights sit under ``backbone.`` so the detector can start from them (see
:func:`backbone_from_checkpoint`). ``mlp`` is ``depth`` hidden layers of ``width`` units; it
ignores ``kernel_size``, ``normalization`` and ``gn_groups``.

An update averages the loss over ``batch_size * grad_accum_steps`` samples: each of the
``grad_accum_steps`` micro-batches of ``batch_size`` adds its loss weighted by its share of the
update's samples, so 4 x 16 makes the same update as 1 x 64 (BatchNorm aside: it normalises
each micro-batch on its own, KNOWLEDGE.md section 8).

Metrics: ``train_loss`` after every optimiser update (step = update count, from 1); at each
epoch's end, at that epoch's last step, ``val_loss`` (with the same label smoothing as the
training loss, so the two curves compare), ``val_acc``, ``train_acc`` (eval mode, whole training
split), ``lr`` (the rate the epoch's last update used, after schedule and warm-up; the
``plateau`` schedule monitors ``val_loss``), ``epoch``
(from 1) and ``epoch_time`` (seconds of the epoch's training and evaluation); with the first
epoch's end of each run (process) also ``n_params`` (the network's trainable parameters); when
the run completes, ``val_acc_class_<name>`` for every class with validation images and
``train_acc_class_<name>`` for every class with training images (eval mode), at the last step.

Pre-trained start (fine-tuning): with ``pretrained`` true the network starts from the tensors
of ``init_checkpoint`` (an earlier classification trial's checkpoint.pt, or a file a person
names) whose names and shapes match; the rest, such as a head sized for another class count,
start afresh, and the log says how many were loaded and which were skipped (see
:mod:`hpdesk.tasks.weights`). A resumed trial continues from its own checkpoint instead.

Checkpoints: with $HPDESK_TRIAL_DIR (or a ``checkpoint_dir`` parameter) set, one at every
epoch's end; a restarted trial resumes after it, with its current hyperparameters (see
:mod:`hpdesk.tasks.training`). $HPDESK_PAUSE_AT_EPOCH pauses it for population-based training.
A dropout layer is built even at rate 0 (where it does nothing), so a checkpoint fits a model
of any dropout rate.

Exit codes: 0 completed, stopped on request or paused, 2 bad parameters, 3 diverged (NaN/inf
loss).
"""
from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from hpdesk.tasks.classification_model import (  # re-exported: tests build the task's models
    MODELS,
    backbone_kwargs,
    build_model,
)
from hpdesk.tasks.common import (
    ACTIVATIONS,
    EventSink,
    ParamError,
    Reporter,
    Status,
    StopCheck,
    TrainResult,
    coerce_params,
    count_parameters,
    pause_at_epoch,
    require,
    require_choice,
    run_main,
    sdk_hooks,
    seed_everything,
    select_device,
)
from hpdesk.tasks.image_data import load_data, metric_suffix, resolve_data_options
from hpdesk.tasks.layers import KERNEL_SIZES, NORMALIZATIONS, check_groupnorm
from hpdesk.tasks.optim import OPTIMIZER_DEFAULTS, make_optimizer, validate_optimizer_params
from hpdesk.tasks.schedules import SCHEDULE_DEFAULTS, LRSchedule, validate_schedule_params
from hpdesk.tasks.training import (
    Checkpointer,
    Diverged,
    EpochTracker,
    autocast,
    check_finite,
    clip_gradients,
    eval_mode,
    grad_scaler,
    plain_values,
    resume_training,
    training_state,
    trial_dir,
)
from hpdesk.tasks.weights import checkpoint_tensors, load_matching

LOGGER_NAME = "hpdesk.tasks.classification"
log = logging.getLogger(LOGGER_NAME)

EVAL_CHUNK = 2048               # evaluation batch: bounds memory on larger folder data sets

#: Every parameter the task reads, with its default. Types here are the types params are
#: coerced to (a YAML file may give ``lr: 1e-3`` as a string).
DEFAULTS: dict[str, Any] = {
    "model": "cnn",
    **OPTIMIZER_DEFAULTS,       # optimizer adam, momentum, nesterov, beta1/2, eps, rho, ...
    "lr": 3e-3,
    **SCHEDULE_DEFAULTS,        # lr_schedule constant, lr_final_ratio, warmup_epochs, ...
    "batch_size": 64,
    "grad_accum_steps": 1,
    "epochs": 6,
    "dropout": 0.0,
    "width": 32,                # cnn: channels of the first stage; mlp: hidden units
    "depth": 3,                 # cnn: stages (>= 1); mlp: hidden layers (>= 0)
    "kernel_size": "3x3",       # cnn only
    "activation": "relu",
    "normalization": "batchnorm",   # cnn only
    "gn_groups": 8,             # groupnorm only
    "grad_clip": 0.0,           # max global gradient norm; 0 = off
    "label_smoothing": 0.0,
    "amp": False,               # CUDA only; a no-op on CPU
    "seed": 0,
    "pretrained": False,        # start from init_checkpoint's weights (fine-tuning)
    "init_checkpoint": "",      # an earlier trial's checkpoint.pt, or any file of the network
    "data": {"source": "digits"},
}

#: A run of well under 2 s on a CPU that still trains: tests flip one parameter against it.
SMOKE_PARAMS: dict[str, Any] = {"epochs": 1, "width": 8, "depth": 2}


# --- models: classification_model.py; a checkpoint's backbone for the detector ------------

def backbone_from_checkpoint(path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """A classification checkpoint's backbone: its ConvBackbone kwargs and its weights.

    For the detector's ``pretrained``: ``kwargs, weights = backbone_from_checkpoint(path)``,
    then ``ConvBackbone(**kwargs).load_state_dict(weights)``. Raises ParamError with one line
    when the file is missing, unreadable or from an MLP.
    """
    file = Path(path)
    require(file.is_file(), f"pretrained checkpoint {file} does not exist")
    state = Checkpointer(file.parent, file.name).load()
    assert state is not None
    try:
        p = coerce_params(state["params"], DEFAULTS)
        weights = state["modules"]["model"]
        in_channels = int(weights["backbone.stages.0.0.weight"].shape[1])
    except (KeyError, TypeError, AttributeError, IndexError):
        raise ParamError(f"{file} is not a checkpoint of a classification cnn") from None
    backbone = {k[len("backbone."):]: v for k, v in weights.items() if k.startswith("backbone.")}
    return backbone_kwargs(p, in_channels), backbone


# --- parameters ---------------------------------------------------------------------------------

def resolve_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """DEFAULTS overlaid with ``params``, coerced and checked; ParamError before any work."""
    p = coerce_params(params, DEFAULTS)
    require_choice("model", p["model"], MODELS)
    require_choice("activation", p["activation"], ACTIVATIONS)
    validate_optimizer_params(p)
    validate_schedule_params(p)
    require(p["batch_size"] >= 1, f"batch_size must be >= 1, got {p['batch_size']}")
    require(p["grad_accum_steps"] >= 1,
            f"grad_accum_steps must be >= 1, got {p['grad_accum_steps']}")
    require(p["epochs"] >= 1, f"epochs must be >= 1, got {p['epochs']}")
    require(p["width"] >= 1, f"width must be >= 1, got {p['width']}")
    require(p["depth"] >= (1 if p["model"] == "cnn" else 0),
            f"depth must be >= {1 if p['model'] == 'cnn' else 0} for model {p['model']!r}, "
            f"got {p['depth']}")
    require(0 <= p["dropout"] < 1, f"dropout must be in [0, 1), got {p['dropout']}")
    require_choice("kernel_size", p["kernel_size"], KERNEL_SIZES)
    require_choice("normalization", p["normalization"], NORMALIZATIONS)
    require(p["gn_groups"] >= 1, f"gn_groups must be >= 1, got {p['gn_groups']}")
    if p["model"] == "cnn":
        check_groupnorm(p["normalization"],
                        [p["width"] * 2 ** min(i, 2) for i in range(p["depth"])], p["gn_groups"])
    require(p["grad_clip"] >= 0 and math.isfinite(p["grad_clip"]),
            f"grad_clip must be >= 0 (0 = off), got {p['grad_clip']}")
    require(0 <= p["label_smoothing"] < 1,
            f"label_smoothing must be in [0, 1), got {p['label_smoothing']}")
    require(p["seed"] >= 0, f"seed must be >= 0, got {p['seed']}")
    if p["pretrained"]:
        require(bool(str(p["init_checkpoint"]).strip()),
                "pretrained: true needs init_checkpoint (a classification trial's checkpoint.pt)")
        file = Path(str(p["init_checkpoint"])).expanduser()
        require(file.is_file(), f"init_checkpoint {str(file)!r} is not a file")
    p["data"] = resolve_data_options(p["data"])
    return p


# --- training -----------------------------------------------------------------------------------

def _predict(model: nn.Module, x: torch.Tensor, device: torch.device,
             amp: bool) -> torch.Tensor:
    """Logits (float32) for the whole of ``x`` in eval mode, in chunks of EVAL_CHUNK."""
    with eval_mode(model), autocast(device, amp):
        return torch.cat([model(x[i:i + EVAL_CHUNK]).float() for i in range(0, len(x), EVAL_CHUNK)])



class _Run:
    """One trial's state and loop; :func:`train` is its public face."""

    def __init__(self, p: dict[str, Any], reporter: Reporter, should_stop: StopCheck,
                 event: EventSink, device: torch.device, pause_at: int | None = None) -> None:
        self.p, self.report, self.should_stop, self.event = p, reporter, should_stop, event
        self.device = device
        self.generator = seed_everything(p["seed"])
        data = load_data(p["data"])
        self.class_names = data.class_names
        self.x_tr, self.y_tr, self.x_va, self.y_va = (
            torch.from_numpy(a).to(device)
            for a in (data.x_train, data.y_train, data.x_val, data.y_val))
        self.model = build_model(p, data)
        if p["pretrained"]:
            loaded = load_matching(self.model, checkpoint_tensors(p["init_checkpoint"]))
            log.info("pretrained from %s: %s", p["init_checkpoint"], loaded.summary())
        self.model.to(device)
        self.optimizer = make_optimizer(
            [w for w in self.model.parameters() if w.requires_grad], p)
        self.scaler = grad_scaler(device, p["amp"])
        self.per_update = p["batch_size"] * p["grad_accum_steps"]
        self.steps_per_epoch = math.ceil(len(self.x_tr) / self.per_update)
        self.schedule = LRSchedule(p, steps_per_epoch=self.steps_per_epoch, epochs=p["epochs"])
        self.checkpointer = Checkpointer(trial_dir(p))
        self.n_params = count_parameters(self.model)
        self.tracker = EpochTracker(epochs=p["epochs"], n_params=self.n_params, pause_at=pause_at)
        self.step = 0
        self.epoch = 0
        self.lr = p["lr"]
        self.last: dict[str, float] = {}

    def finish(self, status: Status, message: str = "") -> TrainResult:
        return TrainResult(status=status, steps=self.step, epochs=self.epoch,
                           metrics=dict(self.last), n_params=self.n_params, message=message,
                           model=self.model)

    def resume(self) -> None:
        self.epoch, self.step, self.last = resume_training(
            self.checkpointer, modules={"model": self.model},
            optimizers={"optimizer": self.optimizer}, generator=self.generator, params=self.p)

    def update(self, idx: torch.Tensor) -> float:
        """One optimiser update over the samples ``idx``; returns their mean loss."""
        p, model = self.p, self.model
        self.lr = self.schedule.apply(self.optimizer, self.step)
        self.optimizer.zero_grad(set_to_none=True)
        total, loss_sum = len(idx), 0.0
        for start in range(0, total, p["batch_size"]):
            micro = idx[start:start + p["batch_size"]]
            with autocast(self.device, p["amp"]):
                logits = model(self.x_tr[micro])
            loss = F.cross_entropy(logits.float(), self.y_tr[micro],
                                   label_smoothing=p["label_smoothing"])
            value = loss.item()
            check_finite(value, self.step + 1)      # before the update spreads it
            if len(micro) != total:
                share = len(micro) / total
                loss, value = loss * share, value * share
            self.scaler.scale(loss).backward()
            loss_sum += value
        if p["grad_clip"] > 0:
            self.scaler.unscale_(self.optimizer)
            clip_gradients(model.parameters(), p["grad_clip"])
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss_sum

    def evaluate(self, epoch: int) -> dict[str, float]:
        logits = _predict(self.model, self.x_va, self.device, self.p["amp"])
        val_loss = F.cross_entropy(logits, self.y_va,
                                   label_smoothing=self.p["label_smoothing"]).item()
        check_finite(val_loss, self.step, "val_loss")
        train_pred = _predict(self.model, self.x_tr, self.device, self.p["amp"]).argmax(dim=1)
        return {"val_loss": val_loss,
                "val_acc": (logits.argmax(dim=1) == self.y_va).float().mean().item(),
                "train_acc": (train_pred == self.y_tr).float().mean().item(),
                "lr": float(self.lr), "epoch": float(epoch)}

    def per_class(self) -> dict[str, float]:
        """Each class's accuracy on the validation and on the training split: the guide asks to
        compare the two for rare classes (KNOWLEDGE.md section 6). One eval pass over each."""
        out: dict[str, float] = {}
        for split, x, y in (("val", self.x_va, self.y_va), ("train", self.x_tr, self.y_tr)):
            pred = _predict(self.model, x, self.device, self.p["amp"]).argmax(dim=1)
            for label, name in enumerate(self.class_names):
                members = y == label
                if bool(members.any()):
                    key = f"{split}_acc_class_{metric_suffix(name)}"
                    if key in out:                       # "a b" and "a_b": keep both
                        key = f"{key}_{label}"
                    out[key] = (pred[members] == label).float().mean().item()
        return out

    def stopped(self) -> TrainResult:
        message = f"stopped on request at step {self.step}"
        self.event("stopped", message, step=self.step, level="info")
        return self.finish("stopped", message)

    def run(self) -> TrainResult:
        p = self.p
        self.resume()
        self.model.train()
        n_train = len(self.x_tr)
        try:
            while self.epoch < p["epochs"]:
                self.tracker.start()
                order = torch.randperm(n_train, generator=self.generator).to(self.device)
                for start in range(0, n_train, self.per_update):
                    value = self.update(order[start:start + self.per_update])
                    self.step += 1
                    self.report(self.step, train_loss=value)
                    self.last["train_loss"] = value
                    if self.should_stop():
                        return self.stopped()
                metrics = {**self.evaluate(self.epoch + 1), **self.tracker.metrics()}
                self.epoch += 1
                self.report(self.step, **metrics)
                self.last.update(metrics)
                self.schedule.observe(self.optimizer, metrics["val_loss"])   # plateau only
                self.checkpointer.save(training_state(
                    epoch=self.epoch, step=self.step, modules={"model": self.model},
                    optimizers={"optimizer": self.optimizer}, generator=self.generator,
                    metrics=dict(self.last), params=plain_values(p)))
                if self.epoch < p["epochs"] and self.should_stop():
                    return self.stopped()
                if (message := self.tracker.pause(self.event, self.epoch, self.step)) is not None:
                    return self.finish("paused", message)
        except Diverged as exc:
            self.event("diverged", str(exc), step=exc.step, level="error")
            return self.finish("diverged", str(exc))
        classes = self.per_class()
        if classes:
            self.report(self.step, **classes)
            self.last.update(classes)
        return self.finish("completed")


def train(
    params: Mapping[str, Any],
    reporter: Reporter | None = None,
    *,
    should_stop: StopCheck | None = None,
    event: EventSink | None = None,
    device: torch.device | None = None,
) -> TrainResult:
    """Train one trial and report its curves; callable in-process with your own hooks.

    ``reporter``, ``should_stop`` and ``event`` default to :mod:`hpdesk.sdk`'s functions.
    Raises :class:`~hpdesk.tasks.common.ParamError` (a ValueError) for unusable parameters or
    data, before any training. A NaN/inf loss ends the run with status ``"diverged"`` and a
    ``diverged`` event; a stop request ends it after the current update with ``"stopped"``;
    with $HPDESK_PAUSE_AT_EPOCH it may end with ``"paused"`` (see :mod:`hpdesk.tasks.training`).
    """
    p = resolve_params(params)
    pause_at = pause_at_epoch()
    reporter, should_stop, event = sdk_hooks(reporter, should_stop, event)
    run = _Run(p, reporter, should_stop, event, device or select_device(), pause_at)
    log.info("%s with %d parameters, optimizer %s, lr %g, %d updates an epoch", p["model"],
             run.n_params, p["optimizer"], p["lr"], run.steps_per_epoch)
    try:
        return run.run()
    except ValueError as exc:
        if "Expected more than 1 value per channel" in str(exc):
            raise ParamError("batchnorm saw a batch of one 1x1 feature map; use a larger "
                             "batch_size, fewer stages or another normalization") from None
        raise


def main() -> int:
    """Process entry point: params from hpdesk (env) or ``--params FILE``; the exit code."""
    return run_main(train, DEFAULTS, logger_name=LOGGER_NAME, validate=resolve_params)


if __name__ == "__main__":
    sys.exit(main())
