"""Advice on a plan before it runs: small pure rules, each sourced in KNOWLEDGE.md or a paper.

A rule reads the plan as exported (a plain dict: ``task``, ``fine_tune``, ``space`` and perhaps
``objective``) and returns findings. Rules look at what a parameter *may* take — a fixed value,
the categorical choices, or the [low, high] of a range — so a warning fires when any value the
search can propose is a problem. Plans come from files people edit, so no rule raises on odd
input: a missing key or a wrong type means that rule has nothing to say. The wording of every
finding, in English and Chinese, is data (``data/advice.yaml``, read by ``findings.py``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from hpdesk.knowledge.catalogue import LEARNING_RATES, KnowledgeError, Optimizer, optimizers
from hpdesk.knowledge.findings import Finding, Rule, say
from hpdesk.knowledge.plan_reading import (  # package-private helpers of the rules
    _above,
    _below,
    _bounds,
    _entry,
    _fine_tune,
    _g,
    _label,
    _may_take,
    _number,
    _optimizers,
    _param_bounds,
    _preset_attr,
    _space,
    _task,
    _values,
)
from hpdesk.knowledge.presets import preset
from hpdesk.knowledge.rules_evidence import EVIDENCE_RULES
from hpdesk.knowledge.rules_schedule import SCHEDULE_RULES

log = logging.getLogger(__name__)

# ---- the rules -------------------------------------------------------------------------------

_COUNTS = ("batch_size", "epochs", "grad_accum_steps", "d_steps")
_RATES = ("dropout", "label_smoothing", "momentum", "beta1", "beta2")


def impossible_values(plan: Mapping[str, Any]) -> list[Finding]:
    """Values no trial can train with: a learning rate of 0, a batch of 0, a dropout of 1."""
    out = []
    for name in (*LEARNING_RATES, *_COUNTS, "weight_decay", *_RATES):
        b = _param_bounds(plan, name)
        if b is None:
            continue
        if name in LEARNING_RATES and b[0] <= 0:
            out.append(say("impossible_lr", (name,), name=name, value=_g(b[0])))
        elif name in _COUNTS and b[0] < 1:
            out.append(say("impossible_count", (name,), name=name, value=_g(b[0])))
        elif name == "weight_decay" and b[0] < 0:
            out.append(say("impossible_negative", (name,), name=name, value=_g(b[0])))
        elif name in _RATES and (b[0] < 0 or b[1] >= 1):
            out.append(say("impossible_rate", (name,), name=name,
                            value=_g(b[0] if b[0] < 0 else b[1])))
    return out


#: Training samples of the built-in data a plan can size without reading files (hpdesk/tasks:
#: digits splits 1,797 into 1438 / 359; shapes draws `train_images`; the ring draws
#: `samples_per_epoch` a pass): (task, source) -> (the data option that sets it, its default).
TRAIN_SAMPLES: Mapping[tuple[str, str], tuple[str | None, int]] = MappingProxyType({
    ("classification", "digits"): ("train_size", 1438),  # train_size only shrinks it
    ("detection", "shapes"): ("train_images", 400),
    ("gan", "digits"): (None, 1438),
    ("gan", "ring"): ("samples_per_epoch", 7680),
})


def train_samples(plan: Mapping[str, Any]) -> tuple[str, int] | None:
    """The built-in data source a plan trains on and its number of training samples; None for
    a script, a file (folder, npz, yolo) or anything unknown."""
    task = _task(plan)
    if task is None or plan.get("command"):
        return None
    data = plan.get("data")
    data = data if isinstance(data, Mapping) else {}
    source = data.get("source")
    if source is None:
        sources = _preset_attr(plan, "data_sources")
        source = sources[0] if sources else None
    known = TRAIN_SAMPLES.get((task, source)) if isinstance(source, str) else None
    if known is None:
        return None
    option, count = known
    given = _number(data.get(option)) if option else None
    if given is not None and math.isfinite(given) and given >= 1 and (
            option != "train_size" or given < count):
        count = int(given)
    return str(source), count


def batch_size_extreme(plan: Mapping[str, Any]) -> list[Finding]:
    """§5: at batch size 1, or above 6000, revisit the learning strategy or the normalisation.
    hpdesk's own sanity check: a batch larger than the training set makes every epoch one step."""
    b = _param_bounds(plan, "batch_size")
    if b is None:
        return []
    out = []
    if b[0] <= 1:
        out.append(say("batch_size_one", ("batch_size",), low=_g(b[0])))
    if _above(b[1], 6000):
        out.append(say("batch_size_huge", ("batch_size",), high=_g(b[1])))
    data = train_samples(plan)
    if data is not None and b[1] > data[1]:
        out.append(say("batch_size_above_data", ("batch_size",), high=_g(b[1]),
                        samples=data[1], source=data[0]))
    return out


