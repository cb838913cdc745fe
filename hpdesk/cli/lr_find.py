"""`hpdesk lr-find PLAN`: the learning-rate range test (Smith 2017) on a plan's built-in task.

The sweep runs as `python -m hpdesk.tasks.lr_find` (only hpdesk/tasks imports torch) for a
trial of a new experiment named "lr-find: <plan>", so its loss-versus-rate curve is stored like
any trial's (metrics `lr_find_loss` and `lr`, steps 1..N) and `hpdesk trials` and the window
show it. This process acts as the experiment's scheduler while the sweep runs (it claims it
and beats), then reads the curve back, suggests a range (hpdesk.analysis.lr_range), compares it
with the guide's range for the plan's optimiser and, with `--write`, puts it into the plan file.

The other hyperparameters are the plan's: fixed values as fixed, searched ones at their middle
(hpdesk.plan.space.example_params). The sweep runs from the guide's range lowered by four
orders of magnitude to it raised by two, unless `--start-lr`/`--end-lr` say otherwise: wide
enough to show the curve's flat start and its blow-up around the guide's rates.

Exit codes: 0 a range was suggested; 1 the sweep failed or its curve gives no range (the
reason is said); 2 bad input (a missing or malformed plan, a task that cannot be swept, a
`--write` that cannot be done).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpdesk.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUNTIME,
    EXIT_USAGE,
    CliError,
    db_arg,
    open_store,
    say,
)
from hpdesk.cli.lr_find_plan import SweepSetup, setup_sweep, write_range

if TYPE_CHECKING:
    from hpdesk.analysis.lr_range import GuideComparison, LrSuggestion
    from hpdesk.store import Store

TASK_MODULE = "hpdesk.tasks.lr_find"
LOSS, RATE = "lr_find_loss", "lr"
BEAT_S = 2.0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lr-find", help="learning-rate range test: sweep the rate, show the curve, suggest a range",
        description="Train the plan's built-in task for a few mini-batches while the learning "
                    "rate grows exponentially (Smith 2017, Cyclical Learning Rates for Training "
                    "Neural Networks), show the whole loss-versus-rate curve, suggest a range "
                    "and compare it with the guide's range for the plan's optimiser. The curve "
                    "is stored as a trial of a new experiment. Exit 0 with a suggestion, 1 when "
                    "the sweep gives none, 2 on bad input. Example: hpdesk lr-find plan.yaml")
    p.add_argument("plan", type=Path, help="a plan file (YAML, TOML or JSON)")
    db_arg(p)
    p.add_argument("--json", action="store_true",
                   help="print {optimizer, suggested_low, suggested_high, guide_low, guide_high, "
                        "points, ...} as JSON")
    p.add_argument("--steps", type=int, default=100, metavar="N",
                   help="mini-batches (rates) in the sweep (default 100)")
    p.add_argument("--start-lr", type=float, metavar="LR",
                   help="first rate (default: the guide's lower bound / 10000)")
    p.add_argument("--end-lr", type=float, metavar="LR",
                   help="last rate (default: the guide's upper bound x 100)")
    p.add_argument("--optimizer", metavar="NAME",
                   help="which of the plan's optimiser choices to sweep (default: the first)")
    p.add_argument("--write", action="store_true",
                   help="write the suggested range into the plan file's lr range")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="language of the reading: the comparison, the reason and the note")
    p.add_argument("--progress", action="store_true",
                   help="print `lr-find: step K of N` lines on stderr while it sweeps")
    p.set_defaults(handler=cmd_lr_find)


def cmd_lr_find(args: argparse.Namespace) -> int:
    from hpdesk.analysis.lr_range import compare_with_guide, suggest_range

    setup = setup_sweep(args)
    with open_store(args.db, for_writing=True) as store:
        experiment_id, trial_id, code, failure = _run_trial(store, setup, args.progress)
        lrs, losses = _curve(store, trial_id)
        suggestion = suggest_range(lrs, losses)
        comparison = compare_with_guide(suggestion, setup.optimizer, *setup.guide)
        if code == 0:
            message = comparison.sentence if suggestion.ok else suggestion.reason
            store.update_trial(trial_id, expect="running", state="completed",
                               ended_at=time.time(), exit_code=0, message=message[:500])
        else:
            store.update_trial(trial_id, expect="running", state="failed",
                               ended_at=time.time(), exit_code=code, message=failure[:500])
        _finish(store, experiment_id, trial_id, "completed" if code == 0 else "failed")
    if code == 2:
        raise CliError(f"the sweep refused the plan's parameters: {failure}", EXIT_USAGE)
    if code != 0:
        raise CliError(f"the sweep failed: {failure} (trial {trial_id}; `hpdesk logs` shows "
                       "its log)", EXIT_RUNTIME)
    wrote = ""
    if args.write and suggestion.ok:
        wrote = write_range(setup, float(suggestion.low or 0), float(suggestion.high or 0))
    result = _result(setup, suggestion, comparison, experiment_id, trial_id, lrs, losses, wrote)
    if args.json:
        from hpdesk.jsonsafe import dumps

        say(dumps(result))
    else:
        for line in describe(result, args.lang):
            say(line)
    return EXIT_OK if suggestion.ok else EXIT_RUNTIME


def _run_trial(store: Store, setup: SweepSetup, progress: bool) -> tuple[int, int, int, str]:
    """Create the experiment and its trial, run the sweep process, return (experiment id,
    trial id, exit code, the last line of its log when it failed)."""
    from hpdesk.runner import launch
    from hpdesk.runner.paths import new_experiment_dir
    from hpdesk.runner.recovery import process_started_at

    plan = setup.plan
    name = plan.name or plan.task
    stored = plan.with_changes(name=name if name.startswith("lr-find: ") else f"lr-find: {name}",
                               budget=dataclasses.replace(plan.budget, trials=1))
    store.ensure_writable()
    experiment = store.create_experiment(stored.name, plan.task, stored.to_dict())
    folder = new_experiment_dir(store.path, experiment.id)
    folder.mkdir(parents=True)
    store.update_experiment(experiment.id, workdir=str(folder.resolve()))
    me = os.getpid()
    store.claim_scheduler(experiment.id, pid=me, started_at=process_started_at(me),
                          holder_alive=lambda exp: None)
    trial = store.add_trial(experiment.id, setup.params, state="running")
    log_path = folder / f"trial-{trial.number}.log"
    argv = [sys.executable, "-m", TASK_MODULE, "--task", plan.task,
            "--start-lr", repr(setup.start), "--end-lr", repr(setup.end),
            "--steps", str(setup.steps)]
    try:
        env = launch.trial_env(plan, setup.params, db_path=store.path, trial_id=trial.id,
                               slot_env={}, trial_dir=folder / f"trial-{trial.number}")
    except ValueError as exc:
        _fail_early(store, experiment.id, trial.id, str(exc))
        raise CliError(str(exc), EXIT_USAGE) from None
    store.update_trial(trial.id, started_at=time.time(), log_path=str(log_path),
                       host=socket.gethostname(), device="auto")
    with open(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
        try:
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        except OSError as exc:
            _fail_early(store, experiment.id, trial.id, f"could not start: {exc}")
            raise CliError(f"could not start the sweep: {exc}") from None
        store.update_trial(trial.id, pid=proc.pid,
                           process_started_at=process_started_at(proc.pid))
        old_term = signal.signal(signal.SIGTERM, _interrupt)  # the window's Cancel
        try:
            code = _wait(store, experiment.id, trial.id, proc, setup.steps, progress)
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            store.update_trial(trial.id, expect="running", state="stopped",
                               ended_at=time.time(), message="stopped before the sweep ended")
            _finish(store, experiment.id, trial.id, "stopped")
            raise CliError(f"stopped before the sweep ended (trial {trial.id})",
                           EXIT_INTERRUPTED) from None
        finally:
            signal.signal(signal.SIGTERM, old_term)
    return experiment.id, trial.id, code, _last_line(log_path) if code else ""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait(store: Store, experiment_id: int, trial_id: int, proc: subprocess.Popen[bytes],
          steps: int, progress: bool) -> int:
    """Wait for the sweep, beating as a scheduler does (so no other process takes the
    experiment for lost) and, with `progress`, saying how far it is."""
    last_beat, shown = 0.0, 0
    while proc.poll() is None:
        now = time.monotonic()
        if now - last_beat >= BEAT_S:
            store.beat(experiment_id, pid=os.getpid())
            last_beat = now
        if progress:
            row = store.conn.execute("SELECT MAX(step) FROM metrics WHERE trial_id = ? AND "
                                     "name = ?", (trial_id, LOSS)).fetchone()
            step = int(row[0] or 0)
            if step > shown:
                shown = step
                say(f"lr-find: step {step} of {steps}", err=True)
        time.sleep(0.2)
    return int(proc.returncode)


def _fail_early(store: Store, experiment_id: int, trial_id: int, message: str) -> None:
    store.update_trial(trial_id, state="failed", ended_at=time.time(), message=message[:500])
    _finish(store, experiment_id, trial_id, "failed")


def _finish(store: Store, experiment_id: int, trial_id: int, state: str) -> None:
    from hpdesk.store.curves import compact_curves

    try:
        compact_curves(store, trial_id, final=True)
    except Exception:  # a cache only (see the scheduler's _compact): the rows stay
        pass
    store.release_scheduler(experiment_id, state)


def _last_line(path: Path) -> str:
    """The reason a task process gives: its last non-empty log line, without the logger name."""
    try:
        lines = [ln.strip() for ln in path.read_text("utf-8", "replace").splitlines()
                 if ln.strip()]
    except OSError:
        return "it ended without a log"
    if not lines:
        return "it ended without a word"
    line = lines[-1]
    for prefix in ("hpdesk.tasks.lr_find: error: ", "hpdesk.tasks.lr_find: "):
        if line.startswith(prefix):
            return line[len(prefix):]
    return line


def _curve(store: Store, trial_id: int) -> tuple[list[float], list[float]]:
    """The sweep's (rates, losses) in step order, read back from the database."""
    rows = store.conn.execute(
        "SELECT step, name, value FROM metrics WHERE trial_id = ? AND name IN (?, ?) "
        "ORDER BY step", (trial_id, RATE, LOSS)).fetchall()
    by_step: dict[int, dict[str, float]] = {}
    for step, name, value in rows:
        by_step.setdefault(int(step), {})[name] = float("nan") if value is None else float(value)
    steps = sorted(s for s, d in by_step.items() if RATE in d)
    return ([by_step[s][RATE] for s in steps],
            [by_step[s].get(LOSS, float("nan")) for s in steps])


