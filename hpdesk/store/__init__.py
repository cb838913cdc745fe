"""The SQLite store shared by the GUI, the scheduler and the trials (DESIGN.md, Data)."""

from hpdesk.store.connection import StoreError, connect, write_transaction
from hpdesk.store.curves import Curve, CurveRead, LastPoint, compact_curves, read_curves
from hpdesk.store.records import (
    EXPERIMENT_STATES,
    FINISHED_STATES,
    TRIAL_STATES,
    Event,
    Experiment,
    MetricPoint,
    Trial,
)
from hpdesk.store.schema import SCHEMA_VERSION, migrate
from hpdesk.store.store import SchedulerClaimed, Store, lock_busy

__all__ = [
    "EXPERIMENT_STATES", "FINISHED_STATES", "SCHEMA_VERSION", "TRIAL_STATES", "Curve",
    "CurveRead", "Event", "Experiment", "LastPoint", "MetricPoint", "SchedulerClaimed", "Store",
    "StoreError", "Trial", "compact_curves", "connect", "lock_busy", "migrate", "read_curves",
    "write_transaction",
]
