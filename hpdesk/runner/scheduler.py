"""The scheduler: asks the search for configurations, runs them as processes, records outcomes.

The same loop serves `hpdesk run` in a terminal, `hpdesk start` (detached) and the GUI. Its
state lives in the database: the experiment row (state, heartbeat, a requested stop) and the
trial rows; the processes it starts report their own metrics, or print them (scripts). The
search (strategy, pruner, budgets) is driven through `SearchDriver`; this module owns processes,
slots, signals and files.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO

from hpdesk.plan import Plan
from hpdesk.runner import launch
from hpdesk.runner.devices import SlotPool, discover_gpus, select_gpus
from hpdesk.runner.outcome import Outcome, decide_outcome, format_params
from hpdesk.runner.paths import experiment_dir
from hpdesk.runner.provenance import provenance
from hpdesk.runner.running import RunningTrial, mark_new_run, signal_group
from hpdesk.runner.search_driver import SearchDriver
from hpdesk.runner.trial_folder import fill_trial_folder
from hpdesk.runner.trial_output import TrialOutput
from hpdesk.runner.warm import WarmLauncher, WarmProcess
from hpdesk.search import WAIT, Continuation, Decision, GridTooLarge, Suggestion
from hpdesk.store import Store, Trial
from hpdesk.store.curves import compact_curves

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0
COMPACT_S = 10.0  # how often running trials' curves are packed for fast reading (store.curves)
#: Built-in tasks pause cleanly after this epoch's checkpoint (population-based training).
ENV_PAUSE = "HPDESK_PAUSE_AT_EPOCH"


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
        self._running: dict[int, RunningTrial] = {}
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
        # Resuming: trials that were interrupted (or never started) run again first, as the same
        # trial; built-in tasks continue from their last checkpoint.
        self._retry_queue = [t for t in trials if t.state in ("interrupted", "queued")]
        if self._retry_queue:
            self.echo(f"resuming: {len(self._retry_queue)} interrupted trial(s) run again")
        try:
            driver = SearchDriver(self.store, self.experiment_id, plan, echo=self.echo)
            gpus = select_gpus(plan.executor.devices, discover_gpus())
        except (GridTooLarge, ValueError, ImportError) as exc:
            self.store.update_experiment(self.experiment_id, state="failed")
            raise SchedulerError(str(exc)) from exc
        self._driver = driver
        pool = SlotPool(gpus, trials_per_gpu=plan.executor.trials_per_gpu,
                        concurrency=plan.concurrency)
        exhausted = False
        said: set[str] = set()
        deadline = None if plan.budget.wall_time is None else self._t0 + plan.budget.wall_time
        if self._warm is not None:
            self._warm.warm_up()  # loads torch in the background while the first trials start
        self.store.update_experiment(self.experiment_id, state="running", requested_state=None)
        self._beat(force=True)
        final = "completed"
        try:
            while True:
                self._poll(driver, pool)
                if self._stop_requested():
                    final = "stopped"
                    self.echo("stopping: asking running trials to finish their step...")
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    self.echo(f"wall-time budget of {plan.budget.wall_time:g}s reached")
                    break
                self._adopt_queued()
                spent = driver.budget_spent()
                if spent is None:
                    for continuation in driver.continuations():
                        self._continue(continuation)
                while pool.free and self._retry_queue:
                    queued = self.store.trial(self._retry_queue.pop(0).id)
                    if queued.state in ("queued", "interrupted"):  # not cancelled meanwhile
                        self._launch(queued, pool)
                while pool.free and not exhausted:
                    spent = driver.budget_spent()
                    if spent is not None:
                        break
                    suggestion = driver.next()
                    if suggestion is WAIT:
                        break
                    if suggestion is None:
                        exhausted = True
                        self.echo(self._exhausted_message())
                        break
                    assert isinstance(suggestion, Suggestion)
                    trial = self.store.add_trial(self.experiment_id, suggestion.params,
                                                 search_state=suggestion.search_state)
                    driver.added(trial)
                    self._launch(trial, pool)
                if spent is not None and spent not in said:
                    said.add(spent)
                    self.echo(spent)
                if not self._running and not self._retry_queue:
                    self._adopt_queued()  # a re-run queued at the last moment still runs
                    if not self._retry_queue and (exhausted or spent is not None
                                                  or self._idle(driver)):
                        driver.finish()
                        break
                self._beat()
                self._compact_running()
                time.sleep(self.poll_interval)
        finally:
            self._stop_all(pool)
            if self._warm is not None:
                self._warm.close()
            if final == "completed":
                final = self._verdict()
            self.store.update_experiment(self.experiment_id, state=final, requested_state=None)
        return final

    def _verdict(self) -> str:
        """An experiment that ran to its end is completed when a trial completed with its
        objective; failed when none did and trials failed (crashed, diverged, or never reported
        the objective); stopped when a person stopped every trial."""
        trials = self.store.trials(self.experiment_id)
        if any(t.state == "completed" and t.objective is not None for t in trials):
            return "completed"
        counts = Counter(t.state for t in trials)
        if not counts.keys() & {"failed", "diverged", "no_objective"}:
            return "stopped" if set(counts) == {"stopped"} else "completed"
        said = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in sorted(counts.items()))
        message = ("no trial completed with the objective "
                   f"`{self.plan.objective.metric}`" + (f" ({said})" if said else ""))
        self.store.add_event("failed", message, experiment_id=self.experiment_id, level="error")
        self.echo(message)
        return "failed"

    def _exhausted_message(self) -> str:
        name = self.plan.strategy.name
        if name == "staged":
            return "the last stage is done"
        if name == "pbt":
            return "the population has finished training"
        return "the search space is exhausted: every configuration was tried"

    def _idle(self, driver: SearchDriver) -> bool:
        """Nothing runs, nothing waits to run, and the search has nothing to start: a search
        that would wait for ever (it should not happen; say so rather than hang)."""
        log.warning("search %s idle with nothing running", self.plan.strategy.name)
        self.echo("the search is waiting for trials that will not come; ending the experiment")
        return True

    # ---------------------------------------------------------------------------------------
    def _launch(self, trial: Trial, pool: SlotPool) -> None:
        slot = pool.take()
        assert slot is not None
        params = trial.params
        trial_dir = self.folder / f"trial-{trial.number}"
        log_path = self.folder / f"trial-{trial.number}.log"
        script = self.plan.command is not None
        try:
            params_file = launch.write_params_file(trial_dir, params)
            cwd = self._working_folder(trial_dir)
            project = self._project() if script else None
            context = launch.placeholder_values(str(trial_dir.resolve()), str(trial.id),
                                                str(trial.number), str(project))
            argv = launch.trial_argv(self.plan, params, self.python or sys.executable,
                                     params_file, context)
            env = launch.trial_env(self.plan, params, db_path=self.store.path, trial_id=trial.id,
                                   slot_env=slot.env(), trial_dir=trial_dir, project=project)
            pause_at = (trial.search_state or {}).get("until")
            if isinstance(pause_at, int):
                env[ENV_PAUSE] = str(pause_at)
            if log_path.exists() and log_path.stat().st_size:
                mark_new_run(log_path, trial.number)
            spec = launch.LaunchSpec(tuple(argv), env, cwd, log_path)
            proc, log_file = self._start(spec)
        except (OSError, ValueError) as exc:
            pool.give_back(slot)
            self._never_started(trial, log_path, exc)
            return
        self.store.update_trial(
            trial.id, state="running", pid=proc.pid, host=socket.gethostname(),
            device=slot.label, started_at=time.time(), ended_at=None, exit_code=None,
            message=None, requested_state=None, log_path=str(log_path),
            provenance={**provenance(argv, cwd, env, device=slot.label, params=params,
                                     project=env.get("HPDESK_PROJECT")),
                        "launcher": "warm" if isinstance(proc, WarmProcess) else "subprocess"})
        run = RunningTrial(self.store.trial(trial.id), proc, log_file, slot, time.monotonic(),
                       time.time(), pause_at if isinstance(pause_at, int) else None)
        if script:
            # Ctrl-C first, as in a terminal: a script's own KeyboardInterrupt handling saves
            # its work; then SIGTERM; SIGKILL when the grace period is over.
            run.signals = (signal.SIGINT, signal.SIGTERM)
            if self.plan.stdout_metrics.enabled:
                run.output = TrialOutput(self.plan, trial.id, log_path)
        self._running[trial.id] = run
        self._driver.started(run.trial)
        log.debug("trial %s started on %s: %s", trial.number, slot.label, argv)

    def _project(self) -> Path:
        """The folder a script's relative paths mean (the plan's workdir)."""
        return Path(self.plan.workdir or os.getcwd()).resolve()

    def _working_folder(self, trial_dir: Path) -> str | None:
        """Where the trial runs: its own folder, filled from the project (trial_folder.py),
        unless the plan asks for one shared folder or it is a built-in task."""
        if self.plan.command is None or self.plan.trial_folder == "shared":
            return self.plan.workdir
        db = self.store.path.resolve()  # with its -wal, -shm, -journal and lock files
        hpdesk_files = [*db.parent.glob(glob.escape(db.name) + "*"), self.folder.parent]
        fill_trial_folder(trial_dir, self._project(), skip=hpdesk_files)
        return str(trial_dir.resolve())

    def _never_started(self, trial: Trial, log_path: Path, exc: Exception) -> None:
        """The reason goes to the trial's row, its timeline and its log (`hpdesk logs`)."""
        message = f"could not start: {exc}"
        now = time.time()
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(log_path, "a", encoding="utf-8") as fh:
                fh.write(f"hpdesk: trial {trial.number} {message}\n")
        except OSError:
            pass  # the row and the event still say it
        self.store.update_trial(trial.id, state="failed", started_at=now, ended_at=now,
                                log_path=str(log_path), message=message)
        self.store.add_event("failed", message, trial_id=trial.id, level="error")
        self.echo(f"trial {trial.number} failed: {message}")
        self._driver.finished(self.store.trial(trial.id))

    def _continue(self, step: Continuation) -> None:
        """A population member's next interval: the donor's checkpoint copied into its folder
        (when it exploits another member), its new parameters stored, and queued to run."""
        trial = self.store.trial_by_number(self.experiment_id, step.number)
        if trial is None:
            return
        if step.copy_from is not None:
            source = self.folder / f"trial-{step.copy_from}"
            target = self.folder / f"trial-{step.number}"
            target.mkdir(parents=True, exist_ok=True)
            for item in source.iterdir() if source.is_dir() else ():
                if item.is_file() and not item.is_symlink() and item.name != "params.json":
                    shutil.copy2(item, target / item.name)
        state = {**(trial.search_state or {}), **step.search_state}
        self.store.update_trial(trial.id, params=step.params, search_state=state,
                                state="queued", requested_state=None)
        self._retry_queue.append(self.store.trial(trial.id))

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

    def _poll(self, driver: SearchDriver, pool: SlotPool) -> None:
        timeout = self.plan.executor.trial_timeout
        if self._running:
            self._honour_stop_requests()
        for run in self._running.values():
            self._read_stdout(run)
        # Reports first, exits second: the pruner sees every report of a trial before it
        # learns how the trial ended, even one that finished between two polls.
        for trial, decision in driver.poll():
            self._prune(trial, decision)
        for trial_id, run in list(self._running.items()):
            code = run.proc.poll()
            if code is None:
                if timeout is not None:
                    self._enforce_timeout(run, timeout)
                run.escalate(self.grace_s)
                continue
            self._read_stdout(run, final=True)
            outcome = self._finish(run, code)
            del self._running[trial_id]
            pool.give_back(run.slot)
            trial = self.store.trial(trial_id)
            driver.finished(trial)
            if outcome.state == "failed":
                self._maybe_retry(trial)
        if self._running and time.monotonic() - self._last_beat >= HEARTBEAT_S:
            driver.refresh_steps()

    def _prune(self, trial: Trial, decision: Decision) -> None:
        """The pruner's verdict: the trial is asked to end as pruned (unless a person asked
        first), the reason is on its timeline, and SIGTERM makes it stop at its next step."""
        run = self._running.get(trial.id)
        if run is None or not self.store.request_trial_state(trial.id, "pruned"):
            return  # it ended meanwhile, or a person asked first
        step = self.store.last_step(trial.id)
        self.store.add_event("pruned", decision.reason, trial_id=trial.id, step=step,
                             data={"resource": decision.resource, "value": decision.value,
                                   "pruner": self.plan.pruner.name, "step": step})
        run.stop_asked = True
        run.ask_to_stop()  # the SDK finishes the step and exits

    def _read_stdout(self, run: RunningTrial, *, final: bool = False) -> None:
        if run.output is not None:
            run.output.read(self.store, final=final)

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
                run.ask_to_stop()

    def _enforce_timeout(self, run: RunningTrial, timeout: float) -> None:
        elapsed = time.monotonic() - run.started
        if not run.timed_out and elapsed > timeout:
            run.timed_out = True
            self.store.update_trial(run.trial.id, requested_state="stopped")
            run.ask_to_stop()

    def _maybe_retry(self, trial: Trial) -> None:
        if self.plan.strategy.name == "pbt":
            return  # a member is one trial all along; a failed one leaves the population
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

    def _finish(self, run: RunningTrial, code: int, *, interrupted: bool = False) -> Outcome:
        if run.log_file is not None:
            run.log_file.close()
        requested = self.store.trial(run.trial.id).requested_state
        outcome = decide_outcome(self.store, run.trial, self.plan.objectives, code,
                                 interrupted=interrupted,
                                 requested=None if run.timed_out else requested,
                                 timed_out=self.plan.executor.trial_timeout if run.timed_out
                                 else None, since=run.started_wall,
                                 pause_expected=run.pause_at is not None)
        self.store.update_trial(run.trial.id, state=outcome.state, exit_code=code,
                                ended_at=time.time(), objective=outcome.objective,
                                message=outcome.message, objectives=outcome.objectives)
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
        """Polite stop of every trial (`RunningTrial.escalate`): the stop signals in turn within
        the grace period, then SIGKILL; what each printed meanwhile is still read."""
        if not self._running:
            return
        for run in self._running.values():
            self.store.update_trial(run.trial.id, requested_state="stopped")
            run.ask_to_stop()
        deadline = time.monotonic() + self.grace_s
        while time.monotonic() < deadline and any(
                r.proc.poll() is None for r in self._running.values()):
            for run in self._running.values():
                self._read_stdout(run)
                if run.proc.poll() is None:
                    run.escalate(self.grace_s)
            time.sleep(0.05)
        for run in self._running.values():
            if run.proc.poll() is None:
                signal_group(run.proc, signal.SIGKILL)
            code = run.proc.wait()
            self._read_stdout(run, final=True)
            self._finish(run, code, interrupted=True)
            pool.give_back(run.slot)
        self._running.clear()
