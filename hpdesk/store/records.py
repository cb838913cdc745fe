"""Immutable records read from the store: safe to pass between threads and into Qt signals."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: pruned: stopped early by the plan's pruner; stopped: stopped by a person (the window, `hpdesk
#: stop --trial`); paused: a population member waiting for the rest of its generation (PBT);
#: no_objective: it ended well but never reported the objective metric (a misnamed metric).
TRIAL_STATES = ("queued", "running", "paused", "completed", "no_objective", "pruned", "stopped",
                "failed", "diverged", "interrupted")
FINISHED_STATES = frozenset({"completed", "no_objective", "pruned", "stopped", "failed",
                             "diverged"})
EXPERIMENT_STATES = ("created", "running", "completed", "stopped", "failed", "interrupted")


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    task: str
    plan: dict[str, Any]
    state: str
    requested_state: str | None
    created_at: float
    updated_at: float
    scheduler_pid: int | None
    scheduler_host: str | None
    heartbeat_at: float | None
    workdir: str | None
    scheduler_started_at: float | None = None  # its process's start time (a reused pid differs)
    archived: bool = False  # put away by a person: hidden from the window's list by default

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Experiment:
        data = dict(row)
        data["plan"] = json.loads(data["plan"])
        if "archived" in data:
            data["archived"] = bool(data["archived"])
        return cls(**data)


@dataclass(frozen=True)
class Trial:
    id: int
    experiment_id: int
    number: int
    params: dict[str, Any]
    state: str
    requested_state: str | None
    device: str | None
    pid: int | None
    host: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    exit_code: int | None
    objective: float | None
    log_path: str | None
    message: str | None
    provenance: dict[str, Any] | None = None
    retry_of: int | None = None  # the trial (id) this one retries with the same parameters
    search_state: dict[str, Any] | None = None  # what the search keeps with it (stage, notes)
    objectives: list[float | None] | None = None  # every objective's value (several objectives)
    process_started_at: float | None = None  # its process's start time (a reused pid differs)
    last_report_at: float | None = None  # when it last showed progress (a point, a printed line)
    stalled_since: float | None = None  # set while it reports nothing for the plan's stall time

    @classmethod
    def from_row(cls, row: sqlite3.Row | Mapping[str, Any]) -> Trial:
        data = dict(row)
        for key in ("params", "provenance", "search_state", "objectives"):
            if key in data:
                data[key] = json.loads(data[key]) if data[key] else (
                    {} if key == "params" else None)
        return cls(**data)

    @property
    def stage(self) -> int | None:
        """The stage of a staged search this trial belongs to (1 first), else None."""
        stage = (self.search_state or {}).get("stage")
        return stage if isinstance(stage, int) else None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    def to_json(self) -> dict[str, Any]:
        """The stable shape `hpdesk trials --json` prints (scripts rely on these keys)."""
        return {
            "experiment_id": self.experiment_id,
            "trial_id": self.id,
            "number": self.number,
            "state": self.state,
            "params": self.params,
            "objective": self.objective,
            "exit_code": self.exit_code,
            "device": self.device,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "log_path": self.log_path,
            "message": self.message,
            "retry_of": self.retry_of,
            "objectives": self.objectives,
            "stage": self.stage,
            "provenance": self.provenance,
            "last_report_at": self.last_report_at,
            "stalled_since": self.stalled_since,
        }


@dataclass(frozen=True)
class MetricPoint:
    rowid: int
    trial_id: int
    name: str
    step: int
    value: float | None
    wall_time: float


@dataclass(frozen=True)
class Event:
    id: int
    experiment_id: int | None
    trial_id: int | None
    kind: str
    level: str
    message: str
    step: int | None
    created_at: float
    data: dict[str, Any] | None = None  # a structured payload (stage, importance, PBT step)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Event:
        fields = dict(row)
        fields["data"] = json.loads(fields["data"]) if fields.get("data") else None
        return cls(**fields)
