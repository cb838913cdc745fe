"""Where hpdesk keeps its files: the default database and each experiment's trial logs; and who
may read them (docs/security.md): every file and folder hpdesk creates is the user's alone.

Each entry point (the `hpdesk` command, the detached scheduler it starts, the window) calls
`keep_files_private()` first: umask 077, so the database and its side files, the runs folder,
trial folders and logs, `params.json`, settings and exports are created 0600 / 0700 whatever
the code that creates them says. The person's own umask is remembered in `HPDESK_USER_UMASK`
(a detached scheduler inherits it) and restored for trial processes: the files a training
script writes (its checkpoints, its outputs) are the person's, with the modes they chose; they
sit inside a 0700 trial folder all the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

if TYPE_CHECKING:
    from hpdesk.store import Store

APP = "hpdesk"
#: Files 0600, folders 0700.
PRIVATE_UMASK = 0o077
#: The umask the person started hpdesk with, in octal ("022"), for the trials it starts.
ENV_USER_UMASK = "HPDESK_USER_UMASK"


def keep_files_private() -> None:
    """From now on this process creates files and folders readable by the user only; the umask
    it had before is kept in the environment for trials (`user_umask`). Safe to call twice."""
    previous = os.umask(PRIVATE_UMASK)
    if _parse_umask(os.environ.get(ENV_USER_UMASK)) is None:
        os.environ[ENV_USER_UMASK] = f"{previous:03o}"


def user_umask() -> int:
    """The person's own umask: as remembered by `keep_files_private`, else this process's."""
    remembered = _parse_umask(os.environ.get(ENV_USER_UMASK))
    if remembered is not None:
        return remembered
    current = os.umask(PRIVATE_UMASK)
    os.umask(current)
    return current


def _parse_umask(text: str | None) -> int | None:
    if not text or len(text) > 4:
        return None
    try:
        value = int(text, 8)
    except ValueError:
        return None
    return value if 0 <= value <= 0o777 else None


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
