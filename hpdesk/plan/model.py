"""The experiment plan: everything needed to run an experiment again, anywhere.

A `Plan` is immutable and plain; `to_dict()` is the exported form (`hpdesk: 1`) that plan files,
the database and the advice rules all share, and `hpdesk.plan.schema.parse_plan` turns that form
back into a `Plan`, so `parse_plan(plan.to_dict()) == plan` for every valid plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hpdesk.plan.cluster import RayOptions
from hpdesk.plan.script import Argument, StdoutMetrics
from hpdesk.plan.secrets import env_to_dict
from hpdesk.plan.space import Distribution

FORMAT_VERSION = 1
#: Search strategies (hpdesk.search) and early-stopping rules; their options are in
#: hpdesk.plan.search_options, their explanations in the knowledge data (search.yaml).
STRATEGIES = ("random", "grid", "sobol", "tpe", "gp", "cmaes", "nsga2", "staged", "pbt")
PRUNERS = ("none", "median", "asha", "hyperband", "patience", "threshold")
EXECUTORS = ("local", "ray")
DIRECTIONS = ("maximize", "minimize")
REDUCTIONS = ("last", "best")


@dataclass(frozen=True)
class Strategy:
    """How the next configuration is chosen. `options` holds the strategy's own settings as the
    plan gave them (defaults are filled in where they are used, so a plan file stays short);
    `repeats` is how many times one configuration may run (1: never twice)."""

    name: str = "random"
    seed: int | None = None
    grid_points: int = 3  # values per numeric axis when a grid meets a range
    options: Mapping[str, Any] = field(default_factory=dict)
    repeats: int = 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.seed is not None:
            out["seed"] = self.seed
        if self.name == "grid":
            out["grid_points"] = self.grid_points
        if self.repeats != 1:
            out["repeats"] = self.repeats
        out.update(_plain_copy(self.options))
        return out

    def option(self, name: str) -> Any:
        """The option's value, or its default for this strategy."""
        from hpdesk.plan.search_options import STRATEGY_OPTIONS

        return self.options.get(name, STRATEGY_OPTIONS[self.name][name].default)


@dataclass(frozen=True)
class Pruner:
    """Early stopping: which running trials to stop, judged on the objective's intermediate
    values (each report of the objective metric is one unit of resource, an epoch for the
    built-in tasks)."""

    name: str = "none"
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **_plain_copy(self.options)}

    def option(self, name: str) -> Any:
        from hpdesk.plan.search_options import PRUNER_OPTIONS

        return self.options.get(name, PRUNER_OPTIONS[self.name][name].default)


def _plain_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_copy(v) for v in value]
    return value


@dataclass(frozen=True)
class Budget:
    """When the scheduler stops launching trials: whichever limit is reached first. `epochs`
    and `steps` count training across all trials (an epoch is one report of the objective)."""

    trials: int = 10
    wall_time: float | None = None  # seconds for the whole experiment
    epochs: int | None = None
    steps: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"trials": self.trials}
        if self.wall_time is not None:
            out["wall_time"] = self.wall_time
        if self.epochs is not None:
            out["epochs"] = self.epochs
        if self.steps is not None:
            out["steps"] = self.steps
        return out


