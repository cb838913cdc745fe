"""Object detection on procedural shapes (or a YOLO folder): hpdesk's second built-in task.

Run as ``python -m hpdesk.tasks.detection [--params FILE]``. The network, its targets, losses
and decoding are in :mod:`~hpdesk.tasks.detection_model` (an FCOS-style one-stage detector on
the classifier's :class:`~hpdesk.tasks.layers.ConvBackbone`), the data in
:mod:`~hpdesk.tasks.detection_data`, the mAP in :mod:`~hpdesk.tasks.detection_metrics`; this
module holds the parameters and the training loop. The data never change during a run (no
augmentation), so dense targets are built once and batches are slices of one tensor.

Metrics: ``train_loss``, ``cls_loss``, ``box_loss`` after every optimiser update (step = update
count, from 1; with ``grad_accum_steps`` the mean over the accumulated batches); at each epoch's
end ``val_loss`` (the metric the ``plateau`` schedule monitors), ``map50`` (mAP@0.5 on the
validation set), ``lr`` (of the epoch's last update),
``epoch`` and ``epoch_time`` (seconds of the epoch's training and evaluation); with the first
epoch's end of each run (process) also ``n_params`` (the detector's trainable parameters); after
the last epoch also ``ap50_<class>`` per class with ground truth.

Checkpoints, resume with changed hyperparameters and $HPDESK_PAUSE_AT_EPOCH follow
:mod:`hpdesk.tasks.training`. Exit codes: 0 completed, stopped or paused, 2 bad parameters,
3 diverged.
"""
from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Mapping
from typing import Any

import torch

from hpdesk.tasks.common import (
    ACTIVATIONS,
    EventSink,
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
from hpdesk.tasks.detection_data import DetectionSet, load_data, resolve_data_options
from hpdesk.tasks.detection_metrics import (
    ImageDetections,
    ImageTruth,
    MapResult,
    mean_average_precision,
)
from hpdesk.tasks.detection_model import (
    Detector,
    Targets,
    build_targets,
    detect,
    detection_losses,
    load_backbone,
)
from hpdesk.tasks.layers import KERNEL_SIZES, NORMALIZATIONS, freeze_batchnorm
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
    resume_training,
    training_state,
    trial_dir,
)

LOGGER_NAME = "hpdesk.tasks.detection"
log = logging.getLogger(LOGGER_NAME)


#: Every parameter the task reads, with its default (and the type params are coerced to).
DEFAULTS: dict[str, Any] = {
    "data": {"source": "shapes"},   # see detection_data.DATA_DEFAULTS
    **OPTIMIZER_DEFAULTS,
    "lr": 3e-3,
    **SCHEDULE_DEFAULTS,
    "lr_schedule": "cosine",
    "lr_final_ratio": 0.05,
    "batch_size": 16,
    "grad_accum_steps": 1,
    "epochs": 10,
    "box_loss_weight": 1.0,
    "cls_loss_weight": 1.0,
    "focal_gamma": 2.0,
    "focal_alpha": 0.25,
    "pretrained": False,
    "init_checkpoint": "",
    "normalization": "batchnorm",
    "gn_groups": 8,
    "width": 16,
    "depth": 3,
    "kernel_size": "3x3",
    "activation": "relu",
    "dropout": 0.0,
    "grad_clip": 0.0,           # max global gradient norm; 0 = off
    "amp": False,               # CUDA only (autocast); ignored on CPU
    "score_threshold": 0.05,
    "nms_iou": 0.5,
    "seed": 0,
    "checkpoint_dir": "",       # hand runs; under hpdesk $HPDESK_TRIAL_DIR wins
}

#: String parameters that are file paths, kept as given (case matters on most file systems).

#: A run of well under 2 s on one CPU thread: tests check each hyperparameter moves it.
SMOKE_PARAMS: dict[str, Any] = {
    "data": {"source": "shapes", "image_size": 24, "train_images": 32, "val_images": 8,
             "objects": [1, 2], "scale": [0.3, 0.5]},
    "epochs": 1,
    "batch_size": 8,
    "width": 4,
    "depth": 2,
    "gn_groups": 2,
    "lr_schedule": "constant",
}


# --- parameters ---------------------------------------------------------------------------------

