"""Task presets: the hyperparameters that matter for a task, and the plan space they turn into.

A preset is data (``data/presets.yaml``) checked against the catalogue when loaded. It becomes a
plan's ``space`` through :func:`preset_space`, in the tuning order of KNOWLEDGE.md §3 (tier 1,
then 2, then 3), with the learning-rate range of the chosen optimiser (§5) lowered for
fine-tuning, and with the optimiser-specific knobs (momentum, Adam's betas) kept only where the
optimiser uses them.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hpdesk.knowledge.catalogue import (
    EntryReader,
    Hyperparameter,
    KnowledgeError,
    Optimizer,
    catalogue,
    guide_text,
    load_data,
    optimizers,
    pick_language,
)
from hpdesk.knowledge.sources import Cited, read_refs

DIRECTIONS = ("maximize", "minimize")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PARAM_FIELDS = ("search", "default", "default_fine_tune", "low", "high", "log", "step",
                 "choices", "requires", "why")
_PRESET_FIELDS = ("label_en", "label_zh", "help_en", "help_zh", "module", "objective",
                  "default_optimizer", "why_optimizer", "net_normalization", "params", "data",
                  "objectives", "reports", "fine_tune")
#: Where a task's fine-tuning takes its pre-trained weights from: a checkpoint file the plan
#: names (``pretrained`` + ``init_checkpoint``), the person's own script, or nowhere.
FINE_TUNE_FROM = ("checkpoint", "script", "none")


@dataclass(frozen=True)
class Reason(Cited):
    """Why a preset chose a value: the reason in both languages and its sources (sources.py)."""

    en: str
    zh: str
    sources: tuple[str, ...]

    def text(self, lang: str = "en") -> str:
        return pick_language(lang, self.en, self.zh)



def read_reason(file: str, entry: str, raw: Any) -> Reason:
    """A ``why`` mapping ({en, zh, source}); a failure names the entry and the field."""
    r = EntryReader(file, entry, raw)
    r.only(("en", "zh", "source"))
    return Reason(en=guide_text(r, "en", "en"), zh=guide_text(r, "zh", "zh"),
                  sources=read_refs(file, entry, "source", r.raw.get("source")))


@dataclass(frozen=True)
class PresetParam:
    """How one preset uses one hyperparameter; ``None`` fields fall back to the catalogue."""

    name: str
    search: bool
    default: Any = None
    default_fine_tune: Any = None
    low: float | int | None = None
    high: float | int | None = None
    log: bool | None = None
    step: float | int | None = None
    choices: tuple[Any, ...] | None = None
    requires: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    #: Why the preset departs from the catalogue here, in both languages, and on whose word.
    why: Reason | None = None


@dataclass(frozen=True)
class Preset:
    """A task hpdesk knows how to tune: what runs it, what it optimises, what it searches."""

    task: str
    label_en: str
    label_zh: str
    module: str | None
    objective_metric: str
    direction: str
    default_optimizer: str
    params: tuple[str, ...]
    help_en: str = ""
    help_zh: str = ""
    why_optimizer: Reason | None = None
    #: The normalisation the task's network uses when a plan does not say (advice reads it).
    net_normalization: str | None = None
    settings: Mapping[str, PresetParam] = field(default_factory=dict)
    #: Where the task can read its data (`data.source` of a plan); the first is the default.
    data_sources: tuple[str, ...] = ()
    #: (metric, direction) for a data source that does not report ``objective_metric``.
    objectives: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: The metrics the task reports, per data source (``all``: every source); ``*`` patterns.
    reports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Where fine-tuning takes its weights from (FINE_TUNE_FROM); "none": it cannot fine-tune.
    fine_tune_from: str = "none"
    fine_tune_why_en: str = ""
    fine_tune_why_zh: str = ""

    @property
    def can_fine_tune(self) -> bool:
        """Whether the task can start from pre-trained weights (KNOWLEDGE.md §5 fine-tuning)."""
        return self.fine_tune_from != "none"

    def fine_tune_why(self, lang: str = "en") -> str:
        """Where the task's pre-trained weights come from, or why it has none, in ``lang``."""
        return pick_language(lang, self.fine_tune_why_en, self.fine_tune_why_zh)

    def objective(self, source: str | None = None) -> tuple[str, str]:
        """(metric, direction) a plan reading ``source`` optimises: a metric that data reports.

        >>> preset("gan").objective("ring")
        ('modes_covered', 'maximize')
        """
        default = (self.objective_metric, self.direction)
        return self.objectives.get(source or "", default)

    def reported(self, source: str | None = None) -> tuple[str, ...] | None:
        """The metric names (``*`` patterns) the task reports on ``source`` (None: the first
        source); None when the preset does not say (a person's own script)."""
        if not self.reports:
            return None
        chosen = source or (self.data_sources[0] if self.data_sources else "")
        return (*self.reports.get("all", ()), *self.reports.get(chosen, ()))

    def reports_metric(self, metric: str, source: str | None = None) -> bool | None:
        """Whether a run on ``source`` reports ``metric``; None when the preset does not say."""
        names = self.reported(source)
        if names is None:
            return None
        return any(fnmatch.fnmatchcase(metric, n) for n in names)

    def label(self, lang: str = "en") -> str:
        """The display name in ``lang``."""
        return pick_language(lang, self.label_en, self.label_zh)

    def help(self, lang: str = "en") -> str:
        """The one-paragraph description in ``lang``."""
        return pick_language(lang, self.help_en, self.help_zh)


