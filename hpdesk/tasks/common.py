"""The base every built-in task stands on: parameters, errors, seeding, device, threads, ``main``.

Why one module: every task must coerce and reject parameters the same way, seed the same
generators, pick a device and a thread count the same way, and turn bad parameters or a
diverged run into the same exit codes, so that trials of different tasks can be compared and
the runner can read their outcome without knowing which task ran.

Siblings hold the rest and import from here (never the other way round at import time):
:mod:`~hpdesk.tasks.optim` (optimisers, LARS), :mod:`~hpdesk.tasks.schedules` (learning-rate
schedules), :mod:`~hpdesk.tasks.layers` (conv blocks, normalisation), :mod:`~hpdesk.tasks.training`
(divergence, checkpoints, AMP) and :mod:`~hpdesk.tasks.image_data` (data sets). The names that
moved out (``OPTIMIZERS``, ``validate_optimizer_params``, ``digits_split``...) still resolve here,
lazily, so older imports keep working.
"""
from __future__ import annotations

import importlib
import logging
import os
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

# Exit codes of a task process. 0 also covers a run stopped on request (it ended cleanly) and
# one paused for population-based training (HPDESK_PAUSE_AT_EPOCH; relaunched later).
EXIT_OK = 0
EXIT_BAD_PARAMS = 2
EXIT_DIVERGED = 3

ENV_PAUSE_AT_EPOCH = "HPDESK_PAUSE_AT_EPOCH"

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
}

Reporter = Callable[..., None]          # reporter(step, **metrics), like hpdesk.sdk.report
StopCheck = Callable[[], bool]          # like hpdesk.sdk.should_stop
EventSink = Callable[..., None]         # event(kind, message, *, step, level): hpdesk.sdk.event
Status = Literal["completed", "stopped", "diverged", "paused"]


class ParamError(ValueError):
    """A hyperparameter value the task cannot use; its message is one line meant for a person."""


@dataclass
class TrainResult:
    """What one training run ended with; the task's ``main`` turns ``status`` into an exit code."""

    status: Status
    steps: int                      # optimiser updates done
    epochs: int                     # epochs completed (validated and reported)
    metrics: dict[str, float] = field(default_factory=dict)   # last reported value of each
    n_params: int = 0
    message: str = ""
    model: nn.Module | None = None


# --- parameters ---------------------------------------------------------------------------------

_PATH_LIKE = re.compile(r"(path|dir|checkpoint|file)$")


def _coerce_one(name: str, value: Any, like: Any) -> Any:
    """Convert ``value`` to the type of the default ``like``; config files give '1e-3' strings."""
    try:
        if isinstance(like, bool):
            if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "on"}:
                return True
            if isinstance(value, str) and value.strip().lower() in {"false", "no", "0", "off"}:
                return False
            if isinstance(value, (bool, int)) and value in (0, 1):
                return bool(value)
            raise ValueError
        if isinstance(like, int):
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if isinstance(like, float):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if isinstance(like, str):
            if not isinstance(value, str):
                raise ValueError
            # Choices ("Adam", "ReLU") compare case-blind; paths keep their case.
            return value.strip() if _PATH_LIKE.search(name) else value.strip().lower()
    except (TypeError, ValueError, OverflowError):
        kind = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
        raise ParamError(
            f"parameter {name!r} must be {kind[type(like)]}, got {value!r}") from None
    return value


