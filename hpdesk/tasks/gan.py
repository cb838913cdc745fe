"""A GAN on digits or on a ring of Gaussians: the built-in task for the guide's GAN topics.

Run as ``python -m hpdesk.tasks.gan [--params FILE]``. KNOWLEDGE.md section 9 names the GAN
tricks a person tunes — Adam's beta1 = 0.5 (Radford et al. 2016, DCGAN), separate learning rates
for the two players (TTUR, Heusel et al. 2017), one-sided label smoothing (Salimans et al. 2016)
and spectral normalisation of the discriminator (Miyato et al. 2018) — and each of them is a
hyperparameter here that really changes what the task does.

Data (``data``):

* ``{"source": "digits"}`` (default): the 1438 training digits of the fixed split, scaled to
  [-1, 1]. DCGAN-style nets: the generator projects ``z`` (32-d) to ``width/2`` maps of 4x4, a
  transposed convolution doubles them to ``width/4`` maps of 8x8 (BatchNorm and ReLU after
  each), a 3x3 convolution and tanh give the image; the discriminator has two strided 3x3
  convolutions (``width/4``, ``width/2`` channels) with LeakyReLU(0.2) and a linear score. Unlike
  DCGAN it has no BatchNorm: with it, trials at the default rates collapsed (FID back up to
  300+ after epoch 10); without it FID falls steadily, as in SN-GAN and WGAN-GP critics.
* ``{"source": "ring", "modes": 8, "radius": 2.0, "std": 0.02, "samples_per_epoch": 7680}``:
  the classic 2-D mode-collapse study (Metz et al. 2017). Fresh samples every epoch; MLPs of
  three hidden layers of ``width`` units (ReLU in the generator, whose ``z`` is 2-d, LeakyReLU
  in the discriminator).

Step = one generator update, preceded by ``d_steps`` discriminator updates (each on its own real
batch: an epoch is one pass over the real samples, so ``d_steps`` 2 halves the generator updates
of an epoch). Metrics: per step ``g_loss``, ``d_loss`` (mean over the step's D updates),
``d_real`` and ``d_fake`` (the last D update's mean probabilities). Per epoch, at its last step:
``epoch``, ``lr_g``, ``lr_d``, ``epoch_time`` (seconds of its training and evaluation), and
``fid`` (digits, see :mod:`hpdesk.tasks.gan_metrics`) or ``modes_covered`` and ``high_quality``
(ring); both from :data:`EVAL_SAMPLES` samples of the fixed noise seed :data:`EVAL_NOISE_SEED`,
so trials compare. With the first epoch's end of each run (process) also ``n_params``: the
generator's trainable parameters (the discriminator's are not counted in it).

Losses: the non-saturating GAN loss with logits; real targets ``1 - label_smoothing``.
The learning-rate schedule (``lr_schedule``...) scales both rates by the same factor per step;
the ``plateau`` schedule watches the epoch's sample quality (see :meth:`_Run.monitored`).
Checkpoints, resume (with the current hyperparameters) and $HPDESK_PAUSE_AT_EPOCH follow
:mod:`hpdesk.tasks.training`. Exit codes: 0 completed, stopped on request or paused, 2 bad
parameters, 3 diverged (NaN/inf loss).

Defaults (one set for both sources, measured at one CPU thread): the ring trains 2,400 steps in
about 8 s and covers >= 6 of 8 modes on each of 16 seeds (all 8 on eleven). It needs batch 128
(64 lost modes on some seeds), label smoothing 0.2 (0 or 0.1 fell to 2-5 modes on some seeds)
and the cosine decay (samples tighten to within 3 std only as the rates settle). Digits: 480
steps in about 13 s, FID from 200-640 after epoch 1 to 12-17 after epoch 40 (5 seeds).
``spectral_norm`` is off by default: it gave digits FID 23 (17 without) and the ring no mode at
all (a 1-Lipschitz critic barely separates points 0.06 apart), a contrast worth a search.
"""
from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from hpdesk.tasks.common import (
    EventSink,
    Reporter,
    Status,
    StopCheck,
    TrainResult,
    coerce_params,
    count_parameters,
    data_source,
    pause_at_epoch,
    require,
    run_main,
    sdk_hooks,
    seed_everything,
    select_device,
)
from hpdesk.tasks.gan_metrics import DigitsFid, ring_centers, ring_metrics
from hpdesk.tasks.image_data import digits_split
from hpdesk.tasks.layers import conv_block, norm2d
from hpdesk.tasks.optim import OPTIMIZER_DEFAULTS, make_optimizer, validate_optimizer_params
from hpdesk.tasks.schedules import (
    SCHEDULE_DEFAULTS,
    LRSchedule,
    metric_history,
    validate_schedule_params,
)
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