def _check_value(r: EntryReader, where: str, hp: Hyperparameter, value: Any) -> Any:
    """``value`` coerced to ``hp``'s type, or a failure naming the field."""
    if hp.type in ("float", "int"):
        value = r.check_number(where, value, integer=hp.type == "int")
    if not hp.contains(value):
        bounds = hp.choices if hp.choices is not None else f"[{hp.low}, {hp.high}]"
        r.fail(where, f"{value!r} is outside the catalogue's {hp.name} values {bounds}")
    return value


def _preset_param(file: str, task: str, name: str, raw: Any,
                  known: Mapping[str, Hyperparameter]) -> PresetParam:
    r = EntryReader(file, f"{task}.{name}", {} if raw is None else raw)
    if name not in known:
        r.fail(None, "is not a hyperparameter of the catalogue")
    hp = known[name]
    r.only(_PARAM_FIELDS)
    search = r.flag("search", False)
    default = _check_value(r, "default", hp, r.raw["default"]) if r.has("default") else None
    default_ft = (_check_value(r, "default_fine_tune", hp, r.raw["default_fine_tune"])
                  if r.has("default_fine_tune") else None)
    low = high = step = None
    log: bool | None = None
    choices: tuple[Any, ...] | None = None
    if hp.type in ("float", "int"):
        if r.has("choices"):
            r.fail("choices", f"{name} is a {hp.type}: give low/high, not choices")
        if r.has("low") != r.has("high"):
            r.fail("high" if r.has("low") else "low", "low and high come together")
        if r.has("low"):
            low = _check_value(r, "low", hp, r.raw["low"])
            high = _check_value(r, "high", hp, r.raw["high"])
            if not low < high:
                r.fail("high", f"must be above low ({low}), not {high}")
        if r.has("log"):
            log = r.flag("log", False)
        if ((log if log is not None else hp.scale == "log")
                and (low if low is not None else hp.low or 0) <= 0):
            r.fail("low", "must be above 0 on a log scale")
        if r.has("step"):
            step = r.number("step", integer=hp.type == "int")
            if step <= 0:
                r.fail("step", f"must be positive, not {step}")
        lo = low if low is not None else hp.low
        hi = high if high is not None else hp.high
        for label, value in (("default", default), ("default_fine_tune", default_ft)):
            # A log range cannot hold 0, the "off" value of a penalty; any other default must lie
            # inside.
            if value is not None and not (lo <= value <= hi) and not (value == 0 and log):
                r.fail(label, f"{value!r} is outside the preset's range [{lo}, {hi}]")
    else:
        for bad in ("low", "high", "log", "step"):
            if r.has(bad):
                r.fail(bad, f"{name} is {hp.type}: it has no {bad}")
        if r.has("choices"):
            raw_choices = r.raw["choices"]
            if not isinstance(raw_choices, list) or not raw_choices:
                r.fail("choices", "must be a non-empty list")
            choices = tuple(_check_value(r, "choices", hp, c) for c in raw_choices)
            for label, value in (("default", default), ("default_fine_tune", default_ft)):
                if value is not None and value not in choices:
                    r.fail(label, f"{value!r} is not among the preset's choices {list(choices)}")
    requires: dict[str, tuple[Any, ...]] = {}
    raw_requires = r.raw.get("requires") or {}
    if not isinstance(raw_requires, Mapping):
        r.fail("requires", "must map a parameter to the list of values it must take")
    for other, values in raw_requires.items():
        if other not in known or not isinstance(values, list) or not values:
            r.fail("requires", f"{other!r}: must name a catalogue parameter and a non-empty list"
                               " of values")
        requires[other] = tuple(_check_value(r, "requires", known[other], v) for v in values)
    return PresetParam(
        name=name, search=search, default=default, default_fine_tune=default_ft, low=low, high=high,
        log=log, step=step, choices=choices, requires=MappingProxyType(requires),
        why=read_reason(file, f"{task}.{name}.why", r.raw["why"]) if r.has("why") else None,
    )


