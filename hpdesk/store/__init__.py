"""The SQLite store shared by the GUI, the scheduler and the trials (DESIGN.md, Data)."""

from hpdesk.store.connection import StoreError, connect, write_transaction
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
from hpdesk.store.store import Store

__all__ = [
    "EXPERIMENT_STATES", "FINISHED_STATES", "SCHEMA_VERSION", "TRIAL_STATES", "Event",
    "Experiment", "MetricPoint", "Store", "StoreError", "Trial", "connect", "migrate",
    "write_transaction",
]