def _rates_and_optimisers(
        plan: Mapping[str, Any]) -> Iterator[tuple[str, tuple[float, float], str, Optimizer]]:
    """Each initial learning rate of the plan (the GAN's lr_g and lr_d as much as lr), its
    bounds, and each optimiser it may run with."""
    for lr in LEARNING_RATES:
        b = _param_bounds(plan, lr)
        if b is not None:
            for name in _optimizers(plan, lr):
                yield lr, b, name, optimizers()[name]


def fine_tune_lr_not_lowered(plan: Mapping[str, Any]) -> list[Finding]:
    """§5 note: fine-tuning lowers every initial learning rate by one to two orders of magnitude."""
    if not _fine_tune(plan):
        return []
    return [say("fine_tune_lr_not_lowered", (lr, "optimizer"), name=lr, high=_g(b[1]),
                opt=_label(name), opt_low=_g(opt.lr_low), opt_high=_g(opt.lr_high),
                ft_low=_g(opt.lr_low / 100), ft_high=_g(opt.lr_high / 10))
            for lr, b, name, opt in _rates_and_optimisers(plan) if _above(b[1], opt.lr_high / 10)]


def lr_outside_range(plan: Mapping[str, Any]) -> list[Finding]:
    """§5: the recommended initial learning rate of each optimiser the plan may use."""
    fine = _fine_tune(plan)
    out = []
    for lr, b, name, opt in _rates_and_optimisers(plan):
        if fine:
            # Too high when fine-tuning is fine_tune_lr_not_lowered's finding; here too low.
            lo, hi = opt.lr_low / 100, opt.lr_high / 10
            if _below(b[0], lo):
                out.append(say("lr_outside_fine_tune", (lr, "optimizer"), name=lr, low=_g(b[0]),
                               opt=_label(name), rec_low=_g(lo), rec_high=_g(hi)))
        elif _below(b[0], opt.lr_low) or _above(b[1], opt.lr_high):
            out.append(say("lr_outside_scratch", (lr, "optimizer"), name=lr, low=_g(b[0]),
                           high=_g(b[1]), opt=_label(name), rec_low=_g(opt.lr_low),
                           rec_high=_g(opt.lr_high)))
    return out


def dropout_high(plan: Mapping[str, Any]) -> list[Finding]:
    """§5: dropout rate in [0, 0.5]."""
    b = _param_bounds(plan, "dropout")
    return [say("dropout_high", ("dropout",), high=_g(b[1]))] if b and _above(b[1], 0.5) else []


def weight_decay_range(plan: Mapping[str, Any]) -> list[Finding]:
    """§5: weight decay in [0, 1e-4] for an L2 penalty; AdamW's decoupled decay, scaled by the
    learning rate, in its own range (optimizers.yaml), where the guide's values do nothing."""
    b = _param_bounds(plan, "weight_decay")
    if b is None:
        return []
    out: dict[str, Finding] = {}  # one finding per message: optimisers of a kind say the same
    for name in _optimizers(plan, "weight_decay"):
        opt = optimizers()[name]
        fields = {"high": _g(b[1]), "opt": _label(name), "rec_low": _g(opt.wd_low),
                  "rec_high": _g(opt.wd_high)}
        decoupled = opt.wd_sources != ("guide:ranges",)
        if _above(b[1], opt.wd_high):
            low, high = opt.wd_search()
            key = "weight_decay_high_adamw" if decoupled else "weight_decay_high"
            out.setdefault(key, say(key, ("weight_decay", "optimizer"), search_low=_g(low),
                                    search_high=_g(high), **fields))
        elif decoupled and 0 < b[1] < opt.wd_low * (1 - 1e-9):
            out.setdefault("weight_decay_inert",
                           say("weight_decay_inert", ("weight_decay", "optimizer"), **fields))
    return list(out.values())


