"""Advice that reads evidence: figures measured on the data and on finished trials.

The plan's rules (``advice.RULES``) see only what a search *may* propose. The guide's section on
data ([[data]]) asks for more: how many samples each class has, and how the rare classes fare on
the validation set against the training set; its ranges ([[ranges]]) speak of combined losses'
*values*, which only a trial that ran can give. These rules take ``(plan, evidence)``, where
evidence is a plain mapping, every key optional:

* ``class_counts``: ``{class name: samples}`` of the data (``hpdesk.analysis.class_counts``);
* ``loss_values``: ``{term: value}``, the loss terms a finished trial reported last, unweighted
  (detection's ``cls_loss`` and ``box_loss``); ``loss_weights``: that trial's
  ``{term}_weight`` values, to weight them (else the plan's fixed weight is used);
* ``per_class``: ``{class: {"train_acc": x, "val_acc": y}}`` of a finished classification trial
  (``hpdesk.analysis.trial_evidence``).
* ``duplicates`` (groups of identical files), ``unreadable`` (files no image reader opens),
  ``images_without_labels`` and ``images`` (a detection set's): the data inspector's file
  checks (``hpdesk.analysis.data_inspect``).

Like the plan's rules, none raises on odd input: what it cannot read, it says nothing about.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Mapping
from typing import Any

from hpdesk.knowledge.findings import Finding, say
from hpdesk.knowledge.plan_reading import _g, _number, _values

#: Largest / smallest class above this: the classes are imbalanced (hpdesk:threshold, [[data]]).
IMBALANCE_RATIO = 10.0
#: Few-shot: the median class has fewer samples than this and than there are classes.
FEW_SHOT_SAMPLES = 20
#: A class counts as rare when its samples are at most this share of the median class.
RARE_SHARE = 0.5
#: A rare class whose training accuracy exceeds its validation accuracy by this much.
GAP = 0.2
#: Weighted loss terms further apart than this factor (the guide: two orders of magnitude).
LOSS_SCALE = 100.0

EvidenceRule = Callable[[Mapping[str, Any], Mapping[str, Any]], list[Finding]]

_SUFFIX = re.compile(r"[^A-Za-z0-9_.-]+")
_NOT_TERMS = frozenset({"train_loss", "val_loss", "loss", "g_loss", "d_loss"})  # not terms


def class_key(name: str) -> str:
    """A class name as the classification task writes it in a metric name
    (``hpdesk.tasks.image_data.metric_suffix``), so counts and per-class results meet."""
    return _SUFFIX.sub("_", name.strip()) or "_"


def _mapping(evidence: Any, key: str) -> Mapping[str, Any]:
    value = evidence.get(key) if isinstance(evidence, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _counts(evidence: Any) -> dict[str, int]:
    """The class counts that are whole, non-negative numbers; the rest is ignored."""
    out = {}
    for name, raw in _mapping(evidence, "class_counts").items():
        n = _number(raw)
        if isinstance(name, str) and n is not None and math.isfinite(n) and n >= 0:
            out[name] = int(n)
    return out


def rare_classes(counts: Mapping[str, int]) -> dict[str, int]:
    """Classes with at most RARE_SHARE of the median class's samples."""
    if len(counts) < 2:
        return {}
    median = statistics.median(counts.values())
    return {k: n for k, n in counts.items() if n <= median * RARE_SHARE}


