from __future__ import annotations

import sys

import pytest

from hpdesk.runner.devices import Gpu, SlotPool, discover_gpus, select_gpus


def test_fake_gpu_declarations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPDESK_FAKE_GPUS", "2")
    assert [g.index for g in discover_gpus()] == [0, 1]
    monkeypatch.setenv("HPDESK_FAKE_GPUS", "H100:81559,A10:24576")
    gpus = discover_gpus()
    assert [(g.name, g.memory_mb) for g in gpus] == [("H100", 81559), ("A10", 24576)]
    assert gpus[0].label() == "cuda:0 (H100, 80 GiB)"


def test_without_gpus_or_nvml_the_list_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HPDESK_FAKE_GPUS", raising=False)
    found = discover_gpus()  # whatever this machine has (none, or real ones); never raises
    assert all(isinstance(g, Gpu) and g.memory_mb > 0 for g in found)
    import pynvml

    def no_driver() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_DRIVER_NOT_LOADED)

    monkeypatch.setattr(pynvml, "nvmlInit", no_driver)  # a laptop without the NVIDIA driver
    assert discover_gpus() == []
    monkeypatch.setitem(sys.modules, "pynvml", None)  # no NVML bindings at all
    assert discover_gpus() == []


def test_slots_spread_over_gpus_before_doubling_up() -> None:
    gpus = [Gpu(0, "a", 1), Gpu(1, "b", 1)]
    pool = SlotPool(gpus, trials_per_gpu=2, concurrency=8, cpu_count=8)
    assert pool.capacity == 4
    taken = [pool.take() for _ in range(4)]
    assert [s.gpu.index for s in taken if s and s.gpu] == [0, 1, 0, 1]
    assert pool.take() is None
    assert taken[0] is not None and taken[0].env()["CUDA_VISIBLE_DEVICES"] == "0"
    assert taken[0].env()["OMP_NUM_THREADS"] == "2"
    pool.give_back(taken[1])
    assert pool.free == 1 and pool.take() == taken[1]


def test_cpu_slots_share_the_cores_and_hide_gpus() -> None:
    pool = SlotPool([], trials_per_gpu=1, concurrency=2, cpu_count=2)
    a, b = pool.take(), pool.take()
    assert a and b and a.env()["HPDESK_NUM_THREADS"] == "1"
    assert a.env()["CUDA_VISIBLE_DEVICES"] == ""
    assert a.label == "cpu"


def test_select_gpus() -> None:
    found = [Gpu(0, "a", 1), Gpu(1, "b", 1)]
    assert select_gpus("auto", found) == found
    assert select_gpus("cpu", found) == []
    assert select_gpus((1,), found) == [found[1]]
    with pytest.raises(ValueError, match="asks for GPU 2"):
        select_gpus((0, 2), found)


def test_devices_command() -> None:
    import json
    import subprocess
    import sys

    env = {**__import__("os").environ, "HPDESK_FAKE_GPUS": "A10:24576"}
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "devices", "--json"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0
    assert json.loads(out.stdout)["gpus"][0]["name"] == "A10"
    env.pop("HPDESK_FAKE_GPUS")
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "devices"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 0
    here = discover_gpus()  # this machine's real GPUs (none on most test machines)
    if not here:
        assert "no GPU found: trials run on the CPU" in out.stdout
    else:  # each one listed, by name
        assert all(g.name in out.stdout for g in here) and "no GPU found" not in out.stdout
