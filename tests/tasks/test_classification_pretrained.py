"""Fine-tuning the classifier: a second run starts from an earlier trial's checkpoint.pt.

KNOWLEDGE.md §5: fine-tuning lowers the learning rate because the network starts from weights
trained before; these tests check that the classification task really starts from them (the
tensors that fit), re-initialises a head sized for another class count, and fails with one line
when the file is missing or nothing in it fits.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from hpdesk.tasks import classification as cls
from hpdesk.tasks.common import EXIT_BAD_PARAMS, ParamError
from hpdesk.tasks.image_data import load_data, load_digits_arrays
from hpdesk.tasks.weights import checkpoint_tensors, load_matching

# The one-thread and no-trial-folder fixtures, and `run`, of the classification tests.
from tests.tasks.test_classification import _no_trial_dir, _one_thread, run  # noqa: F401


@pytest.fixture(scope="module")
def digits_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real one-epoch digits trial's checkpoint.pt (10 classes)."""
    folder = tmp_path_factory.mktemp("first_trial")
    result, _ = run(checkpoint_dir=str(folder))
    assert result.status == "completed"
    assert (folder / "checkpoint.pt").is_file()
    return folder / "checkpoint.pt"


def three_class_npz(folder: Path) -> dict[str, Any]:
    """The digits 0, 1 and 2 as an .npz data source: the same images, a 3-class head."""
    x, y = load_digits_arrays()
    keep = y < 3
    np.savez(folder / "three.npz", x=x[keep].reshape(-1, 8, 8), y=y[keep])
    return {"source": "npz", "path": str(folder / "three.npz")}


def test_second_run_starts_from_the_first_runs_checkpoint(
        digits_checkpoint: Path, caplog: pytest.LogCaptureFixture) -> None:
    scratch, _ = run()
    with caplog.at_level(logging.INFO, logger=cls.LOGGER_NAME):
        tuned, _ = run(pretrained=True, init_checkpoint=str(digits_checkpoint))
    assert tuned.status == "completed"
    saved = checkpoint_tensors(digits_checkpoint)
    lines = [r.getMessage() for r in caplog.records if "pretrained from" in r.getMessage()]
    assert lines == [f"pretrained from {digits_checkpoint}: {len(saved)} of {len(saved)} "
                     f"tensors loaded"]
    # One more epoch on top of the first beats a single epoch from random weights.
    assert tuned.metrics["val_acc"] > scratch.metrics["val_acc"]


def test_a_head_for_another_class_count_starts_afresh(
        digits_checkpoint: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data_spec = three_class_npz(tmp_path)
    p = cls.resolve_params({**cls.SMOKE_PARAMS, "data": data_spec})
    data = load_data(p["data"])
    assert data.n_classes == 3
    model = cls.build_model(p, data)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    saved = checkpoint_tensors(digits_checkpoint)
    loaded = load_matching(model, saved)
    head = {"head.3.weight", "head.3.bias"}
    assert set(loaded.skipped) == head
    assert loaded.skipped["head.3.bias"] == "shape 10 -> 3"
    assert set(loaded.loaded) == set(saved) - head
    now = model.state_dict()
    for name in loaded.loaded:
        assert torch.equal(now[name], saved[name]), name
    for name in head:
        assert torch.equal(now[name], fresh[name]), name
    # And a whole run says so in its log.
    with caplog.at_level(logging.INFO, logger=cls.LOGGER_NAME):
        result, _ = run(pretrained=True, init_checkpoint=str(digits_checkpoint), data=data_spec)
    assert result.status == "completed"
    text = caplog.text
    assert f"{len(saved) - 2} of {len(saved)} tensors loaded" in text
    assert "re-initialised: head.3.weight (shape 10x16 -> 3x16)" in text


def test_missing_or_unfitting_checkpoints_fail_in_one_line(
        digits_checkpoint: Path, tmp_path: Path) -> None:
    with pytest.raises(ParamError, match="needs init_checkpoint"):
        run(pretrained=True)
    with pytest.raises(ParamError, match="is not a file"):
        run(pretrained=True, init_checkpoint=str(tmp_path / "missing.pt"))
    with pytest.raises(ParamError, match="none of its .* tensors fits this network"):
        run(pretrained=True, init_checkpoint=str(digits_checkpoint), width=16)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ParamError, match="cannot read it"):
        run(pretrained=True, init_checkpoint=str(junk))
    # pretrained false ignores init_checkpoint altogether: training from scratch.
    assert run(init_checkpoint=str(tmp_path / "missing.pt"))[0].status == "completed"


@pytest.mark.slow
def test_subprocess_missing_checkpoint_exits_2_with_one_line(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"pretrained": True,
                                  "init_checkpoint": str(tmp_path / "gone.pt")}))
    proc = subprocess.run([sys.executable, "-m", "hpdesk.tasks.classification", "--params",
                           str(params)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == EXIT_BAD_PARAMS
    assert proc.stderr.strip().count("\n") == 0 and "gone.pt" in proc.stderr
    assert "Traceback" not in proc.stderr
