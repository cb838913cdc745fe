"""The plan editor's form (texts as typed) and the checked `Plan` it stands for.

The window keeps one `RowForm` per hyperparameter. `build_plan` turns the rows, with the rest of
a base plan, into the exported dict and parses it with `parse_plan`, so the editor accepts exactly
what `hpdesk run` accepts. Conditions are worked out here too: a row whose condition cannot hold
(`lr_gamma` only when `lr_schedule = step`, `momentum` only with an optimiser that has one) is
left out of the plan but kept in the form, so switching back brings it back. Plain Python: the
window's logic is tested without Qt.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hpdesk.knowledge import catalogue, lr_range, optimizers, preset, tasks
from hpdesk.knowledge.catalogue import LEARNING_RATES, fine_tune_shift
from hpdesk.plan.model import Plan
from hpdesk.plan.reader import PlanError, Problem, describe
from hpdesk.plan.schema import parse_plan
from hpdesk.plan.space import Categorical, Distribution, Fixed, FloatRange, IntRange

MODES = ("fixed", "range", "choices")
SOURCE = "plan editor"
Clause = tuple[str, tuple[Any, ...]]


@dataclass
class RowForm:
    """One hyperparameter in the editor. `kind` types its values: float, int, bool, choice, text
    (the catalogue's types), json (a fixed list) or auto (a parameter of your own script: true,
    false, integers, numbers and texts told apart as typed). `mode` says which texts count:
    `value` when fixed, `low`/`high`/`log`/`step` for a range, the comma-separated `choices`
    otherwise; the others are kept so switching back restores them. `when` is the condition the
    plan declared."""

    name: str
    kind: str
    mode: str
    value: str = ""
    low: str = ""
    high: str = ""
    log: bool = False
    step: str = ""
    choices: str = ""
    when: tuple[Clause, ...] = ()
    removed: bool = False

    def modes(self) -> tuple[str, ...]:
        if self.kind in ("float", "int", "auto"):
            return MODES
        return ("fixed",) if self.kind == "json" else ("fixed", "choices")


@dataclass(frozen=True)
class FormState:
    """What the rows mean together: each active row's condition, and why the others are off."""

    when: dict[str, tuple[Clause, ...]] = field(default_factory=dict)
    inactive: dict[str, Clause] = field(default_factory=dict)  # name -> (controller, allowed)


def is_builtin(task: str) -> bool:
    return task in tasks() and task != "script"


def format_scalar(value: Any) -> str:
    """The text a value is shown as; `parse_scalar` reads it back to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _auto(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            number = cast(text)
        except ValueError:
            continue
        if not isinstance(number, float) or math.isfinite(number):
            return number
    return text


def parse_scalar(kind: str, text: str, choices: Sequence[Any] | None = None,
                 strict: bool = True) -> tuple[Any, str | None]:
    """`text` read as a value of `kind`: (value, None), or (None, what was expected)."""
    text = text.strip()
    if kind in ("float", "int"):
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            return None, "a number" if kind == "float" else "an integer"
        if kind == "int":
            return (int(number), None) if number == int(number) else (None, "an integer")
        return number, None
    if kind == "bool":
        if text.lower() in ("true", "yes", "1", "false", "no", "0"):
            return text.lower() in ("true", "yes", "1"), None
        return None, "true or false"
    if kind == "choice" and choices is not None:
        for choice in choices:
            if format_scalar(choice) == text:
                return choice, None
        if strict:
            return None, "one of " + ", ".join(map(format_scalar, choices))
        return _auto(text), None
    if kind == "json":
        try:
            return json.loads(text), None
        except ValueError:
            return None, "a JSON value such as [1, 2]"
    if kind == "auto":
        return _auto(text), None
    return text, None


def split_choices(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _kind_of(name: str, dist: Distribution | None) -> str:
    hp = catalogue().get(name)
    if hp is not None:
        return {"categorical": "choice"}.get(hp.type, hp.type)
    if isinstance(dist, FloatRange):
        return "float"
    if isinstance(dist, IntRange):
        return "int"
    values = [dist.value] if isinstance(dist, Fixed) else list(getattr(dist, "choices", ()))
    if not values:
        return "auto"
    types = {bool if isinstance(v, bool) else int if isinstance(v, int) else float
             if isinstance(v, float) else str if isinstance(v, str) else list for v in values}
    if types == {list} and isinstance(dist, Fixed):
        return "json"
    return {frozenset({bool}): "bool", frozenset({int}): "int", frozenset({float}): "float",
            frozenset({int, float}): "float",
            frozenset({str}): "text"}.get(frozenset(types), "auto")


def form_from_dist(name: str, dist: Distribution, *, task: str, fine_tune: bool,
                   optimizer_values: Sequence[Any] = ()) -> RowForm:
    """The row showing one space entry, with the other modes' texts suggested."""
    form = RowForm(name, _kind_of(name, dist), "fixed", when=dist.when.requires)
    if isinstance(dist, Fixed):
        form.value = format_scalar(dist.value)
    elif isinstance(dist, Categorical):
        form.mode = "choices"
        form.choices = ", ".join(format_scalar(c) for c in dist.choices)
    else:
        form.mode = "range"
        form.low, form.high, form.log = format_scalar(dist.low), format_scalar(dist.high), dist.log
        form.step = "" if dist.step is None else format_scalar(dist.step)
    complete_form(form, task=task, fine_tune=fine_tune, optimizer_values=optimizer_values)
    return form


