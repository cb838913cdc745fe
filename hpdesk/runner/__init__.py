"""Running experiments: the scheduler loop, launching trial processes, judging their outcome.

The names below load on first use, so the window can read experiment summaries without
importing the scheduler and its launchers before it paints.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Scheduler": "hpdesk.runner.scheduler", "SchedulerError": "hpdesk.runner.scheduler",
    "create_experiment": "hpdesk.runner.experiment", "summarize": "hpdesk.runner.experiment",
    "default_db_path": "hpdesk.runner.paths", "experiment_dir": "hpdesk.runner.paths",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hpdesk.runner' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
