"""The training-loop pieces every task needs the same way: divergence, checkpoints, AMP, clipping.

Why shared: the runner reads a trial's outcome without knowing its task, so "diverged" must be
detected and worded identically everywhere; and a trial the scheduler restarts (a lost machine,
a resumed experiment) must continue its curve exactly where the last checkpoint left it, which
only works if every task saves and restores the same things.

Resume contract: a task saves a checkpoint into :func:`trial_dir` at the end of every epoch
(after that epoch's report). On start, when one exists, it restores it with
:func:`restore_training_state` (or :func:`resume_training`) and continues with the next epoch,
its first report at the checkpoint's ``step + 1``. Because the RNG states (python, numpy,
torch, CUDA, the task's shuffling generator) are restored too, a resumed run on CPU reproduces
the uninterrupted run's numbers exactly.

Population-based training builds on it. With $HPDESK_PAUSE_AT_EPOCH = N a run pauses after
the epoch that brings its completed epochs to N or more (report and checkpoint done, and not
at its last epoch): a ``paused`` event, status ``"paused"``, exit code 0 (see
:class:`EpochTracker`). The scheduler may then copy another member's checkpoint into the
trial folder and relaunch with changed parameters: the weights and optimiser state come from
the checkpoint, every hyperparameter from the new parameters (the optimiser's settings are
re-applied after the load by :func:`~hpdesk.tasks.optim.apply_hyperparameters`; the network,
its dropout included, is built from them; losses read them each step).

Checkpoints hold only tensors and plain values, so :meth:`Checkpointer.load` reads them with
``torch.load(weights_only=True)``: loading one cannot run code.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from hpdesk.tasks.common import EventSink, ParamError
from hpdesk.tasks.optim import apply_hyperparameters

log = logging.getLogger(__name__)

ENV_TRIAL_DIR = "HPDESK_TRIAL_DIR"


class Diverged(Exception):
    """A loss became NaN or infinite; the message reads ``train_loss became nan at step 12``."""

    def __init__(self, name: str, value: float | None = None, step: int | None = None) -> None:
        # Diverged("train_loss", nan, 12), or Diverged("a whole message") when a task words it.
        super().__init__(name if value is None else f"{name} became {value} at step {step}")
        self.name = name
        self.value = value
        self.step = step


def check_finite(loss: torch.Tensor | float, step: int, name: str = "train_loss") -> None:
    """Raise :class:`Diverged` when ``loss`` is NaN or infinite (before the update spreads it).

    ``step`` is the number the failing update would have been reported under (from 1).
    """
    value = float(loss.detach().float().item()) if isinstance(loss, torch.Tensor) else float(loss)
    if not math.isfinite(value):
        raise Diverged(name, value, step)


def trial_dir(p: Mapping[str, Any]) -> Path | None:
    """Where this trial keeps files that outlive its process: $HPDESK_TRIAL_DIR, else
    ``p["checkpoint_dir"]`` (a hand-run script), else None (no checkpoints)."""
    raw = os.environ.get(ENV_TRIAL_DIR) or p.get("checkpoint_dir") or None
    return Path(raw) if raw else None


# --- RNG state ------------------------------------------------------------------------------

def rng_state(generator: torch.Generator | None = None) -> dict[str, Any]:
    """Every random stream a task draws from, as tensors and plain values only."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = cast(tuple[Any, ...], np.random.get_state(legacy=True))
    state: dict[str, Any] = {
        "python": [version, torch.tensor(internal, dtype=torch.int64), gauss],
        "numpy": [name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
                  float(cached)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def set_rng_state(state: Mapping[str, Any], generator: torch.Generator | None = None) -> None:
    """Put back what :func:`rng_state` captured (CUDA only where it was captured and exists)."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(int(v) for v in internal.tolist()), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])


# --- checkpoints ----------------------------------------------------------------------------

def training_state(
    *,
    epoch: int,
    step: int,
    modules: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    generator: torch.Generator | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The dict a task hands to :meth:`Checkpointer.save` at an epoch's end.

    ``modules`` and ``optimizers`` are named (``{"model": net}``; the GAN's
    ``{"generator": g, "discriminator": d}``); each state dict is stored under its name.
    ``extra`` holds plain values (last metrics, params) stored as given.
    """
    state: dict[str, Any] = {"epoch": epoch, "step": step, "rng": rng_state(generator)}
    state["modules"] = {name: module.state_dict() for name, module in modules.items()}
    state["optimizers"] = {name: opt.state_dict() for name, opt in optimizers.items()}
    state.update(extra)
    return state


def restore_training_state(
    state: Mapping[str, Any],
    *,
    modules: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    generator: torch.Generator | None = None,
    params: Mapping[str, Any] | None = None,
    rates: Mapping[str, float] | None = None,
) -> tuple[int, int]:
    """Load what :func:`training_state` saved; return ``(epoch, step)`` it was taken at.

    With ``params`` (the run's current parameters), each optimiser then gets their settings
    back over the loaded ones (:func:`~hpdesk.tasks.optim.apply_hyperparameters`), its rate
    from ``rates[name]`` where given (the GAN's ``lr_g``/``lr_d``), else ``params["lr"]``.
    Raises :class:`ParamError` when the saved shapes do not fit (the plan changed the net).
    """
    try:
        for name, module in modules.items():
            module.load_state_dict(state["modules"][name])
        for name, opt in optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
    except (KeyError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParamError(f"checkpoint does not fit this model: {first}") from None
    if params is not None:
        for name, opt in optimizers.items():
            apply_hyperparameters(opt, params, lr=(rates or {}).get(name))
    set_rng_state(state["rng"], generator)
    return int(state["epoch"]), int(state["step"])


def resume_training(
    checkpointer: Checkpointer,
    *,
    modules: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    generator: torch.Generator | None,
    params: Mapping[str, Any],
    rates: Mapping[str, float] | None = None,
    metrics_key: str = "metrics",
) -> tuple[int, int, dict[str, float]]:
    """A task's start: ``(epoch, step, last metrics)`` of its checkpoint, restored with the
    current ``params`` re-applied (see :func:`restore_training_state`); ``(0, 0, {})`` when
    there is none. ``metrics_key`` names the checkpoint entry that holds the last metrics."""
    state = checkpointer.load()
    if state is None:
        return 0, 0, {}
    epoch, step = restore_training_state(state, modules=modules, optimizers=optimizers,
                                         generator=generator, params=params, rates=rates)
    return epoch, step, {k: float(v) for k, v in state.get(metrics_key, {}).items()}


def plain_values(value: Any) -> Any:
    """``value`` (parameters, metrics) reduced to JSON-like values a weights-only load accepts."""
    if isinstance(value, Mapping):
        return {str(k): plain_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_values(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


class Checkpointer:
    """Saves and loads one checkpoint file in a trial's folder; with ``folder=None`` does nothing.

    ``save`` is atomic (a temporary file in the same folder, fsync'd, then ``os.replace``), so
    a process killed mid-save leaves the previous checkpoint intact.
    """

    def __init__(self, folder: Path | None, name: str = "checkpoint.pt") -> None:
        self.folder = Path(folder) if folder is not None else None
        self.path = self.folder / name if self.folder is not None else None

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is no folder or no checkpoint yet."""
        if self.path is None or not self.path.is_file():
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same one line
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ParamError(f"cannot read checkpoint {self.path}: {reason}") from None
        if not isinstance(state, dict):
            raise ParamError(f"checkpoint {self.path} does not hold a state dict")
        log.info("resuming from %s (epoch %s, step %s)", self.path, state.get("epoch"),
                 state.get("step"))
        return state

    def save(self, state: Mapping[str, Any]) -> None:
        """Write ``state`` with ``torch.save``, replacing the previous checkpoint atomically."""
        if self.path is None:
            return
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as f:
            torch.save(dict(state), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


# --- epoch ends: timing, parameter count, pausing for population-based training ---------------

class EpochTracker:
    """What every task does at its epochs' ends beyond its own metrics.

    * :meth:`start` at an epoch's beginning, :meth:`metrics` with its end-of-epoch report:
      ``epoch_time`` (seconds of its training and evaluation, by the wall clock; the
      evaluation's results are read on the host, so on CUDA the GPU work is in it without an
      extra sync) and, with the first report of this run only, ``n_params``.
    * :meth:`pause` after the report, the checkpoint and the stop check (a stop request wins):
      with ``pause_at`` (:func:`~hpdesk.tasks.common.pause_at_epoch`) reached before the last
      epoch, it sends the ``paused`` event and returns the message; the task then ends with
      status ``"paused"``. ``pause_at`` at or past the last epoch: the run simply completes.
    """

    def __init__(self, *, epochs: int, n_params: int, pause_at: int | None = None) -> None:
        self.epochs = epochs
        self.n_params = n_params
        self.pause_at = pause_at
        self._started = time.perf_counter()
        self._counted = False

    def start(self) -> None:
        """Mark the beginning of an epoch."""
        self._started = time.perf_counter()

    def metrics(self) -> dict[str, float]:
        """``epoch_time`` since :meth:`start`, plus ``n_params`` the first time."""
        out = {"epoch_time": time.perf_counter() - self._started}
        if not self._counted:
            out["n_params"] = float(self.n_params)
            self._counted = True
        return out

    def pause(self, event: EventSink, epoch: int, step: int) -> str | None:
        """After ``epoch`` (completed epochs, from 1) is reported and saved: the pause message,
        its ``paused`` event sent, or None when the run goes on (or is at its end)."""
        if self.pause_at is None or epoch < self.pause_at or epoch >= self.epochs:
            return None
        message = f"paused after epoch {epoch} for the rest of the population"
        event("paused", message, step=step, level="info")
        return message


# --- mixed precision and clipping -----------------------------------------------------------

def amp_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 where the GPU supports it (no loss scaling needed), else float16."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


def autocast(device: torch.device, enabled: bool = True) -> contextlib.AbstractContextManager[Any]:
    """``torch.autocast`` on CUDA when ``enabled`` (the ``amp`` parameter); a no-op on CPU.

    AMP is CUDA-only by design: on CPU bfloat16 autocast is slower than float32 for the small
    nets these tasks train, and ``amp: true`` must not make a CPU trial differ from a GPU one
    in anything but speed.
    """
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=amp_dtype(device))
    return contextlib.nullcontext()


def grad_scaler(device: torch.device, enabled: bool = True) -> torch.amp.GradScaler:
    """A loss scaler that is active only for float16 autocast (bfloat16 and float32 need none).

    Disabled scalers pass through (``scale`` returns the loss, ``step`` calls the optimiser),
    so a task uses one code path for every device.
    """
    active = enabled and device.type == "cuda" and amp_dtype(device) == torch.float16
    return torch.amp.GradScaler("cuda" if device.type == "cuda" else "cpu", enabled=active)


def clip_gradients(parameters: Iterable[torch.Tensor], max_norm: float) -> None:
    """Clip the global gradient norm to ``max_norm``; 0 (or less) means no clipping."""
    if max_norm > 0:
        torch.nn.utils.clip_grad_norm_(list(parameters), max_norm)


@contextlib.contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Evaluate without gradients in eval mode, then put back the mode the module had."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield module
    finally:
        module.train(was_training)
