"""What a person can ask of a running experiment, from the window or a terminal: launch, stop,
resume, stop one trial, run one trial again. Requests travel through the database (DESIGN.md):
the scheduler, wherever it runs, acts on them at its next poll."""

from __future__ import annotations

import time

from hpdesk.plan import Plan
from hpdesk.runner.detach import spawn_scheduler
from hpdesk.runner.experiment import create_experiment
from hpdesk.runner.recovery import recover_lost, scheduler_liveness
from hpdesk.store import FINISHED_STATES, Experiment, Store, StoreError, Trial


def launch(store: Store, plan: Plan, *, python: str | None = None) -> Experiment:
    """A new experiment with a detached scheduler: it outlives the window that asked for it."""
    experiment = create_experiment(store, plan)
    spawn_scheduler(store, experiment.id, python=python)
    return store.experiment(experiment.id)


def scheduler_alive(store: Store, experiment_id: int) -> bool:
    experiment = store.experiment(experiment_id)
    return experiment.state == "running" and scheduler_liveness(experiment).alive


def resume(store: Store, experiment_id: int, *, python: str | None = None) -> int | None:
    """Start a scheduler for an experiment that has none; returns its pid, or None when one is
    already running (then there is nothing to do)."""
    recover_lost(store)
    if scheduler_alive(store, experiment_id):
        return None
    return spawn_scheduler(store, experiment_id, python=python)


def request_stop(store: Store, experiment_id: int) -> bool:
    """Ask the experiment's scheduler to stop its trials and end; False when it is not running."""
    recover_lost(store)
    if store.experiment(experiment_id).state != "running":
        return False
    store.update_experiment(experiment_id, requested_state="stopped")
    return True


def wait_stopped(store: Store, experiment_id: int, timeout_s: float) -> str:
    """The experiment's state once it is no longer running, or "running" after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        recover_lost(store)
        state = store.experiment(experiment_id).state
        if state != "running" or time.monotonic() >= deadline:
            return state
        time.sleep(0.2)


def stop_trial(store: Store, trial_id: int) -> Trial:
    """Stop one trial where it stands. A running one is asked (its scheduler sends SIGTERM and
    records it as stopped); one still waiting is cancelled at once."""
    trial = store.trial(trial_id)
    if trial.state in ("queued", "interrupted"):
        # Compare-and-set: if its scheduler started it meanwhile, it is asked to stop instead.
        if store.update_trial(trial_id, expect=("queued", "interrupted"), state="stopped",
                              ended_at=time.time(), requested_state=None,
                              message="cancelled before it ran"):
            store.add_event("stopped", "cancelled before it ran", trial_id=trial_id)
            return store.trial(trial_id)
    store.update_trial(trial_id, expect="running", requested_state="stopped")
    return store.trial(trial_id)


def rerun_trial(store: Store, trial_id: int, *, python: str | None = None) -> Trial:
    """Queue a new trial with exactly the parameters of `trial_id`; the running scheduler picks
    it up, or a new one is started. It does not count against the budget."""
    original = store.trial(trial_id)
    if original.state not in FINISHED_STATES | {"interrupted"}:
        raise StoreError(f"trial {original.number} is still {original.state}; "
                         "stop it before running it again")
    again = store.add_trial(original.experiment_id, original.params)
    store.update_trial(again.id, retry_of=original.retry_of or original.id)
    store.add_event("rerun", f"trial {again.number} runs trial {original.number} again "
                    "with the same parameters", trial_id=again.id)
    resume(store, original.experiment_id, python=python)
    return store.trial(again.id)