def suggested_form(name: str, *, task: str, fine_tune: bool,
                   optimizer_values: Sequence[Any] = ()) -> RowForm:
    """A row for a hyperparameter the plan lacks: fixed at the preset's (or catalogue's) default."""
    hp = catalogue().get(name)
    form = RowForm(name, "auto" if hp is None else _kind_of(name, None), "fixed")
    complete_form(form, task=task, fine_tune=fine_tune, optimizer_values=optimizer_values)
    return form


def complete_form(form: RowForm, *, task: str, fine_tune: bool,
                  optimizer_values: Sequence[Any] = ()) -> None:
    """Fill the texts of the modes the row is not in, from the preset, the catalogue and §5."""
    hp = catalogue().get(form.name)
    setting = preset(task).settings.get(form.name) if task in tasks() else None
    lr = recommended_lr(optimizer_values, fine_tune) if follows_optimizer(task, form.name) \
        else None
    numeric = form.kind in ("float", "int")
    if hp is not None and numeric and not (form.low and form.high):
        low = setting.low if setting is not None and setting.low is not None else hp.low
        high = setting.high if setting is not None and setting.high is not None else hp.high
        if lr is not None:
            low, high = lr
        elif fine_tune and form.name in LEARNING_RATES and low is not None and high is not None:
            low, high = fine_tune_shift(low, high)
        form.low, form.high = format_scalar(low), format_scalar(high)
        form.log = setting.log if setting is not None and setting.log is not None else (
            hp.scale == "log")
    if not form.value:
        form.value = _suggested_value(form, hp, setting, fine_tune, lr)
    if not form.choices and form.kind in ("bool", "choice") and hp is not None:
        picked = setting.choices if setting is not None and setting.choices else hp.choices
        form.choices = ", ".join(format_scalar(c) for c in picked or ())
    if not form.choices and form.value:
        form.choices = form.value


def follows_optimizer(task: str, name: str) -> bool:
    """Whether ``name`` takes its recommended range from the optimiser (§5): an initial
    learning rate that the task's preset gives no range of its own."""
    if name not in LEARNING_RATES:
        return False
    setting = preset(task).settings.get(name) if task in tasks() else None
    return setting is None or setting.low is None


def _suggested_value(form: RowForm, hp: Any, setting: Any, fine_tune: bool,
                     lr: tuple[float, float] | None) -> str:
    if lr is not None:
        return format_scalar(log_middle(*lr))
    if hp is not None:
        value = hp.default
        if setting is not None and setting.default is not None:
            value = setting.default
        if fine_tune and setting is not None and setting.default_fine_tune is not None:
            value = setting.default_fine_tune
        elif fine_tune and form.name in LEARNING_RATES and isinstance(value, float):
            value = float(f"{value / 10:.10g}")
        return format_scalar(value)
    if form.mode == "range" and form.low:
        return form.low
    return split_choices(form.choices)[0] if split_choices(form.choices) else ""


def log_middle(low: float, high: float) -> float:
    """The geometric middle of a range to one significant digit (1e-3..1e-2 -> 3e-3)."""
    return float(f"{math.sqrt(low * high):.0e}") if low > 0 else (low + high) / 2