def coerce_params(params: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``params``, each known key converted to its default's type.

    Unknown keys are kept as they are (a plan may carry notes the task does not read).
    """
    merged = dict(defaults)
    merged.update(params)
    for name, like in defaults.items():
        if like is not None:
            merged[name] = _coerce_one(name, merged[name], like)
    return merged


def require(condition: bool, message: str) -> None:
    """Raise :class:`ParamError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ParamError(message)


def require_choice(name: str, value: str, known: Iterable[str]) -> None:
    """Reject a name outside ``known`` with a message that lists the known ones."""
    known = list(known)
    if value not in known:
        raise ParamError(f"unknown {name} {value!r}; known {name}s: {', '.join(known)}")


# --- optimisers and layers ----------------------------------------------------------------------

def make_optimizer(
    name: str,
    parameters: Iterable[torch.nn.Parameter],
    *,
    lr: float,
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """The first tasks' signature, kept for old callers; new code calls
    :func:`hpdesk.tasks.optim.make_optimizer` (every optimiser key, LARS)."""
    from hpdesk.tasks import optim

    return optim.make_optimizer(parameters, {
        "optimizer": name, "momentum": momentum, "beta1": beta1, "beta2": beta2,
        "weight_decay": weight_decay}, lr=lr)


def make_activation(name: str) -> nn.Module:
    """A fresh activation module for one of :data:`ACTIVATIONS`."""
    require_choice("activation", name, ACTIVATIONS)
    return ACTIVATIONS[name]()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars: how the network-shape hyperparameters show up."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    """The learning rate the optimiser actually uses now (first param group)."""
    return float(optimizer.param_groups[0]["lr"])


# --- process set-up -----------------------------------------------------------------------------

def select_device(preference: str = "auto") -> torch.device:
    """CUDA when available (torch honours the runner's CUDA_VISIBLE_DEVICES), else CPU."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(preference)


def default_thread_count() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                       # macOS, Windows
        return max(1, os.cpu_count() or 1)


def configure_threads(env: Mapping[str, str] | None = None) -> int:
    """Set torch's intra-op threads from HPDESK_NUM_THREADS so concurrent trials share cores."""
    env = os.environ if env is None else env
    raw = env.get("HPDESK_NUM_THREADS") or ""
    if raw.strip():
        try:
            count = int(raw)
        except ValueError:
            count = 0
        require(count >= 1, f"HPDESK_NUM_THREADS must be a positive integer, got {raw!r}")
    else:
        count = default_thread_count()
    torch.set_num_threads(count)
    return count


def pause_at_epoch(env: Mapping[str, str] | None = None) -> int | None:
    """$HPDESK_PAUSE_AT_EPOCH (population-based training) as a positive integer, or None when
    unset or empty; see :class:`hpdesk.tasks.training.EpochTracker`.

    Any other value is a :class:`ParamError` (exit code 2): a population member that ran past
    its interval would spoil the generation it belongs to.
    """
    env = os.environ if env is None else env
    raw = env.get(ENV_PAUSE_AT_EPOCH) or ""
    if not raw.strip():
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    require(value >= 1, f"{ENV_PAUSE_AT_EPOCH} must be a positive integer, got {raw!r}")
    return value


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a separate generator for data shuffling.

    The shuffling generator is separate so that model size (which consumes the global stream
    at initialisation) does not change the order in which batches are drawn.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def data_source(data: Any, options: Mapping[str, Mapping[str, Any]],
                default: str = "digits") -> tuple[str, dict[str, Any]]:
    """The ``data`` parameter's source and the options given for it (``source`` removed).

    Accepts a bare source name. Unknown keys are errors, not ignored: a misspelt ``val_fration``
    would silently train on other data than the person meant.
    """
    if isinstance(data, str):
        data = {"source": data}
    if not isinstance(data, Mapping):
        raise ParamError(f"data must be a mapping with a 'source' key, got {data!r}")
    source = str(data.get("source", default)).strip().lower()
    require_choice("data source", source, options)
    known = options[source]
    unknown = sorted(set(data) - set(known) - {"source"})
    if unknown:
        raise ParamError(f"unknown data option {unknown[0]!r} for source {source!r}; known: "
                         f"{', '.join(['source', *known])}")
    return source, {k: v for k, v in data.items() if k != "source"}


def sdk_hooks(reporter: Reporter | None, should_stop: StopCheck | None,
              event: EventSink | None) -> tuple[Reporter, StopCheck, EventSink]:
    """The hooks a task's ``train`` was given, each missing one taken from :mod:`hpdesk.sdk`
    (imported only then, so in-process callers with their own hooks never touch it)."""
    if reporter is None or should_stop is None or event is None:
        from hpdesk import sdk

        return reporter or sdk.report, should_stop or sdk.should_stop, event or sdk.event
    return reporter, should_stop, event


# --- the process entry point --------------------------------------------------------------------

def run_main(
    train: Callable[[Mapping[str, Any]], TrainResult],
    defaults: Mapping[str, Any],
    *,
    logger_name: str,
    validate: Callable[[Mapping[str, Any]], Any] | None = None,
) -> int:
    """Shared ``main`` of a task process: read params, train, flush, map the outcome to a code.

    Bad parameters (or an unreadable ``--params`` file, or a bad HPDESK_PAUSE_AT_EPOCH) exit
    with :data:`EXIT_BAD_PARAMS` and a diverged run with :data:`EXIT_DIVERGED`; either way the
    reason is the last line on stderr, without a traceback, so the runner can show it as the
    trial's failure reason. Completed, stopped and paused runs exit with :data:`EXIT_OK` after
    one info line. Logging goes to stderr (level from HPDESK_LOG_LEVEL, default INFO): stdout is
    the SDK's JSON lines.
    """
    from hpdesk import sdk

    logging.basicConfig(
        level=os.environ.get("HPDESK_LOG_LEVEL", "INFO").upper(),
        format="%(name)s: %(message)s",
    )
    log = logging.getLogger(logger_name)
    try:
        params = sdk.params(dict(defaults))
        if validate is not None:                 # fail before any output but the reason
            validate(params)
        pause_at_epoch()                         # the task reads it again; checked here first
        threads = configure_threads()
        log.info("starting on %s, torch threads: %d", select_device(), threads)
        result = train(params)
    except (ParamError, sdk.SdkError) as exc:
        log.error("error: %s", exc)
        return EXIT_BAD_PARAMS
    finally:
        sdk.flush()
    shown = ", ".join(f"{k} {v:.4g}" for k, v in sorted(result.metrics.items()))
    if result.status == "diverged":
        log.error("error: diverged: %s", result.message)
        return EXIT_DIVERGED
    if result.status == "paused":
        log.info("%s (step %d); it continues from its checkpoint when started again: %s",
                 result.message or f"paused after epoch {result.epochs}", result.steps, shown)
        return EXIT_OK
    log.info("%s after %d steps (%d epochs): %s",
             result.status, result.steps, result.epochs, shown)
    return EXIT_OK


# --- names that moved to sibling modules --------------------------------------------------------

_MOVED: dict[str, str] = {
    "OPTIMIZERS": "hpdesk.tasks.optim",
    "OPTIMIZER_DEFAULTS": "hpdesk.tasks.optim",
    "validate_optimizer_params": "hpdesk.tasks.optim",
    "DIGITS_SPLIT_SEED": "hpdesk.tasks.image_data",
    "DIGITS_VAL_FRACTION": "hpdesk.tasks.image_data",
    "load_digits_arrays": "hpdesk.tasks.image_data",
    "stratified_split": "hpdesk.tasks.image_data",
    "digits_split": "hpdesk.tasks.image_data",
}


def __getattr__(name: str) -> Any:
    """Resolve a name that moved to a sibling module (PEP 562), importing it on first use.

    Lazy because the siblings import this module: a top-level import would be circular.
    """
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
