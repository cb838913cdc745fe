"""The scheduler: asks the search for configurations, runs them as processes, records outcomes.

The same loop serves `hpdesk run` in a terminal, `hpdesk start` (detached) and the GUI. Its
state lives in the database: the experiment row (state, heartbeat, a requested stop) and the
trial rows; the processes it starts report their own metrics, or print them (scripts). The
search (strategy, pruner, budgets) is driven through `SearchDriver`; this module owns processes,
slots, signals and files.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hpdesk.plan import Plan
from hpdesk.runner.devices import SlotPool, discover_gpus, select_gpus
from hpdesk.runner.divergence_watch import DivergenceWatch, stop_diverged
from hpdesk.runner.lock_watch import LockWatch, tree_pids
from hpdesk.runner.outcome import Outcome, decide_outcome, experiment_verdict, format_params
from hpdesk.runner.paths import experiment_dir
from hpdesk.runner.process_tree import TreeKeeper
from hpdesk.runner.provenance import provenance
from hpdesk.runner.ray_jobs import ClusterError, RayCluster, record_path, running_for
from hpdesk.runner.recovery import claim_check, process_started_at
from hpdesk.runner.running import RunningTrial, signal_group
from hpdesk.runner.search_driver import SearchDriver
from hpdesk.runner.stalls import StallWatch
from hpdesk.runner.trial_output import TrialOutput
from hpdesk.runner.trial_start import TrialStarter
from hpdesk.runner.warm import WarmLauncher, WarmProcess
from hpdesk.search import WAIT, Continuation, Decision, GridTooLarge, Suggestion
from hpdesk.store import Store, Trial, lock_busy
from hpdesk.store.connection import storage_failure
from hpdesk.store.curves import compact_curves

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0
COMPACT_S = 10.0  # how often running trials' curves are packed for fast reading (store.curves)


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
        self._exhausted = False
        self._said: set[str] = set()
        self._deadline: float | None = None
        self._lost = False  # another scheduler holds the experiment now: end without writing
        self._stalls = StallWatch(store, self.plan.executor, echo)
        self._divergence = (DivergenceWatch(store, experiment_id)
                            if self.plan.pruner.option("stop_on_divergence") else None)
        self._lock_watch = LockWatch(store.path.resolve(), lambda: tree_pids(self._running))
        warm = (self.plan.command is None and self.plan.executor.warm_start
                and self.plan.executor.kind == "local")
        self._starter = TrialStarter(store, self.plan, self.folder, python,
                                     WarmLauncher(python) if warm else None)
        self._warm = self._starter.warm

    def request_stop(self) -> None:
        """Safe from a signal handler: the loop notices within one poll interval."""
        self._stop.set()

    def run(self) -> str:
        """Run to the end; returns the experiment's final state (completed or stopped).

        First the experiment is claimed (`Store.claim_scheduler`): a second scheduler on the
        same experiment raises `SchedulerClaimed` here, before it touches a trial."""
        plan = self.plan
        me = os.getpid()
        self.store.claim_scheduler(self.experiment_id, pid=me, started_at=process_started_at(me),
                                   holder_alive=claim_check)
        trials = self.store.trials(self.experiment_id)
        # Resuming: trials that were interrupted (or never started) run again first, as the same
        # trial; built-in tasks continue from their last checkpoint.
        self._retry_queue = [t for t in trials if t.state in ("interrupted", "queued")]
        if self._retry_queue:
            self.echo(f"resuming: {len(self._retry_queue)} interrupted trial(s) run again")
        try:
            driver = SearchDriver(self.store, self.experiment_id, plan, echo=self.echo)
            gpus = select_gpus(plan.executor.devices, discover_gpus())
            if plan.executor.kind == "ray":  # the cluster places trials; a slot is a job
                self._starter.cluster = self._open_cluster(len(gpus))
                gpus = []
        except (GridTooLarge, ValueError, ImportError, ClusterError) as exc:
            self.store.update_experiment(self.experiment_id, state="failed")
            self.store.add_event("failed", str(exc), experiment_id=self.experiment_id,
                                 level="error")
            raise SchedulerError(str(exc)) from exc
        self._driver = driver
        pool = SlotPool(gpus, trials_per_gpu=plan.executor.trials_per_gpu,
                        concurrency=plan.concurrency)
        self._deadline = (None if plan.budget.wall_time is None
                          else self._t0 + plan.budget.wall_time)
        if self._warm is not None:
            self._warm.warm_up()  # loads torch in the background while the first trials start
        self.store.update_experiment(self.experiment_id, state="running", requested_state=None)
        self._beat(force=True)
        self._lock_watch.start()
        # A subreaper from here to the end: orphans of trials (setsid) come to this process.
        self._trees = TreeKeeper(self.store)
        final, busy_said = "completed", False
        try:
            while True:
                try:
                    finished = self._step(driver, pool)
                except sqlite3.OperationalError as exc:
                    if not lock_busy(exc):
                        raise
                    # Another process held the database past the busy timeout. Nothing is
                    # lost: the trials keep running and the next pass tries again, while the
                    # lock watch ends a trial frozen with the lock.
                    log.warning("database busy; trying again: %s", exc)
                    if not busy_said:
                        self.echo(f"the database is busy ({exc}); waiting for it")
                    busy_said = True
                    time.sleep(self.poll_interval)
                    continue
                busy_said = False
                if finished is not None:
                    final = finished
                    break
                time.sleep(self.poll_interval)
        finally:
            self._lock_watch.close()
            self._stop_all(pool)
            self._trees.close()  # what the trials left is ended and reaped
            if self._starter.cluster is not None:
                self._starter.cluster.close()  # a private head goes with its run
            if self._warm is not None:
                self._warm.close()
            if self._lost:
                final = "interrupted"
            elif final == "completed":
                final = self._verdict()
            if not self._lost:
                self.store.release_scheduler(self.experiment_id, final)
        return final

    def _open_cluster(self, gpus: int) -> RayCluster:
        options = self.plan.executor.ray
        if options is not None and options.local:
            self.echo("starting a private Ray head on 127.0.0.1...")
        cluster = RayCluster.open(self.plan, self.folder, gpus=gpus)
        self.echo(f"trials go to the Ray cluster at {cluster.address}")
        return cluster

    def _step(self, driver: SearchDriver, pool: SlotPool) -> str | None:
        """One pass of the loop; the final state when the experiment ends, else None."""
        plan = self.plan
        self._poll(driver, pool)
        if self._lost:
            self.echo("another scheduler took this experiment over; this one ends")
            return "interrupted"
        if self._stop_requested():
            self.echo("stopping: asking running trials to finish their step...")
            return "stopped"
        if self._deadline is not None and time.monotonic() >= self._deadline:
            self.echo(f"wall-time budget of {plan.budget.wall_time:g}s reached")
            return "completed"
        self._adopt_queued()
        spent = driver.budget_spent()
        if spent is None:
            for continuation in driver.continuations():
                self._continue(continuation)
        while pool.free and self._retry_queue:
            queued = self.store.trial(self._retry_queue.pop(0).id)
            if queued.state in ("queued", "interrupted"):  # not cancelled meanwhile
                self._launch(queued, pool)
        while pool.free and not self._exhausted:
            spent = driver.budget_spent()
            if spent is not None:
                break
            suggestion = driver.next()
            if suggestion is WAIT:
                break
            if suggestion is None:
                self._exhausted = True
                self.echo(self._exhausted_message())
                break
            assert isinstance(suggestion, Suggestion)
            trial = self.store.add_trial(self.experiment_id, suggestion.params,
                                         search_state=suggestion.search_state)
            driver.added(trial)
            self._launch(trial, pool)
        if spent is not None and spent not in self._said:
            self._said.add(spent)
            self.echo(spent)
        if not self._running and not self._retry_queue:
            self._adopt_queued()  # a re-run queued at the last moment still runs
            if not self._retry_queue and (self._exhausted or spent is not None
                                          or self._idle(driver)):
                driver.finish()
                return "completed"
        self._beat()
        self._compact_running()
        return None

    def _verdict(self) -> str:
        state, message = experiment_verdict(self.store.trials(self.experiment_id),
                                            self.plan.objective.metric)
        if message is not None:
            self.store.add_event("failed", message, experiment_id=self.experiment_id,
                                 level="error")
            self.echo(message)
        return state

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
        # Claim the trial before its process exists: a trial cancelled meanwhile (the window,
        # `hpdesk stop --trial`) stays cancelled, and no trial ever starts twice.
        log_path = self.folder / f"trial-{trial.number}.log"
        if not self.store.update_trial(trial.id, expect=("queued", "interrupted"),
                                       state="running", started_at=time.time(), ended_at=None,
                                       requested_state=None, message=None, exit_code=None,
                                       log_path=str(log_path)):
            self._driver.finished(self.store.trial(trial.id))  # cancelled before it ran
            return
        slot = pool.take()
        assert slot is not None
        try:
            started = self._starter.start(trial, slot, log_path)
        except (OSError, ValueError) as exc:
            pool.give_back(slot)
            self._never_started(trial, log_path, exc)
            return
        proc, log_file, argv, cwd, env = (started.proc, started.log_file, started.argv,
                                          started.cwd, started.env)
        pause_at = started.pause_at
        run = RunningTrial(trial, proc, log_file, slot, time.monotonic(),
                           time.time(), pause_at if isinstance(pause_at, int) else None)
        self._running[trial.id] = run  # tracked before anything else can fail
        self._stalls.started(trial.id)
        self.store.update_trial(
            trial.id, pid=proc.pid, host=socket.gethostname(),
            process_started_at=process_started_at(proc.pid),
            device="ray" if self._starter.cluster is not None else slot.label,
            log_path=str(log_path), last_report_at=time.time(), stalled_since=None,
            provenance={**provenance(argv, cwd, env, device=slot.label, params=trial.params,
                                     project=env.get("HPDESK_PROJECT")),
                        "launcher": "warm" if isinstance(proc, WarmProcess) else "subprocess"})
        run.trial = self.store.trial(trial.id)
        if self.plan.command is not None:
            # Ctrl-C first, as in a terminal: a script's own KeyboardInterrupt handling saves
            # its work; then SIGTERM; SIGKILL when the grace period is over.
            run.signals = (signal.SIGINT, signal.SIGTERM)
            if self.plan.stdout_metrics.enabled:
                if log_file is not None:
                    run.output = TrialOutput(trial.id, log_file)
        self._driver.started(run.trial)
        log.debug("trial %s started on %s: %s", trial.number, slot.label, argv)

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
        self.store.update_trial(trial.id, expect="running", state="failed", started_at=now,
                                ended_at=now, log_path=str(log_path), message=message)
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
            self._starter.copy_checkpoint(step.copy_from, step.number)
        state = {**(trial.search_state or {}), **step.search_state}
        self.store.update_trial(trial.id, params=step.params, search_state=state,
                                state="queued", requested_state=None)
        self._retry_queue.append(self.store.trial(trial.id))

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
        # Who belongs to which trial; what finished trials left is ended, step by step.
        self._trees.poll(r.tree for r in self._running.values())
        if self._running:
            self._honour_stop_requests()
        for run in self._running.values():
            self._read_stdout(run)
        # Reports first, exits second: the pruner sees every report of a trial before it
        # learns how the trial ended, even one that finished between two polls.
        for trial, decision in driver.poll():
            self._prune(trial, decision)
        if self._divergence is not None:
            for trial_id, finding in self._divergence.poll(self._running):
                if stop_diverged(self.store, self._running[trial_id], finding):
                    self.echo(f"trial {self._running[trial_id].trial.number} diverged at step "
                              f"{finding.step}; stopping it (pruner.stop_on_divergence)")
        for trial_id, run in list(self._running.items()):
            code = run.proc.poll()
            if code is None:
                if timeout is not None:
                    self._enforce_timeout(run, timeout)
                run.escalate(self.grace_s)
                continue
            self._read_stdout(run, final=True)
            outcome = self._finish(run, code)
            self._trees.ended(run.tree)  # its leftover processes: SIGTERM now, SIGKILL later
            del self._running[trial_id]
            if self._divergence is not None:
                self._divergence.forget(trial_id)
            pool.give_back(run.slot)
            trial = self.store.trial(trial_id)
            driver.finished(trial)
            if outcome.state == "failed":
                self._maybe_retry(trial)
        if self._running and time.monotonic() - self._last_beat >= HEARTBEAT_S:
            driver.refresh_steps()
            self._stalls.check(self._running)

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
        if not run.timed_out and elapsed > timeout and self._starter.cluster is not None:
            # A Ray job's limit counts from when it runs, not while it waits for resources.
            running = running_for(Path(run.trial.log_path or ""), run.trial.number)
            elapsed = 0.0 if running is None else running
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
        cluster = self._starter.cluster
        if code < 0 and cluster is not None and run.trial.log_path:
            cluster.stop_orphan(record_path(Path(run.trial.log_path), run.trial.number))
        frozen = self._lock_watch.frozen.get(run.trial.id)
        stalled = run.stalled_for
        if frozen is not None or stalled is not None:
            why = frozen or (f"stalled: no metric point, no output and no CPU time for "
                             f"{stalled:.0f}s (executor.stall_timeout); stopped")
            outcome = dataclasses.replace(outcome, state="failed", message=why,
                                          events=[*outcome.events, ("failed", "error", why)])
        self.store.update_trial(run.trial.id, expect="running", state=outcome.state,
                                exit_code=code, ended_at=time.time(),
                                objective=outcome.objective, message=outcome.message,
                                objectives=outcome.objectives, stalled_since=None)
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
        except Exception as exc:
            # The disk or the file (full, read-only, damaged): one line, no traceback; the
            # scheduler's own next write says it and stops as it must.
            failure = storage_failure(exc, self.store.path)
            if failure is not None:
                log.warning("could not pack the curves of trial %s: %s", trial_id, failure)
            else:
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
            if not self.store.beat(self.experiment_id):
                # Found dead while it could not beat (frozen, suspended) and recovered, or
                # taken over by another scheduler: its trials are no longer this one's.
                self._lost = True
            self._last_beat = now

    def _stop_all(self, pool: SlotPool) -> None:
        """Polite stop of every trial (`RunningTrial.escalate`): the stop signals in turn within
        the grace period, then SIGKILL; what each printed meanwhile is still read."""
        if not self._running:
            return
        if self._lost:  # not this scheduler's trials any more: end them, write nothing
            for run in self._running.values():
                signal_group(run.proc, signal.SIGKILL)
                run.proc.wait()
                if run.log_file is not None:
                    run.log_file.close()
            self._running.clear()
            return
        for run in self._running.values():  # signals first: they need no database
            run.ask_to_stop()
        for run in self._running.values():
            try:
                self.store.update_trial(run.trial.id, requested_state="stopped")
            except sqlite3.Error as exc:  # a full disk, a held lock: the signal went anyway
                log.warning("could not record the stop of trial %s: %s", run.trial.id, exc)
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
            self._trees.ended(run.tree)  # `close` ends what it left
            pool.give_back(run.slot)
        self._running.clear()