def recommended_lr(optimizer_values: Sequence[Any], fine_tune: bool) -> tuple[float, float] | None:
    """§5's initial learning-rate range spanning every known optimiser the plan may use."""
    known = [v for v in optimizer_values if isinstance(v, str) and v in optimizers()]
    if not known:
        return None
    spans = [lr_range(o, fine_tune=fine_tune) for o in known]
    return min(s[0] for s in spans), max(s[1] for s in spans)


def forms_from_plan(plan: Plan) -> list[RowForm]:
    """The rows of `plan`, then the preset's hyperparameters the plan leaves out: shown (off)
    when a condition keeps them out, else offered to add back (`removed`)."""
    opt = plan.space.get("optimizer")
    opts = list(_dist_values(opt)) if opt is not None else []
    task, ft = plan.task, plan.fine_tune
    forms = [form_from_dist(n, d, task=task, fine_tune=ft, optimizer_values=opts)
             for n, d in plan.space.items()]
    if task in tasks():
        p = preset(task)
        forms += [suggested_form(n, task=task, fine_tune=ft, optimizer_values=opts)
                  for n in p.params if n not in plan.space]
        # The preset's conditions (lr_gamma only with the step schedule) hold for the rows that
        # declare none, as long as they hold now: the plan as given is never changed.
        for form in forms:
            requires = p.settings[form.name].requires if form.name in p.settings else {}
            if requires and not form.when:
                form.when = tuple(requires.items())
                if form.name in plan.space and form.name in form_state(plan.task, forms).inactive:
                    form.when = ()
        off = form_state(plan.task, forms).inactive
        for form in forms:
            if form.name not in plan.space and form.name not in off:
                form.removed = True
    return forms


def _dist_values(dist: Distribution) -> tuple[Any, ...]:
    if isinstance(dist, Fixed):
        return (dist.value,)
    return dist.choices if isinstance(dist, Categorical) else ()


def possible_values(form: RowForm, strict: bool = True) -> list[Any] | None:
    """The values a fixed or choices row may take; None for a range or a text that does not read."""
    if form.mode == "range":
        return None
    hp = catalogue().get(form.name)
    choices = hp.choices if hp is not None else None
    texts = [form.value] if form.mode == "fixed" else split_choices(form.choices)
    out = []
    for text in texts:
        value, problem = parse_scalar(form.kind, text, choices, strict)
        if problem is not None:
            return None
        out.append(value)
    return out


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _declared(task: str, form: RowForm) -> list[Clause]:
    clauses = list(form.when)
    if is_builtin(task) and not any(ctl == "optimizer" for ctl, _ in clauses):
        users = tuple(o.name for o in optimizers().values() if form.name in o.uses)
        if users:  # momentum only with SGD with momentum, the betas with the Adam family
            clauses.append(("optimizer", users))
    return clauses


def form_state(task: str, forms: Sequence[RowForm]) -> FormState:
    """Each active row's effective condition and why the inactive ones are off.

    A clause whose controller is fixed at an allowed value is dropped (it always holds); one
    whose controller cannot take any allowed value turns the row off, as `preset_space` does."""
    live = {f.name: f for f in forms if not f.removed}
    strict = is_builtin(task)
    values = {n: possible_values(f, strict) for n, f in live.items()}
    declared = {n: _declared(task, f) for n, f in live.items()}
    inactive: dict[str, Clause] = {}
    changed = True
    while changed:
        changed = False
        for name in live:
            if name in inactive:
                continue
            for ctl, allowed in declared[name]:
                if ctl == name:
                    continue
                known = values.get(ctl)
                if ctl not in live or ctl in inactive or (known is not None and not any(
                        _same(a, v) for a in allowed for v in known)):
                    inactive[name] = (ctl, tuple(allowed))
                    changed = True
                    break
    when: dict[str, tuple[Clause, ...]] = {}
    for name in live:
        if name in inactive:
            continue
        clauses = []
        for ctl, allowed in declared[name]:
            known = values.get(ctl)
            if known is None:
                if ctl in live and live[ctl].mode == "range":
                    clauses.append((ctl, tuple(allowed)))  # parse_plan says why it cannot be
            elif ctl != name and live[ctl].mode != "fixed":
                clauses.append((ctl, tuple(a for a in allowed if any(_same(a, v) for v in known))))
        when[name] = tuple(clauses)
    return FormState(when, inactive)