def validate_presets(
    data: Any,
    *,
    file: str = "presets.yaml",
    known: Mapping[str, Hyperparameter] | None = None,
    known_optimizers: Mapping[str, Optimizer] | None = None,
) -> dict[str, Preset]:
    """Check a parsed presets file against the catalogue and build the records."""
    known = catalogue() if known is None else known
    known_optimizers = optimizers() if known_optimizers is None else known_optimizers
    if not isinstance(data, Mapping) or not data:
        raise KnowledgeError(f"{file}: must be a non-empty mapping of tasks", file=file)
    out: dict[str, Preset] = {}
    for task, raw in data.items():
        r = EntryReader(file, str(task), raw)
        r.only(_PRESET_FIELDS)
        module = r.raw.get("module")
        if module is not None and (not isinstance(module, str) or not _MODULE.match(module)):
            r.fail("module", f"must be a dotted Python module name or null, not {module!r}")
        objective = EntryReader(file, f"{task}.objective", r.raw.get("objective"))
        objective.only(("metric", "direction"))
        optimizer = r.choice("default_optimizer", tuple(known_optimizers))
        net_norm = r.raw.get("net_normalization")
        if net_norm is not None and "normalization" in known:
            _check_value(r, "net_normalization", known["normalization"], net_norm)
        raw_params = r.raw.get("params")
        if not isinstance(raw_params, Mapping) or "optimizer" not in raw_params:
            r.fail("params", "must map hyperparameter names to settings, optimizer included")
        settings = {str(n): _preset_param(file, str(task), str(n), s, known)
                    for n, s in raw_params.items()}
        for s in settings.values():
            for other in s.requires:
                if other not in settings:
                    r.fail("params", f"{s.name} requires {other}, which the preset does not list")
        sources = r.raw.get("data", [])
        if not isinstance(sources, list) or not all(isinstance(x, str) for x in sources):
            r.fail("data", f"must list the data sources the task reads, not {sources!r}")
        objectives: dict[str, tuple[str, str]] = {}
        raw_objectives = r.raw.get("objectives") or {}
        if not isinstance(raw_objectives, Mapping):
            r.fail("objectives", "must map a data source to {metric, direction}")
        for src, raw_obj in raw_objectives.items():
            if src not in sources:
                r.fail("objectives", f"{src!r} is not one of the task's data sources {sources}")
            o = EntryReader(file, f"{task}.objectives.{src}", raw_obj)
            o.only(("metric", "direction"))
            objectives[str(src)] = (o.text("metric") or "", o.choice("direction", DIRECTIONS))
        reports: dict[str, tuple[str, ...]] = {}
        raw_reports = r.raw.get("reports") or {}
        if not isinstance(raw_reports, Mapping):
            r.fail("reports", "must map a data source (or all) to the metrics it reports")
        for src, names in raw_reports.items():
            if src != "all" and src not in sources:
                r.fail("reports", f"{src!r} is neither all nor one of the data sources {sources}")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                r.fail("reports", f"{src}: must list metric names, not {names!r}")
            reports[str(src)] = tuple(names)
        ft = EntryReader(file, f"{task}.fine_tune", r.raw.get("fine_tune") or {"from": "none"})
        ft.only(("from", "why_en", "why_zh"))
        fine_from = ft.choice("from", FINE_TUNE_FROM)
        if fine_from == "checkpoint":
            pre, ckpt = settings.get("pretrained"), settings.get("init_checkpoint")
            if pre is None or ckpt is None or pre.default_fine_tune is not True:
                ft.fail("from", "a checkpoint start needs the params pretrained (with "
                                "default_fine_tune: true) and init_checkpoint")
        # Python's sort is stable: the file's order is kept inside each tier.
        ordered = tuple(sorted(settings, key=lambda n: known[n].tier))
        out[str(task)] = Preset(
            task=str(task), label_en=r.text("label_en") or "",
            label_zh=r.text("label_zh", cjk=True) or "",
            module=module, objective_metric=objective.text("metric") or "",
            direction=objective.choice("direction", DIRECTIONS), default_optimizer=optimizer,
            params=ordered, help_en=r.text("help_en") or "",
            help_zh=r.text("help_zh", cjk=True) or "",
            why_optimizer=read_reason(file, f"{task}.why_optimizer", r.raw.get("why_optimizer")),
            net_normalization=net_norm,
            settings=MappingProxyType({n: settings[n] for n in ordered}),
            data_sources=tuple(sources),
            objectives=MappingProxyType(objectives), reports=MappingProxyType(reports),
            fine_tune_from=fine_from,
            fine_tune_why_en=ft.text("why_en", optional=fine_from == "none") or "",
            fine_tune_why_zh=ft.text("why_zh", cjk=True, optional=fine_from == "none") or "",
        )
        made = out[str(task)]
        for src in sources or [None]:
            if made.reports_metric(made.objective(src)[0], src) is False:
                r.fail("objectives", f"the objective {made.objective(src)[0]!r} is never "
                                     f"reported on data source {src!r}")
    return out