def small_batch_batchnorm(plan: Mapping[str, Any]) -> list[Finding]:
    """§8: a batch of 1 or 2 hurts BatchNorm most (Wu & He 2018: BN's error grows as batches
    shrink).

    A plan without a ``normalization`` entry is read with its task's network normalisation.
    """
    b = _param_bounds(plan, "batch_size")
    if b is None or b[0] >= 8:
        return []
    norm = _entry(plan, "normalization")
    net = None if norm is not None else _preset_attr(plan, "net_normalization")
    model = _entry(plan, "model")
    if norm is None and model is not None and not _may_take(model, "cnn"):
        net = "none"  # the classification MLP has no normalisation layers
    batchnorm = _may_take(norm, "batchnorm") if norm is not None else net == "batchnorm"
    params = ("batch_size", "normalization")
    if batchnorm:
        key = "small_batch_batchnorm" if b[0] <= 2 else "small_batch_batchnorm_mild"
        return [say(key, params, low=_g(b[0]))]
    if norm is None and net is None and b[0] <= 2:
        return [say("small_batch_maybe_batchnorm", params, low=_g(b[0]))]
    return []


def large_batch_lars(plan: Mapping[str, Any]) -> list[Finding]:
    """§8 (You et al. 2017): very large batches need a larger rate, which destabilises: LARS."""
    b = _param_bounds(plan, "batch_size")
    if b is None or not _above(b[1], 1024):
        return []
    key = "large_batch_lars" if _above(b[1], 4096) else "large_batch_scale"
    return [say(key, ("batch_size", "lr"), high=_g(b[1]))]


