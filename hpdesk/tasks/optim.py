"""The optimisers of KNOWLEDGE.md section 5 (plus AdamW) and LARS (section 8), one mapping for
every task.

Why one module: a trial's ``optimizer: adam`` must mean the same ``torch.optim`` object with the
same hyperparameter names in classification, detection and the GAN, or their results could not
be compared. Every task lays :data:`OPTIMIZER_DEFAULTS` into its own defaults, validates with
:func:`validate_optimizer_params` before any work, and builds with :func:`make_optimizer`.

Which keys each optimiser reads (the others are ignored, so a sweep over ``momentum`` with Adam
is a no-op by design, not an error):

================  ==========================================================================
sgd               lr, weight_decay
sgd_momentum      lr, momentum, nesterov, weight_decay
adagrad           lr, eps, weight_decay
adadelta          lr, rho, eps, weight_decay
rmsprop           lr, alpha, eps, weight_decay (torch's RMSprop momentum stays 0)
adam / adamax /   lr, beta1, beta2, eps, weight_decay (classic L2 added to the gradient)
nadam
adamw             lr, beta1, beta2, eps, weight_decay (decoupled, Loshchilov & Hutter 2019)
================  ==========================================================================

``eps`` is one shared key (default 1e-8), so Adagrad (torch default 1e-10) and Adadelta
(torch default 1e-6) run with 1e-8 unless a plan sets it. ``lars: true`` wraps any of them
in :class:`LARS` with trust coefficient ``lars_eta``.

Changed hyperparameters on resume (population-based training): a loaded optimiser state dict
brings back the param-group settings it was saved with. :func:`apply_hyperparameters` puts the
current parameters' settings back into every group (and LARS's ``lars_eta``), keeping the
optimiser's per-parameter state (moments, momentum buffers).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch

from hpdesk.tasks.common import ParamError, coerce_params, require, require_choice

#: The guide's eight optimisers in its order, plus AdamW (decoupled weight decay).
OPTIMIZERS: tuple[str, ...] = (
    "sgd", "sgd_momentum", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "adamax", "nadam",
)

#: Every optimiser key a task honours, with its default (the types are what params coerce to).
OPTIMIZER_DEFAULTS: dict[str, Any] = {
    "optimizer": "adam",
    "momentum": 0.9,
    "nesterov": False,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "rho": 0.9,
    "alpha": 0.99,
    "weight_decay": 0.0,
    "lars": False,
    "lars_eta": 0.001,
}

_ADAM_FAMILY: dict[str, Any] = {   # classes sharing one signature
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adamax": torch.optim.Adamax,
    "nadam": torch.optim.NAdam,
}


def _resolved(p: Mapping[str, Any]) -> dict[str, Any]:
    """``p`` over the defaults, coerced: a task may pass only the keys it changes."""
    return coerce_params(p, OPTIMIZER_DEFAULTS)


def validate_optimizer_params(p: Mapping[str, Any]) -> None:
    """Raise :class:`ParamError` (one line) for an optimiser setting torch would reject.

    Checks ``lr`` only when ``p`` has it: the GAN keeps its rates as ``lr_g``/``lr_d`` and
    passes them to :func:`make_optimizer`, which checks the rate it is given.
    """
    q = _resolved(p)
    require_choice("optimizer", q["optimizer"], OPTIMIZERS)
    if "lr" in q:
        _check_lr("lr", q["lr"])
    require(0 <= q["momentum"] < 1, f"momentum must be in [0, 1), got {q['momentum']}")
    require(not (q["nesterov"] and q["optimizer"] == "sgd_momentum" and q["momentum"] == 0),
            "nesterov needs momentum > 0")
    require(0 <= q["beta1"] < 1, f"beta1 must be in [0, 1), got {q['beta1']}")
    require(0 <= q["beta2"] < 1, f"beta2 must be in [0, 1), got {q['beta2']}")
    require(0 < q["eps"] < 1, f"eps must be in (0, 1), got {q['eps']}")
    require(0 <= q["rho"] <= 1, f"rho must be in [0, 1], got {q['rho']}")
    require(0 <= q["alpha"] < 1, f"alpha must be in [0, 1), got {q['alpha']}")
    require(q["weight_decay"] >= 0 and math.isfinite(q["weight_decay"]),
            f"weight_decay must be >= 0, got {q['weight_decay']}")
    require(q["lars_eta"] > 0 and math.isfinite(q["lars_eta"]),
            f"lars_eta must be > 0, got {q['lars_eta']}")


def _check_lr(name: str, value: float) -> None:
    require(value > 0 and math.isfinite(value), f"{name} must be a positive number, got {value}")


def make_optimizer(
    parameters: Iterable[Any],          # tensors, or param-group dicts
    p: Mapping[str, Any],
    *,
    lr: float | None = None,
) -> torch.optim.Optimizer:
    """The optimiser ``p["optimizer"]`` names over ``parameters`` (tensors or param groups).

    ``lr`` defaults to ``p["lr"]``; the GAN passes ``lr=p["lr_g"]`` and ``lr=p["lr_d"]``.
    Raises :class:`ParamError` for unusable settings (see :func:`validate_optimizer_params`).
    """
    q = _resolved(p)
    validate_optimizer_params(q)
    if lr is None:
        if "lr" not in q:
            raise ParamError("make_optimizer needs an lr: none in the parameters and none given")
        lr = q["lr"]
    _check_lr("lr", float(lr))
    params: list[Any] = list(parameters)
    name, wd, eps = q["optimizer"], q["weight_decay"], q["eps"]
    optimizer: torch.optim.Optimizer
    if name == "sgd":
        optimizer = torch.optim.SGD(params, lr=lr, weight_decay=wd)
    elif name == "sgd_momentum":
        optimizer = torch.optim.SGD(params, lr=lr, momentum=q["momentum"],
                                    nesterov=q["nesterov"], weight_decay=wd)
    elif name == "adagrad":
        optimizer = torch.optim.Adagrad(params, lr=lr, eps=eps, weight_decay=wd)
    elif name == "adadelta":
        optimizer = torch.optim.Adadelta(params, lr=lr, rho=q["rho"], eps=eps, weight_decay=wd)
    elif name == "rmsprop":
        optimizer = torch.optim.RMSprop(params, lr=lr, alpha=q["alpha"], eps=eps,
                                        weight_decay=wd)
    else:
        optimizer = _ADAM_FAMILY[name](params, lr=lr, betas=(q["beta1"], q["beta2"]), eps=eps,
                                       weight_decay=wd)
    if q["lars"]:
        return LARS(optimizer, eta=q["lars_eta"])
    return optimizer


def apply_hyperparameters(
    optimizer: torch.optim.Optimizer,
    p: Mapping[str, Any],
    *,
    lr: float | None = None,
) -> None:
    """Set every param group of ``optimizer`` to the settings ``p`` gives, keeping its state.

    For a resume with changed hyperparameters: ``load_state_dict`` restores the groups' saved
    ``momentum``, ``betas``, ``weight_decay``... of the run that wrote the checkpoint; this puts
    the current ones back. The settings are those :func:`make_optimizer` builds from ``p``
    (``lr`` as there; the GAN passes ``lr_g`` / ``lr_d``), read off a throwaway optimiser of
    the same kind, so the two can never disagree: the optimiser's every group key (AdamW's
    decoupled ``weight_decay`` and its ``decoupled_weight_decay`` flag, Adam's L2 one, SGD's
    ``momentum``/``nesterov``, ``eps``, ``rho``, ``alpha``) and, under :class:`LARS`, whose
    groups are the inner optimiser's, its ``eta`` (``lars_eta``). The rate becomes the groups'
    ``lr`` and ``initial_lr``, the base rate :class:`~hpdesk.tasks.schedules.LRSchedule` scales.

    Raises :class:`ParamError` for unusable settings, or when ``optimizer`` is not the kind
    ``p`` names (it must be built from ``p`` by :func:`make_optimizer`).
    """
    fresh = make_optimizer([torch.zeros(1, requires_grad=True)], p, lr=lr)
    inner = optimizer.optimizer if isinstance(optimizer, LARS) else optimizer
    fresh_inner = fresh.optimizer if isinstance(fresh, LARS) else fresh
    if type(inner) is not type(fresh_inner) or isinstance(optimizer, LARS) != isinstance(
            fresh, LARS):
        have = f"LARS({type(inner).__name__})" if isinstance(optimizer, LARS) else type(
            inner).__name__
        raise ParamError(f"cannot apply optimizer {_resolved(p)['optimizer']!r} settings to "
                         f"a {have}")
    settings = {k: v for k, v in fresh.param_groups[0].items() if k != "params"}
    for group in optimizer.param_groups:
        group.update(settings)
        group["initial_lr"] = settings["lr"]
    if isinstance(optimizer, LARS) and isinstance(fresh, LARS):
        optimizer.eta = fresh.eta


def trust_ratio(weight: torch.Tensor, grad: torch.Tensor, *, eta: float,
                weight_decay: float) -> torch.Tensor:
    """LARS's local learning rate ``eta * ||w|| / (||g|| + weight_decay * ||w||)``.

    You et al. 2017, "Large Batch Training of Convolutional Networks", eq. 6. Where either norm
    is zero (a fresh zero-initialised layer, a layer without gradient) the ratio is 1, as in
    the reference implementations, so such a layer keeps the global rate.
    """
    w_norm = torch.linalg.vector_norm(weight.detach())
    g_norm = torch.linalg.vector_norm(grad.detach())
    ratio = eta * w_norm / (g_norm + weight_decay * w_norm)
    return torch.where((w_norm > 0) & (g_norm > 0), ratio, torch.ones_like(ratio))


class LARS(torch.optim.Optimizer):
    """Layer-wise adaptive rate scaling around any optimiser (KNOWLEDGE.md section 8).

    For every parameter with more than one dimension (conv and linear weights; biases and
    normalisation parameters are skipped, as in the paper and its reference code) the update
    is scaled by :func:`trust_ratio`. How the scale is applied depends on the inner optimiser:

    * SGD (with or without momentum): the gradient is replaced by
      ``trust * (g + weight_decay * w)`` and the inner step runs with its weight decay held at
      zero, which is exactly Algorithm 1 of You et al. 2017 (momentum accumulates the scaled
      step).
    * Adaptive optimisers (Adagrad, Adadelta, RMSprop, the Adam family) would normalise a
      scaled gradient straight back, so their computed step ``w_new - w_old`` is scaled
      instead (as LAMB does for Adam, You et al. 2019).

    ``param_groups`` and ``state`` are the inner optimiser's own objects, so a schedule that
    sets ``group["lr"]`` here sets it for the inner step, and ``state_dict`` round-trips
    through the inner optimiser.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, *, eta: float = 0.001) -> None:
        if not eta > 0:
            raise ParamError(f"lars_eta must be > 0, got {eta}")
        super().__init__([dict(group) for group in optimizer.param_groups], optimizer.defaults)
        self.optimizer = optimizer
        self.eta = float(eta)
        self.param_groups = optimizer.param_groups
        self.state = optimizer.state
        self._scale_gradient = isinstance(optimizer, torch.optim.SGD)

    def __repr__(self) -> str:
        return f"LARS(eta={self.eta}, {self.optimizer!r})"

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """One update of the inner optimiser with every layer's step scaled by its trust ratio."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if self._scale_gradient:
            self._sgd_step()
        else:
            self._adaptive_step()
        return loss

    def _sgd_step(self) -> None:
        saved = []
        for group in self.param_groups:
            wd = group.get("weight_decay", 0.0)
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad
                if param.ndim > 1:
                    ratio = trust_ratio(param, grad, eta=self.eta, weight_decay=wd)
                    param.grad = (grad + wd * param) * ratio if wd else grad * ratio
                elif wd:
                    param.grad = grad + wd * param        # the inner decay, done here instead
            saved.append(wd)
            group["weight_decay"] = 0.0
        try:
            self.optimizer.step()
        finally:
            for group, wd in zip(self.param_groups, saved):
                group["weight_decay"] = wd

    def _adaptive_step(self) -> None:
        before: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        for group in self.param_groups:
            wd = group.get("weight_decay", 0.0)
            for param in group["params"]:
                if param.grad is not None and param.ndim > 1:
                    ratio = trust_ratio(param, param.grad, eta=self.eta, weight_decay=wd)
                    before.append((param, param.detach().clone(), ratio))
        self.optimizer.step()
        for param, old, ratio in before:
            param.copy_(old + ratio * (param - old))

    def state_dict(self) -> dict[str, Any]:
        """The inner optimiser's state (LARS itself keeps none beyond ``eta``)."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load into the inner optimiser and share its (new) groups and state again."""
        self.optimizer.load_state_dict(state_dict)
        self.param_groups = self.optimizer.param_groups
        self.state = self.optimizer.state