def _number_or_text(kind: str, text: str) -> Any:
    """A range end for `parse_plan`: the number when it reads, else the text (it names it)."""
    if not text.strip():
        return None
    value, problem = parse_scalar("float" if kind == "auto" else kind, text)
    return text if problem is not None else value


def entry_of(form: RowForm, strict: bool, when: Sequence[Clause] = ()) -> tuple[
        dict[str, Any], list[Problem]]:
    """The space entry of one row, and the problems only the form can see (a value that is not
    a number where the catalogue wants one); `parse_plan` finds the rest."""
    path = f"space.{form.name}"
    hp = catalogue().get(form.name)
    choices = hp.choices if hp is not None else None
    problems: list[Problem] = []
    entry: dict[str, Any]
    if form.mode == "range":
        kind = form.kind
        if kind == "auto":
            ends = [_auto(t.strip()) for t in (form.low, form.high)]
            kind = "int" if all(isinstance(e, int) and not isinstance(e, bool) for e in ends) \
                else "float"
        entry = {"type": kind if kind in ("float", "int") else "float",
                 "low": _number_or_text(kind, form.low),
                 "high": _number_or_text(kind, form.high), "log": form.log}
        if form.step.strip():
            entry["step"] = _number_or_text(kind, form.step)
    elif form.mode == "choices":
        parsed = []
        for i, text in enumerate(split_choices(form.choices)):
            value, expected = parse_scalar(form.kind, text, choices, strict)
            if expected is not None:
                problems.append(Problem(f"{path}.choices[{i}]", expected, describe(text), SOURCE))
            parsed.append(text if expected is not None else value)
        entry = {"type": "categorical", "choices": parsed}
    else:
        value, expected = parse_scalar(form.kind, form.value, choices, strict)
        if expected is not None:
            problems.append(Problem(f"{path}.value", expected, describe(form.value), SOURCE))
            value = form.value
        entry = {"type": "fixed", "value": value}
    if when:
        entry["when"] = {ctl: list(allowed) for ctl, allowed in when}
    return entry, problems


def plan_dict(base: Plan, forms: Sequence[RowForm], **top: Any) -> tuple[dict[str, Any],
                                                                         list[Problem]]:
    """The exported form the rows stand for (top-level fields in `top` replace the base's)."""
    state = form_state(base.task, forms)
    strict = is_builtin(base.task)
    space: dict[str, Any] = {}
    problems: list[Problem] = []
    for form in forms:
        if form.removed or form.name in state.inactive:
            continue
        space[form.name], own = entry_of(form, strict, state.when.get(form.name, ()))
        problems += own
    data = base.to_dict()
    data.update(top)
    data["space"] = space
    if isinstance(data.get("arguments"), dict):
        # A removed parameter takes its way onto the command line with it.
        data["arguments"] = {k: v for k, v in data["arguments"].items() if k in space}
        if not data["arguments"]:
            del data["arguments"]
    return data, problems


def build_plan(base: Plan, forms: Sequence[RowForm], **top: Any) -> Plan:
    """The checked plan the rows stand for; `PlanError` lists every problem (one per field)."""
    data, problems = plan_dict(base, forms, **top)
    try:
        plan = parse_plan(data, source=SOURCE)
    except PlanError as exc:
        seen = {p.path for p in problems}
        problems += [p for p in exc.problems if p.path not in seen]
    if problems:
        raise PlanError(problems)
    return plan


def locate(problem: Problem, names: Sequence[str]) -> tuple[str | None, str]:
    """(hyperparameter, field) a problem is about: ("lr", "low") for `space.lr.low`;
    (None, "budget.trials") for anything outside the space."""
    path = problem.path
    best = None
    for name in names:
        if (path == f"space.{name}" or path.startswith(f"space.{name}.")) and (
                best is None or len(name) > len(best)):
            best = name
    if best is None:
        return None, path
    rest = path[len(f"space.{best}"):].lstrip(".")
    return best, rest.split(".")[0].split("[")[0]


__all__ = ["MODES", "FormState", "RowForm", "build_plan", "complete_form", "entry_of",
           "form_from_dist", "form_state", "format_scalar", "forms_from_plan", "locate",
           "log_middle", "parse_scalar", "plan_dict", "possible_values", "recommended_lr",
           "split_choices", "suggested_form"]
