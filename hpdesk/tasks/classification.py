"""Image classification on scikit-learn's digits: hpdesk's first built-in training program.

Run as ``python -m hpdesk.tasks.classification [--params FILE]``. It is small enough (1797 8x8
images, a few seconds a trial on a CPU) to make a real multi-epoch trial cheap, yet every
hyperparameter of the guide's three families visibly moves its curves.

Data: the 64 pixels scaled to [0, 1]; a fixed stratified 80/20 train/validation split
(1438 / 359 images, split seed 0, independent of the trial seed; see
:func:`hpdesk.tasks.common.digits_split`). Whole tensors stay on the device and batches are
slices of a shuffled index, which is far cheaper than a DataLoader at this size.

Metrics: ``train_loss`` after every optimiser update (step = update count, from 1); at each
epoch's end, at that epoch's last step, ``val_loss``, ``val_acc``, ``train_acc`` (eval mode, whole
training split), ``lr`` (read back from the optimiser) and ``epoch`` (from 1).

Exit codes: 0 completed or stopped on request, 2 bad parameters, 3 diverged (NaN/inf loss).
"""
from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from hpdesk.tasks.common import (
    ACTIVATIONS,
    EventSink,
    Reporter,
    Status,
    StopCheck,
    TrainResult,
    coerce_params,
    count_parameters,
    current_lr,
    digits_split,
    make_activation,
    make_optimizer,
    require,
    require_choice,
    run_main,
    seed_everything,
    select_device,
    validate_optimizer_params,
)

LOGGER_NAME = "hpdesk.tasks.classification"
log = logging.getLogger(LOGGER_NAME)

N_FEATURES = 64                 # 8 x 8 pixels, flattened
IMAGE_SHAPE = (1, 8, 8)         # for convolutional models: unflatten the same input
N_CLASSES = 10

#: Every parameter the task reads, with its default. Types here are the types params are
#: coerced to (a YAML file may give ``lr: 1e-3`` as a string).
DEFAULTS: dict[str, Any] = {
    "model": "mlp",
    "optimizer": "adam",
    "lr": 3e-3,
    "momentum": 0.9,            # sgd_momentum only
    "beta1": 0.9,               # adam, adamax, nadam
    "beta2": 0.999,             # adam, adamax, nadam
    "batch_size": 64,
    "epochs": 15,
    "weight_decay": 0.0,
    "dropout": 0.0,
    "width": 128,
    "depth": 2,                 # hidden layers
    "activation": "relu",
    "seed": 0,
}


# --- models -------------------------------------------------------------------------------------

def build_mlp(p: Mapping[str, Any]) -> nn.Module:
    """``depth`` hidden layers of ``width`` units, each followed by the activation and dropout.

    ``depth`` 0 gives a linear (softmax-regression) classifier.
    """
    layers: list[nn.Module] = []
    fan_in = N_FEATURES
    for _ in range(p["depth"]):
        layers += [nn.Linear(fan_in, p["width"]), make_activation(p["activation"])]
        if p["dropout"] > 0:
            layers.append(nn.Dropout(p["dropout"]))
        fan_in = p["width"]
    layers.append(nn.Linear(fan_in, N_CLASSES))
    return nn.Sequential(*layers)


#: Model builders by the ``model`` parameter. Each takes the coerced params and returns a
#: module mapping a (batch, 64) float tensor to (batch, 10) logits; a convolutional model
#: starts with ``nn.Unflatten(1, IMAGE_SHAPE)`` and registers here.
MODELS: dict[str, Callable[[Mapping[str, Any]], nn.Module]] = {
    "mlp": build_mlp,
}


def build_model(p: Mapping[str, Any]) -> nn.Module:
    """The network the ``model`` parameter names."""
    require_choice("model", p["model"], MODELS)
    return MODELS[p["model"]](p)


# --- parameters ---------------------------------------------------------------------------------