LOGGER_NAME = "hpdesk.tasks.gan"
log = logging.getLogger(LOGGER_NAME)

EVAL_SAMPLES = 2000
EVAL_NOISE_SEED = 2024
Z_DIM = {"digits": 32, "ring": 2}
LEAK = 0.2                      # DCGAN's LeakyReLU slope in the discriminator

#: The options of each data source with their defaults.
DATA_OPTIONS: dict[str, dict[str, Any]] = {
    "digits": {},
    "ring": {"modes": 8, "radius": 2.0, "std": 0.02, "samples_per_epoch": 7680},
}

#: Every parameter the task reads, with its default (and the type params are coerced to).
DEFAULTS: dict[str, Any] = {
    **OPTIMIZER_DEFAULTS,       # optimizer adam, beta2, eps, weight_decay, lars... (no lr)
    "beta1": 0.5,               # DCGAN
    "lr_g": 2e-3,
    "lr_d": 2e-3,
    **SCHEDULE_DEFAULTS,
    "lr_schedule": "cosine",    # the settling rate sharpens the ring's modes
    "lr_final_ratio": 0.01,
    "batch_size": 128,
    "d_steps": 1,
    "label_smoothing": 0.2,     # one-sided: real targets 1 - value
    "spectral_norm": False,     # discriminator only
    "width": 128,               # ring: hidden units; digits: G 4x4 maps width/2, D width/4, /2
    "epochs": 40,
    "grad_clip": 0.0,           # max global gradient norm of each network; 0 = off
    "amp": False,               # CUDA only; a no-op on CPU
    "seed": 0,
    "data": {"source": "digits"},
}

#: Runs of well under 2 s on a CPU: tests flip one parameter against them.
SMOKE_PARAMS: dict[str, Any] = {"epochs": 1, "width": 16, "batch_size": 64}
SMOKE_PARAMS_RING: dict[str, Any] = {
    "epochs": 2, "width": 32, "data": {"source": "ring", "samples_per_epoch": 1024}}


# --- models -------------------------------------------------------------------------------------

