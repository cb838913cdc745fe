"""Where a Ray executor sends trials and what each trial asks of the cluster.

`executor: {kind: ray, address: local}` starts a private Ray head on loopback for the run;
any other address names an existing cluster's job server (the dashboard's HTTP address, as
`ray job submit --address` takes it). Each trial is one Ray job asking for `cpus_per_trial`
CPUs, `gpus_per_trial` GPUs (a fraction lets several trials share one GPU) and optionally
`memory_mb`; its runtime environment (working folder, pip packages or a conda env, environment
variables) is Ray's own `runtime_env`, checked here so a typo fails before anything starts.

Authentication and TLS are Ray's: a token in `auth_token_file` (or Ray's own RAY_AUTH_TOKEN,
RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token) and `ca_file` for a cluster whose certificate no system
authority signed. hpdesk never turns either off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hpdesk.plan.reader import Reader

LOCAL = "local"
RAY_FIELDS = ("address", "cpus_per_trial", "gpus_per_trial", "memory_mb", "runtime_env",
              "ca_file", "auth_token_file", "local_cpus")
RUNTIME_ENV_FIELDS = ("working_dir", "pip", "conda", "env_vars")
_ADDRESS = re.compile(r"^(?:(?:https?|ray)://)?[A-Za-z0-9_.\-\[\]:]+(?::\d{1,5})?/?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ;@/:+]*$")


@dataclass(frozen=True)
class RuntimeEnv:
    """Ray's runtime_env, the parts hpdesk passes on: a folder uploaded as the job's working
    folder, pip requirements or a conda env name, and environment variables."""

    working_dir: str | None = None
    pip: tuple[str, ...] = ()
    conda: str | None = None
    env_vars: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.working_dir is not None:
            out["working_dir"] = self.working_dir
        if self.pip:
            out["pip"] = list(self.pip)
        if self.conda is not None:
            out["conda"] = self.conda
        if self.env_vars:
            out["env_vars"] = dict(self.env_vars)
        return out


@dataclass(frozen=True)
class RayOptions:
    address: str = LOCAL
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    memory_mb: float | None = None
    runtime_env: RuntimeEnv = field(default_factory=RuntimeEnv)
    ca_file: str | None = None
    auth_token_file: str | None = None
    #: `address: local` only: the CPUs the private head offers (default: this machine's).
    local_cpus: int | None = None

    @property
    def local(self) -> bool:
        return self.address == LOCAL

    def job_server(self) -> str:
        """The address as the Jobs SDK takes it (a bare host:port gets http://)."""
        if "://" in self.address:
            return self.address.rstrip("/")
        return "http://" + self.address.rstrip("/")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"address": self.address, "cpus_per_trial": self.cpus_per_trial,
                               "gpus_per_trial": self.gpus_per_trial}
        if self.memory_mb is not None:
            out["memory_mb"] = self.memory_mb
        runtime = self.runtime_env.to_dict()
        if runtime:
            out["runtime_env"] = runtime
        for name in ("ca_file", "auth_token_file", "local_cpus"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


def read_ray_options(r: Reader, m: Mapping[str, Any]) -> RayOptions | None:
    """The Ray fields of an `executor` mapping (problems recorded on `r`)."""
    ok = True
    address = m.get("address", LOCAL)
    if not isinstance(address, str) or not (address == LOCAL or _ADDRESS.match(address.strip())):
        r.fail("executor.address", "local, or a Ray job server such as http://head:8265",
               address)
        ok = False
    cpus = r.number("executor.cpus_per_trial", m.get("cpus_per_trial", 1))
    if cpus is not None and not 0 < cpus <= 1024:
        r.fail("executor.cpus_per_trial", "more than 0 and at most 1024 CPUs", cpus)
        cpus = None
    gpus = r.number("executor.gpus_per_trial", m.get("gpus_per_trial", 0))
    if gpus is not None and not 0 <= gpus <= 64:
        r.fail("executor.gpus_per_trial", "between 0 and 64 GPUs (0.5: two trials share one)",
               gpus)
        gpus = None
    memory = m.get("memory_mb")
    if memory is not None:
        memory = r.number("executor.memory_mb", memory)
        if memory is not None and not 0 < memory <= 1e9:
            r.fail("executor.memory_mb", "a positive number of MB", memory)
            memory = None
        ok = ok and memory is not None
    local_cpus = m.get("local_cpus")
    if local_cpus is not None:
        local_cpus = r.number("executor.local_cpus", local_cpus, integer=True)
        if local_cpus is not None and not 1 <= local_cpus <= 4096:
            r.fail("executor.local_cpus", "between 1 and 4096 CPUs", local_cpus)
            local_cpus = None
        ok = ok and local_cpus is not None
    paths = {}
    for name in ("ca_file", "auth_token_file"):
        value = m.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            r.fail(f"executor.{name}", "a file path", value)
            ok = False
        paths[name] = value
    runtime = _runtime_env(r, m.get("runtime_env", {}))
    if not ok or cpus is None or gpus is None or runtime is None:
        return None
    return RayOptions(str(address).strip(), float(cpus), float(gpus),
                      None if memory is None else float(memory), runtime,
                      paths["ca_file"], paths["auth_token_file"],
                      None if local_cpus is None else int(local_cpus))


def _runtime_env(r: Reader, value: Any) -> RuntimeEnv | None:
    m = r.mapping("executor.runtime_env", value, RUNTIME_ENV_FIELDS)
    if m is None:
        return None
    ok = True
    working_dir = m.get("working_dir")
    if working_dir is not None and (not isinstance(working_dir, str) or not working_dir.strip()):
        r.fail("executor.runtime_env.working_dir", "a folder path", working_dir)
        ok = False
    pip = m.get("pip", [])
    if isinstance(pip, str):
        pip = [pip]
    if not isinstance(pip, list) or not all(isinstance(p, str) and _PACKAGE.match(p)
                                            for p in pip):
        r.fail("executor.runtime_env.pip", "a list of pip requirements such as [torch>=2.2]",
               pip)
        ok = False
    conda = m.get("conda")
    if conda is not None and (not isinstance(conda, str) or not conda.strip()):
        r.fail("executor.runtime_env.conda", "the name of a conda env on the cluster", conda)
        ok = False
    if conda is not None and pip:
        r.fail("executor.runtime_env", "pip or conda, not both (Ray takes one)", "both")
        ok = False
    env_vars = m.get("env_vars", {})
    if not isinstance(env_vars, Mapping) or not all(
            isinstance(k, str) and _ENV_NAME.match(k) and isinstance(v, (str, int, float))
            and not isinstance(v, bool) for k, v in env_vars.items()):
        r.fail("executor.runtime_env.env_vars", "a mapping of variable names to texts",
               env_vars)
        ok = False
    if not ok:
        return None
    return RuntimeEnv(working_dir, tuple(pip), conda,
                      {str(k): str(v) for k, v in env_vars.items()})
