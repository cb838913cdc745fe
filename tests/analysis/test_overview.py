"""The overview's numbers on synthetic trials: the best trial, trials done of the budget, the
time the experiment ran (only while it ran, across a resume) and the time it needs still."""

from __future__ import annotations

import math
from typing import Any

from hpdesk.analysis.overview import (
    active_seconds,
    best_trial,
    eta_from_pace,
    overview,
    trial_budget,
)
from hpdesk.store import Trial

PLAN: dict[str, Any] = {"objective": {"metric": "val_loss", "direction": "minimize"},
                        "budget": {"trials": 10}}
DAY = 86_400.0


def trial(number: int, state: str, started: float | None = None, ended: float | None = None,
          objective: float | None = None, **more: Any) -> Trial:
    return Trial(id=100 + number, experiment_id=1, number=number, params={}, state=state,
                 requested_state=None, device=None, pid=None, host=None, created_at=0.0,
                 started_at=started, ended_at=ended, exit_code=None, objective=objective,
                 log_path=None, message=None, **more)


def test_best_trial_follows_the_direction_and_skips_nan_and_infinities() -> None:
    trials = [trial(1, "completed", objective=0.5), trial(2, "failed", objective=float("nan")),
              trial(3, "completed", objective=-math.inf), trial(4, "completed", objective=0.2),
              trial(5, "completed", objective=0.2), trial(6, "running")]
    assert best_trial(trials, "minimize").number == 4       # a tie: the first one
    assert best_trial(trials, "maximize").number == 1
    assert best_trial([trial(1, "running")], "maximize") is None


def test_elapsed_counts_the_union_of_runs_with_parallel_trials_once() -> None:
    trials = [trial(1, "completed", 0.0, 100.0), trial(2, "completed", 50.0, 150.0),
              trial(3, "completed", 170.0, 200.0)]          # 20 s to start the next: counted
    assert active_seconds(trials, now=1e9) == 200.0
    assert active_seconds([trial(1, "queued")], now=5.0) is None


def test_elapsed_after_a_resume_leaves_out_the_time_it_stood_still() -> None:
    # Ran 0..600 (three trials, two at a time), stopped; resumed a day later for 300 s so far.
    first = [trial(1, "completed", 0.0, 300.0), trial(2, "completed", 10.0, 320.0),
             trial(3, "completed", 305.0, 600.0)]
    second = [trial(4, "completed", DAY, DAY + 200.0), trial(5, "running", DAY + 200.0)]
    assert active_seconds(first + second, now=DAY + 300.0) == 900.0


def test_an_interrupted_trial_counts_until_its_last_report_not_until_it_was_found() -> None:
    lost = trial(1, "interrupted", 0.0, DAY, last_report_at=120.0)  # found lost the next day
    assert active_seconds([lost], now=DAY + 5) == 120.0
    assert active_seconds([trial(1, "stopped", 0.0, None)], now=50.0) is None


def test_budget_counts_retries_and_reruns_on_top_and_pbt_has_none() -> None:
    assert trial_budget(PLAN) == 10
    assert trial_budget({}) == 10
    assert trial_budget({"strategy": {"name": "pbt"}, "budget": {"trials": 4}}) is None
    trials = [trial(1, "failed", 0.0, 10.0), trial(2, "completed", 10.0, 20.0, retry_of=101)]
    assert overview(PLAN, trials, now=30.0).total == 11


def test_eta_is_the_pace_so_far_and_none_when_unknown() -> None:
    assert eta_from_pace(900.0, 3.0, 10) == 2100.0
    assert eta_from_pace(None, 3.0, 10) is None
    assert eta_from_pace(900.0, 0.0, 10) is None
    assert eta_from_pace(900.0, 3.0, None) is None
    assert eta_from_pace(900.0, 12.0, 10) == 0.0


def test_overview_of_a_resumed_experiment() -> None:
    trials = [trial(1, "completed", 0.0, 300.0, objective=0.40),
              trial(2, "pruned", 300.0, 600.0, objective=0.35),
              trial(3, "completed", DAY, DAY + 300.0, objective=0.30),
              trial(4, "running", DAY + 300.0), trial(5, "queued")]
    o = overview(PLAN, trials, now=DAY + 450.0, fractions={104: 0.5, 101: 0.9})
    assert (o.metric, o.direction) == ("val_loss", "minimize")
    assert (o.best_number, o.best_id, o.best_value) == (3, 103, 0.30)
    assert (o.done, o.total) == (3, 10)
    assert list(o.by_state.items()) == [("running", 1), ("queued", 1), ("completed", 2),
                                        ("pruned", 1)]
    assert o.elapsed == 1050.0                               # not a day and then some
    assert o.eta == 1050.0 * (10 - 3.5) / 3.5                # trial 4 is half done
    assert overview(PLAN, trials, now=DAY + 450.0, running=False).eta is None
    assert overview({}, [], now=0.0) == overview({}, [], now=0.0)  # nothing at all: no errors
    empty = overview({}, [], now=0.0)
    assert (empty.best_id, empty.elapsed, empty.eta, empty.done) == (None, None, None, 0)
