"""Looking at experiments: `trials`, `experiments`, `status`, `logs`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpdesk.cli.common import EXIT_OK, CliError, db_arg, open_store
from hpdesk.jsonsafe import dumps

if TYPE_CHECKING:
    from hpdesk.store import Store


def add_parsers(sub: argparse._SubParsersAction) -> None:
    trials = sub.add_parser("trials", help="list trials (--json for scripts)",
                            description="List the trials of one or all experiments.")
    db_arg(trials)
    trials.add_argument("--experiment", type=int, metavar="ID", help="only this experiment")
    trials.add_argument("--json", action="store_true", help="print a JSON list")
    trials.set_defaults(handler=cmd_trials)

    exps = sub.add_parser("experiments", help="list experiments (--json for scripts)",
                          description="List the experiments in the database.")
    db_arg(exps)
    exps.add_argument("--json", action="store_true", help="print a JSON list")
    exps.set_defaults(handler=cmd_experiments)

    status = sub.add_parser("status", help="what is running, what was lost, how far each got",
                            description="Show each experiment's state, whether its scheduler is "
                                        "alive, its trials by state and its best objective.")
    status.add_argument("experiment", type=int, nargs="?", metavar="ID")
    db_arg(status)
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=cmd_status)

    devices = sub.add_parser("devices", help="the GPUs trials can use, with memory and load",
                             description="List the GPUs NVML finds (or HPDESK_FAKE_GPUS "
                                         "declares) with their memory and live utilisation; "
                                         "without any, trials run on the CPU.")
    devices.add_argument("--json", action="store_true", help="print JSON")
    devices.set_defaults(handler=cmd_devices)

    logs = sub.add_parser("logs", help="print a trial's log (--follow to keep reading)",
                          description="Print the stdout and stderr of a trial (its id, as "
                                      "`hpdesk trials` shows); --follow waits for more until "
                                      "the trial ends.")
    logs.add_argument("trial", type=int, metavar="TRIAL_ID")
    db_arg(logs)
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines")
    logs.set_defaults(handler=cmd_logs)


def cmd_trials(args: argparse.Namespace) -> int:
    from hpdesk.runner.outcome import format_params

    with open_store(args.db, must_exist=True) as store:
        if args.experiment is not None:
            store.experiment(args.experiment)  # a clear error for an unknown id
        trials = store.trials(args.experiment)
        if args.json:
            counts: dict[int, Any] = {}  # experiment id -> its data's samples per class
            rows = [_trial_json(store, t, counts) for t in trials]
            print(dumps(rows, indent=2))
            return EXIT_OK
        number_of = {t.id: t.number for t in trials}
        for t in trials:
            value = "-" if t.objective is None else f"{t.objective:.5g}"
            stage = f"  stage {t.stage}" if t.stage is not None else ""
            state = "stalled" if t.state == "running" and t.stalled_since else t.state
            origin = number_of.get(t.retry_of) if t.retry_of is not None else None
            again = f"  re-run of trial {origin}" if origin is not None else ""
            print(f"{t.id:>5} {t.experiment_id:>4} {t.number:>5}  {state:<12} {value:>10}  "
                  f"{format_params(t.params)}{stage}{again}")
    return EXIT_OK


def _trial_json(store: Store, trial: Any, counts: dict[int, Any]) -> dict[str, Any]:
    """A trial for scripts; a classification trial also gets its per-class results (training
    against validation accuracy, the class's samples, whether it is rare)."""
    from hpdesk.analysis.class_counts import class_counts, data_of
    from hpdesk.analysis.evidence import per_class_results

    values = store.last_values(trial.id)
    row = {**trial.to_json(), "metrics": values}
    if any(name.startswith(("train_acc_class_", "val_acc_class_")) for name in values):
        if trial.experiment_id not in counts:  # read once per experiment
            data = data_of(store.experiment(trial.experiment_id).plan)
            counts[trial.experiment_id] = class_counts(data) if data is not None else None
        row["per_class"] = per_class_results(values, counts[trial.experiment_id])
    return row


def cmd_experiments(args: argparse.Namespace) -> int:
    with open_store(args.db, must_exist=True) as store:
        experiments = store.experiments()
        if args.json:
            print(dumps([{"id": e.id, "name": e.name, "task": e.task, "state": e.state,
                          "created_at": e.created_at,
                          "trials": len(store.trials(e.id))} for e in experiments],
                        indent=2))
            return EXIT_OK
        for e in experiments:
            print(f"{e.id:>4}  {e.state:<11} {e.task:<15} {e.name}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from hpdesk.runner import summarize
    from hpdesk.runner.recovery import scheduler_liveness

    with open_store(args.db, must_exist=True) as store:
        ids = [args.experiment] if args.experiment is not None else [
            e.id for e in store.experiments()]
        rows = []
        for exp_id in ids:
            summary = summarize(store, exp_id)
            exp = summary.experiment
            live = scheduler_liveness(exp) if exp.state == "running" else None
            rows.append({
                "id": exp.id, "name": exp.name, "task": exp.task, "state": exp.state,
                "scheduler": None if live is None else live.reason,
                "scheduler_pid": exp.scheduler_pid,
                "heartbeat_age_s": None if exp.heartbeat_at is None else round(
                    time.time() - exp.heartbeat_at, 1),
                "trials": summary.counts(),
                "budget": exp.plan.get("budget", {}).get("trials"),
                **_search_status(store, exp.id, exp.plan),
                "best": None if summary.best is None else {
                    "trial_id": summary.best.id, "number": summary.best.number,
                    "objective": summary.best.objective, "params": summary.best.params},
            })
    if args.json:
        print(dumps(rows if args.experiment is None else rows[0], indent=2))
        return EXIT_OK
    for r in rows:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(r["trials"].items())) or "no trials"
        best = "" if r["best"] is None else (
            f"; best trial {r['best']['number']}: {r['best']['objective']:.6g}")
        alive = f" ({r['scheduler']})" if r["scheduler"] else ""
        stage = "" if r["stage"] is None else (
            f"; stage {r['stage']['current']} of "
            f"{r['stage']['of']} ({', '.join(r['stage']['open'])})")
        search = r["strategy"] + ("" if r["pruner"] == "none" else f" + {r['pruner']}")
        print(f"{r['id']:>4}  {r['name']}: {r['state']}{alive}; {counts} of {r['budget']}"
              f"{best}; {search}{stage}")
    return EXIT_OK


def _search_status(store: Store, experiment_id: int, plan: dict[str, Any]) -> dict[str, Any]:
    """The search's own progress: its strategy and pruner, and the stage a staged search is in."""
    strategy = plan.get("strategy", {})
    pruner = plan.get("pruner", {})
    stages = store.events(experiment_id=experiment_id, kinds=["stage"])
    current = stages[-1].data if stages and stages[-1].data else None
    return {
        "strategy": strategy.get("name", "random") if isinstance(strategy, dict) else "random",
        "pruner": pruner.get("name", "none") if isinstance(pruner, dict) else "none",
        "stage": None if current is None else {"current": current.get("stage"),
                                               "of": current.get("stages"),
                                               "open": current.get("open", [])},
    }


def cmd_devices(args: argparse.Namespace) -> int:
    import os

    from hpdesk.runner.devices import discover_gpus, utilisation

    gpus = discover_gpus()
    load = {u.index: u for u in utilisation()}
    rows = [{"index": g.index, "name": g.name, "memory_mb": g.memory_mb, "uuid": g.uuid,
             "utilisation_pct": load[g.index].gpu_pct if g.index in load else None,
             "memory_used_mb": load[g.index].memory_used_mb if g.index in load else None}
            for g in gpus]
    if args.json:
        print(dumps({"gpus": rows, "cpu_cores": os.cpu_count()}, indent=2))
        return EXIT_OK
    if not rows:
        print(f"no GPU found: trials run on the CPU ({os.cpu_count()} cores)")
    for r in rows:
        used = "" if r["memory_used_mb"] is None else (
            f", {r['memory_used_mb']} MiB used, {r['utilisation_pct']:.0f} % busy")
        print(f"cuda:{r['index']}  {r['name']}  {r['memory_mb']} MiB{used}")
    return EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    from hpdesk.runner.capped_log import follow_from

    with open_store(args.db, must_exist=True) as store:
        trial = store.trial(args.trial)
        why = f"; {trial.message}" if trial.message else ""
        if not trial.log_path:
            raise CliError(f"trial {trial.id} has no log yet (it is {trial.state}{why})")
        path = Path(trial.log_path)
        if not path.exists():
            raise CliError(f"the log of trial {trial.id} is missing: {path} "
                           f"(it is {trial.state}{why})")
        out = sys.stdout.buffer
        with open(path, "rb") as fh:
            out.write(fh.read())
            out.flush()
            if not args.follow:
                return EXIT_OK
            try:
                while True:
                    chunk = fh.read()
                    if chunk:
                        out.write(chunk)
                        out.flush()
                        continue
                    if os.fstat(fh.fileno()).st_size < fh.tell():  # cut by the log limit
                        fh.seek(follow_from(path, fh.tell()))
                        continue
                    if store.trial(trial.id).state != "running":
                        out.write(fh.read())
                        out.flush()
                        return EXIT_OK
                    time.sleep(0.2)
            except KeyboardInterrupt:
                return EXIT_OK
