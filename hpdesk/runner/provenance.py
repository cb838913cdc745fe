"""What a trial ran with, recorded so a result can be traced and repeated; and what it will run
with, shown to the person before a plan from a file runs (`command_preview`).

The command, the working directory's git commit (and whether it had uncommitted changes), the
Python and package versions, the device and the seed, and the environment. Nothing recorded
holds a secret (hpdesk.plan.secrets, docs/security.md): variables whose names look secret and
the plan's secret env variables are left out (as Guild does before it records an environment),
passwords inside URLs and the values of secret-looking options (`--api-token X`) are masked.
"""

from __future__ import annotations

import functools
import platform
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from hpdesk.plan import Plan
from hpdesk.plan.secrets import MASK, looks_secret, mask_argv, mask_text, secret_env
from hpdesk.runner.launch import ENV_SECRET, preview_argv

PACKAGES = ("hpdesk", "torch", "numpy", "optuna", "scikit-learn", "sqlite-utils")
_RECORDED_ENV = re.compile(r"^(HPDESK_|CUDA_|OMP_|MKL_|PYTHON|PATH$|VIRTUAL_ENV$|CONDA_|"
                           r"(?i:(HTTPS?|ALL|NO)_PROXY)$)")
#: hpdesk's own variables that are not worth a record (the parameters are the trial's own
#: field) or that only list names.
_NOT_RECORDED = frozenset({"HPDESK_PARAMS", ENV_SECRET})


def scrub_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables worth recording (hpdesk's, CUDA's, threads, Python's, proxies), without
    the secret ones (names that look secret, the plan's secret env listed in
    HPDESK_SECRET_ENV) and with URL passwords masked in the rest."""
    hidden = set(filter(None, env.get(ENV_SECRET, "").split(",")))
    return {k: mask_text(v) for k, v in sorted(env.items())
            if _RECORDED_ENV.match(k) and k not in _NOT_RECORDED and k not in hidden
            and not looks_secret(k)}


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
        "command": mask_argv(argv),
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


@dataclass(frozen=True)
class CommandPreview:
    """What a plan will run, as shown before it runs (secrets masked): the argument list of its
    first trial (example parameters, `<trial folder>` for hpdesk's placeholders), the project
    folder a script runs from, and the variables the plan sets as (name, value shown): a
    secret's value shows as `***`, one taken from the environment as None."""

    argv: list[str]
    folder: str | None
    own_folders: bool
    env: list[tuple[str, str | None]]

    @property
    def command(self) -> str:
        import shlex

        return shlex.join(self.argv)


def command_preview(plan: Plan, *, python: str = "python",
                    project: str | None = None) -> CommandPreview:
    """The preview of `plan`'s first trial; `project` names the folder of a plan that does not
    say its own `workdir` (the plan file's folder)."""
    folder = plan.workdir or project
    context = {"project": folder} if folder else None
    argv = mask_argv(preview_argv(plan, python=python, context=context))
    secret = secret_env(plan.env, plan.env_secret)
    env: list[tuple[str, str | None]] = []
    for name in [*plan.env, *(n for n in plan.env_secret if n not in plan.env)]:
        if name not in secret:
            env.append((name, mask_text(plan.env[name])))
        else:
            env.append((name, MASK if name in plan.env else None))
    script = plan.command is not None
    return CommandPreview(argv, folder if script else None,
                          script and plan.trial_folder != "shared", env)
