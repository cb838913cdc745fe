"""Running experiments: in the foreground (`run`, `demo`), detached (`start`, `resume`), the
scheduler process itself (`scheduler`), and stopping (`stop`)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sqlite3
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from hpdesk.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUNTIME,
    EXIT_USAGE,
    CliError,
    SpaceReserve,
    db_arg,
    open_store,
    say,
    storage_stop,
)

if TYPE_CHECKING:
    from hpdesk.plan import Plan
    from hpdesk.store import Store


def add_parsers(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run a plan file in the foreground until it finishes",
                         description="Run a plan: the command its trials run is printed first "
                                     "(secrets masked), trials start as local processes, "
                                     "metrics go "
                                     "to the database, a summary is printed at the end. Ctrl-C "
                                     "stops the trials (they save their metrics first).")
    run.add_argument("plan", type=Path, help="a plan file (YAML, TOML or JSON)")
    _budget_args(run)
    run.set_defaults(handler=cmd_run)

    start = sub.add_parser("start", help="start a plan in the background and print its id",
                           description="Start a plan with a detached scheduler: closing the "
                                       "terminal does not stop it. Follow it with `hpdesk "
                                       "status`, end it with `hpdesk stop`.")
    start.add_argument("plan", type=Path, help="a plan file (YAML, TOML or JSON)")
    _budget_args(start)
    start.set_defaults(handler=cmd_start)

    resume = sub.add_parser("resume", help="continue a stopped or interrupted experiment",
                            description="Run an experiment's interrupted trials again (built-in "
                                        "tasks continue from their checkpoint) and go on with "
                                        "its search until the budget is spent.")
    resume.add_argument("experiment", type=int, metavar="ID")
    db_arg(resume)
    resume.add_argument("--foreground", action="store_true",
                        help="run in this terminal instead of detached")
    resume.set_defaults(handler=cmd_resume)

    stop = sub.add_parser("stop", help="stop a running experiment gracefully",
                          description="Ask an experiment's scheduler to stop: its trials save "
                                      "their metrics and exit; after a grace period they are "
                                      "killed. Waits until it has stopped.")
    stop.add_argument("experiment", type=int, metavar="ID")
    db_arg(stop)
    stop.add_argument("--wait", type=float, default=60.0, metavar="S",
                      help="seconds to wait for it to stop (default 60)")
    stop.set_defaults(handler=cmd_stop)

    demo = sub.add_parser("demo", help="run the built-in digits classification demo (4 trials)",
                          description="A small random search on scikit-learn's digits with the "
                                      "classification preset; prints the summary.")
    db_arg(demo)
    demo.add_argument("--max-trials", type=int, default=4, metavar="N", help="trials (default 4)")
    demo.set_defaults(handler=cmd_demo)

    scheduler = sub.add_parser(
        "scheduler", help="the scheduler process of one experiment (what start and resume run)",
        description="Run the scheduler of an existing experiment in this process; `hpdesk "
                    "start` and `hpdesk resume` launch it detached.")
    scheduler.add_argument("--experiment", type=int, required=True, metavar="ID")
    db_arg(scheduler)
    scheduler.set_defaults(handler=cmd_scheduler)


def _budget_args(parser: argparse.ArgumentParser) -> None:
    db_arg(parser)
    parser.add_argument("--max-trials", type=int, metavar="N", help="override budget.trials")
    parser.add_argument("--concurrency", type=int, metavar="N", help="override concurrency")


def _load(args: argparse.Namespace) -> Plan:
    import os

    from hpdesk.plan import load_plan
    from hpdesk.plan.secrets import export_secret_env

    plan = load_plan(args.plan).resolved(args.plan.resolve().parent)
    plan = _override(plan, args.max_trials, args.concurrency)
    _show_command(plan)
    # Secret values into this process's environment (the scheduler's and the trials'), after
    # checking the ones to take from it are there: before the database is touched.
    export_secret_env(plan, os.environ, source=str(args.plan))
    return plan


def _show_command(plan: Plan) -> None:
    """A plan file may come from someone else: what its trials run is printed before they run
    (docs/security.md), secrets masked."""
    import sys

    from hpdesk.runner.provenance import command_preview

    if plan.command is None and not plan.env and not plan.env_secret:
        return  # a built-in task: hpdesk's own code
    shown = command_preview(plan, python=sys.executable)
    print(f"trial 0 runs: {shown.command}")
    if shown.folder is not None:
        own = " (each trial in a folder of its own, filled from it)" if shown.own_folders else ""
        print(f"  from: {shown.folder}{own}")
    if shown.env:
        print("  env: " + " ".join(f"{name}={'(from the environment)' if value is None else value}"
                                   for name, value in shown.env), flush=True)


def _override(plan: Plan, max_trials: int | None, concurrency: int | None) -> Plan:
    from hpdesk.plan.schema import MAX_CONCURRENCY, MAX_TRIALS

    if max_trials is not None:
        if not 1 <= max_trials <= MAX_TRIALS:
            raise CliError(f"--max-trials must be from 1 to {MAX_TRIALS:,}", EXIT_USAGE)
        # Only the trial count changes: the plan's wall-time, epoch and step budgets stay.
        plan = plan.with_changes(budget=dataclasses.replace(plan.budget, trials=max_trials))
    if concurrency is not None:
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise CliError(f"--concurrency must be from 1 to {MAX_CONCURRENCY}", EXIT_USAGE)
        plan = plan.with_changes(concurrency=concurrency)
    return plan


def cmd_run(args: argparse.Namespace) -> int:
    return _run_new(_load(args), args.db)


def cmd_demo(args: argparse.Namespace) -> int:
    from hpdesk.plan import plan_from_preset

    plan = plan_from_preset("classification", trials=args.max_trials, concurrency=2)
    print("hpdesk demo: a random search over the classification preset on scikit-learn's digits")
    return _run_new(_override(plan.with_changes(name="digits-demo"), args.max_trials, None),
                    args.db)


def _run_new(plan: Plan, db: Path | None) -> int:
    from hpdesk.runner import create_experiment

    with open_store(db, for_writing=True) as store:
        experiment = create_experiment(store, plan)
        print(f"experiment {experiment.id} ({experiment.name}) in {store.path}: "
              f"{plan.budget.trials} trials, {plan.concurrency} at a time")
        return _run_scheduler(store, experiment.id, summary=True)


def _run_scheduler(store: Store, experiment_id: int, *, summary: bool) -> int:
    """The scheduler in this process; SIGINT/SIGTERM stop it gracefully, twice at once."""
    from hpdesk.runner import Scheduler, SchedulerError, summarize
    from hpdesk.runner.experiment import summary_table
    from hpdesk.runner.paths import experiment_dir
    from hpdesk.store import SchedulerClaimed, StoreError
    from hpdesk.store.connection import storage_failure

    scheduler = Scheduler(store, experiment_id, echo=say)  # a full disk under stdout loses lines
    interrupts = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupts
        interrupts += 1
        scheduler.request_stop()
        if interrupts > 1:
            scheduler.grace_s = 0.0  # asked twice: do not wait for the trials

    reserve = SpaceReserve(experiment_dir(store, experiment_id), owner=os.getpid())
    old_int = signal.signal(signal.SIGINT, on_signal)
    old_term = signal.signal(signal.SIGTERM, on_signal)
    try:
        final = scheduler.run()
    except SchedulerError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    except SchedulerClaimed as exc:  # a second scheduler on a running experiment
        raise CliError(str(exc), EXIT_RUNTIME) from exc
    except (sqlite3.Error, OSError, StoreError) as exc:  # the disk or the file, not hpdesk
        failure = storage_failure(exc, store.path)
        if failure is None:
            raise
        raise CliError(storage_stop(store, experiment_id, failure, reserve)) from exc
    finally:
        reserve.release()
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    if summary:
        say("")
        say(summary_table(summarize(store, experiment_id)))
    if final == "failed":
        return EXIT_RUNTIME  # no trial completed with its objective: the scheduler said why
    return EXIT_INTERRUPTED if final == "stopped" else EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    with open_store(args.db, must_exist=True, for_writing=True) as store:
        return _run_scheduler(store, args.experiment, summary=True)


def cmd_start(args: argparse.Namespace) -> int:
    from hpdesk.runner import create_experiment
    from hpdesk.runner.detach import spawn_scheduler

    plan = _load(args)
    with open_store(args.db, for_writing=True) as store:
        experiment = create_experiment(store, plan)
        pid = spawn_scheduler(store, experiment.id)
        print(f"experiment {experiment.id} ({experiment.name}) started in {store.path} "
              f"(scheduler pid {pid})")
        print(experiment.id)
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    from hpdesk.runner import control
    from hpdesk.runner.detach import spawn_scheduler

    with open_store(args.db, must_exist=True, for_writing=True) as store:
        experiment = store.experiment(args.experiment)
        if control.scheduler_alive(store, experiment.id):
            raise CliError(f"experiment {experiment.id} is already running "
                           f"(scheduler pid {experiment.scheduler_pid})")
        from hpdesk.plan import parse_plan

        _show_command(parse_plan(experiment.plan, source=f"experiment {experiment.id}"))
        if args.foreground:
            return _run_scheduler(store, experiment.id, summary=True)
        pid = spawn_scheduler(store, experiment.id)
        print(f"experiment {experiment.id} ({experiment.name}) resumed (scheduler pid {pid})")
    return EXIT_OK


def cmd_stop(args: argparse.Namespace) -> int:
    from hpdesk.runner import control

    with open_store(args.db, must_exist=True) as store:
        experiment = store.experiment(args.experiment)
        if not control.request_stop(store, experiment.id):
            print(f"experiment {experiment.id} is not running "
                  f"(it is {store.experiment(experiment.id).state})")
            return EXIT_OK
        # A scheduler that dies meanwhile is recovered (stopped) by the wait instead.
        state = control.wait_stopped(store, experiment.id, args.wait)
        if state != "running":
            print(f"experiment {experiment.id} {state}")
            return EXIT_OK
    raise CliError(f"experiment {args.experiment} did not stop within {args.wait:g}s; "
                   "its scheduler may be busy; run hpdesk stop again", EXIT_RUNTIME)
