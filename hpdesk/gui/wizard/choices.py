"""What the new-experiment dialog turns into a plan: the person's choices as plain data and the
one function that builds (and validates) the plan from them. No Qt here, so the rules are
tested without a window and the dialog only reads widgets into `Choices`."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpdesk.knowledge import preset
from hpdesk.plan import Fixed, Objective, Plan, parse_plan, plan_from_preset
from hpdesk.plan.script import Argument, MetricPattern, StdoutMetrics, pattern_issue
from hpdesk.plan.space import Distribution
from hpdesk.runner.stdout_metrics import StdoutParser

#: Data sources that read a path, and whether it names a folder or a file.
DATA_PATHS: dict[str, str] = {"folder": "folder", "yolo": "folder", "npz": "file"}


@dataclass(frozen=True)
class Choices:
    """Everything the dialog asks; fields that do not apply to the task are ignored."""

    task: str = "classification"
    source: str | None = None          # a built-in task's data source (None: the first)
    data_path: str = ""                # for the sources of DATA_PATHS
    optimizer: str | None = None       # None: the preset's default
    fine_tune: bool = False
    trials: int = 10
    checkpoint: str = ""               # pre-trained weights, where the plan has init_checkpoint
    command: str = ""                  # "my own script": a command line, split with shlex
    workdir: str = ""
    params_style: str = "template"
    metric: str = ""
    direction: str = "minimize"
    patterns: tuple[str, ...] = ()
    name: str = ""
    trial_folder: str = "own"          # each trial in its own folder, or "shared"
    flag_names: str = "as_written"     # --batch_size, or "dashes": --batch-size
    booleans: str = "value"            # how true/false values are written (BOOLEAN_STYLES)
    #: Each parameter's way onto the command line, where it differs from the plan's defaults
    #: (entries for parameters the plan does not have are left out).
    arguments: Mapping[str, Argument] = field(default_factory=dict)
    #: Parameters the script takes beyond the task preset's (such as a true/false `tied`).
    extra_space: Mapping[str, Distribution] = field(default_factory=dict)


def split_command(text: str) -> list[str]:
    """The argument list of a typed command line (POSIX quoting, never a shell); ValueError for
    an unclosed quote."""
    return shlex.split(text)


def pattern_problem(pattern: str) -> tuple[str, str] | None:
    """Why a typed stdout pattern cannot be used (the wizard asks for a name group)."""
    return pattern_issue(pattern)


def metric_name(text: str) -> str:
    """A metric's name as the stdout reader gives it: runs of spaces become one (`valid loss`)."""
    return " ".join(text.split())


def read_output(patterns: Sequence[str], text: str) -> dict[str, tuple[int, float | None]]:
    """What a trial's stdout reader would take from `text` (some lines of a script's output):
    per metric, in the order first seen, how many points and the last value (None: NaN)."""
    parser = StdoutParser(list(patterns))
    seen: dict[str, tuple[int, float | None]] = {}
    for line in text.splitlines():
        for name, _step, value in parser.parse_line(line):
            seen[name] = (seen.get(name, (0, None))[0] + 1, value)
    return seen


def path_problem(path: str, kind: str) -> str | None:
    """"empty", "missing" or "kind" (a file where a folder is wanted, or the reverse); None
    when `path` names an existing `kind` ("folder" or "file")."""
    if not path.strip():
        return "empty"
    p = Path(path.strip()).expanduser()
    if not p.exists():
        return "missing"
    if (kind == "folder") != p.is_dir():
        return "kind"
    return None


def build_plan(c: Choices) -> Plan:
    """The plan of `c`, validated like a plan file; raises `PlanError` (or ValueError for a
    command line that does not split) naming what is wrong."""
    script = preset(c.task).module is None
    command = split_command(c.command) if script else None
    if script and not command:
        raise ValueError("the command is empty")
    sources = preset(c.task).data_sources
    source = None if script else (c.source or (sources[0] if sources else None))
    plan = plan_from_preset(c.task, optimizer=c.optimizer, fine_tune=c.fine_tune,
                            command=command, trials=c.trials, source=source)
    changes: dict[str, Any] = {}
    if c.extra_space:
        changes["space"] = {**plan.space, **c.extra_space}
    if script:
        names = changes.get("space", plan.space)
        changes.update(
            workdir=c.workdir.strip() or None, params_style=c.params_style,
            trial_folder=c.trial_folder, flag_names=c.flag_names, booleans=c.booleans,
            arguments={name: arg for name, arg in c.arguments.items()
                       if name in names and arg != Argument()},
            stdout_metrics=StdoutMetrics(tuple(MetricPattern(p) for p in c.patterns if p.strip())),
            objective=Objective(metric_name(c.metric), c.direction))
    else:
        if source is not None:
            data: dict[str, Any] = {"source": source}
            if source in DATA_PATHS:
                data["path"] = str(Path(c.data_path.strip()).expanduser())
            changes["data"] = data
    if c.checkpoint.strip() and "init_checkpoint" in plan.space:
        space = dict(changes.get("space", plan.space))
        space["init_checkpoint"] = Fixed(str(Path(c.checkpoint.strip()).expanduser()))
        changes["space"] = space
    if c.name.strip():
        changes["name"] = c.name.strip()
    plan = plan.with_changes(**changes)
    return parse_plan(plan.to_dict(), source="new experiment")


def needs_checkpoint(plan: Plan) -> bool:
    """The plan starts from pre-trained weights (pretrained fixed true) and names a checkpoint."""
    pretrained = plan.space.get("pretrained")
    return ("init_checkpoint" in plan.space and isinstance(pretrained, Fixed)
            and pretrained.value is True)


def digits_default() -> Plan:
    """The first experiment hpdesk offers: the classification preset on the built-in digits."""
    return build_plan(Choices(task="classification", source="digits"))