def resolve_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """DEFAULTS overlaid with ``params``, coerced and checked; ParamError before any work."""
    p = coerce_params(params, DEFAULTS)
    p["data"] = resolve_data_options(p["data"])
    validate_optimizer_params(p)
    validate_schedule_params(p)
    require_choice("normalization", p["normalization"], NORMALIZATIONS)
    require_choice("kernel_size", p["kernel_size"], KERNEL_SIZES)
    require_choice("activation", p["activation"], ACTIVATIONS)
    for key in ("batch_size", "grad_accum_steps", "epochs", "width", "depth", "gn_groups"):
        require(p[key] >= 1, f"{key} must be >= 1, got {p[key]}")
    for key in ("box_loss_weight", "cls_loss_weight", "focal_gamma", "grad_clip"):
        require(p[key] >= 0 and math.isfinite(p[key]), f"{key} must be >= 0, got {p[key]}")
    require(0 <= p["focal_alpha"] <= 1, f"focal_alpha must be in [0, 1], got {p['focal_alpha']}")
    require(0 <= p["dropout"] < 1, f"dropout must be in [0, 1), got {p['dropout']}")
    require(0 <= p["score_threshold"] < 1, "score_threshold must be in [0, 1)")
    require(0 < p["nms_iou"] <= 1, f"nms_iou must be in (0, 1], got {p['nms_iou']}")
    require(p["seed"] >= 0, f"seed must be >= 0, got {p['seed']}")
    require(p["depth"] <= 6, f"depth must be <= 6, got {p['depth']}")
    require(2 ** (p["depth"] - 1) <= p["data"]["image_size"],
            f"depth {p['depth']} shrinks a {p['data']['image_size']}-pixel image below one cell")
    if p["normalization"] == "groupnorm":
        bad = [c for c in (p["width"] * 2 ** min(i, 2) for i in range(p["depth"]))
               if c % p["gn_groups"]]
        require(not bad, f"gn_groups {p['gn_groups']} does not divide {bad[0] if bad else 0} "
                         f"channels; pick a divisor of width {p['width']}")
    require(not p["pretrained"] or bool(p["init_checkpoint"]),
            "pretrained: true needs init_checkpoint (a classification checkpoint file)")
    return p


# --- training -----------------------------------------------------------------------------------

def metric_name(class_name: str) -> str:
    """A class name as a metric-name suffix: letters, digits and underscores only."""
    return re.sub(r"[^0-9A-Za-z_]+", "_", class_name).strip("_").lower() or "class"



