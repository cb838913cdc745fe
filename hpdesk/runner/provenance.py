"""What a trial ran with, recorded so a result can be traced and repeated.

The command, the working directory's git commit (and whether it had uncommitted changes), the
Python and package versions, the device and the seed, and the environment with anything that
looks like a secret removed (as Guild does before it records an environment).
"""

from __future__ import annotations

import functools
import platform
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

SECRET = re.compile(r"(TOKEN|SECRET|PASSW|PASSWD|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)",
                    re.IGNORECASE)
PACKAGES = ("hpdesk", "torch", "numpy", "optuna", "scikit-learn", "sqlite-utils")
_RECORDED_ENV = re.compile(r"^(HPDESK_|CUDA_|OMP_|MKL_|PYTHON|PATH$|VIRTUAL_ENV$|CONDA_)")


def scrub_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables worth recording (hpdesk's, CUDA's, threads, Python's), secrets removed."""
    return {k: v for k, v in sorted(env.items())
            if _RECORDED_ENV.match(k) and not SECRET.search(k) and k != "HPDESK_PARAMS"}


@functools.lru_cache(maxsize=32)
def git_state(folder: str) -> dict[str, Any] | None:
    """The commit of the repository `folder` is in, and whether its work tree is dirty."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True,
                                 timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status), "branch": git("rev-parse", "--abbrev-ref",
                                                                   "HEAD")}


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance(argv: Sequence[str], cwd: str | None, env: Mapping[str, str], *, device: str,
               params: Mapping[str, Any], project: str | None = None) -> dict[str, Any]:
    """`project`: a script's project folder, whose git state is the code that ran (the trial
    runs in a folder of its own beside it)."""
    folder = str(Path(cwd or ".").resolve())
    out = {
        "command": list(argv),
        "cwd": folder,
        "git": git_state(project or folder),
        "versions": versions(),
        "interpreter": argv[0] if argv else sys.executable,
        "host": platform.node(),
        "device": device,
        "seed": params.get("seed"),
        "env": scrub_env(env),
    }
    if project is not None:
        out["project"] = project
    return out