def class_imbalance(plan: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[Finding]:
    """[[data]]: are the classes balanced? Name the rarest and ask to compare its results."""
    counts = {k: n for k, n in _counts(evidence).items() if n > 0}
    if len(counts) < 2:
        return []
    rarest = min(counts, key=lambda k: (counts[k], k))
    largest = max(counts, key=lambda k: (counts[k], k))
    ratio = counts[largest] / counts[rarest]
    if not ratio > IMBALANCE_RATIO:
        return []
    return [say("class_imbalance", (), rare=rarest, rare_n=counts[rarest], big=largest,
                 big_n=counts[largest], ratio=f"{ratio:.3g}", limit=_g(IMBALANCE_RATIO))]


def few_shot(plan: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[Finding]:
    """[[data]]: classes far outnumber the samples of each (10,000 classes of 10 images)."""
    counts = _counts(evidence)
    if len(counts) < 2:
        return []
    median = statistics.median(counts.values())
    if not (median < len(counts) and median < FEW_SHOT_SAMPLES):
        return []
    return [say("few_shot", (), classes=len(counts), median=_g(median),
                 limit=FEW_SHOT_SAMPLES)]


def _accuracy(value: Any) -> float | None:
    n = _number(value)
    return n if n is not None and math.isfinite(n) and 0 <= n <= 1 else None


def rare_class_gap(plan: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[Finding]:
    """[[data]]: with imbalanced classes, a rare class's validation result far below its
    training result (a finished trial's per-class accuracies)."""
    rare = {class_key(k): (k, n) for k, n in rare_classes(_counts(evidence)).items()}
    out = []
    for key, raw in sorted(_mapping(evidence, "per_class").items(), key=lambda kv: str(kv[0])):
        if not isinstance(key, str) or not isinstance(raw, Mapping):
            continue
        known = rare.get(class_key(key))
        train, val = _accuracy(raw.get("train_acc")), _accuracy(raw.get("val_acc"))
        if known is None or train is None or val is None or not train - val >= GAP:
            continue
        out.append(say("rare_class_gap", (), name=known[0], samples=known[1],
                        train=f"{train:.0%}", val=f"{val:.0%}", gap=f"{(train - val) * 100:.0f}"))
    return out


def _weight(plan: Any, evidence: Any, name: str) -> float | None:
    """The weight of loss term ``name``: the trial's ``name_weight``, else the plan's single
    value of it, else 1 when the plan does not weight it at all; None when the plan searches it
    and the trial's value is unknown."""
    key = f"{name}_weight"
    given = _number(_mapping(evidence, "loss_weights").get(key))
    if given is not None:
        return given
    space = plan.get("space") if isinstance(plan, Mapping) else None
    if not isinstance(space, Mapping) or key not in space:
        return 1.0
    values = _values(space.get(key))
    numbers = [n for n in map(_number, values or []) if n is not None]
    return numbers[0] if len(numbers) == 1 else None


def loss_value_scales(plan: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[Finding]:
    """[[ranges]]: combined losses' values within two orders of magnitude of each other; the
    guide adds that this is not necessarily right."""
    weighted = {}
    for name, raw in _mapping(evidence, "loss_values").items():
        value = _number(raw)
        if not isinstance(name, str) or name in _NOT_TERMS or value is None:
            continue
        weight = _weight(plan, evidence, name)
        if weight is None or not math.isfinite(value * weight) or value * weight <= 0:
            continue
        weighted[name] = value * weight
    out = []
    names = sorted(weighted)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            big, small = (a, b) if weighted[a] >= weighted[b] else (b, a)
            ratio = weighted[big] / weighted[small]
            if ratio > LOSS_SCALE:
                out.append(say("loss_value_scales", (f"{big}_weight", f"{small}_weight"),
                                big=big, small=small, big_v=f"{weighted[big]:.3g}",
                                small_v=f"{weighted[small]:.3g}", ratio=f"{ratio:.3g}"))
    return out


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


def data_duplicates(plan: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[Finding]:
    """[[data]], explore and clean: groups of byte-identical image files (``duplicates``, a
    list of groups of file names, from ``hpdesk.analysis.data_inspect``)."""
    raw = evidence.get("duplicates") if isinstance(evidence, Mapping) else None
    groups = [g for g in map(_names, raw) if len(g) > 1] if isinstance(raw, (list, tuple)) else []
    if not groups:
        return []
    return [say("data_duplicates", (), groups=len(groups), files=sum(map(len, groups)),
                example=" = ".join(groups[0][:2]))]


def data_unreadable(plan: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[Finding]:
    """[[data]], explore and clean: image files no reader opens (``unreadable``)."""
    files = _names(evidence.get("unreadable")) if isinstance(evidence, Mapping) else []
    if not files:
        return []
    return [say("data_unreadable", (), count=len(files), example=", ".join(files[:2]))]


def data_unlabelled(plan: Mapping[str, Any], evidence: Mapping[str, Any]) -> list[Finding]:
    """[[data]]: a detection set's images without a label file (``images_without_labels`` of
    ``images``), which the task reads as images without objects."""
    count = _number(evidence.get("images_without_labels")) if isinstance(evidence, Mapping) \
        else None
    images = _number(evidence.get("images")) if isinstance(evidence, Mapping) else None
    if count is None or images is None or not (0 < count <= images) or not math.isfinite(images):
        return []
    return [say("data_unlabelled", (), count=int(count), images=int(images))]


EVIDENCE_RULES: tuple[EvidenceRule, ...] = (
    class_imbalance,
    few_shot,
    rare_class_gap,
    loss_value_scales,
    data_duplicates,
    data_unreadable,
    data_unlabelled,
)

__all__ = ["EVIDENCE_RULES", "EvidenceRule", "class_key"]
