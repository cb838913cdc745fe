"""The scheduler: asks the strategy for configurations, runs them as processes, records outcomes.

The same loop serves `hpdesk run` in a terminal and (later) the GUI's detached experiments. Its
state lives in the database: the experiment row (state, heartbeat, a requested stop) and the
trial rows; the processes it starts report their own metrics.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from hpdesk.plan import Plan
from hpdesk.runner import launch
from hpdesk.runner.outcome import Outcome, decide_outcome, format_params
from hpdesk.runner.paths import experiment_dir
from hpdesk.search import GridTooLarge, Tried, make_strategy
from hpdesk.store import Store, Trial

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0


@dataclass
class _Running:
    trial: Trial
    proc: subprocess.Popen[bytes]
    log_file: IO[bytes]
    started: float


class Scheduler:
    """Runs one experiment to the end of its budget, or until asked to stop."""

    def __init__(
        self, store: Store, experiment_id: int, *, echo: Callable[[str], None] = print,
        poll_interval: float = 0.1, grace_s: float = 10.0, python: str | None = None,
    ) -> None:
        self.store = store
        self.experiment_id = experiment_id
        experiment = store.experiment(experiment_id)
        from hpdesk.plan import parse_plan

        self.plan: Plan = parse_plan(experiment.plan, source=f"experiment {experiment_id}")
        self.echo = echo
        self.poll_interval = poll_interval
        self.grace_s = grace_s
        self.python = python
        self.folder = experiment_dir(store.path, experiment_id)
        self._stop = threading.Event()
        self._running: dict[int, _Running] = {}
        self._last_beat = 0.0
        self._t0 = time.monotonic()

    def request_stop(self) -> None:
        """Safe from a signal handler: the loop notices within one poll interval."""
        self._stop.set()

    def run(self) -> str:
        """Run to the end; returns the experiment's final state (completed or stopped)."""
        plan = self.plan
        trials = self.store.trials(self.experiment_id)
        history = [Tried(t.params, t.state, t.objective) for t in trials]
        # Resuming: trials that were interrupted (or never started) run again first, as the same
        # trial; built-in tasks continue from their last checkpoint.
        again = [t for t in trials if t.state in ("interrupted", "queued")]
        if again:
            self.echo(f"resuming: {len(again)} interrupted trial(s) run again")
        try:
            strategy = make_strategy(plan, history)
        except GridTooLarge as exc:
            self.store.update_experiment(self.experiment_id, state="failed")
            raise SchedulerError(str(exc)) from exc
        made = len(history)
        exhausted = False
        if made >= plan.budget.trials and not again:
            self.echo(f"the budget of {plan.budget.trials} trials is already spent")
        deadline = None if plan.budget.wall_time is None else self._t0 + plan.budget.wall_time
        self.store.update_experiment(self.experiment_id, state="running", requested_state=None)
        self._beat(force=True)
        final = "completed"
        try:
            while True:
                self._reap(strategy)
                if self._stop_requested():
                    final = "stopped"
                    self.echo("stopping: asking running trials to finish their step...")
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    self.echo(f"wall-time budget of {plan.budget.wall_time:g}s reached")
                    break
                while len(self._running) < plan.concurrency and again:
                    self._launch(again.pop(0))
                while (len(self._running) < plan.concurrency and made < plan.budget.trials
                       and not exhausted):
                    params = strategy.suggest()
                    if params is None:
                        exhausted = True
                        self.echo("the search space is exhausted: every configuration was tried")
                        break
                    self._launch(self.store.add_trial(self.experiment_id, params))
                    made += 1
                if not self._running and not again and (
                        made >= plan.budget.trials or exhausted):
                    break
                self._beat()
                time.sleep(self.poll_interval)
        finally:
            self._stop_all()
            self.store.update_experiment(self.experiment_id, state=final, requested_state=None)
        return final

    # ---------------------------------------------------------------------------------------
    def _launch(self, trial: Trial) -> None:
        params = trial.params
        trial_dir = self.folder / f"trial-{trial.number}"
        log_path = self.folder / f"trial-{trial.number}.log"
        threads = launch.thread_share(self.plan.concurrency)
        try:
            argv = launch.trial_argv(self.plan, params, self.python)
            spec = launch.LaunchSpec(
                tuple(argv),
                launch.trial_env(self.plan, params, db_path=self.store.path, trial_id=trial.id,
                                 threads=threads, trial_dir=trial_dir),
                self.plan.workdir, log_path,
            )
            trial_dir.mkdir(parents=True, exist_ok=True)
            proc, log_file = launch.start(spec)
        except (OSError, ValueError) as exc:
            message = f"could not start: {exc}"
            now = time.time()
            self.store.update_trial(trial.id, state="failed", started_at=now, ended_at=now,
                                    log_path=str(log_path), message=message)
            self.store.add_event("failed", message, trial_id=trial.id, level="error")
            self.echo(f"trial {trial.number} failed: {message}")
            return
        self.store.update_trial(trial.id, state="running", pid=proc.pid, host=socket.gethostname(),
                                device="cpu", started_at=time.time(), ended_at=None,
                                exit_code=None, message=None, requested_state=None,
                                log_path=str(log_path))
        self._running[trial.id] = _Running(self.store.trial(trial.id), proc, log_file,
                                           time.monotonic())
        log.debug("trial %s started: %s", trial.number, argv)

    def _reap(self, strategy: object) -> None:
        for trial_id, run in list(self._running.items()):
            code = run.proc.poll()
            if code is not None:
                self._finish(run, code)
                del self._running[trial_id]
                trial = self.store.trial(trial_id)
                strategy.tell(Tried(trial.params, trial.state, trial.objective))  # type: ignore[attr-defined]

    def _finish(self, run: _Running, code: int, *, interrupted: bool = False) -> Outcome:
        run.log_file.close()
        outcome = decide_outcome(self.store, run.trial, self.plan.objective, code,
                                 interrupted=interrupted)
        self.store.update_trial(run.trial.id, state=outcome.state, exit_code=code,
                                ended_at=time.time(), objective=outcome.objective,
                                message=outcome.message)
        for kind, level, text in outcome.events:
            self.store.add_event(kind, text, trial_id=run.trial.id, level=level)
        elapsed = time.monotonic() - run.started
        value = "" if outcome.objective is None else (
            f"  {self.plan.objective.metric}={outcome.objective:.4g}")
        note = f"  ({outcome.message})" if outcome.message and outcome.state != "completed" else ""
        self.echo(f"trial {run.trial.number} {outcome.state} in {elapsed:.1f}s{value}"
                  f"  [{format_params(run.trial.params)}]{note}")
        return outcome

    def _stop_requested(self) -> bool:
        if self._stop.is_set():
            return True
        requested = self.store.experiment(self.experiment_id).requested_state
        return requested == "stopped"

    def _beat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_S:
            self.store.beat(self.experiment_id)
            self._last_beat = now

    def _stop_all(self) -> None:
        """Polite stop: SIGTERM to each trial's group, a grace period, then SIGKILL."""
        if not self._running:
            return
        for run in self._running.values():
            self.store.update_trial(run.trial.id, requested_state="stopped")
            _signal_group(run.proc, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        while time.monotonic() < deadline and any(
                r.proc.poll() is None for r in self._running.values()):
            time.sleep(0.05)
        for run in self._running.values():
            if run.proc.poll() is None:
                _signal_group(run.proc, signal.SIGKILL)
            code = run.proc.wait()
            self._finish(run, code, interrupted=True)
        self._running.clear()


class SchedulerError(RuntimeError):
    """The experiment cannot run as planned (said in one sentence)."""


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
