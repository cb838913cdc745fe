"""A task preset turned into a plan's ``space``: the tuning order of the guide (tier 1, 2, 3),
the initial learning rates of the chosen optimiser (§5) lowered for fine-tuning, the weight
decay that optimiser calls for (an L2 penalty, or AdamW's decoupled decay), and the
optimiser-specific knobs (momentum, Adam's betas) kept only where the optimiser uses them.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from hpdesk.knowledge.catalogue import (
    LEARNING_RATES,
    Hyperparameter,
    Optimizer,
    catalogue,
    fine_tune_shift,
    lr_range,
    optimizers,
)
from hpdesk.knowledge.presets import PresetParam, check_fine_tune, preset


def _round(x: float) -> float:
    return float(f"{x:.10g}")


def _log_middle(low: float, high: float) -> float:
    """The geometric middle of a log range, to one significant digit (1e-3..1e-2 -> 3e-3)."""
    return float(f"{math.sqrt(low * high):.0e}")


def _fixed_value(s: PresetParam, hp: Hyperparameter, lr: tuple[float, float], opt: Optimizer,
                 fine_tune: bool, default_optimizer: bool) -> Any:
    if fine_tune and s.default_fine_tune is not None:
        return s.default_fine_tune
    value = s.default if s.default is not None else hp.default
    if s.name in LEARNING_RATES and s.low is None:
        # The rate comes from the optimiser (§5): a preset's own default holds for its default
        # optimiser and only inside that optimiser's range; else the range's middle.
        if s.default is None or not default_optimizer:
            return _log_middle(*lr)
        value = _round(value / 10) if fine_tune else value
        return value if lr[0] <= value <= lr[1] else _log_middle(*lr)
    if s.name == "weight_decay" and s.low is None and value != 0 \
            and not opt.wd_low <= value <= opt.wd_high:
        return opt.wd_default if opt.wd_default is not None else _log_middle(*opt.wd_search())
    if fine_tune and s.name in LEARNING_RATES:
        return _round(value / 10)
    return value


def _entry(s: PresetParam, hp: Hyperparameter, lr: tuple[float, float], opt: Optimizer,
           fine_tune: bool, default_optimizer: bool, searched: bool) -> dict[str, Any]:
    if not searched:
        return {"type": "fixed",
                "value": _fixed_value(s, hp, lr, opt, fine_tune, default_optimizer)}
    if hp.type in ("categorical", "bool"):
        choices = s.choices if s.choices is not None else hp.choices
        return {"type": "categorical", "choices": list(choices or ())}
    low: float | int | None
    high: float | int | None
    log = s.log if s.log is not None else hp.scale == "log"
    if s.name in LEARNING_RATES and s.low is None:
        low, high = lr                   # every initial learning rate: the optimiser's (§5)
    elif s.name == "weight_decay" and s.low is None:
        (low, high), log = opt.wd_search(), True
    else:
        low = s.low if s.low is not None else hp.low
        high = s.high if s.high is not None else hp.high
        if fine_tune and s.name in LEARNING_RATES and low is not None and high is not None:
            low, high = fine_tune_shift(low, high)
    entry: dict[str, Any] = {"type": hp.type, "low": low, "high": high, "log": log}
    if s.step is not None:
        entry["step"] = s.step
    return entry


def preset_space(
    task: str,
    *,
    optimizer: str | None = None,
    fine_tune: bool = False,
    search: Collection[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The plan space of ``task``'s preset, in tuning order (tier 1, 2, 3).

    ``optimizer`` overrides the preset's default optimiser (and so the range of every initial
    learning rate, §5, and of the weight decay: AdamW's decoupled decay is not an L2 penalty);
    ``fine_tune`` lowers every initial learning rate by one to two orders of magnitude (§5);
    ``search``, when given, names the parameters to search, every other one being fixed.
    ``fine_tune`` for a task that cannot start from pre-trained weights raises KnowledgeError.
    """
    p = preset(task)
    if fine_tune:
        check_fine_tune(task)
    chosen = p.default_optimizer if optimizer is None else optimizer
    lr = lr_range(chosen, fine_tune=fine_tune)  # raises KnowledgeError for an unknown optimiser
    known, opts = catalogue(), optimizers()
    optimizer_knobs = {name for o in opts.values() for name in o.uses}
    space: dict[str, dict[str, Any]] = {}
    for name in p.params:
        s = p.settings[name]
        if name == "optimizer":
            space[name] = {"type": "fixed", "value": chosen}
        elif name in optimizer_knobs and name not in opts[chosen].uses:
            continue  # momentum without a momentum optimiser, betas without Adam: not in the plan
        else:
            searched = s.search if search is None else name in search
            space[name] = _entry(s, known[name], lr, opts[chosen], fine_tune,
                                 chosen == p.default_optimizer, searched)
    for name in list(space):
        requires = p.settings[name].requires
        when: dict[str, list[Any]] = {}
        for other, allowed in requires.items():
            ctl = space.get(other)
            if ctl is None:
                del space[name]
                break
            values = [ctl["value"]] if ctl["type"] == "fixed" else list(ctl.get("choices", []))
            kept = [v for v in values if v in allowed]
            if not kept:
                del space[name]
                break
            if ctl["type"] != "fixed":
                when[other] = kept
        else:
            if when:
                space[name]["when"] = when
    return space
