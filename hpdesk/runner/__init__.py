"""Running experiments: the scheduler loop, launching trial processes, judging their outcome."""

from hpdesk.runner.experiment import create_experiment, summarize
from hpdesk.runner.paths import default_db_path, experiment_dir
from hpdesk.runner.scheduler import Scheduler, SchedulerError

__all__ = ["Scheduler", "SchedulerError", "create_experiment", "default_db_path",
           "experiment_dir", "summarize"]
