"""How a finished trial process is judged: its state, its objective, what to tell the user.

Status is derived, not trusted (as Guild does it): the exit status, the events the trial wrote
and its metric points decide; a trial that reported nothing useful never counts as the best.
An objective that is not finite (NaN, +inf, -inf: a loss that blew up, a metric divided by
zero) cannot be compared with the others: the trial is marked diverged, with a message that
says which value it was, and its objective is stored as None, so it never sorts as the best.
"""

from __future__ import annotations

import math
import os
import re
import signal
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpdesk.plan import Objective
from hpdesk.store import Store, Trial


@dataclass(frozen=True)
class Outcome:
    state: str
    objective: float | None
    message: str | None = None
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, level, text)
    objectives: list[float | None] | None = None  # every objective's value (several objectives)


@dataclass(frozen=True)
class Reading:
    """A trial's objective as the plan reduces it: `value` is finite or None; `not_finite`
    names the value that decided instead when it was not finite (`-inf at step 3`)."""

    value: float | None
    not_finite: str | None = None


def read_objective(store: Store, trial_id: int, objective: Objective) -> Reading:
    """The metric's last reported value, or its best one (`reduce: best`). A non-finite value
    that decides (the last one; for `best`, an infinity in the plan's direction, or no finite
    value at all) gives no value and says so; a NaN or a worse-direction infinity along the way
    never wins `best`. (SQLite stores a NaN as NULL: a None point is a NaN reported.)"""
    steps, values = store.series(trial_id, objective.metric)
    if not values:
        return Reading(None)
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if objective.reduce == "best":
        winner = math.inf if objective.direction == "maximize" else -math.inf
        for step, v in zip(steps, values):
            if v == winner:
                return Reading(None, f"{_shown(v)} at step {step}")
        if not finite:
            return Reading(None, f"{_shown(values[-1])} at step {steps[-1]}")
        return Reading(max(finite) if objective.direction == "maximize" else min(finite))
    last = values[-1]
    if last is None or not math.isfinite(last):
        return Reading(None, f"{_shown(last)} at step {steps[-1]}")
    return Reading(last)


def objective_value(store: Store, trial_id: int, objective: Objective) -> float | None:
    """The trial's objective (finite) or None: see `read_objective`."""
    return read_objective(store, trial_id, objective).value


def _shown(value: float | None) -> str:
    return "nan" if value is None or math.isnan(value) else repr(value)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


OOM_PATTERNS = (
    ("CUDA out of memory", "out of GPU memory (CUDA)"),
    ("OutOfMemoryError", "out of GPU memory (CUDA)"),
    ("CUBLAS_STATUS_ALLOC_FAILED", "out of GPU memory (cuBLAS could not allocate)"),
    ("MemoryError", "out of host memory (MemoryError)"),
    ("Cannot allocate memory", "out of host memory"),
)


def diagnose(code: int, tail: str) -> str:
    """The reason a trial failed, in words: out-of-memory is recognised and named; otherwise
    the exit, with the last error line of the output (the exception, argparse's complaint)."""
    for needle, reason in OOM_PATTERNS:
        if needle in tail:
            return f"{reason}; {describe_exit(code)}"
    if code == -signal.SIGKILL:
        return "killed by SIGKILL (by a person, or by the system when memory ran out)"
    line = last_error_line(tail)
    return describe_exit(code) + (f": {line}" if line else "")


_EXCEPTION = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|"
                        r"Warning|Failure|Fault)\b(?::|$)")
_ERROR_WORD = re.compile(r"(?:^|\s|:)(?:error|fatal|FATAL|ERROR|Error)\b\s*:")
MAX_REASON = 300


def last_error_line(tail: str) -> str | None:
    """The line that says what went wrong: the last exception line of a traceback
    (`ValueError: ...`), else the last line with `error:` in it (argparse: `main.py: error:
    unrecognized arguments: --tied true`)."""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    found = next((line for line in reversed(lines) if _EXCEPTION.match(line)), None)
    if found is None:
        found = next((line for line in reversed(lines) if _ERROR_WORD.search(line)), None)
    if found is None:
        return None
    return found if len(found) <= MAX_REASON else found[:MAX_REASON - 3] + "..."


