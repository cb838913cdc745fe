"""Immutable records read from the store: safe to pass between threads and into Qt signals."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

TRIAL_STATES = ("queued", "running", "completed", "pruned", "failed", "diverged", "interrupted")
FINISHED_STATES = frozenset({"completed", "pruned", "failed", "diverged"})
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

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Experiment:
        data = dict(row)
        data["plan"] = json.loads(data["plan"])
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

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Trial:
        data = dict(row)
        data["params"] = json.loads(data["params"])
        data["provenance"] = json.loads(data["provenance"]) if data.get("provenance") else None
        return cls(**data)

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
            "provenance": self.provenance,
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