def _result(setup: SweepSetup, suggestion: LrSuggestion, comparison: GuideComparison,
            experiment_id: int, trial_id: int, lrs: list[float], losses: list[float],
            wrote: str) -> dict[str, Any]:
    return {
        "optimizer": setup.optimizer,
        "suggested_low": suggestion.low,
        "suggested_high": suggestion.high,
        "guide_low": setup.guide[0],
        "guide_high": setup.guide[1],
        "points": [[lr, loss] for lr, loss in zip(lrs, losses)],
        "overlaps": comparison.overlaps,
        "comparison": comparison.sentence,
        "comparison_zh": comparison.sentence_in("zh"),
        "reason": suggestion.reason,
        "note": suggestion.note,
        "reason_zh": suggestion.reason_in("zh"),  # the window says them in its language
        "note_zh": suggestion.note_in("zh"),
        "min_lr": suggestion.min_lr,
        "steepest_lr": suggestion.steepest_lr,
        "smoothed": suggestion.smoothed,
        "task": setup.plan.task,
        "sweep": {"start": setup.start, "end": setup.end, "steps": setup.steps},
        "notes": setup.notes,
        "written": wrote,
        "experiment_id": experiment_id,
        "trial_id": trial_id,
    }


def describe(result: dict[str, Any], lang: str = "en") -> list[str]:
    """The text report: settings, the curve as a small table, the suggestion and the guide;
    the reading (reason, note, comparison) in `lang`."""
    zh = "_zh" if lang == "zh" else ""
    g = f"{result['guide_low']:.2g} to {result['guide_high']:.2g}"
    lines = [f"learning-rate range test of the {result['task']} task with "
             f"{result['optimizer']}: experiment {result['experiment_id']}, trial "
             f"{result['trial_id']}, {len(result['points'])} points from "
             f"{result['sweep']['start']:.2g} to {result['sweep']['end']:.2g}"]
    lines += [f"note: {n}" for n in result["notes"]]
    lines.append(f"{'lr':>10}  {'loss':>8}  curve")
    points = result["points"]
    finite = [p[1] for p in points if p[1] == p[1] and abs(p[1]) != float("inf")]
    top = max(finite) if finite else 1.0
    stride = max(1, len(points) // 25)
    for lr, loss in points[::stride]:
        ok = loss == loss and abs(loss) != float("inf")
        bar = "#" * max(0, int(round(40 * loss / top))) if ok and top > 0 else ""
        lines.append(f"{lr:>10.3g}  {loss:>8.4g}  {bar}" if ok else f"{lr:>10.3g}  {'nan':>8}")
    if result["suggested_low"] is not None:
        lines.append(f"suggested range: {result['suggested_low']:.2g} to "
                     f"{result['suggested_high']:.2g} (the loss was lowest at "
                     f"{result['min_lr']:.2g})")
    else:
        lines.append(f"no range suggested: {result['reason' + zh]}")
    if result["note"]:
        lines.append(f"note: {result['note' + zh]}")
    lines.append(f"the guide's range for {result['optimizer']}: {g}")
    lines.append(result["comparison" + zh])
    if result["written"]:
        lines.append(result["written"])
    return lines
