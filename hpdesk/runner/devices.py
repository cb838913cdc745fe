"""GPUs and trial slots: which device each trial gets, without importing torch.

GPUs are found through NVML (`nvidia-ml-py`, the library nvidia-smi uses), so the scheduler and
the GUI stay free of torch. `HPDESK_FAKE_GPUS` declares a device list for machines without one
(tests, demos): a count ("2") or names with memory in MiB ("A100:40960,A100:40960").
Each GPU offers `trials_per_gpu` slots; a trial on a slot sees only its GPU through
`CUDA_VISIBLE_DEVICES`. CPU trials get an equal share of the cores instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)
FAKE_ENV = "HPDESK_FAKE_GPUS"


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    memory_mb: int
    uuid: str | None = None

    def label(self) -> str:
        return f"cuda:{self.index} ({self.name}, {self.memory_mb / 1024:.0f} GiB)"


@dataclass(frozen=True)
class Utilisation:
    index: int
    gpu_pct: float
    memory_used_mb: int
    memory_total_mb: int


def _fake_gpus(spec: str) -> list[Gpu]:
    spec = spec.strip()
    if spec.isdigit():
        return [Gpu(i, "Fake GPU", 16_384) for i in range(int(spec))]
    gpus = []
    for i, item in enumerate(filter(None, (s.strip() for s in spec.split(",")))):
        name, _, mem = item.partition(":")
        gpus.append(Gpu(i, name or "Fake GPU", int(mem) if mem.isdigit() else 16_384))
    return gpus


def discover_gpus() -> list[Gpu]:
    """Every NVIDIA GPU NVML sees (an empty list when there is none, or no driver)."""
    fake = os.environ.get(FAKE_ENV)
    if fake is not None:
        return _fake_gpus(fake)
    try:
        import pynvml
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # no driver, no device: the normal case on a laptop
        log.debug("NVML unavailable: %s", exc)
        return []
    try:
        gpus = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(handle)
            mem = pynvml.nvmlDeviceGetMemoryInfo(handle).total // (1024 * 1024)
            uuid = pynvml.nvmlDeviceGetUUID(handle)
            gpus.append(Gpu(i, name.decode() if isinstance(name, bytes) else name, int(mem),
                            uuid.decode() if isinstance(uuid, bytes) else uuid))
        return gpus
    finally:
        pynvml.nvmlShutdown()


def utilisation() -> list[Utilisation]:
    """Live load of each GPU (empty without NVML); for status displays and benchmarks."""
    if os.environ.get(FAKE_ENV) is not None:
        return [Utilisation(g.index, 0.0, 0, g.memory_mb) for g in discover_gpus()]
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return []
    try:
        out = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            rates = pynvml.nvmlDeviceGetUtilizationRates(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            out.append(Utilisation(i, float(rates.gpu), int(mem.used // 2**20),
                                   int(mem.total // 2**20)))
        return out
    finally:
        pynvml.nvmlShutdown()


@dataclass(frozen=True)
class Slot:
    """Where one trial runs: a GPU (index) or the CPU (None), and its environment."""

    gpu: Gpu | None
    threads: int

    @property
    def label(self) -> str:
        return self.gpu.label() if self.gpu else "cpu"

    def env(self) -> dict[str, str]:
        threads = str(self.threads)
        env = {"HPDESK_NUM_THREADS": threads, "OMP_NUM_THREADS": threads,
               "MKL_NUM_THREADS": threads,
               "CUDA_VISIBLE_DEVICES": "" if self.gpu is None else str(self.gpu.index)}
        return env


class SlotPool:
    """Hands out slots: `trials_per_gpu` per selected GPU, or `concurrency` CPU slots."""

    def __init__(self, gpus: Sequence[Gpu], *, trials_per_gpu: int, concurrency: int,
                 cpu_count: int | None = None) -> None:
        cores = cpu_count or os.cpu_count() or 1
        if gpus:
            self.capacity = min(concurrency, len(gpus) * trials_per_gpu)
            # Round-robin order: the first trials spread over the GPUs before any GPU doubles up.
            order = [g for _ in range(trials_per_gpu) for g in gpus]
            share = max(1, cores // max(1, self.capacity))
            self._free: list[Slot] = [Slot(g, share) for g in order[: self.capacity]]
        else:
            self.capacity = concurrency
            share = max(1, cores // max(1, concurrency))
            self._free = [Slot(None, share) for _ in range(concurrency)]
        self._order = list(self._free)

    def take(self) -> Slot | None:
        return self._free.pop(0) if self._free else None

    def give_back(self, slot: Slot) -> None:
        self._free.append(slot)
        self._free.sort(key=self._order.index)

    @property
    def free(self) -> int:
        return len(self._free)


def select_gpus(devices: str | Sequence[int], found: Sequence[Gpu]) -> list[Gpu]:
    """The GPUs a plan asks for: "auto" (all found), "cpu" (none), or indices."""
    if devices == "cpu":
        return []
    if isinstance(devices, str):  # "auto"; the plan's schema allows no other word
        return list(found)
    by_index = {g.index: g for g in found}
    missing = [i for i in devices if i not in by_index]
    if missing:
        raise ValueError(f"the plan asks for GPU {', '.join(map(str, missing))}, but this machine "
                         f"has {len(found)} GPU(s)")
    return [by_index[i] for i in devices]
