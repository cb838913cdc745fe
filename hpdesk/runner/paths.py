"""Where hpdesk keeps its files: the default database and each experiment's trial logs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from hpdesk.store import Store

APP = "hpdesk"


def default_db_path() -> Path:
    """`~/.local/share/hpdesk/hpdesk.db` on Linux (platformdirs), `$HPDESK_DB_PATH` if set."""
    override = os.environ.get("HPDESK_DB_PATH")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "hpdesk.db"


def new_experiment_dir(db_path: str | os.PathLike[str], experiment_id: int) -> Path:
    """A fresh folder for an experiment's logs and checkpoints, beside the database (copying
    both keeps them together). Never an old one: a database deleted and made again numbers its
    experiments from 1 again, and a new trial must not resume an old trial's checkpoint."""
    db = Path(db_path)
    base = db.parent / f"{db.stem}-runs"
    folder = base / f"experiment-{experiment_id}"
    n = 1
    while folder.exists():
        n += 1
        folder = base / f"experiment-{experiment_id}.{n}"
    return folder


def experiment_dir(store: Store, experiment_id: int) -> Path:
    """The experiment's folder as recorded when it was created."""
    workdir = store.experiment(experiment_id).workdir
    return Path(workdir) if workdir else new_experiment_dir(store.path, experiment_id)
