"""Early stopping on exact synthetic curves: each pruner stops what it should and says why,
and a pruner rebuilt from the database (a restarted scheduler) judges as the first one did."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from hpdesk.plan import loads_plan
from hpdesk.search import TrialPruner, Tried, max_resource

PLAN = """
hpdesk: 1
task: classification
objective: {metric: val_loss, direction: minimize}
pruner: %s
space:
  lr: {type: float, low: 0.001, high: 0.1, log: true}
  epochs: 9
"""


def pruner(spec: str) -> TrialPruner:
    return TrialPruner(loads_plan(PLAN % spec))


def feed(p: TrialPruner, number: int, curve: Sequence[float]) -> tuple[int | None, str]:
    """Report a curve; the report it was stopped at (or None) and the reason."""
    p.start(number)
    for resource, value in enumerate(curve, 1):
        decision = p.report(number, resource, value)
        if decision is not None:
            p.finish(number, Tried({}, "pruned", value, number=number,
                                   intermediate=dict(enumerate(curve[:resource], 1))))
            return resource, decision.reason
    p.finish(number, Tried({}, "completed", curve[-1], number=number,
                           intermediate=dict(enumerate(curve, 1))))
    return None, ""


GOOD = [1.0 - 0.1 * i for i in range(9)]        # falls to 0.2
BAD = [2.0 - 0.01 * i for i in range(9)]        # stays near 2


def test_none_never_stops() -> None:
    p = pruner("none")
    assert not p.enabled
    assert feed(p, 0, BAD) == (None, "")


def test_median_stops_a_curve_worse_than_the_earlier_median() -> None:
    p = pruner("{name: median, n_startup_trials: 2, n_warmup_steps: 1}")
    for n in range(2):
        assert feed(p, n, GOOD)[0] is None
    stopped_at, reason = feed(p, 2, BAD)
    assert stopped_at == 2  # never at or before report n_warmup_steps = 1
    assert reason.startswith("median rule: report 2 of val_loss (1.99)") and "0.9" in reason


def test_asha_keeps_the_best_third_at_each_rung() -> None:
    p = pruner("{name: asha, min_resource: 1, reduction_factor: 3}")
    outcomes = [feed(p, n, [v + 0.01 * n for v in GOOD])[0] for n in range(3)]
    assert outcomes[0] is None  # the first trial to reach a rung is promoted
    assert feed(p, 3, BAD)[0] == 1  # far worse at the first rung: stopped there
    assert "successive halving" in feed(p, 4, BAD)[1]


def test_hyperband_reads_the_runs_length_from_the_plans_epochs() -> None:
    plan = loads_plan(PLAN % "hyperband")
    assert max_resource(plan) == 9
    p = TrialPruner(plan)
    results = [feed(p, n, BAD if n % 2 else GOOD)[0] for n in range(12)]
    assert any(r is not None for r in results[1::2])  # bad curves get stopped
    assert all(r is None for r in results[0:2])


def test_patience_stops_a_plateau_whatever_the_others_do() -> None:
    p = pruner("{name: patience, patience: 2}")
    plateau = [1.0, 0.8, 0.8, 0.8, 0.8, 0.8]
    stopped_at, reason = feed(p, 0, plateau)
    assert stopped_at == 4 and reason.startswith("patience: no improvement")  # 0.8 twice more
    assert feed(p, 1, GOOD)[0] is None
    slow = pruner("{name: patience, patience: 2, min_delta: 0.25}")
    assert feed(slow, 0, GOOD)[0] == 3  # 0.2 better over two reports is not enough


def test_threshold_stops_outside_the_bounds_after_warm_up() -> None:
    p = pruner("{name: threshold, upper: 1.5, n_warmup_steps: 1}")
    assert feed(p, 0, [3.0, 1.0, 0.5])[0] is None  # above only during the warm-up
    stopped_at, reason = feed(p, 1, [3.0, 2.0, 1.0])
    assert stopped_at == 2 and "above 1.5" in reason


def test_a_nan_report_is_stopped_and_named() -> None:
    p = pruner("{name: threshold, upper: 10}")
    stopped_at, reason = feed(p, 1, [1.0, float("nan"), 0.5])
    assert stopped_at == 2 and "not a number" in reason


@pytest.mark.parametrize("spec", ["{name: asha, reduction_factor: 2}", "hyperband",
                                  "{name: median, n_startup_trials: 1}"])
def test_a_rebuilt_pruner_judges_like_the_first(spec: str) -> None:
    """The rungs a pruner wrote into finished trials come back from search_state."""
    curves = [[1.0 - 0.05 * i * (1 + n % 3) + 0.02 * n for i in range(9)] for n in range(8)]
    first = pruner(spec)
    history: list[Tried] = []
    for n, curve in enumerate(curves[:5]):
        first.start(n)
        stop = None
        for r, v in enumerate(curve, 1):
            if first.report(n, r, v) is not None:
                stop = r
                break
        used = curve if stop is None else curve[:stop]
        tried = Tried({}, "completed" if stop is None else "pruned", used[-1], number=n,
                      intermediate=dict(enumerate(used, 1)))
        notes = first.finish(n, tried) or {}
        history.append(Tried({}, tried.state, tried.objective, number=n,
                             intermediate=tried.intermediate, search_state={"pruner": notes}))
    rebuilt = TrialPruner(loads_plan(PLAN % spec), history)
    for n, curve in enumerate(curves[5:], 5):
        assert feed(rebuilt, n, curve) == feed(first, n, curve)
