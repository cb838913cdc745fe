"""Torch helpers shared by the built-in tasks (classification now; detection and GAN later).

Why one module: every task must map the same optimiser names to ``torch.optim`` the same way,
seed the same generators, pick a device and a thread count the same way, and turn bad
parameters or a diverged run into the same exit codes, so that trials of different tasks can be
compared and the runner can read their outcome without knowing which task ran.
"""
from __future__ import annotations

import functools
import importlib.util
import logging
import math
import os
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

# Exit codes of a task process. 0 also covers a run stopped on request (it ended cleanly).
EXIT_OK = 0
EXIT_BAD_PARAMS = 2
EXIT_DIVERGED = 3

#: The eight optimisers of KNOWLEDGE.md section 5, in the order the guide lists them.
OPTIMIZERS: tuple[str, ...] = (
    "sgd", "sgd_momentum", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam",
)

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
Status = Literal["completed", "stopped", "diverged"]


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
            return value.strip().lower()
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
    """Map one of :data:`OPTIMIZERS` to ``torch.optim``.

    ``momentum`` is used by ``sgd_momentum`` only; ``beta1``/``beta2`` by the Adam family
    (adam, adamax, nadam). ``weight_decay`` is the classic L2 term of each torch optimiser
    (not AdamW's decoupled decay), as in the guide's regularisation family.
    """
    require_choice("optimizer", name, OPTIMIZERS)
    params = list(parameters)
    betas = (beta1, beta2)
    wd = weight_decay
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if name == "sgd_momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=wd)
    if name == "adamax":
        return torch.optim.Adamax(params, lr=lr, betas=betas, weight_decay=wd)
    return torch.optim.NAdam(params, lr=lr, betas=betas, weight_decay=wd)


def validate_optimizer_params(p: Mapping[str, Any]) -> None:
    """Check the optimiser keys every task shares before any work starts."""
    require_choice("optimizer", p["optimizer"], OPTIMIZERS)
    require(p["lr"] > 0 and math.isfinite(p["lr"]), f"lr must be a positive number, got {p['lr']}")
    require(0 <= p["momentum"] < 1, f"momentum must be in [0, 1), got {p['momentum']}")
    require(0 <= p["beta1"] < 1, f"beta1 must be in [0, 1), got {p['beta1']}")
    require(0 <= p["beta2"] < 1, f"beta2 must be in [0, 1), got {p['beta2']}")
    require(p["weight_decay"] >= 0, f"weight_decay must be >= 0, got {p['weight_decay']}")


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


# --- data ---------------------------------------------------------------------------------------

DIGITS_SPLIT_SEED = 0
DIGITS_VAL_FRACTION = 0.2


def _digits_csv() -> Path | None:
    """scikit-learn's bundled digits file, found without importing sklearn (~0.8 s saved)."""
    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: (1797, 64) float32 pixels scaled to [0, 1] and int64 labels."""
    path = _digits_csv()
    if path is not None:
        table = np.loadtxt(path, delimiter=",", dtype=np.float64)
        images, labels = table[:, :-1], table[:, -1]
    else:                                        # layout changed: the public loader
        from sklearn.datasets import load_digits
        bunch = load_digits()
        images, labels = bunch.data, bunch.target
    return (images / 16.0).astype(np.float32), labels.astype(np.int64)


def stratified_split(
    labels: np.ndarray, val_fraction: float, seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices holding out ``val_fraction`` of every class.

    Written out here rather than borrowed from sklearn so the split cannot move with a library
    version: each class's indices are permuted by ``default_rng(seed)`` in label order and the
    first ``round(n * val_fraction)`` go to validation. Both index arrays come back sorted.
    """
    rng = np.random.default_rng(seed)
    train_parts, val_parts = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_val = int(round(len(members) * val_fraction))
        val_parts.append(members[:n_val])
        train_parts.append(members[n_val:])
    return np.sort(np.concatenate(train_parts)), np.sort(np.concatenate(val_parts))


@functools.lru_cache(maxsize=1)
def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed digits split every trial uses: x_train, y_train, x_val, y_val (1438 / 359).

    Stratified 80/20 with split seed 0, independent of the trial's seed, so that trials differ
    only by their hyperparameters. Cached: in-process callers (tests) load it once.
    """
    x, y = load_digits_arrays()
    train_idx, val_idx = stratified_split(y, DIGITS_VAL_FRACTION, DIGITS_SPLIT_SEED)
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


# --- the process entry point --------------------------------------------------------------------

def run_main(
    train: Callable[[Mapping[str, Any]], TrainResult],
    defaults: Mapping[str, Any],
    *,
    logger_name: str,
    validate: Callable[[Mapping[str, Any]], Any] | None = None,
) -> int:
    """Shared ``main`` of a task process: read params, train, flush, map the outcome to a code.

    Bad parameters (or an unreadable ``--params`` file) exit with :data:`EXIT_BAD_PARAMS` and a
    diverged run with :data:`EXIT_DIVERGED`; either way the reason is the last line on stderr,
    without a traceback, so the runner can show it as the trial's failure reason. Logging goes to
    stderr (level from HPDESK_LOG_LEVEL, default INFO): stdout is the SDK's JSON lines.
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
    log.info("%s after %d steps (%d epochs): %s",
             result.status, result.steps, result.epochs, shown)
    return EXIT_OK