def small_batch_accumulate(plan: Mapping[str, Any]) -> list[Finding]:
    """§8: memory-bound small batches (never 16 or more): accumulate gradients."""
    b = _param_bounds(plan, "batch_size")
    if b is None or b[1] >= 16 or b[1] < 1:
        return []
    accum = _param_bounds(plan, "grad_accum_steps")
    if accum is not None and accum[1] > 1:
        return []
    steps = max(2, int(32 // b[1]))
    return [say("small_batch_accumulate", ("batch_size", "grad_accum_steps"), high=_g(b[1]),
                 steps=steps, effective=_g(b[1] * steps))]


def _is_gan(plan: Any) -> bool:
    space = _space(plan)
    return _task(plan) == "gan" or ("lr_g" in space and "lr_d" in space)


def gan_beta1(plan: Mapping[str, Any]) -> list[Finding]:
    """DCGAN (Radford et al. 2016): Adam's beta1 of 0.9 made GAN training oscillate; 0.5 did not."""
    b = _param_bounds(plan, "beta1")
    if not _is_gan(plan) or b is None or not _above(b[0], 0.5):
        return []
    return [say("gan_beta1", ("beta1",), low=_g(b[0]))]


def gan_equal_lrs(plan: Mapping[str, Any]) -> list[Finding]:
    """TTUR (Heusel et al. 2017): generator and discriminator learn at their own rates."""
    g, d = _values(_entry(plan, "lr_g")), _values(_entry(plan, "lr_d"))
    if not _is_gan(plan) or g is None or d is None or len(g) != 1 or len(d) != 1:
        return []
    lg, ld = _number(g[0]), _number(d[0])
    if lg is None or lg != ld:
        return []
    return [say("gan_equal_lrs", ("lr_g", "lr_d"), value=_g(lg))]


def gn_groups_degenerate(plan: Mapping[str, Any]) -> list[Finding]:
    """§8: the GroupNorm group count is neither 1 nor one group per channel."""
    g = _param_bounds(plan, "gn_groups")
    if g is None:
        return []
    width = _param_bounds(plan, "width")
    if g[0] <= 1:
        return [say("gn_groups_one", ("gn_groups",), low=_g(g[0]))]
    if width is not None and g[1] >= width[0]:
        return [say("gn_groups_per_channel", ("gn_groups", "width"), high=_g(g[1]),
                     width=_g(width[0]))]
    return []


def unused_optimizer_param(plan: Mapping[str, Any]) -> list[Finding]:
    """optimizers.yaml: momentum belongs to SGD with momentum, the betas to the Adam family."""
    out = []
    for name in ("momentum", "beta1", "beta2"):
        opts = _optimizers(plan, name) if _entry(plan, name) is not None else []
        if opts and not any(name in optimizers()[o].uses for o in opts):
            labels = [_label(o) for o in opts]
            out.append(say("unused_optimizer_param", (name, "optimizer"), name=name,
                            opts=(", ".join(en for en, _ in labels),
                                  "、".join(zh for _, zh in labels))))
    return out


def lr_linear_scale(plan: Mapping[str, Any]) -> list[Finding]:
    """Bergstra & Bengio 2012: rates spanning orders of magnitude are searched on a log scale."""
    out = []
    for name in LEARNING_RATES:
        entry = _entry(plan, name)
        b = _bounds(entry)
        if entry is None or b is None or entry.get("type") != "float" or entry.get("log") is True:
            continue
        if b[0] > 0 and b[1] / b[0] >= 10:
            out.append(say("lr_linear_scale", (name,), name=name, low=_g(b[0]), high=_g(b[1])))
    return out


def pretrained_without_checkpoint(plan: Mapping[str, Any]) -> list[Finding]:
    """§9: a pre-trained start needs the weights to start from; without them the trial fails."""
    pretrained = _values(_entry(plan, "pretrained"))
    if not pretrained or True not in pretrained:
        return []
    checkpoint = _values(_entry(plan, "init_checkpoint"))
    if checkpoint and all(isinstance(c, str) and c.strip() for c in checkpoint):
        return []
    return [say("pretrained_without_checkpoint", ("pretrained", "init_checkpoint"))]


def fine_tune_without_weights(plan: Mapping[str, Any]) -> list[Finding]:
    """§5's lower learning rates are for a start from learned weights: a fine-tuning plan whose
    ``pretrained`` can be false lowers them for trials that start from random weights."""
    pretrained = _values(_entry(plan, "pretrained"))
    if not _fine_tune(plan) or not pretrained or True in pretrained and len(pretrained) == 1:
        return []
    return [say("fine_tune_without_weights", ("pretrained",))]


def objective_not_reported(plan: Mapping[str, Any]) -> list[Finding]:
    """presets.yaml `reports`: a built-in task never reports the objective on this data (the GAN's
    ring has no FID), so every trial would end without a value and nothing could be compared."""
    if not isinstance(plan, Mapping) or plan.get("command"):
        return []                        # a command runs whatever it runs: only it knows
    objective = plan.get("objective")
    metric = objective.get("metric") if isinstance(objective, Mapping) else None
    data = plan.get("data")
    source = data.get("source") if isinstance(data, Mapping) else None
    task = _task(plan)
    if task is None or not isinstance(metric, str) or not isinstance(source, (str, type(None))):
        return []
    try:
        p = preset(task)
    except KnowledgeError:
        return []
    if p.module is None or p.reports_metric(metric, source) is not False:
        return []
    chosen = source or (p.data_sources[0] if p.data_sources else "")
    own = p.reports.get(chosen, ())      # the metrics only this data gives, else all of them
    names = [n for n in own or p.reported(source) or () if "*" not in n]
    return [say("objective_not_reported", (), metric=metric, task=task,
                 source=chosen, reported=", ".join(names), suggested=p.objective(source)[0])]


RULES: tuple[Rule, ...] = (
    impossible_values,
    batch_size_extreme,
    fine_tune_lr_not_lowered,
    lr_outside_range,
    dropout_high,
    weight_decay_range,
    small_batch_batchnorm,
    large_batch_lars,
    small_batch_accumulate,
    gan_beta1,
    gan_equal_lrs,
    gn_groups_degenerate,
    unused_optimizer_param,
    lr_linear_scale,
    pretrained_without_checkpoint,
    fine_tune_without_weights,
    objective_not_reported,
    *SCHEDULE_RULES,
)

_SEVERITY = {"error": 0, "warning": 1, "info": 2}


def advise(plan: Mapping[str, Any], evidence: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every finding of every rule on ``plan``: errors first, then warnings, then infos.

    ``evidence`` (figures measured on the data and on finished trials, see rules_evidence.py)
    adds the findings of the rules that read it; without it only the plan is read.
    The rules are written not to raise; should one still fail on an input nobody foresaw, the
    failure is logged and the other rules' findings are still returned.
    """
    found: list[Finding] = []
    for rule in RULES:
        try:
            found.extend(rule(plan))
        except Exception:  # advice must never take its caller down
            log.exception("advice rule %s failed", getattr(rule, "__name__", rule))
    for measured in EVIDENCE_RULES:
        if not isinstance(evidence, Mapping):
            break
        try:
            found.extend(measured(plan, evidence))
        except Exception:  # advice must never take its caller down
            log.exception("advice rule %s failed", getattr(measured, "__name__", measured))
    return sorted(found, key=lambda f: _SEVERITY.get(f.level, len(_SEVERITY)))