def _losses(model: Detector, cls_out: torch.Tensor, box_out: torch.Tensor, targets: Targets,
            p: Mapping[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(weighted total, class loss, box loss) of one batch."""
    cls_l, box_l = detection_losses(cls_out, box_out, targets, stride=model.stride,
                                    focal_alpha=p["focal_alpha"], focal_gamma=p["focal_gamma"])
    return p["cls_loss_weight"] * cls_l + p["box_loss_weight"] * box_l, cls_l, box_l


def evaluate(model: Detector, data: DetectionSet, targets: Targets, p: Mapping[str, Any],
             device: torch.device) -> tuple[float, MapResult]:
    """Validation loss (weighted like the training loss) and the mAP@0.5 result."""
    images = data.images
    dets: list[ImageDetections] = []
    total, batches = 0.0, 0
    with eval_mode(model):
        for start in range(0, len(data), 128):
            sl = slice(start, start + 128)
            with autocast(device, p["amp"]):
                cls_out, box_out = model(images[sl].to(device))
            part = (targets[0][sl].to(device), targets[1][sl].to(device),
                    targets[2][sl].to(device))
            total += float(_losses(model, cls_out, box_out, part, p)[0])
            batches += 1
            dets += detect(cls_out, box_out, model.stride, images.shape[-1],
                           p["score_threshold"], p["nms_iou"])
    truths = [ImageTruth(b, c) for b, c in zip(data.boxes, data.labels)]
    return total / batches, mean_average_precision(dets, truths,
                                                   num_classes=len(data.class_names))


def train(
    params: Mapping[str, Any],
    reporter: Reporter | None = None,
    *,
    should_stop: StopCheck | None = None,
    event: EventSink | None = None,
    device: torch.device | None = None,
) -> TrainResult:
    """Train one detection trial and report its curves; callable in-process with your own hooks.

    Same contract as :func:`hpdesk.tasks.classification.train`: ParamError before any training,
    status ``diverged`` (with a ``diverged`` event) on a NaN/inf loss, ``stopped`` after the
    current update once ``should_stop()`` says so, ``paused`` per $HPDESK_PAUSE_AT_EPOCH. With
    a trial folder it checkpoints every epoch and resumes from the last checkpoint, reporting
    from the saved step + 1, with the current parameters' hyperparameters.
    """
    p = resolve_params(params)
    pause_at = pause_at_epoch()
    reporter, should_stop, event = sdk_hooks(reporter, should_stop, event)
    device = device or select_device()
    shuffle_gen = seed_everything(p["seed"])
    train_set, val_set = load_data(p["data"])
    model = Detector(p, train_set.images.shape[1], len(train_set.class_names))
    if p["pretrained"]:
        loaded = load_backbone(model, p["init_checkpoint"])
        log.info("backbone: %d tensors from %s", loaded, p["init_checkpoint"])
    if p["normalization"] == "frozen_batchnorm":
        freeze_batchnorm(model.backbone)
    model.to(device)
    with eval_mode(model):                      # a probe must not move BatchNorm statistics
        grid = model(train_set.images[:1].to(device))[0].shape[-1]
    train_t = build_targets(train_set, grid, model.stride)
    val_t = build_targets(val_set, grid, model.stride)
    x_tr = train_set.images.to(device)
    train_t = (train_t[0].to(device), train_t[1].to(device), train_t[2].to(device))

    optimizer = make_optimizer([q for q in model.parameters() if q.requires_grad], p)
    scaler = grad_scaler(device, p["amp"])
    batch, accum = p["batch_size"], p["grad_accum_steps"]
    n_batches = math.ceil(len(train_set) / batch)
    steps_per_epoch = math.ceil(n_batches / accum)
    schedule = LRSchedule(p, steps_per_epoch=steps_per_epoch, epochs=p["epochs"])
    n_params = count_parameters(model)
    log.info("detector with %d parameters on a %dx%d map, %d train / %d val images",
             n_params, grid, grid, len(train_set), len(val_set))

    checkpointer = Checkpointer(trial_dir(p))
    tracker = EpochTracker(epochs=p["epochs"], n_params=n_params, pause_at=pause_at)
    modules, optimizers = {"model": model}, {"optimizer": optimizer}
    lr = p["lr"]
    done_epochs, step, last = resume_training(
        checkpointer, modules=modules, optimizers=optimizers, generator=shuffle_gen, params=p,
        metrics_key="last")

    def finish(status: Status, message: str = "") -> TrainResult:
        return TrainResult(status=status, steps=step, epochs=done_epochs, metrics=dict(last),
                           n_params=n_params, message=message, model=model)

    model.train()
    try:
        for epoch in range(done_epochs + 1, p["epochs"] + 1):
            tracker.start()
            order = torch.randperm(len(train_set), generator=shuffle_gen).to(device)
            chunks = [order[i:i + batch] for i in range(0, len(train_set), batch)]
            for u in range(steps_per_epoch):
                group = chunks[u * accum:(u + 1) * accum]
                lr = schedule.apply(optimizer, step)
                optimizer.zero_grad(set_to_none=True)
                sums = [0.0, 0.0, 0.0]
                for idx in group:
                    with autocast(device, p["amp"]):
                        cls_out, box_out = model(x_tr[idx])
                    part = (train_t[0][idx], train_t[1][idx], train_t[2][idx])
                    loss, cls_l, box_l = _losses(model, cls_out, box_out, part, p)
                    check_finite(loss, step + 1)
                    scaler.scale(loss / len(group)).backward()
                    for j, v in enumerate((loss, cls_l, box_l)):
                        sums[j] += float(v.detach()) / len(group)
                scaler.unscale_(optimizer)
                clip_gradients(model.parameters(), p["grad_clip"])
                scaler.step(optimizer)
                scaler.update()
                step += 1
                last.update(train_loss=sums[0], cls_loss=sums[1], box_loss=sums[2])
                reporter(step, train_loss=sums[0], cls_loss=sums[1], box_loss=sums[2])
                if should_stop():
                    event("stopped", f"stopped on request at step {step}", step=step,
                          level="info")
                    return finish("stopped", f"stopped on request at step {step}")
            val_loss, result = evaluate(model, val_set, val_t, p, device)
            check_finite(val_loss, step, "val_loss")
            metrics = {"val_loss": val_loss, "map50": result.map, "lr": lr,
                       "epoch": float(epoch), **tracker.metrics()}
            if epoch == p["epochs"]:
                metrics.update({f"ap50_{metric_name(val_set.class_names[c])}": ap
                                for c, ap in result.ap.items()})
            reporter(step, **metrics)
            last.update(metrics)
            done_epochs = epoch
            schedule.observe(optimizer, val_loss)            # the plateau schedule only
            checkpointer.save(training_state(epoch=epoch, step=step, modules=modules,
                                             optimizers=optimizers, generator=shuffle_gen,
                                             last=dict(last)))
            if epoch < p["epochs"] and should_stop():
                event("stopped", f"stopped on request at step {step}", step=step, level="info")
                return finish("stopped", f"stopped on request at step {step}")
            if (message := tracker.pause(event, epoch, step)) is not None:
                return finish("paused", message)
    except Diverged as exc:
        event("diverged", str(exc), step=exc.step, level="error")
        return finish("diverged", str(exc))
    return finish("completed")


def main() -> int:
    """Process entry point: params from hpdesk (env) or ``--params FILE``; the exit code."""
    return run_main(train, DEFAULTS, logger_name=LOGGER_NAME, validate=resolve_params)


if __name__ == "__main__":
    sys.exit(main())