def objective_entries(plan: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The objectives of a plan in its exported form (`experiment.plan`), first one first, read
    without validation: `objective` is one mapping, or a list of them for several objectives.
    Views and summaries read stored plans with this, whatever hpdesk wrote them."""
    raw = (plan or {}).get("objective")
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, Mapping):
            out.append({"metric": str(item.get("metric") or "objective"),
                        "direction": "minimize" if item.get("direction") == "minimize"
                        else "maximize", "reduce": str(item.get("reduce") or "last")})
    return out or [{"metric": "objective", "direction": "maximize", "reduce": "last"}]


@dataclass(frozen=True)
class Objective:
    metric: str
    direction: str = "maximize"
    reduce: str = "last"  # the last reported value, or the best one of the run

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "direction": self.direction, "reduce": self.reduce}

    def better(self, a: float, b: float) -> bool:
        return a > b if self.direction == "maximize" else a < b


@dataclass(frozen=True)
class Executor:
    """Where and how trials run. devices: "auto" (every GPU found, else the CPU), "cpu", or GPU
    indices; trials_per_gpu trials share one GPU; a trial over trial_timeout seconds is stopped
    and failed; a failed trial is tried `retries` more times with the same parameters. A trial
    that shows no progress for stall_timeout seconds (no metric point, no output, no CPU time)
    is stalled: marked in the window, and stopped (as failed) when on_stall is "stop"."""

    kind: str = "local"
    devices: str | tuple[int, ...] = "auto"
    trials_per_gpu: int = 1
    trial_timeout: float | None = None
    retries: int = 0
    warm_start: bool = True
    stall_timeout: float | None = 900.0
    on_stall: str = "stop"
    #: A script's log keeps its first and last output within this many MB (1 MB = 10^6
    #: bytes), with a marker line where the middle was dropped (runner.capped_log).
    log_limit_mb: float = 100.0
    #: kind "ray": the cluster and what each trial asks of it (plan.cluster).
    ray: RayOptions | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "ray":
            out.update((self.ray or RayOptions()).to_dict())
        out["devices"] = self.devices if isinstance(self.devices, str) else list(self.devices)
        out["trials_per_gpu"] = self.trials_per_gpu
        if self.trial_timeout is not None:
            out["trial_timeout"] = self.trial_timeout
        out["retries"] = self.retries
        out["warm_start"] = self.warm_start
        out["stall_timeout"] = self.stall_timeout
        out["on_stall"] = self.on_stall
        if self.log_limit_mb != Executor.log_limit_mb:
            out["log_limit_mb"] = self.log_limit_mb
        return out


@dataclass(frozen=True)
class Plan:
    task: str
    space: Mapping[str, Distribution]
    objective: Objective
    name: str = ""
    fine_tune: bool = False
    strategy: Strategy = field(default_factory=Strategy)
    budget: Budget = field(default_factory=Budget)
    concurrency: int = 1
    executor: Executor = field(default_factory=Executor)
    command: tuple[str, ...] | None = None
    workdir: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    #: `secret: true` or `false` as the plan file marks an env entry (hpdesk.plan.secrets): a
    #: secret's value is never stored or saved, and a marked name without a value in `env` is
    #: taken from the environment that launches the experiment.
    env_secret: Mapping[str, bool] = field(default_factory=dict)
    data: Mapping[str, Any] | None = None  # where a built-in task reads its data: {source: ...}
    params_style: str = "template"  # how a script receives its parameters (PARAMS_STYLES)
    stdout_metrics: StdoutMetrics = field(default_factory=StdoutMetrics)
    pruner: Pruner = field(default_factory=Pruner)
    #: Objectives after the first (`nsga2`, `tpe`, `random`... search a Pareto front).
    extra_objectives: tuple[Objective, ...] = ()
    #: Own scripts (hpdesk.plan.script): each parameter's way onto the command line, the
    #: default style of flag names and of true/false values, and where each trial runs.
    arguments: Mapping[str, Argument] = field(default_factory=dict)
    flag_names: str = "as_written"
    booleans: str = "value"
    trial_folder: str = "own"

    @property
    def objectives(self) -> tuple[Objective, ...]:
        return (self.objective, *self.extra_objectives)

    def __eq__(self, other: object) -> bool:
        # Mapping fields compare by content and order, so a round trip that reorders is caught.
        if not isinstance(other, Plan):
            return NotImplemented
        return self.to_dict() == other.to_dict() and list(self.space) == list(other.space)

    def __hash__(self) -> int:
        return hash((self.task, self.name, tuple(self.space)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hpdesk": FORMAT_VERSION}
        if self.name:
            out["name"] = self.name
        out["task"] = self.task
        out["fine_tune"] = self.fine_tune
        if self.command is not None:
            out["command"] = list(self.command)
        if self.workdir is not None:
            out["workdir"] = self.workdir
        if self.env or self.env_secret:
            out["env"] = env_to_dict(self.env, self.env_secret)  # secrets as {secret: true}
        if self.data is not None:
            out["data"] = dict(self.data)
        if self.command is not None:
            out["trial_folder"] = self.trial_folder
            out["params_style"] = self.params_style
            if self.flag_names != "as_written":
                out["flag_names"] = self.flag_names
            if self.booleans != "value":
                out["booleans"] = self.booleans
            if self.arguments:
                out["arguments"] = {name: arg.to_dict() for name, arg in self.arguments.items()}
            out["stdout_metrics"] = self.stdout_metrics.to_dict()
        if self.extra_objectives:
            out["objective"] = [o.to_dict() for o in self.objectives]
        else:
            out["objective"] = self.objective.to_dict()
        out["strategy"] = self.strategy.to_dict()
        if self.pruner.name != "none" or self.pruner.options:
            out["pruner"] = self.pruner.to_dict()
        out["budget"] = self.budget.to_dict()
        out["concurrency"] = self.concurrency
        out["executor"] = self.executor.to_dict()
        out["space"] = {name: dist.to_dict() for name, dist in self.space.items()}
        return out

    def with_changes(self, **changes: Any) -> Plan:
        return replace(self, **changes)

    def resolved(self, base: Path) -> Plan:
        """Relative paths made absolute against `base` (the plan file's folder), so the
        experiment runs the same whatever the scheduler's working directory; a script's
        project folder (`workdir`) is the plan's folder unless the plan names one."""
        changes: dict[str, Any] = {}
        if self.data is not None and isinstance(self.data.get("path"), str):
            path = Path(self.data["path"]).expanduser()
            if not path.is_absolute():
                changes["data"] = {**self.data, "path": str((base / path).resolve())}
        if self.workdir is not None and not Path(self.workdir).expanduser().is_absolute():
            changes["workdir"] = str((base / self.workdir).resolve())
        elif self.workdir is None and self.command is not None:
            changes["workdir"] = str(base.resolve())  # a script's project: the plan's folder
        return replace(self, **changes) if changes else self

    def argument(self, name: str) -> Argument:
        """How parameter `name` reaches the script (the plan's defaults unless said)."""
        return self.arguments.get(name, Argument())

    def searched(self) -> list[str]:
        """Names of the parameters that vary (not fixed)."""
        return [n for n, d in self.space.items() if d.kind != "fixed"]
