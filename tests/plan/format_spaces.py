"""Hypothesis strategies for the search-space converters' round trips: every distribution
hpdesk has, with values every format writes exactly (a step that divides its range)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from hpdesk.plan import Categorical, Condition, Fixed, FloatRange, IntRange, parse_plan
from hpdesk.plan.model import Plan

names = st.from_regex(r"\Ap_[a-z][a-z0-9_]{0,6}\Z")
_steps = st.sampled_from([0.25, 0.5, 1.0, 2.0, 0.125])
_texts = st.from_regex(r"\A[a-z][a-z0-9_]{0,6}\Z")


@st.composite
def float_ranges(draw: Any) -> FloatRange:
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.floats(1e-8, 1e3))
        high = draw(st.floats(low * 1.01, low * 1e4))
        return FloatRange(low, high, log=True)
    if kind == "step":
        step = draw(_steps)
        low = draw(st.integers(-40, 40)) * step
        return FloatRange(low, low + draw(st.integers(1, 40)) * step, step=step)
    low = draw(st.floats(-1e4, 1e4))
    return FloatRange(low, draw(st.floats(low + 1e-3, low + 1e4)))


@st.composite
def int_ranges(draw: Any) -> IntRange:
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    low = draw(st.integers(1 if kind == "log" else -1000, 1000))
    if kind == "step":
        step = draw(st.integers(2, 16))
        return IntRange(low, low + draw(st.integers(1, 30)) * step, step=step)
    return IntRange(low, low + draw(st.integers(1, 5000)), log=kind == "log")


def _choice_lists() -> st.SearchStrategy[tuple[Any, ...]]:
    return st.one_of(
        st.lists(st.integers(-10**6, 10**6), min_size=2, max_size=5, unique=True),
        st.lists(_texts, min_size=2, max_size=5, unique=True),
        st.lists(st.floats(-1e6, 1e6, allow_nan=False).filter(lambda v: not v.is_integer()),
                 min_size=2, max_size=5, unique=True),
        st.just([True, False]),
    ).map(tuple)


distributions = st.one_of(
    float_ranges(), int_ranges(), _choice_lists().map(Categorical),
    st.one_of(st.integers(-1000, 1000), _texts, st.floats(-1e3, 1e3)).map(Fixed))


@st.composite
def spaces(draw: Any, conditions: bool = False) -> dict[str, Any]:
    """A space; with `conditions`, a text choice may have parameters that exist only under some
    of its values (always its first one), right after it, as NNI's nested choice orders them."""
    chosen = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    space: dict[str, Any] = {}
    for name in chosen:
        if name in space:
            continue
        space[name] = draw(distributions)
        if conditions and draw(st.booleans()):
            choices = tuple(draw(st.lists(_texts, min_size=2, max_size=4, unique=True)))
            space[name] = Categorical(choices)
            for child in draw(st.lists(names, max_size=3, unique=True)):
                if child in space or child in chosen:
                    continue
                allowed = (choices[0], *[c for c in choices[1:] if draw(st.booleans())])
                space[child] = replace(draw(distributions),
                                       when=Condition(((name, allowed),)))
    return space


def script_plan(space: dict[str, Any], **fields: Any) -> Plan:
    """A script plan around `space`, as the W&B form can say it all."""
    return parse_plan({"hpdesk": 1, "name": fields.get("name", "sweep"), "task": "script",
                       "command": ["python", "train.py"], "params_style": "equals",
                       "objective": {"metric": "val_loss", "direction": "minimize"},
                       "strategy": fields.get("strategy", "random"),
                       "budget": {"trials": fields.get("trials", 12)},
                       "space": {n: d.to_dict() for n, d in space.items()}})


def same_space(a: Plan, b: Plan) -> bool:
    return list(a.space) == list(b.space) and all(
        a.space[n].to_dict() == b.space[n].to_dict() for n in a.space)
