"""Where hpdesk keeps its files: the default database and each experiment's trial logs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "hpdesk"


def default_db_path() -> Path:
    """`~/.local/share/hpdesk/hpdesk.db` on Linux (platformdirs), `$HPDESK_DB_PATH` if set."""
    override = os.environ.get("HPDESK_DB_PATH")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "hpdesk.db"


def experiment_dir(db_path: str | os.PathLike[str], experiment_id: int) -> Path:
    """Logs and checkpoints sit beside the database, so copying both keeps them together."""
    db = Path(db_path)
    return db.parent / f"{db.stem}-runs" / f"experiment-{experiment_id}"
