"""The scheduler: asks the strategy for configurations, runs them as processes, records outcomes.

The same loop serves `hpdesk run` in a terminal, `hpdesk start` (detached) and the GUI. Its
state lives in the database: the experiment row (state, heartbeat, a requested stop) and the
trial rows; the processes it starts report their own metrics, or print them (scripts).
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
from hpdesk.runner.devices import Slot, SlotPool, discover_gpus, select_gpus
from hpdesk.runner.outcome import Outcome, decide_outcome, format_params
from hpdesk.runner.paths import experiment_dir
from hpdesk.runner.provenance import provenance
from hpdesk.runner.stdout_metrics import LogTail, StdoutParser
from hpdesk.runner.warm import WarmLauncher, WarmProcess
from hpdesk.search import GridTooLarge, SearchStrategy, Tried, make_strategy
from hpdesk.store import Store, Trial
from hpdesk.store.curves import compact_curves

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0
COMPACT_S = 10.0  # how often running trials' curves are packed for fast reading (store.curves)


@dataclass
class _Running:
    trial: Trial
    proc: subprocess.Popen[bytes] | WarmProcess
    log_file: IO[bytes] | None  # None: the warm launcher's child writes its log itself
    slot: Slot
    started: float
    tail: LogTail | None = None
    parser: StdoutParser | None = None
    timed_out: bool = False
    stop_asked: bool = False  # a person asked this one trial to stop (the window, `hpdesk stop`)
    killed_at: float | None = None


class SchedulerError(RuntimeError):
    """The experiment cannot run as planned (said in one sentence)."""


class Scheduler:
    """Runs one experiment to the end of its budget, or until asked to stop."""

    def __init__(
        self, store: Store, experiment_id: int, *, echo: Callable[[str], None] = print,
        poll_interval: float = 0.1, grace_s: float = 10.0, python: str | None = None,
    ) -> None:
        from hpdesk.plan import parse_plan

        self.store = store
        self.experiment_id = experiment_id
        experiment = store.experiment(experiment_id)
        self.plan: Plan = parse_plan(experiment.plan, source=f"experiment {experiment_id}")
        self.echo = echo
        self.poll_interval = poll_interval
        self.grace_s = grace_s
        self.python = python
        self.folder = experiment_dir(store, experiment_id)
        self._stop = threading.Event()
        self._running: dict[int, _Running] = {}
        self._last_beat = 0.0
        self._last_compact = time.monotonic()
        self._t0 = time.monotonic()
        self._retry_queue: list[Trial] = []
        warm = self.plan.command is None and self.plan.executor.warm_start
        self._warm = WarmLauncher(python) if warm else None

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
        self._retry_queue = [t for t in trials if t.state in ("interrupted", "queued")]
        if self._retry_queue:
            self.echo(f"resuming: {len(self._retry_queue)} interrupted trial(s) run again")
        try:
            strategy = make_strategy(plan, history)
            gpus = select_gpus(plan.executor.devices, discover_gpus())
        except (GridTooLarge, ValueError) as exc:
            self.store.update_experiment(self.experiment_id, state="failed")
            raise SchedulerError(str(exc)) from exc
        pool = SlotPool(gpus, trials_per_gpu=plan.executor.trials_per_gpu,
                        concurrency=plan.concurrency)
        made = len([t for t in trials if t.retry_of is None])
        exhausted = False
        if made >= plan.budget.trials and not self._retry_queue:
            self.echo(f"the budget of {plan.budget.trials} trials is already spent")
        deadline = None if plan.budget.wall_time is None else self._t0 + plan.budget.wall_time
        if self._warm is not None:
            self._warm.warm_up()  # loads torch in the background while the first trials start
        self.store.update_experiment(self.experiment_id, state="running", requested_state=None)
        self._beat(force=True)
        final = "completed"
        try:
            while True:
                self._poll(strategy, pool)
                if self._stop_requested():
                    final = "stopped"
                    self.echo("stopping: asking running trials to finish their step...")
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    self.echo(f"wall-time budget of {plan.budget.wall_time:g}s reached")
                    break
                self._adopt_queued()
                while pool.free and self._retry_queue:
                    queued = self.store.trial(self._retry_queue.pop(0).id)
                    if queued.state in ("queued", "interrupted"):  # not cancelled meanwhile
                        self._launch(queued, pool)
                while pool.free and made < plan.budget.trials and not exhausted:
                    params = strategy.suggest()
                    if params is None:
                        exhausted = True
                        self.echo("the search space is exhausted: every configuration was tried")
                        break
                    self._launch(self.store.add_trial(self.experiment_id, params), pool)
                    made += 1
                if not self._running and not self._retry_queue and (
                        made >= plan.budget.trials or exhausted):
                    self._adopt_queued()  # a re-run queued at the last moment still runs
                    if not self._retry_queue:
                        break
                self._beat()
                self._compact_running()
                time.sleep(self.poll_interval)
        finally:
            self._stop_all(pool)
            if self._warm is not None:
                self._warm.close()
            self.store.update_experiment(self.experiment_id, state=final, requested_state=None)
        return final

    # ---------------------------------------------------------------------------------------
    def _launch(self, trial: Trial, pool: SlotPool) -> None:
        slot = pool.take()
        assert slot is not None
        params = trial.params
        trial_dir = self.folder / f"trial-{trial.number}"
        log_path = self.folder / f"trial-{trial.number}.log"
        log_start = log_path.stat().st_size if log_path.exists() else 0
        try:
            params_file = launch.write_params_file(trial_dir, params)
            argv = launch.trial_argv(self.plan, params, self.python, params_file)
            env = launch.trial_env(self.plan, params, db_path=self.store.path, trial_id=trial.id,
                                   slot_env=slot.env(), trial_dir=trial_dir)
            spec = launch.LaunchSpec(tuple(argv), env, self.plan.workdir, log_path)
            proc, log_file = self._start(spec)
        except (OSError, ValueError) as exc:
            pool.give_back(slot)
            message = f"could not start: {exc}"
            now = time.time()
            self.store.update_trial(trial.id, state="failed", started_at=now, ended_at=now,
                                    log_path=str(log_path), message=message)
            self.store.add_event("failed", message, trial_id=trial.id, level="error")
            self.echo(f"trial {trial.number} failed: {message}")
            return
        self.store.update_trial(
            trial.id, state="running", pid=proc.pid, host=socket.gethostname(),
            device=slot.label, started_at=time.time(), ended_at=None, exit_code=None,
            message=None, requested_state=None, log_path=str(log_path),
            provenance={**provenance(argv, self.plan.workdir, env, device=slot.label,
                                     params=params),
                        "launcher": "warm" if isinstance(proc, WarmProcess) else "subprocess"})
        run = _Running(self.store.trial(trial.id), proc, log_file, slot, time.monotonic())
        if self.plan.command is not None and self.plan.stdout_metrics.enabled:
            # A re-run appends to the same log: read only what this run prints.
            run.tail = LogTail(log_path, offset=log_start)
            run.parser = StdoutParser(self.plan.stdout_metrics.patterns)
        self._running[trial.id] = run
        log.debug("trial %s started on %s: %s", trial.number, slot.label, argv)

    def _start(self, spec: launch.LaunchSpec
               ) -> tuple[subprocess.Popen[bytes] | WarmProcess, IO[bytes] | None]:
        """A built-in task forks from the warm template when it can; anything else (or a
        template that failed) starts as a plain subprocess."""
        if self._warm is not None and spec.argv[1:2] == ("-m",):
            spec.log_path.parent.mkdir(parents=True, exist_ok=True)
            proc = self._warm.start(spec.argv[2], spec.env, spec.cwd, spec.log_path)
            if proc is not None:
                return proc, None
        return launch.start(spec)

    def _adopt_queued(self) -> None:
        """Trials queued from outside (the window's re-run) join the queue of this loop."""
        known = set(self._running) | {t.id for t in self._retry_queue}
        rows = self.store.conn.execute(
            "SELECT id FROM trials WHERE experiment_id = ? AND state = 'queued' ORDER BY number",
            (self.experiment_id,)).fetchall()
        for (trial_id,) in rows:
            if trial_id not in known:
                self._retry_queue.append(self.store.trial(trial_id))

    def _poll(self, strategy: SearchStrategy, pool: SlotPool) -> None:
        timeout = self.plan.executor.trial_timeout
        if self._running:
            self._honour_stop_requests()
        for trial_id, run in list(self._running.items()):
            self._read_stdout(run)
            code = run.proc.poll()
            if code is None:
                if timeout is not None:
                    self._enforce_timeout(run, timeout)
                self._escalate(run)
                continue
            self._read_stdout(run)
            outcome = self._finish(run, code)
            del self._running[trial_id]
            pool.give_back(run.slot)
            trial = self.store.trial(trial_id)
            strategy.tell(Tried(trial.params, trial.state, trial.objective))
            if outcome.state == "failed":
                self._maybe_retry(trial)

    def _read_stdout(self, run: _Running) -> None:
        if run.tail is None or run.parser is None:
            return
        now = time.time()
        rows = [(run.trial.id, name, step, value, now)
                for line in run.tail.new_lines() for name, step, value in run.parser.parse_line(line)]
        if rows:
            self.store.write_metrics(rows)

    def _honour_stop_requests(self) -> None:
        """A trial asked to stop (its row's requested_state) gets SIGTERM: an SDK trial has
        usually stopped itself at its next step; a plain script is stopped here."""
        rows = self.store.conn.execute(
            "SELECT id FROM trials WHERE experiment_id = ? AND state = 'running'"
            " AND requested_state = 'stopped'", (self.experiment_id,)).fetchall()
        for (trial_id,) in rows:
            run = self._running.get(trial_id)
            if run is not None and not run.stop_asked and not run.timed_out:
                run.stop_asked = True
                run.killed_at = time.monotonic()
                _signal_group(run.proc, signal.SIGTERM)

    def _enforce_timeout(self, run: _Running, timeout: float) -> None:
        elapsed = time.monotonic() - run.started
        if not run.timed_out and elapsed > timeout:
            run.timed_out = True
            run.killed_at = time.monotonic()
            self.store.update_trial(run.trial.id, requested_state="stopped")
            _signal_group(run.proc, signal.SIGTERM)

    def _escalate(self, run: _Running) -> None:
        """Polite stop, then force: SIGKILL once the grace period after SIGTERM is over."""
        if run.killed_at is not None and time.monotonic() - run.killed_at > self.grace_s:
            _signal_group(run.proc, signal.SIGKILL)
            run.killed_at = None

    def _maybe_retry(self, trial: Trial) -> None:
        root = trial.retry_of or trial.id
        attempts = 1 + sum(1 for t in self.store.trials(self.experiment_id)
                           if t.retry_of == root)
        if attempts > self.plan.executor.retries:
            return
        retry = self.store.add_trial(self.experiment_id, trial.params)
        self.store.update_trial(retry.id, retry_of=root)
        self.store.add_event("retry", f"trial {retry.number} retries trial {trial.number} "
                             f"(attempt {attempts + 1})", trial_id=retry.id)
        self.echo(f"trial {trial.number} failed; retrying it as trial {retry.number}")
        self._retry_queue.append(self.store.trial(retry.id))

    def _finish(self, run: _Running, code: int, *, interrupted: bool = False) -> Outcome:
        if run.log_file is not None:
            run.log_file.close()
        stopped = run.stop_asked or self.store.trial(run.trial.id).requested_state == "stopped"
        outcome = decide_outcome(self.store, run.trial, self.plan.objective, code,
                                 interrupted=interrupted, stopped=stopped and not run.timed_out,
                                 timed_out=self.plan.executor.trial_timeout if run.timed_out
                                 else None)
        self.store.update_trial(run.trial.id, state=outcome.state, exit_code=code,
                                ended_at=time.time(), objective=outcome.objective,
                                message=outcome.message)
        self._compact(run.trial.id, final=True)
        for kind, level, text in outcome.events:
            self.store.add_event(kind, text, trial_id=run.trial.id, level=level)
        elapsed = time.monotonic() - run.started
        value = "" if outcome.objective is None else (
            f"  {self.plan.objective.metric}={outcome.objective:.4g}")
        note = f"  ({outcome.message})" if outcome.message and outcome.state != "completed" else ""
        self.echo(f"trial {run.trial.number} {outcome.state} in {elapsed:.1f}s{value}"
                  f"  [{format_params(run.trial.params)}]{note}")
        return outcome

    def _compact(self, trial_id: int, *, final: bool = False) -> None:
        """Pack a trial's points into chunks so a window opens long curves in one read. A cache
        only: the rows stay, so a failure here is logged and the experiment goes on."""
        try:
            compact_curves(self.store, trial_id, final=final)
        except Exception:
            log.warning("could not pack the curves of trial %s", trial_id, exc_info=True)

    def _compact_running(self) -> None:
        now = time.monotonic()
        if now - self._last_compact >= COMPACT_S:
            self._last_compact = now
            for trial_id in list(self._running):
                self._compact(trial_id)

    def _stop_requested(self) -> bool:
        if self._stop.is_set():
            return True
        return self.store.experiment(self.experiment_id).requested_state == "stopped"

    def _beat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_S:
            self.store.beat(self.experiment_id)
            self._last_beat = now

    def _stop_all(self, pool: SlotPool) -> None:
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
            self._read_stdout(run)
            self._finish(run, code, interrupted=True)
            pool.give_back(run.slot)
        self._running.clear()


def _signal_group(proc: subprocess.Popen[bytes] | WarmProcess, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