def _maybe_sn(layer: nn.Module, on: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if on else layer


class DigitsGenerator(nn.Module):
    """z -> linear to (width/2, 4, 4) -> BN, ReLU -> transposed conv to (width/4, 8, 8) -> BN,
    ReLU -> 3x3 conv to one channel -> tanh."""

    def __init__(self, z_dim: int, width: int) -> None:
        super().__init__()
        self.channels = max(1, width // 2)
        quarter = max(1, width // 4)
        self.project = nn.Linear(z_dim, self.channels * 16, bias=False)
        self.body = nn.Sequential(
            norm2d("batchnorm", self.channels), nn.ReLU(),
            nn.ConvTranspose2d(self.channels, quarter, 4, stride=2, padding=1, bias=False),
            norm2d("batchnorm", quarter), nn.ReLU(),
            conv_block(quarter, 1, norm="none", activation="tanh"),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(self.project(z).view(len(z), self.channels, 4, 4))


def build_digits_discriminator(width: int, spectral_norm: bool) -> nn.Module:
    """8x8 -> 4x4 -> 2x2 strided convs (LeakyReLU 0.2), then a linear score (a logit)."""
    c1, c2 = max(1, width // 4), max(1, width // 2)
    return nn.Sequential(
        conv_block(1, c1, stride=2, norm="none", activation="none", spectral_norm=spectral_norm),
        nn.LeakyReLU(LEAK),
        conv_block(c1, c2, stride=2, norm="none", activation="none",
                   spectral_norm=spectral_norm),
        nn.LeakyReLU(LEAK),
        nn.Flatten(),
        _maybe_sn(nn.Linear(c2 * 4, 1), spectral_norm),
    )


def build_mlp(n_in: int, n_out: int, width: int, *, critic: bool,
              spectral_norm: bool = False) -> nn.Module:
    """Three hidden layers of ``width``: ReLU for the generator, LeakyReLU(0.2) for the critic."""
    layers: list[nn.Module] = []
    fan_in = n_in
    for _ in range(3):
        layers += [_maybe_sn(nn.Linear(fan_in, width), spectral_norm),
                   nn.LeakyReLU(LEAK) if critic else nn.ReLU()]
        fan_in = width
    layers.append(_maybe_sn(nn.Linear(fan_in, n_out), spectral_norm))
    return nn.Sequential(*layers)


def build_models(p: Mapping[str, Any]) -> tuple[nn.Module, nn.Module]:
    """The (generator, discriminator) pair for ``p["data"]["source"]``."""
    source, width, sn = p["data"]["source"], p["width"], p["spectral_norm"]
    if source == "digits":
        return DigitsGenerator(Z_DIM[source], width), build_digits_discriminator(width, sn)
    return (build_mlp(Z_DIM[source], 2, width, critic=False),
            build_mlp(2, 1, width, critic=True, spectral_norm=sn))


# --- parameters ---------------------------------------------------------------------------------

def resolve_data_options(data: Any) -> dict[str, Any]:
    """The ``data`` parameter checked and completed; unknown keys are rejected, not ignored."""
    source, data = data_source(data, DATA_OPTIONS)
    options = DATA_OPTIONS[source]
    q = coerce_params({k: v for k, v in data.items() if k in options}, options)
    q["source"] = source
    if source == "ring":
        require(q["modes"] >= 1, f"data modes must be >= 1, got {q['modes']}")
        for key in ("radius", "std"):
            require(0 < q[key] < 1e6, f"data {key} must be a number in (0, 1e6), got {q[key]}")
        require(q["samples_per_epoch"] >= 1,
                f"data samples_per_epoch must be >= 1, got {q['samples_per_epoch']}")
    return q


def resolve_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """DEFAULTS overlaid with ``params``, coerced and checked; ParamError before any work."""
    p = coerce_params(params, DEFAULTS)
    validate_optimizer_params(p)
    validate_schedule_params(p)
    for name in ("lr_g", "lr_d"):
        require(p[name] > 0 and math.isfinite(p[name]),
                f"{name} must be a positive number, got {p[name]}")
    require(p["batch_size"] >= 2, f"batch_size must be >= 2, got {p['batch_size']}")
    require(p["d_steps"] >= 1, f"d_steps must be >= 1, got {p['d_steps']}")
    require(0 <= p["label_smoothing"] < 1,
            f"label_smoothing must be in [0, 1), got {p['label_smoothing']}")
    require(p["width"] >= 2, f"width must be >= 2, got {p['width']}")
    require(p["epochs"] >= 1, f"epochs must be >= 1, got {p['epochs']}")
    require(p["grad_clip"] >= 0 and math.isfinite(p["grad_clip"]),
            f"grad_clip must be >= 0 (0 = off), got {p['grad_clip']}")
    require(p["seed"] >= 0, f"seed must be >= 0, got {p['seed']}")
    p["data"] = resolve_data_options(p["data"])
    return p


# --- training -----------------------------------------------------------------------------------

class _Run:
    """One trial's state and loop; :func:`train` is its public face."""

    def __init__(self, p: dict[str, Any], reporter: Reporter, should_stop: StopCheck,
                 event: EventSink, device: torch.device, pause_at: int | None = None) -> None:
        self.p, self.report, self.should_stop, self.event = p, reporter, should_stop, event
        self.device = device
        self.data = p["data"]
        self.z_dim = Z_DIM[self.data["source"]]
        self.generator = seed_everything(p["seed"])
        self.g, self.d = (m.to(device) for m in build_models(p))
        self.opt_g = make_optimizer(self.g.parameters(), p, lr=p["lr_g"])
        self.opt_d = make_optimizer(self.d.parameters(), p, lr=p["lr_d"])
        self.modules = {"generator": self.g, "discriminator": self.d}     # checkpoint names
        self.optimizers = {"generator": self.opt_g, "discriminator": self.opt_d}
        self.scaler_g, self.scaler_d = grad_scaler(device, p["amp"]), grad_scaler(device, p["amp"])
        self.fid: DigitsFid | None = None
        if self.data["source"] == "digits":
            x_train = torch.from_numpy(digits_split()[0]).view(-1, 1, 8, 8)
            self.x_train: torch.Tensor | None = (x_train * 2 - 1).to(device)
            self.n_real = len(x_train)
            self.fid = DigitsFid(device=device)
        else:
            self.x_train = None
            self.n_real = self.data["samples_per_epoch"]
            self.centers = torch.tensor(ring_centers(self.data["modes"], self.data["radius"]),
                                        dtype=torch.float32)
        self.d_batches = math.ceil(self.n_real / p["batch_size"])
        self.steps_per_epoch = math.ceil(self.d_batches / p["d_steps"])
        self.schedule = LRSchedule(p, steps_per_epoch=self.steps_per_epoch, epochs=p["epochs"])
        self.eval_z = torch.randn(EVAL_SAMPLES, self.z_dim,
                                  generator=torch.Generator().manual_seed(EVAL_NOISE_SEED))
        self.checkpointer = Checkpointer(trial_dir(p))
        self.n_params = count_parameters(self.g) + count_parameters(self.d)
        self.tracker = EpochTracker(epochs=p["epochs"], n_params=count_parameters(self.g),
                                    pause_at=pause_at)
        self.step = self.epoch = 0
        self.last: dict[str, float] = {}

    def finish(self, status: Status, message: str = "") -> TrainResult:
        return TrainResult(status=status, steps=self.step, epochs=self.epoch,
                           metrics=dict(self.last), n_params=self.n_params, message=message,
                           model=self.g)

    def resume(self) -> None:
        self.epoch, self.step, self.last = resume_training(
            self.checkpointer, modules=self.modules, optimizers=self.optimizers,
            generator=self.generator, params=self.p,
            rates={"generator": self.p["lr_g"], "discriminator": self.p["lr_d"]})

    def real_epoch(self) -> torch.Tensor:
        """This epoch's real samples in a fresh order (digits) or freshly drawn (ring)."""
        if self.x_train is not None:
            order = torch.randperm(self.n_real, generator=self.generator).to(self.device)
            return self.x_train[order]
        n = self.n_real
        mode = torch.randint(self.data["modes"], (n,), generator=self.generator)
        noise = torch.randn(n, 2, generator=self.generator) * self.data["std"]
        return (self.centers[mode] + noise).to(self.device)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.z_dim, generator=self.generator).to(self.device)

    def _update(self, net: nn.Module, opt: torch.optim.Optimizer,
                scaler: torch.amp.GradScaler, loss: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if self.p["grad_clip"] > 0:
            scaler.unscale_(opt)
            clip_gradients(net.parameters(), self.p["grad_clip"])
        scaler.step(opt)
        scaler.update()

    def d_update(self, real: torch.Tensor) -> tuple[float, float, float]:
        """One discriminator update; returns its loss and mean D(real), D(fake) probabilities."""
        with torch.no_grad(), autocast(self.device, self.p["amp"]):
            fake = self.g(self.noise(len(real)))
        with autocast(self.device, self.p["amp"]):
            logits = self.d(torch.cat([real, fake.to(real.dtype)])).float().flatten()
        lr, lf = logits[:len(real)], logits[len(real):]
        target = torch.full_like(lr, 1.0 - self.p["label_smoothing"])
        loss = (F.binary_cross_entropy_with_logits(lr, target)
                + F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))
        check_finite(loss, self.step + 1, "d_loss")
        self._update(self.d, self.opt_d, self.scaler_d, loss)
        return loss.item(), torch.sigmoid(lr).mean().item(), torch.sigmoid(lf).mean().item()

    def g_update(self) -> float:
        """One generator update (non-saturating loss: maximise log D(G(z)))."""
        with autocast(self.device, self.p["amp"]):
            logits = self.d(self.g(self.noise(self.p["batch_size"]))).float().flatten()
        loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        check_finite(loss, self.step + 1, "g_loss")
        self._update(self.g, self.opt_g, self.scaler_g, loss)
        return loss.item()

    def evaluate(self) -> dict[str, float]:
        """Sample quality of the generator on the fixed evaluation noise (eval mode)."""
        with eval_mode(self.g), autocast(self.device, self.p["amp"]):
            samples = self.g(self.eval_z.to(self.device)).float()
        if self.fid is not None:
            fid = self.fid(samples)
            check_finite(fid, self.step, "fid")
            return {"fid": fid}
        check_finite(samples.sum(), self.step, "samples")
        return ring_metrics(samples, modes=self.data["modes"], radius=self.data["radius"],
                            std=self.data["std"])

    @staticmethod
    def monitored(metrics: Mapping[str, float]) -> float:
        """What the ``plateau`` schedule watches, lower is better: the epoch's sample quality,
        ``fid`` on digits, the share of low-quality samples (``1 - high_quality``) on the ring.

        Not ``g_loss``: in a two-player game the generator's loss need not fall as its samples
        improve (a stronger discriminator raises it), so its stalls say little.
        """
        if "fid" in metrics:
            return float(metrics["fid"])
        return 1.0 - float(metrics["high_quality"])

    def stopped(self) -> TrainResult:
        message = f"stopped on request at step {self.step}"
        self.event("stopped", message, step=self.step, level="info")
        return self.finish("stopped", message)

    def run(self) -> TrainResult:
        p = self.p
        self.resume()
        self.g.train()
        self.d.train()
        batch = p["batch_size"]
        try:
            while self.epoch < p["epochs"]:
                self.tracker.start()
                real = self.real_epoch()
                for first in range(0, self.d_batches, p["d_steps"]):
                    # a pure function of the step (and the plateau's saved history): resumable
                    factor = self.schedule.factor(self.step, metric_history(self.opt_g))
                    for opt, base in ((self.opt_g, p["lr_g"]), (self.opt_d, p["lr_d"])):
                        opt.param_groups[0]["lr"] = base * factor
                    d_losses = []
                    for b in range(first, min(first + p["d_steps"], self.d_batches)):
                        chunk = real[b * batch:(b + 1) * batch]
                        if len(chunk) < 2:             # a batch of one breaks BatchNorm
                            chunk = real[-2:]
                        d_loss, d_real, d_fake = self.d_update(chunk)
                        d_losses.append(d_loss)
                    g_loss = self.g_update()
                    self.step += 1
                    metrics = {"g_loss": g_loss, "d_loss": sum(d_losses) / len(d_losses),
                               "d_real": d_real, "d_fake": d_fake}
                    self.report(self.step, **metrics)
                    self.last.update(metrics)
                    if self.should_stop():
                        return self.stopped()
                self.epoch += 1
                metrics = {**self.evaluate(), "lr_g": self.opt_g.param_groups[0]["lr"],
                           "lr_d": self.opt_d.param_groups[0]["lr"], "epoch": float(self.epoch),
                           **self.tracker.metrics()}
                self.report(self.step, **metrics)
                self.last.update(metrics)
                self.schedule.observe(self.optimizers.values(), self.monitored(metrics))
                self.checkpointer.save(training_state(
                    epoch=self.epoch, step=self.step, modules=self.modules,
                    optimizers=self.optimizers, generator=self.generator,
                    metrics=dict(self.last), params=plain_values(p)))
                if self.epoch < p["epochs"] and self.should_stop():
                    return self.stopped()
                if (message := self.tracker.pause(self.event, self.epoch, self.step)) is not None:
                    return self.finish("paused", message)
        except Diverged as exc:
            self.event("diverged", str(exc), step=exc.step, level="error")
            return self.finish("diverged", str(exc))
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
    Raises :class:`~hpdesk.tasks.common.ParamError` (a ValueError) for unusable parameters,
    before any training. A NaN/inf loss ends the run with status ``"diverged"`` and a
    ``diverged`` event; a stop request ends it after the current step with ``"stopped"``, and
    $HPDESK_PAUSE_AT_EPOCH may end it with ``"paused"``. ``TrainResult.model`` is the
    generator; ``TrainResult.n_params`` counts both networks (the ``n_params`` metric: G only).
    """
    p = resolve_params(params)
    pause_at = pause_at_epoch()
    reporter, should_stop, event = sdk_hooks(reporter, should_stop, event)
    run = _Run(p, reporter, should_stop, event, device or select_device(), pause_at)
    log.info("gan on %s: %d parameters, optimizer %s, lr_g %g, lr_d %g, %d steps an epoch",
             p["data"]["source"], run.n_params, p["optimizer"], p["lr_g"], p["lr_d"],
             run.steps_per_epoch)
    return run.run()


def main() -> int:
    """Process entry point: params from hpdesk (env) or ``--params FILE``; the exit code."""
    return run_main(train, DEFAULTS, logger_name=LOGGER_NAME, validate=resolve_params)


if __name__ == "__main__":
    sys.exit(main())