@functools.cache
def _presets() -> Mapping[str, Preset]:
    return MappingProxyType(validate_presets(load_data("presets.yaml")))


def tasks() -> tuple[str, ...]:
    """The tasks that have a preset, in display order."""
    return tuple(_presets())


def preset(task: str) -> Preset:
    """The preset of ``task``; an unknown task raises KnowledgeError listing the known ones."""
    known = _presets()
    if task not in known:
        raise KnowledgeError(f"unknown task {task!r}; known tasks: {', '.join(known)}",
                             entry=str(task))
    return known[task]


def fine_tune_tasks() -> tuple[str, ...]:
    """The tasks that can start from pre-trained weights, in display order."""
    return tuple(t for t, p in _presets().items() if p.can_fine_tune)


def check_fine_tune(task: str) -> None:
    """KnowledgeError, in one sentence, when ``task`` cannot start from pre-trained weights.

    Lowering its learning rates for fine-tuning would only slow a run that starts from random
    weights anyway, so a plan must not claim it.
    """
    p = preset(task)
    if p.can_fine_tune:
        return
    able = list(fine_tune_tasks())
    listed = ", ".join(able[:-1]) + f" and {able[-1]}" if len(able) > 1 else "".join(able)
    why = f" ({p.fine_tune_why_en})" if p.fine_tune_why_en else ""
    raise KnowledgeError(f"the {task} task cannot start from pre-trained weights{why}, so it "
                         f"cannot fine-tune; fine-tuning is offered for {listed or 'no task'}",
                         entry=task, field="fine_tune")
