"""A folder per trial: each trial of a script runs in its own working directory, so the files a
script writes relative to it (`model.pt`, plots, caches) never meet another trial's.

The script and what it reads must still resolve from there. hpdesk fills the trial folder from
the project folder (the plan's `workdir`) once, when the trial first starts:

- each top-level folder of the project is linked (`data/`, packages: read where they are);
- each top-level file up to `COPY_LIMIT` is copied (the script, its modules, configs, small data
  such as a `traindata.pt`; a copy is private, so a trial that overwrites `model.pt` left over
  from a run by hand overwrites its own copy);
- larger files are linked (data sets), as are entries that are links already.

A script that writes into a linked folder writes into the project itself, where every trial
sees it: such outputs belong in the working directory or `{trial_dir}`. hpdesk's own files (the
database, the runs folder, `params.json`) are never linked in. A resumed trial keeps its folder:
entries already there are left alone.

The folder is the user's alone (0700), and so are the copies (the owner's permission bits of
the original, an executable script staying executable): docs/security.md.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

COPY_LIMIT = 32 * 1024 * 1024
#: hpdesk writes these into the trial folder itself.
OWN_NAMES = frozenset({"params.json"})


def fill_trial_folder(trial_dir: Path, project: Path, *, skip: Iterable[Path] = ()) -> None:
    """Link or copy the project's top-level entries into `trial_dir` (see the module text)."""
    trial_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    project = project.resolve()
    skipped = {_resolved(p) for p in skip}
    inside = trial_dir.resolve()
    for entry in sorted(project.iterdir()):
        target = trial_dir / entry.name
        real = _resolved(entry)
        if (entry.name in OWN_NAMES or real in skipped or target.exists() or target.is_symlink()
                or real == inside or real in inside.parents):
            continue
        if entry.is_file() and not entry.is_symlink() and _size(entry) <= COPY_LIMIT:
            shutil.copy2(entry, target)
            os.chmod(target, stat.S_IMODE(target.stat().st_mode) & 0o700)
        else:
            os.symlink(entry, target, target_is_directory=entry.is_dir())


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
