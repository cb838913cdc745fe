"""What the Population tab draws for a PBT run, from the scheduler's `pbt` events and the
trials in a real SQLite file: the members' intervals, the lineage of their weights, the exploit
connectors and each hyperparameter's schedule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpdesk.analysis.population import population
from hpdesk.store import Store, Trial

# Three members, interval 2 epochs, 6 epochs in all. At epoch 2 member 2 (trial 2) copies
# member 0 (trial 0); at epoch 4 member 1 copies member 2, which by then carries member 0's
# weights, so member 1's last interval descends from member 0 too.
EVENTS: list[dict[str, Any]] = [
    {"member": 0, "trial": 0, "generation": 0, "epoch": 2, "donor": None, "value": 0.9,
     "donor_value": None, "previous": {"lr": 0.01, "momentum": 0.9},
     "params": {"lr": 0.01, "momentum": 0.9}},
    {"member": 1, "trial": 1, "generation": 0, "epoch": 2, "donor": None, "value": 0.8,
     "donor_value": None, "previous": {"lr": 0.003, "momentum": 0.8},
     "params": {"lr": 0.003, "momentum": 0.8}},
    {"member": 2, "trial": 2, "generation": 0, "epoch": 2, "donor": 0, "value": 0.5,
     "donor_value": 0.9, "previous": {"lr": 0.1, "momentum": 0.5},
     "params": {"lr": 0.012, "momentum": 0.9}},
    {"member": 0, "trial": 0, "generation": 1, "epoch": 4, "donor": None, "value": 0.92,
     "donor_value": None, "previous": {"lr": 0.01, "momentum": 0.9},
     "params": {"lr": 0.01, "momentum": 0.9}},
    {"member": 1, "trial": 1, "generation": 1, "epoch": 4, "donor": 2, "value": 0.81,
     "donor_value": 0.95, "previous": {"lr": 0.003, "momentum": 0.8},
     "params": {"lr": 0.0096, "momentum": 0.9}},
    {"member": 2, "trial": 2, "generation": 1, "epoch": 4, "donor": None, "value": 0.95,
     "donor_value": None, "previous": {"lr": 0.012, "momentum": 0.9},
     "params": {"lr": 0.012, "momentum": 0.9}},
]


def _stored(tmp_path: Path) -> tuple[list[Trial], list[dict[str, Any]]]:
    """The run as the scheduler leaves it in the database: member trials and pbt events."""
    with Store(tmp_path / "pbt.db") as store:
        exp = store.create_experiment("pbt", "classification", {"strategy": {"name": "pbt"}})
        for member in range(3):
            trial = store.add_trial(exp.id, EVENTS[3 + member]["params"], search_state={
                "member": member, "segment": 2, "until": None})
            store.update_trial(trial.id, state="running")
        trials = store.trials(exp.id)
        for data in reversed(EVENTS):  # order does not matter
            store.add_event("pbt", "decision", trial_id=trials[data["member"]].id, data=data)
        events = [e.data for e in store.events(experiment_id=exp.id, kinds=["pbt"])]
    assert all(e is not None for e in events)
    return trials, events  # type: ignore[return-value]


def test_intervals_lineage_and_exploits(tmp_path: Path) -> None:
    trials, events = _stored(tmp_path)
    run = population(events, trials, end=6)
    assert run.members == (0, 1, 2) and dict(run.trials) == {0: 0, 1: 1, 2: 2}
    assert run.generations == (2.0, 4.0) and run.end == 6.0
    rows = {m: [(s.start, s.end, s.origin) for s in run.member_segments(m)] for m in run.members}
    assert rows[0] == [(0.0, 2.0, 0), (2.0, 4.0, 0), (4.0, 6.0, 0)]
    assert rows[1] == [(0.0, 2.0, 1), (2.0, 4.0, 1), (4.0, 6.0, 0)]  # via member 2
    assert rows[2] == [(0.0, 2.0, 2), (2.0, 4.0, 0), (4.0, 6.0, 0)]
    assert [(e.epoch, e.member, e.donor, e.donor_trial) for e in run.exploits] == [
        (2.0, 2, 0, 0), (4.0, 1, 2, 2)]
    assert run.exploits[1].value == 0.81 and run.exploits[1].donor_value == 0.95
    assert run.changed == ("lr", "momentum")


def test_the_schedule_of_a_hyperparameter_is_a_step_per_interval(tmp_path: Path) -> None:
    trials, events = _stored(tmp_path)
    lr = population(events, trials, end=6).schedule("lr")
    assert lr[2] == ([0.0, 2.0, 4.0, 6.0], [0.1, 0.012, 0.012])
    assert lr[1] == ([0.0, 2.0, 4.0, 6.0], [0.003, 0.003, 0.0096])
    assert population(events, trials, end=6).schedule("dropout") == {}


def test_before_the_first_decision_each_member_is_one_interval_of_its_own(
        tmp_path: Path) -> None:
    trials, _ = _stored(tmp_path)
    fresh = [Trial(**{**t.__dict__, "search_state": {"member": i, "segment": 0, "until": 2}})
             for i, t in enumerate(trials)]
    run = population([], fresh)
    assert run.end == 2.0 and run.exploits == () and run.changed == ()
    assert [(s.member, s.start, s.end, s.origin) for s in run.segments] == [
        (0, 0.0, 2.0, 0), (1, 0.0, 2.0, 1), (2, 0.0, 2.0, 2)]
    assert run.schedule("lr")[0] == ([0.0, 2.0], [0.01])


def test_without_an_end_the_run_goes_one_interval_past_the_last_decision() -> None:
    run = population(EVENTS[:3])
    assert run.end == 4.0 and [s.end for s in run.member_segments(2)] == [2.0, 4.0]
    junk = [{"member": "x", "epoch": 2}, {"member": 0}, {"member": 0, "epoch": None}]
    assert population(junk).members == ()
