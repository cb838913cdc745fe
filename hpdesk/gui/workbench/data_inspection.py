"""One inspection of a plan's data (`hpdesk.analysis.data_inspect`), shared by the data panel and
the plan's advice, so that a folder is read once however many parts of the window look at it.

A folder may hold many files and the inspection reads every one (to find identical files and
the ones no reader opens), so it runs on its own thread pool, never on the one the advice and the
window use for short jobs. The advice asks for it by itself only for data of at most
AUTO_LIMIT files (`auto=True`); the data panel asks for any size. What cannot be read comes back
as an `Inspection` with an error kind and the analysis's sentence, never as an exception.
No pyqtgraph here: the advice imports this module when the window starts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from hpdesk.analysis.class_counts import IMAGE_SUFFIXES, data_of
from hpdesk.gui.base.background import Background

log = logging.getLogger(__name__)
AUTO_LIMIT = 20_000  # files the advice inspects without being asked
TASKS = ("classification", "detection")
Key = tuple[str, str, str]  # task, data source, path


@dataclass(frozen=True)
class Inspection:
    """What one inspection found: `report` (a DataReport), or `error` with its `kind` (missing,
    empty, not_yolo, builtin, unreadable, too_many, failed) and the analysis's sentence."""

    key: Key
    report: Any = None
    kind: str = ""
    error: str = ""


def inspected_data(plan: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """The task and data section the inspector reads for `plan` (a plan's `to_dict()`); None
    for a task it does not read (a GAN, your own script)."""
    if not isinstance(plan, Mapping) or plan.get("command"):
        return None
    task = plan.get("task")
    if task == "classification":
        data = data_of(plan)
        return (task, data) if data is not None else None
    if task == "detection":
        raw = plan.get("data")
        if isinstance(raw, str):
            return task, {"source": raw}
        if not isinstance(raw, Mapping):
            return task, {"source": "shapes"}
        return task, {"source": raw.get("source", "shapes"), "path": raw.get("path")}
    return None


def key_of(task: str, data: Mapping[str, Any]) -> Key:
    return task, str(data.get("source") or ""), str(data.get("path") or "")


def _file_count(task: str, root: Path, limit: int) -> int:
    """Image files under `root`, counted up to `limit + 1` (listing only, nothing opened)."""
    seen = 0
    for path in root.rglob("*"):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            seen += 1
            if seen > limit:
                break
    return seen


def inspect(task: str, data: Mapping[str, Any], limit: int | None = None) -> Inspection:
    """The inspection of `data` for `task` (on a pool thread); `limit`: skip data with more
    image files than that (kind too_many)."""
    from hpdesk.analysis.data_inspect import DataError, inspect_data

    key = key_of(task, data)
    path = str(data.get("path") or "").strip()
    source = key[1]
    if task == "detection" and source in ("", "shapes"):
        return Inspection(key, kind="builtin")
    if source in ("folder", "npz", "yolo"):
        if not path:
            return Inspection(key, kind="missing")
        where = Path(path).expanduser()
        if not where.exists():
            return Inspection(key, kind="missing")
        if source != "npz" and not where.is_dir():
            return Inspection(key, kind="unreadable")
        if limit is not None and source != "npz" and _file_count(task, where, limit) > limit:
            return Inspection(key, kind="too_many")
    try:
        report = inspect_data(task, dict(data))
    except DataError as exc:
        text = str(exc)
        kind = ("empty" if "no class sub-folder" in text or "holds no image" in text
                else "not_yolo" if "no images/ folder" in text else "unreadable")
        return Inspection(key, kind=kind, error=text)
    except Exception as exc:  # a data set nobody foresaw: said, logged, never raised
        log.exception("inspecting %r failed", data)
        return Inspection(key, kind="failed", error=str(exc))
    if task == "classification" and not sum(report.classes.values()):
        return Inspection(key, kind="empty", error="")
    return Inspection(key, report=report)


class DataInspections(QObject):
    """Inspections by data source, each computed once (until `request(..., again=True)`).

    Signal `finished(Inspection)` for every inspection that completes."""

    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background = Background(self)
        self.background.pool.setMaxThreadCount(1)  # one folder read at a time
        self._done: dict[Key, Inspection] = {}
        self._running: dict[Key, bool] = {}  # key: asked with a limit (auto)

    def result(self, task: str, data: Mapping[str, Any]) -> Inspection | None:
        """The finished inspection of this data, if there is one (a skipped automatic one
        counts as none)."""
        done = self._done.get(key_of(task, data))
        return None if done is None or done.kind == "too_many" else done

    def running(self, task: str, data: Mapping[str, Any]) -> bool:
        return key_of(task, data) in self._running

    def request(self, task: str, data: Mapping[str, Any], *, auto: bool = False,
                again: bool = False) -> Inspection | None:
        """Inspect this data in the background unless it is done or under way; returns the
        finished inspection when there is one already (`finished` is then not emitted)."""
        key = key_of(task, data)
        done = self._done.get(key)
        if done is not None and not again and not (done.kind == "too_many" and not auto):
            return done
        if key in self._running and not (self._running[key] and not auto):
            return None  # under way (an automatic one that may skip is asked again in full)
        self._running[key] = auto
        limit = AUTO_LIMIT if auto else None
        frozen = dict(data)

        def finished(result: object) -> None:
            if not isValid(self) or not isinstance(result, Inspection):
                return
            if self._running.get(key) != auto:
                return  # a fuller request replaced this one
            self._running.pop(key, None)
            self._done[key] = result
            self.finished.emit(result)

        def failed(message: str) -> None:
            if isValid(self) and self._running.get(key) == auto:
                self._running.pop(key, None)
                self.finished.emit(Inspection(key, kind="failed", error=message))

        self.background.run(lambda: inspect(task, frozen, limit), success=finished,
                            failure=failed, what=self.tr("Inspecting the data"))
        return None

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for running inspections (tests, closing)."""
        return self.background.wait(msecs)


__all__ = ["AUTO_LIMIT", "DataInspections", "Inspection", "inspect", "inspected_data", "key_of"]