def decide_outcome(store: Store, trial: Trial, objective: Objective | Sequence[Objective],
                   code: int, *, interrupted: bool = False, timed_out: float | None = None,
                   requested: str | None = None, since: float | None = None,
                   pause_expected: bool = False) -> Outcome:
    """`interrupted`: the whole experiment stopped (the trial runs again on resume);
    `requested`: "stopped" when a person stopped this one trial, "pruned" when the plan's pruner
    did (each ends the trial where it stood, told apart by its state); `since`: when this run of
    the trial started (events before it belong to earlier runs); `pause_expected`: a population
    member that was to pause at the end of its interval."""
    objectives = list(objective) if isinstance(objective, Sequence) else [objective]
    readings = [read_objective(store, trial.id, o) for o in objectives]
    values = [r.value for r in readings]
    value = values[0]
    several = values if len(values) > 1 else None
    events = store.events(trial_id=trial.id)
    recent = [e for e in events if since is None or e.created_at >= since - 1.0]
    kinds = {e.kind for e in recent}
    if interrupted:
        return Outcome("interrupted", value, "stopped before it finished", objectives=several)
    if timed_out is not None:
        reason = f"timed out after {timed_out:g}s (executor.trial_timeout)"
        return Outcome("failed", value, reason, [("timeout", "error", reason)], several)
    if requested == "pruned" and "diverged" not in kinds:
        decision = next((e for e in reversed(events) if e.kind == "pruned"), None)
        reason = decision.message if decision is not None else "stopped early by the pruner"
        return Outcome("pruned", value, reason, objectives=several)
    if requested == "stopped" and "diverged" not in kinds:
        step = store.last_step(trial.id)
        where = "before its first report" if step is None else f"at step {step}"
        reason = f"stopped on request {where}"
        return Outcome("stopped", value, reason, [("stopped", "info", reason)], several)
    if pause_expected and code == 0 and "paused" in kinds:
        return Outcome("paused", value, "waiting for the rest of the population",
                       objectives=several)
    if "diverged" in kinds or requested == "diverged":
        said = next((e.message for e in reversed(recent) if e.kind == "diverged"), None)
        return Outcome("diverged", None, said or "the loss became NaN or infinite")
    if code != 0:
        tail = log_tail(trial.log_path)
        reason = diagnose(code, tail)
        text = f"{reason}" + (f"; last lines of its log:\n{tail}" if tail else "")
        return Outcome("failed", value, reason, [("failed", "error", text)], several)
    unusable = next(((o, r) for o, r in zip(objectives, readings) if r.not_finite), None)
    if unusable is not None:
        text = (f"objective `{unusable[0].metric}` was not finite ({unusable[1].not_finite}): "
                "it cannot be compared, so the trial counts as diverged")
        return Outcome("diverged", None, text, [("diverged", "warning", text)], several)
    if value is None:
        text = never_reported(store, trial.id, objectives[0].metric)
        return Outcome("no_objective", None, text, [("no_objective", "warning", text)],
                       several)
    return Outcome("completed", value, objectives=several)


def never_reported(store: Store, trial_id: int, metric: str) -> str:
    """Why a trial that ended well has no objective, with the names it did report (a typo in
    the plan's metric name is then plain to see)."""
    seen = [n for n in store.metric_names(trial_id) if n != metric]
    shown = ", ".join(seen[:12]) + (", ..." if len(seen) > 12 else "") if seen else "none"
    return f"objective `{metric}` was never reported; metrics seen: {shown}"


def log_tail(path: str | Path | None, lines: int = 20) -> str:
    """The last lines of a log, read from its end (logs can be large), URL passwords masked:
    they are quoted into the database and hpdesk's own log (hpdesk.plan.secrets)."""
    from hpdesk.plan.secrets import mask_text

    if not path:
        return ""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 16_384))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return mask_text("\n".join(text.splitlines()[-lines:]))


def format_params(params: Mapping[str, Any], limit: int = 8) -> str:
    parts = []
    for name, value in list(params.items())[:limit]:
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        parts.append(f"{name}={shown}")
    if len(params) > limit:
        parts.append("...")
    return ", ".join(parts)


def experiment_verdict(trials: Sequence[Trial], metric: str) -> tuple[str, str | None]:
    """How an experiment that ran to its end ended, and why when it failed: completed when a
    trial completed with its objective; failed when none did and trials failed (crashed,
    diverged, or never reported the objective); stopped when a person stopped every trial."""
    if any(t.state == "completed" and t.objective is not None for t in trials):
        return "completed", None
    counts = Counter(t.state for t in trials)
    if not counts.keys() & {"failed", "diverged", "no_objective"}:
        return ("stopped" if set(counts) == {"stopped"} else "completed"), None
    said = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in sorted(counts.items()))
    return "failed", f"no trial completed with the objective `{metric}` ({said})"
