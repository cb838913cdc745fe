"""Hypothesis: no input makes the plan loader raise anything but PlanError, and valid plans
survive a round trip through every format."""

from __future__ import annotations

import json

import tomli_w
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpdesk.plan import Plan, PlanError, dumps_plan, loads_plan, parse_plan
from hpdesk.plan.model import Budget, Objective, Strategy
from hpdesk.plan.space import Categorical, Condition, Fixed, FloatRange, IntRange

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
KEYS = ["hpdesk", "task", "space", "lr", "low", "high", "log", "type", "choices", "value", "when",
        "budget", "trials", "strategy", "objective", "metric", "optimizer", "command", "env",
        "concurrency", "name", "step", "batch_size", "float", "int", "categorical", "fixed"]
junk = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children,
                        max_size=5),
    ),
    max_leaves=25,
)


def _only_plan_errors(data: object) -> None:
    try:
        parse_plan(data, source="fuzz")
    except PlanError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert "\n" not in str(problem) and str(problem).startswith("fuzz")


@FAST
@given(junk)
def test_any_structure_gives_plan_error_or_plan(data: object) -> None:
    _only_plan_errors(data)


@FAST
@given(st.dictionaries(st.sampled_from(KEYS), junk, max_size=8))
def test_plan_shaped_junk(data: dict) -> None:
    data.setdefault("hpdesk", 1)
    data.setdefault("task", "classification")
    _only_plan_errors(data)


@FAST
@given(st.text(max_size=300), st.sampled_from(["yaml", "toml", "json"]))
def test_any_text_gives_plan_error_or_plan(text: str, fmt: str) -> None:
    try:
        loads_plan(text, fmt, source="fuzz")
    except PlanError as exc:
        assert exc.problems


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_gives_plan_error(blob: bytes) -> None:
    try:
        loads_plan(blob.decode("latin-1"), "yaml", source="fuzz")
    except PlanError:
        pass


finite = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    space: dict = {}
    low = draw(st.floats(min_value=1e-5, max_value=0.5))
    space["lr"] = FloatRange(low, low * draw(st.floats(min_value=1.5, max_value=100)),
                             log=draw(st.booleans()))
    space["optimizer"] = draw(st.sampled_from([
        Fixed("adam"), Categorical(("adam", "sgd_momentum")), Categorical(("sgd", "nadam"))]))
    if draw(st.booleans()):
        lo = draw(st.integers(1, 64))
        space["batch_size"] = IntRange(lo, lo + draw(st.integers(1, 512)), log=draw(st.booleans()))
    if draw(st.booleans()):
        space["dropout"] = FloatRange(0.0, draw(st.floats(min_value=0.01, max_value=0.99)),
                                      step=draw(st.sampled_from([None, 0.01])))
    if isinstance(space["optimizer"], Categorical) and "sgd_momentum" in space["optimizer"].choices:
        space["momentum"] = FloatRange(0.8, 0.99,
                                       when=Condition((("optimizer", ("sgd_momentum",)),)))
    if draw(st.booleans()):
        space["epochs"] = Fixed(draw(st.integers(1, 100)))
    return Plan(
        task="classification", space=space,
        objective=Objective("val_acc", draw(st.sampled_from(["maximize", "minimize"])),
                            draw(st.sampled_from(["last", "best"]))),
        name=draw(st.text(alphabet="abcdefgh-_ 中文", max_size=10)),
        fine_tune=draw(st.booleans()),
        strategy=Strategy(draw(st.sampled_from(["random", "grid"])),
                          draw(st.one_of(st.none(), st.integers(0, 1000))),
                          draw(st.integers(1, 5))),
        budget=Budget(draw(st.integers(1, 1000)), draw(st.one_of(st.none(), finite))),
        concurrency=draw(st.integers(1, 16)),
        env=draw(st.dictionaries(st.sampled_from(["A", "B_1", "CUDA_LAUNCH_BLOCKING"]),
                                 st.text(alphabet="xyz01", max_size=5), max_size=2)),
    )


@FAST
@given(plans(), st.sampled_from(["yaml", "toml", "json"]))
def test_valid_plans_round_trip_exactly(plan: Plan, fmt: str) -> None:
    assert parse_plan(plan.to_dict()) == plan
    assert loads_plan(dumps_plan(plan, fmt), fmt) == plan


def test_the_formats_disagree_which_is_why_the_schema_coerces() -> None:
    assert yaml.safe_load("a: 1e-3")["a"] == "1e-3"
    assert json.loads('{"a": 1e-3}')["a"] == 0.001
    assert "1e-3" not in tomli_w.dumps({"a": 0.001})
