"""Stopping one trial and running one again while the experiment goes on (runner.control)."""

from __future__ import annotations

import sys
from pathlib import Path

from hpdesk.plan import parse_plan
from hpdesk.runner import control
from hpdesk.runner.recovery import pid_alive
from hpdesk.store import Store
from tests.runner.test_detached import FAKE, ROOT, wait_for
from tests.waiting import trial_starts

ENDLESS = ROOT / "tests" / "fixtures" / "endless_plain.py"


def _plan(command: list[str], space: dict, trials: int, *, metric: str = "val_acc"):
    return parse_plan({
        "hpdesk": 1, "task": "script", "name": "control", "command": command,
        "params_style": "flags", "objective": {"metric": metric, "direction": "maximize"},
        "strategy": "grid", "budget": {"trials": trials}, "concurrency": 2,
        "executor": {"warm_start": False}, "space": space,
    })


def _running(store: Store) -> list:
    return [t for t in store.trials() if t.state == "running" and store.last_step(t.id)]


def test_stop_one_sdk_trial_while_the_other_goes_on(tmp_path: Path) -> None:
    plan = _plan([sys.executable, str(FAKE)], {"lr": [0.1, 0.2], "steps": 100_000,
                                                "sleep": 0.02}, 2)
    with Store(tmp_path / "x.db") as store:
        exp = control.launch(store, plan)
        wait_for(lambda: len(_running(store)) == 2)
        first, second = sorted(store.trials(exp.id), key=lambda t: t.number)
        control.stop_trial(store, first.id)
        wait_for(lambda: store.trial(first.id).state != "running")
        stopped = store.trial(first.id)
        assert stopped.state == "stopped" and "stopped on request at step" in stopped.message
        assert store.trial(second.id).state == "running"
        assert store.series(first.id, "loss")[0], "its points survive"
        assert control.request_stop(store, exp.id)
        assert control.wait_stopped(store, exp.id, 60) == "stopped"
        assert store.trial(second.id).state == "interrupted"


def test_stop_a_plain_script_that_ignores_hpdesk(tmp_path: Path) -> None:
    plan = _plan([sys.executable, str(ENDLESS)], {"lr": [0.1]}, 1, metric="loss")
    with Store(tmp_path / "x.db") as store:
        exp = control.launch(store, plan)
        wait_for(lambda: len(_running(store)) == 1)
        (trial,) = store.trials(exp.id)
        control.stop_trial(store, trial.id)
        wait_for(lambda: store.experiment(exp.id).state != "running")
        done = store.trial(trial.id)
        assert done.state == "stopped" and not pid_alive(done.pid)
        assert store.experiment(exp.id).state == "stopped"  # its only trial was stopped


def test_rerun_uses_the_same_parameters_and_restarts_a_finished_experiment(
        tmp_path: Path, starts_file: Path) -> None:
    plan = _plan([sys.executable, str(FAKE)], {"lr": [0.3], "steps": 3}, 1)
    with Store(tmp_path / "x.db") as store:
        exp = control.launch(store, plan)
        wait_for(lambda: store.experiment(exp.id).state == "completed")
        (original,) = store.trials(exp.id)
        again = control.rerun_trial(store, original.id)
        assert again.params == original.params and again.number == 1
        wait_for(lambda: store.trial(again.id).state == "completed")
        assert store.trial(again.id).objective == original.objective
        assert store.trial(again.id).retry_of == original.id
        assert any(e.kind == "rerun" for e in store.events(trial_id=again.id))
        # The restarted scheduler ran the new trial only: the finished one was not run again.
        assert store.trial(original.id) == original
        assert [t.id for t in store.trials(exp.id)] == [original.id, again.id]
        assert trial_starts(starts_file) == {original.id: 1, again.id: 1}


def test_a_queued_trial_is_cancelled_at_once(tmp_path: Path) -> None:
    plan = _plan([sys.executable, str(FAKE)], {"lr": [0.3]}, 1)
    with Store(tmp_path / "x.db") as store:
        exp = store.create_experiment("x", "script", plan.to_dict())
        trial = store.add_trial(exp.id, {"lr": 0.3})
        assert control.stop_trial(store, trial.id).state == "stopped"
        assert control.request_stop(store, exp.id) is False  # nothing runs


def test_a_finished_trial_has_its_curves_packed_for_the_window(tmp_path: Path) -> None:
    from hpdesk.store.curves import read_curves

    plan = _plan([sys.executable, str(FAKE)], {"lr": [0.3], "steps": 50}, 1)
    with Store(tmp_path / "x.db") as store:
        exp = control.launch(store, plan)
        wait_for(lambda: store.experiment(exp.id).state == "completed")
        (trial,) = store.trials(exp.id)
        packed = store.conn.execute("SELECT SUM(n) FROM curve_chunks WHERE trial_id = ?",
                                    (trial.id,)).fetchone()[0]
        assert packed == 100  # loss and val_acc, 50 steps each
        curve = read_curves(store, "loss", [trial.id]).curves[trial.id]
        steps, values = store.series(trial.id, "loss")
        assert list(curve.steps) == steps and list(curve.values) == values
