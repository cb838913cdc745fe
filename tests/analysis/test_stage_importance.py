"""Importance after a stage, against the guide's tiers: pairs where a later tier beat an
earlier one by a clear margin, and parameters a stage held fixed left out."""

from __future__ import annotations

import random

from hpdesk.analysis.stage_importance import disagreements, stage_importance
from hpdesk.store import Trial

PLAN = {"objective": {"metric": "val_loss", "direction": "minimize"},
        "space": {"lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
                  "dropout": {"type": "float", "low": 0.0, "high": 0.5},
                  "batch_size": {"type": "int", "low": 16, "high": 256, "log": True}}}


def trial(i: int, params: dict[str, float], value: float) -> Trial:
    return Trial(id=i, experiment_id=1, number=i, params=params, state="completed",
                 requested_state=None, device=None, pid=None, host=None, created_at=0.0,
                 started_at=0.0, ended_at=1.0, exit_code=0, objective=value, log_path=None,
                 message=None)


def test_a_later_tier_that_matters_more_is_a_disagreement() -> None:
    rng = random.Random(0)
    trials = []
    for i in range(30):
        p = {"lr": 10 ** rng.uniform(-4, -1), "dropout": rng.uniform(0, 0.5),
             "batch_size": 64}
        trials.append(trial(i, p, p["dropout"] * 4 + rng.uniform(0, 0.01)))
    report = stage_importance(PLAN, trials, stage=2)
    names = [n for n, s, _ in report.ranking if s is not None]
    assert names[0] == "dropout" and "batch_size" not in names  # held at 64: not assessed
    assert [(d.name, d.above) for d in report.disagreements] == [("dropout", "lr")]
    assert "dropout (tier 3) mattered more than lr (tier 1)" in report.message


def test_small_differences_are_not_disagreements() -> None:
    ranking = [("lr", 0.45, 1), ("dropout", 0.5, 3), ("batch_size", 0.05, 2)]
    assert [(d.name, d.above) for d in disagreements(ranking)] == [("dropout", "batch_size")]
    assert {(d.name, d.above) for d in disagreements(ranking, margin=0.01)} == {
        ("dropout", "batch_size"), ("dropout", "lr")}


def test_too_few_trials_is_said_not_guessed() -> None:
    report = stage_importance(PLAN, [trial(0, {"lr": 0.01, "dropout": 0.1}, 1.0)], stage=1)
    assert report.reason and report.ranking == [] and "importance needs" in report.message