def resolve_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """DEFAULTS overlaid with ``params``, coerced and checked; ParamError before any work."""
    p = coerce_params(params, DEFAULTS)
    require_choice("model", p["model"], MODELS)
    require_choice("activation", p["activation"], ACTIVATIONS)
    validate_optimizer_params(p)
    require(p["batch_size"] >= 1, f"batch_size must be >= 1, got {p['batch_size']}")
    require(p["epochs"] >= 1, f"epochs must be >= 1, got {p['epochs']}")
    require(p["width"] >= 1, f"width must be >= 1, got {p['width']}")
    require(p["depth"] >= 0, f"depth must be >= 0, got {p['depth']}")
    require(0 <= p["dropout"] < 1, f"dropout must be in [0, 1), got {p['dropout']}")
    require(p["seed"] >= 0, f"seed must be >= 0, got {p['seed']}")
    return p


# --- training -----------------------------------------------------------------------------------

def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over the whole of ``x`` in eval mode (no dropout)."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y).item()
        acc = (logits.argmax(dim=1) == y).float().mean().item()
    model.train()
    return loss, acc


def _sdk_hooks() -> tuple[Reporter, StopCheck, EventSink]:
    from hpdesk import sdk
    return sdk.report, sdk.should_stop, sdk.event


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
    Raises :class:`~hpdesk.tasks.common.ParamError` (a ValueError) for unusable parameters,
    before any training. A NaN/inf loss ends the run with status ``"diverged"`` and a
    ``diverged`` event; a stop request ends it after the current step with ``"stopped"``.
    """
    p = resolve_params(params)
    if reporter is None or should_stop is None or event is None:
        sdk_report, sdk_stop, sdk_event = _sdk_hooks()
        reporter = reporter or sdk_report
        should_stop = should_stop or sdk_stop
        event = event or sdk_event
    device = device or select_device()
    shuffle_gen = seed_everything(p["seed"])

    x_tr, y_tr, x_va, y_va = (torch.from_numpy(a).to(device) for a in digits_split())
    model = build_model(p).to(device)
    optimizer = make_optimizer(
        p["optimizer"], model.parameters(), lr=p["lr"], momentum=p["momentum"],
        beta1=p["beta1"], beta2=p["beta2"], weight_decay=p["weight_decay"])
    n_params = count_parameters(model)
    log.info("%s with %d parameters, optimizer %s, lr %g", p["model"], n_params,
             p["optimizer"], p["lr"])

    last: dict[str, float] = {}
    step = 0
    batch = p["batch_size"]
    n_train = len(x_tr)

    def finish(status: Status, epochs: int, message: str = "") -> TrainResult:
        return TrainResult(status=status, steps=step, epochs=epochs, metrics=dict(last),
                           n_params=n_params, message=message, model=model)

    def diverged(what: str, value: float, at_step: int, epochs: int) -> TrainResult:
        message = f"{what} became {value} at step {at_step}"
        event("diverged", message, step=at_step, level="error")
        return finish("diverged", epochs, message)

    def stopped(epochs: int) -> TrainResult:
        message = f"stopped on request at step {step}"
        event("stopped", message, step=step, level="info")
        return finish("stopped", epochs, message)

    model.train()
    for epoch in range(1, p["epochs"] + 1):
        order = torch.randperm(n_train, generator=shuffle_gen).to(device)
        for start in range(0, n_train, batch):
            idx = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_tr[idx]), y_tr[idx])
            value = loss.item()
            if not math.isfinite(value):           # the update would spread it: stop first
                return diverged("train_loss", value, step + 1, epoch - 1)
            loss.backward()
            optimizer.step()
            step += 1
            reporter(step, train_loss=value)
            last["train_loss"] = value
            if should_stop():
                return stopped(epoch - 1)

        val_loss, val_acc = _evaluate(model, x_va, y_va)
        if not math.isfinite(val_loss):
            return diverged("val_loss", val_loss, step, epoch - 1)
        _, train_acc = _evaluate(model, x_tr, y_tr)
        metrics = {"val_loss": val_loss, "val_acc": val_acc, "train_acc": train_acc,
                   "lr": current_lr(optimizer), "epoch": float(epoch)}
        reporter(step, **metrics)
        last.update(metrics)
        if epoch < p["epochs"] and should_stop():
            return stopped(epoch)
    return finish("completed", p["epochs"])


def main() -> int:
    """Process entry point: params from hpdesk (env) or ``--params FILE``; the exit code."""
    return run_main(train, DEFAULTS, logger_name=LOGGER_NAME, validate=resolve_params)


if __name__ == "__main__":
    sys.exit(main())
