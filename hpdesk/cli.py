"""`hpdesk` and its sub-commands for headless use.

Exit codes: 0 success; 1 a runtime problem (database, a failed experiment); 2 bad input (a plan
that does not validate, a wrong option); 130 stopped with Ctrl-C. Errors are one line each, never
a traceback (set HPDESK_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from hpdesk import __version__

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_RUNTIME) -> None:
        super().__init__(message)
        self.code = code


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None,
                   help="the SQLite database (default: hpdesk.db in the user data folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpdesk",
        description="Plan, run and inspect deep-learning hyperparameter experiments.",
    )
    parser.add_argument("--version", action="version", version=f"hpdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a plan file in the foreground until it finishes",
                         description="Run a plan: trials start as local processes, metrics go "
                                     "to the database, a summary is printed at the end.")
    run.add_argument("plan", type=Path, help="a plan file (YAML, TOML or JSON)")
    _db_arg(run)
    run.add_argument("--max-trials", type=int, metavar="N", help="override budget.trials")
    run.add_argument("--concurrency", type=int, metavar="N", help="override concurrency")

    demo = sub.add_parser("demo", help="run the built-in digits classification demo (4 trials)",
                          description="A small random search on scikit-learn's digits with the "
                                      "classification preset; prints the summary.")
    _db_arg(demo)
    demo.add_argument("--max-trials", type=int, default=4, metavar="N", help="trials (default 4)")

    trials = sub.add_parser("trials", help="list trials (--json for scripts)",
                            description="List the trials of one or all experiments.")
    _db_arg(trials)
    trials.add_argument("--experiment", type=int, metavar="ID", help="only this experiment")
    trials.add_argument("--json", action="store_true", help="print a JSON list")

    exps = sub.add_parser("experiments", help="list experiments (--json for scripts)",
                          description="List the experiments in the database.")
    _db_arg(exps)
    exps.add_argument("--json", action="store_true", help="print a JSON list")

    plan = sub.add_parser("plan", help="create and check plan files",
                          description="Create plan files from the task presets and check them.")
    plan_sub = plan.add_subparsers(dest="plan_command", metavar="ACTION")
    validate = plan_sub.add_parser("validate", help="check plan files; exit 2 if any is invalid",
                                   description="Check plan files; print each problem on a line, "
                                               "then the tuning advice for valid plans.")
    validate.add_argument("files", type=Path, nargs="+", metavar="FILE")
    validate.add_argument("--lang", choices=("en", "zh"), default="en",
                          help="language of the advice")
    new = plan_sub.add_parser("new", help="write a task preset as a plan file",
                              description="Write the preset of a task as a plan file, with the "
                                          "tuning order and advice as comments.")
    new.add_argument("--task", required=True,
                     choices=("classification", "detection", "gan", "script"))
    new.add_argument("--optimizer", help="the optimiser whose learning-rate range to use")
    new.add_argument("--fine-tune", action="store_true",
                     help="lower the learning-rate range for fine-tuning a pre-trained model")
    new.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                     help="where to write (.yaml, .toml or .json)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="hpdesk: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        print("\nThe desktop window is not built yet; `hpdesk demo` runs the built-in example.")
        return EXIT_OK
    handlers = {"run": cmd_run, "demo": cmd_demo, "trials": cmd_trials,
                "experiments": cmd_experiments, "plan": cmd_plan}
    try:
        return handlers[args.command](args)
    except BrokenPipeError:  # `hpdesk trials --json | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except CliError as exc:
        print(f"hpdesk: {exc}", file=sys.stderr)
        return exc.code
    except Exception as exc:  # the user sees one sentence; developers can ask for more
        if os.environ.get("HPDESK_DEBUG"):
            raise
        from hpdesk.plan import PlanError
        from hpdesk.store import StoreError

        if isinstance(exc, PlanError):
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return EXIT_USAGE
        if isinstance(exc, StoreError):
            print(f"hpdesk: {exc}", file=sys.stderr)
            return EXIT_RUNTIME
        print(f"hpdesk: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_RUNTIME


def _open_store(db: Path | None, *, must_exist: bool = False):  # -> Store
    from hpdesk.runner import default_db_path
    from hpdesk.store import Store

    return Store(db or default_db_path(), must_exist=must_exist)


def cmd_run(args: argparse.Namespace) -> int:
    from hpdesk.plan import load_plan

    plan = load_plan(args.plan).resolved(args.plan.resolve().parent)
    return _run_plan(plan, args.db, args.max_trials, args.concurrency)


def cmd_demo(args: argparse.Namespace) -> int:
    from hpdesk.plan import plan_from_preset

    plan = plan_from_preset("classification", trials=args.max_trials, concurrency=2)
    plan = plan.with_changes(name="digits-demo")
    print("hpdesk demo: a random search over the classification preset on scikit-learn's digits")
    return _run_plan(plan, args.db, args.max_trials, None)


def _run_plan(plan, db: Path | None, max_trials: int | None, concurrency: int | None) -> int:
    from hpdesk.plan import Budget
    from hpdesk.runner import Scheduler, SchedulerError, create_experiment, summarize
    from hpdesk.runner.experiment import summary_table

    if max_trials is not None:
        if max_trials < 1:
            raise CliError("--max-trials must be at least 1", EXIT_USAGE)
        plan = plan.with_changes(budget=Budget(max_trials, plan.budget.wall_time))
    if concurrency is not None:
        if concurrency < 1:
            raise CliError("--concurrency must be at least 1", EXIT_USAGE)
        plan = plan.with_changes(concurrency=concurrency)
    with _open_store(db) as store:
        experiment = create_experiment(store, plan)
        print(f"experiment {experiment.id} ({experiment.name}) in {store.path}: "
              f"{plan.budget.trials} trials, {plan.concurrency} at a time")
        scheduler = Scheduler(store, experiment.id, echo=lambda line: print(line, flush=True))
        interrupts = 0

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal interrupts
            interrupts += 1
            scheduler.request_stop()
            if interrupts > 1:
                scheduler.grace_s = 0.0  # a second Ctrl-C: do not wait for the trials

        old_int = signal.signal(signal.SIGINT, on_signal)
        old_term = signal.signal(signal.SIGTERM, on_signal)
        try:
            final = scheduler.run()
        except SchedulerError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
        finally:
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, old_term)
        print()
        print(summary_table(summarize(store, experiment.id)))
    return EXIT_INTERRUPTED if final == "stopped" else EXIT_OK


def cmd_trials(args: argparse.Namespace) -> int:
    from hpdesk.runner.outcome import format_params

    with _open_store(args.db, must_exist=True) as store:
        if args.experiment is not None:
            store.experiment(args.experiment)  # a clear error for an unknown id
        trials = store.trials(args.experiment)
        if args.json:
            rows = [{**t.to_json(), "metrics": store.last_values(t.id)} for t in trials]
            print(json.dumps(rows, indent=2))
            return EXIT_OK
        for t in trials:
            value = "-" if t.objective is None else f"{t.objective:.4f}"
            print(f"{t.experiment_id:>4} {t.number:>5}  {t.state:<11} {value:>10}  "
                  f"{format_params(t.params)}")
    return EXIT_OK


def cmd_experiments(args: argparse.Namespace) -> int:
    with _open_store(args.db, must_exist=True) as store:
        experiments = store.experiments()
        if args.json:
            print(json.dumps([{"id": e.id, "name": e.name, "task": e.task, "state": e.state,
                               "created_at": e.created_at,
                               "trials": len(store.trials(e.id))} for e in experiments],
                             indent=2))
            return EXIT_OK
        for e in experiments:
            print(f"{e.id:>4}  {e.state:<11} {e.task:<15} {e.name}")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    if args.plan_command == "validate":
        return _plan_validate(args)
    if args.plan_command == "new":
        return _plan_new(args)
    build_parser().parse_args(["plan", "--help"])
    return EXIT_USAGE


def _plan_validate(args: argparse.Namespace) -> int:
    from hpdesk.knowledge import advise
    from hpdesk.plan import PlanError, load_plan

    code = EXIT_OK
    for file in args.files:
        try:
            plan = load_plan(file)
        except PlanError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            code = EXIT_USAGE
            continue
        findings = advise(plan.to_dict())
        print(f"{file}: valid ({plan.task}, {len(plan.searched())} searched parameters, "
              f"{plan.budget.trials} trials)")
        for f in findings:
            print(f"{file}: {f.level}: {f.message(args.lang)} [{f.source}]")
    return code


def _plan_new(args: argparse.Namespace) -> int:
    from hpdesk.knowledge import KnowledgeError
    from hpdesk.plan import dump_plan, plan_from_preset

    if args.output.exists() and not args.force:
        raise CliError(f"{args.output} exists; pass --force to overwrite it", EXIT_USAGE)
    if args.output.suffix.lower() not in (".yaml", ".yml", ".toml", ".json"):
        raise CliError(f"{args.output}: expected a .yaml, .toml or .json file name", EXIT_USAGE)
    try:
        plan = plan_from_preset(args.task, optimizer=args.optimizer, fine_tune=args.fine_tune)
    except KnowledgeError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    dump_plan(plan, args.output)
    print(f"wrote {args.output} ({args.task}, {len(plan.space)} hyperparameters)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
