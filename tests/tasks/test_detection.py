"""The detection task: shapes and YOLO data, targets, NMS, every hyperparameter, resume, process.

Nearly every run is :data:`SMOKE_PARAMS` in-process (32 tiny images, one epoch, tens of
milliseconds) with a recorder in place of the SDK; one subprocess run checks the process
contract, and one slow test checks the default trial's quality.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from hpdesk.tasks import detection as det
from hpdesk.tasks import detection_data as dd
from hpdesk.tasks import detection_model as dm
from hpdesk.tasks.common import ParamError, TrainResult
from hpdesk.tasks.detection_metrics import box_iou
from hpdesk.tasks.layers import ConvBackbone
from tests.tasks.recorder import Recorder

SMOKE = det.SMOKE_PARAMS


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Any:
    """Tiny runs are fastest on one thread, and do not stall when other tests load the cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)





def run(rec: Recorder | None = None, **overrides: Any) -> tuple[TrainResult, Recorder]:
    rec = rec or Recorder()
    result = det.train({**SMOKE, **overrides}, rec.report, should_stop=rec.should_stop,
                       event=rec.event, device=torch.device("cpu"))
    return result, rec


def fingerprint(result: TrainResult, rec: Recorder) -> tuple[Any, ...]:
    return (result.n_params, result.steps, tuple(rec.values("train_loss")),
            tuple(rec.values("val_loss")))


def shapes(**options: Any) -> tuple[dd.DetectionSet, dd.DetectionSet]:
    return dd.load_data({**SMOKE["data"], **options})


# --- shapes data --------------------------------------------------------------------------------

def test_shapes_are_fixed_by_the_data_seed() -> None:
    a, va = shapes()
    b, _ = dd.load_data(dict(SMOKE["data"]))                # same options: the cached set
    assert a is b
    c, vc = shapes(seed=1)
    assert not torch.equal(a.images, c.images) and not torch.equal(va.images, vc.images)
    assert a.images.shape == (32, 1, 24, 24) and a.images.dtype == torch.float32
    assert 0 <= float(a.images.min()) and float(a.images.max()) <= 1
    more, v_more = shapes(train_images=40)                  # val does not move with train size
    assert torch.equal(v_more.images, va.images)
    assert shapes(channels=3)[0].images.shape[1] == 3


def test_objects_option_sets_the_count() -> None:
    sparse, _ = shapes(objects=[1, 1], max_overlap=1.0)
    dense, _ = shapes(objects=[6, 6], max_overlap=1.0, scale=[0.1, 0.15])
    assert [len(b) for b in sparse.boxes] == [1] * 32
    assert [len(b) for b in dense.boxes] == [6] * 32
    crowded, _ = shapes(objects=[6, 6], max_overlap=0.0, scale=[0.4, 0.5])
    assert crowded.object_count < 6 * 32                    # no room: objects are dropped
    for boxes in crowded.boxes:                             # and none overlaps another
        iou = dm.giou(boxes.repeat_interleave(len(boxes), 0), boxes.repeat(len(boxes), 1))
        assert (iou.reshape(len(boxes), len(boxes)) <= torch.eye(len(boxes)) + 1e-6).all()


def test_scale_option_sets_the_object_size() -> None:
    for lo, hi in ([0.1, 0.15], [0.4, 0.5]):
        data, _ = shapes(scale=[lo, hi])
        sides = torch.cat([b[:, 2] - b[:, 0] for b in data.boxes])
        assert lo - 1e-6 <= float(sides.min()) and float(sides.max()) <= hi + 1e-6
        assert torch.allclose(sides, torch.cat([b[:, 3] - b[:, 1] for b in data.boxes]))
    assert {int(c) for labels in shapes()[0].labels for c in labels} == {0, 1, 2}


def test_noise_option_changes_pixels_not_boxes() -> None:
    clean, _ = shapes(noise=0.0)
    noisy, _ = shapes(noise=0.3)
    assert not torch.equal(clean.images, noisy.images)
    assert all(torch.equal(a, b) for a, b in zip(clean.boxes, noisy.boxes))


@pytest.mark.parametrize(("data", "needle"), [
    ({"sise": 3}, "unknown data option"),
    ({"objects": [3, 1]}, "min <= max"),
    ({"scale": [0.1, 2.0]}, "scale"),
    ({"source": "coco"}, "unknown data source"),
    ({"source": "yolo"}, "needs a 'path'"),
    ("not json", "source"),
])
def test_bad_data_options_are_param_errors(data: Any, needle: str) -> None:
    with pytest.raises(ParamError, match=needle):
        dd.resolve_data_options(data)


# --- YOLO folders -------------------------------------------------------------------------------

def test_yolo_round_trip(tmp_path: Path) -> None:
    train, val = shapes()
    dd.write_yolo(tmp_path, train, val)
    back, back_val = dd.load_data({"source": "yolo", "path": str(tmp_path), "image_size": 24})
    assert back.class_names == dd.SHAPE_CLASSES
    for ours, theirs in ((train, back), (val, back_val)):
        assert len(ours) == len(theirs)
        assert torch.allclose(ours.images, theirs.images, atol=1 / 255)
        for a, b, la, lb in zip(ours.boxes, theirs.boxes, ours.labels, theirs.labels):
            assert torch.allclose(a, b, atol=1e-5) and torch.equal(la, lb)


def test_yolo_flat_folder_is_split_by_val_fraction(tmp_path: Path) -> None:
    train, val = shapes()
    dd.write_yolo(tmp_path, train, val)
    for kind in ("images", "labels"):
        (tmp_path / kind / "val").rename(tmp_path / f"{kind}_unused")
        for f in (tmp_path / kind / "train").iterdir():
            f.rename(tmp_path / kind / f.name)
        (tmp_path / kind / "train").rmdir()
    a, b = dd.load_data({"source": "yolo", "path": str(tmp_path), "image_size": 16,
                         "val_fraction": 0.25, "channels": 3})
    assert (len(a), len(b)) == (24, 8) and a.images.shape[1:] == (3, 16, 16)


def test_yolo_split_folders_layout(tmp_path: Path) -> None:
    train, val = shapes()
    dd.write_yolo(tmp_path / "src", train, val)
    for split in ("train", "val"):
        for kind in ("images", "labels"):
            (tmp_path / split).mkdir(exist_ok=True)
            (tmp_path / "src" / kind / split).rename(tmp_path / split / kind)
    a, b = dd.load_data({"source": "yolo", "path": str(tmp_path), "image_size": 24,
                         "names": ["o", "x", "v"]})
    assert (len(a), len(b)) == (32, 8) and a.class_names == ("o", "x", "v")
    assert all(torch.allclose(p, q, atol=1e-5) for p, q in zip(a.boxes, train.boxes))


@pytest.mark.parametrize(("line", "needle"), [
    ("0 0.5 0.5 0.2", "expected 'class cx cy w h'"),
    ("0 0.5 x 0.2 0.2", "not a number"),
    ("7 0.5 0.5 0.2 0.2", "class 7 but only 3 class names"),
    ("-1 0.5 0.5 0.2 0.2", "class must be an integer"),
    ("1 0.5 1.5 0.2 0.2", "normalised"),
    ("1 0.5 0.5 0.0 0.2", "width and height"),
])
def test_bad_yolo_label_names_file_and_line(tmp_path: Path, line: str, needle: str) -> None:
    train, val = shapes()
    dd.write_yolo(tmp_path, train, val)
    label = tmp_path / "labels" / "train" / "00003.txt"
    label.write_text("0 0.5 0.5 0.2 0.2\n" + line + "\n")
    with pytest.raises(ParamError, match=needle) as info:
        dd.load_data({"source": "yolo", "path": str(tmp_path), "image_size": 24})
    assert f"{label}:2:" in str(info.value) and "\n" not in str(info.value)


def test_bad_yolo_folders(tmp_path: Path) -> None:
    with pytest.raises(ParamError, match="not a folder"):
        dd.load_data({"source": "yolo", "path": str(tmp_path / "nowhere")})
    with pytest.raises(ParamError, match="no images/ folder"):
        dd.load_data({"source": "yolo", "path": str(tmp_path)})
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png")
    (tmp_path / "images" / "other.png").write_bytes(b"nor this")
    with pytest.raises(ParamError, match=r"images/\w+\.png: cannot read image \(cannot "
                                         r"identify image file\)$"):
        dd.load_data({"source": "yolo", "path": str(tmp_path), "val_fraction": 0.5})


# --- targets, losses, NMS -----------------------------------------------------------------------

def test_every_object_gets_positive_cells_of_its_class() -> None:
    data, _ = shapes(objects=[1, 4], scale=[0.05, 0.5])
    cls_t, box_t, positive = dm.build_targets(data, grid=12, stride=2)
    for i in range(len(data)):
        for box, label in zip(data.boxes[i] * 24, data.labels[i]):
            hits = positive[i] & (box_t[i] == box[:, None, None]).all(dim=0)
            assert hits.any()
            assert (cls_t[i, label][hits] == 1).all()
    assert torch.equal(cls_t.sum(dim=1) > 0, positive)


def test_giou_and_box_decoding() -> None:
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    assert dm.giou(a, a).item() == pytest.approx(1.0)
    far = torch.tensor([[4.0, 0.0, 6.0, 2.0]])
    assert dm.giou(a, far).item() == pytest.approx(-1 / 3)   # empty, hull 12, union 8
    boxes = dm.decode_boxes(torch.zeros(1, 4, 2, 2), stride=4)    # distances = one stride
    assert boxes[0, :, 0, 0].tolist() == [-2.0, -2.0, 6.0, 6.0]


def greedy_nms(boxes: torch.Tensor, labels: torch.Tensor, threshold: float) -> list[int]:
    """The textbook loop over boxes sorted best first, for comparison."""
    iou = box_iou(boxes.numpy(), boxes.numpy())
    keep: list[int] = []
    for i in range(len(boxes)):
        if all(labels[i] != labels[j] or iou[i, j] <= threshold for j in keep):
            keep.append(i)
    return keep


def test_batched_nms_equals_greedy_nms() -> None:
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        xy = torch.rand(3, 40, 2, generator=gen) * 10
        boxes = torch.cat([xy, xy + 1 + torch.rand(3, 40, 2, generator=gen) * 4], dim=-1)
        labels = torch.randint(0, 2, (3, 40), generator=gen)
        valid = torch.rand(3, 40, generator=gen) > 0.2
        keep = dm.nms_keep(boxes, labels, valid, 0.4)
        for b in range(3):
            idx = valid[b].nonzero().flatten()
            want = idx[greedy_nms(boxes[b][idx], labels[b][idx], 0.4)].tolist()
            assert keep[b].nonzero().flatten().tolist() == want


# --- training and hyperparameters ---------------------------------------------------------------

@pytest.fixture(scope="module")
def baseline() -> tuple[TrainResult, Recorder]:
    return run()


def test_reports_and_result(baseline: tuple[TrainResult, Recorder]) -> None:
    result, rec = baseline
    assert result.status == "completed" and result.steps == 4 and result.epochs == 1
    assert [s for s, _ in rec.series("train_loss")] == [1, 2, 3, 4]
    assert rec.series("box_loss") and rec.series("cls_loss")
    (step, end), = [(s, m) for s, m in rec.points if "map50" in m]
    assert step == 4
    assert set(end) == {"val_loss", "map50", "lr", "epoch", "ap50_circle", "ap50_square",
                        "ap50_triangle", "epoch_time", "n_params"}
    assert end["n_params"] == result.n_params and end["epoch_time"] > 0
    assert all(math.isfinite(v) for _, m in rec.points for v in m.values())
    total = [loss for loss in rec.values("train_loss")]
    parts = [c + b for c, b in zip(rec.values("cls_loss"), rec.values("box_loss"))]
    assert total == pytest.approx(parts)


CHANGES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, {"optimizer": "sgd_momentum"}),
    ({}, {"lr": 1e-2}),
    ({"optimizer": "sgd_momentum", "lr": 0.01}, {"momentum": 0.5}),
    ({"optimizer": "sgd_momentum", "lr": 0.01}, {"nesterov": True}),
    ({}, {"beta1": 0.5}),
    ({}, {"beta2": 0.9}),
    ({}, {"weight_decay": 0.1}),
    ({}, {"lr_schedule": "cosine"}),
    ({}, {"lr_schedule": "exponential", "epochs": 2}),
    ({}, {"warmup_epochs": 0.5}),
    ({}, {"batch_size": 4}),
    ({}, {"grad_accum_steps": 2}),
    ({}, {"epochs": 2}),
    ({}, {"box_loss_weight": 3.0}),
    ({}, {"cls_loss_weight": 0.3}),
    ({}, {"focal_gamma": 0.0}),
    ({}, {"focal_alpha": 0.5}),
    ({}, {"normalization": "groupnorm"}),
    ({}, {"normalization": "frozen_batchnorm"}),
    ({}, {"normalization": "none"}),
    ({"normalization": "groupnorm"}, {"gn_groups": 4}),
    ({}, {"width": 8}),
    ({}, {"depth": 3}),
    ({}, {"kernel_size": "5x5"}),
    ({}, {"kernel_size": "7x1+1x7"}),
    ({}, {"activation": "tanh"}),
    ({}, {"dropout": 0.3}),
    ({}, {"grad_clip": 0.05}),
    ({}, {"seed": 1}),
    ({}, {"data": {**SMOKE["data"], "seed": 1}}),
]


@pytest.mark.parametrize(("base", "change"), CHANGES,
                         ids=[",".join(c) for _, c in CHANGES])
def test_hyperparameter_changes_the_run(base: dict[str, Any], change: dict[str, Any]) -> None:
    before = fingerprint(*run(**base))
    after = fingerprint(*run(**{**base, **change}))
    assert after != before


def test_same_params_same_run(baseline: tuple[TrainResult, Recorder]) -> None:
    assert fingerprint(*run()) == fingerprint(*baseline)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="amp is CUDA-only (autocast)")
def test_amp_changes_the_run_on_cuda() -> None:
    def cuda_run(**o: Any) -> tuple[Any, ...]:
        rec = Recorder()
        result = det.train({**SMOKE, **o}, rec.report, should_stop=rec.should_stop,
                           event=rec.event, device=torch.device("cuda"))
        return fingerprint(result, rec)
    assert cuda_run(amp=True) != cuda_run()


def test_amp_is_accepted_and_a_no_op_on_cpu(baseline: tuple[TrainResult, Recorder]) -> None:
    assert fingerprint(*run(amp=True)) == fingerprint(*baseline)


@pytest.mark.parametrize(("params", "needle"), [
    ({"normalization": "groupnorm", "gn_groups": 3}, "gn_groups 3 does not divide"),
    ({"normalization": "layer"}, "unknown normalization"),
    ({"kernel_size": "2x2"}, "unknown kernel_size"),
    ({"pretrained": True}, "needs init_checkpoint"),
    ({"optimizer": "lbfgs"}, "unknown optimizer"),
    ({"grad_accum_steps": 0}, "grad_accum_steps must be >= 1"),
    ({"depth": 6}, "below one cell"),
    ({"focal_alpha": 2}, "focal_alpha"),
])
def test_bad_params_are_param_errors(params: dict[str, Any], needle: str) -> None:
    with pytest.raises(ParamError, match=needle):
        det.resolve_params({**SMOKE, **params})


def test_images_without_objects_train() -> None:
    result, rec = run(data={**SMOKE["data"], "objects": [0, 1]})
    assert result.status == "completed"
    assert any(len(b) == 0 for b in shapes(objects=[0, 1])[0].boxes)


def test_class_names_become_metric_names() -> None:
    assert det.metric_name("Traffic light") == "traffic_light"
    assert det.metric_name("circle") == "circle" and det.metric_name("??") == "class"


def test_stop_request_ends_after_the_current_update() -> None:
    result, rec = run(Recorder(stop_after=2))
    assert result.status == "stopped" and result.steps == 2
    assert len(rec.values("train_loss")) == 2 and rec.events[0][0] == "stopped"


def test_divergence_is_reported() -> None:
    result, rec = run(optimizer="sgd", lr=1e8)
    assert result.status == "diverged" and "train_loss became nan" in result.message
    assert rec.events[-1][0] == "diverged"


# --- pre-trained backbone -----------------------------------------------------------------------

class Classifier(nn.Module):
    """What a classification checkpoint holds: ``backbone.*`` plus its own head."""

    def __init__(self, width: int, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.backbone = ConvBackbone(1, width=width, depth=2)
        self.head = nn.Linear(self.backbone.out_channels, 10)
        with torch.no_grad():
            for name, buffer in self.backbone.named_buffers():
                if name.endswith("running_mean"):
                    buffer.uniform_(-0.5, 0.5)


def tensor(model: nn.Module | None, key: str) -> torch.Tensor:
    assert model is not None
    return model.state_dict()[key]


def save_classifier(path: Path, width: int = 4, seed: int = 7) -> Classifier:
    model = Classifier(width, seed)
    torch.save({"model": model.state_dict(), "epoch": 3}, path)
    return model


def test_pretrained_backbone_changes_the_start(tmp_path: Path,
                                               baseline: tuple[TrainResult, Recorder]) -> None:
    source = save_classifier(tmp_path / "cls.pt")
    result, rec = run(pretrained=True, init_checkpoint=str(tmp_path / "cls.pt"), lr=1e-12)
    assert rec.values("train_loss")[0] != baseline[1].values("train_loss")[0]
    key = "backbone.stages.0.0.weight"
    assert torch.allclose(tensor(result.model, key), tensor(source, key), atol=1e-6)
    # pretrained false ignores the file
    assert fingerprint(*run(init_checkpoint=str(tmp_path / "cls.pt"))) == fingerprint(*baseline)


def test_frozen_batchnorm_keeps_the_loaded_statistics(tmp_path: Path) -> None:
    source = save_classifier(tmp_path / "cls.pt")
    result, _ = run(pretrained=True, init_checkpoint=str(tmp_path / "cls.pt"),
                    normalization="frozen_batchnorm", epochs=2)
    assert result.model is not None
    assert type(result.model.get_submodule("backbone.stages.0.1")).__name__ == "FrozenBatchNorm2d"
    for key in ("running_mean", "running_var", "weight", "bias"):
        name = f"backbone.stages.0.1.{key}"
        assert torch.equal(tensor(result.model, name), tensor(source, name))


def test_bare_and_hpdesk_checkpoints_load(tmp_path: Path) -> None:
    source = Classifier(4, 3)
    folder = tmp_path / "Mixed Case"                      # paths are not lower-cased
    folder.mkdir()
    torch.save(source.backbone.state_dict(), folder / "Bare.pt")
    torch.save({"epoch": 1, "modules": {"model": source.state_dict()}}, folder / "Ours.pt")
    for name in ("Bare.pt", "Ours.pt"):
        result, _ = run(pretrained=True, init_checkpoint=str(folder / name), lr=1e-12)
        key = "backbone.stages.1.0.weight"
        assert torch.allclose(tensor(result.model, key), tensor(source, key), atol=1e-6)


def test_mismatched_backbone_is_a_clear_error(tmp_path: Path) -> None:
    save_classifier(tmp_path / "wide.pt", width=8)
    with pytest.raises(ParamError, match=r"backbone.stages.0.0.weight has shape \[8, 1, 3, 3\], "
                                         r"this model needs \[4, 1, 3, 3\]"):
        run(pretrained=True, init_checkpoint=str(tmp_path / "wide.pt"))
    with pytest.raises(ParamError, match="backbone.stages.2.0.weight is missing"):
        save_classifier(tmp_path / "cls.pt")
        run(pretrained=True, init_checkpoint=str(tmp_path / "cls.pt"), depth=3)
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(ParamError, match="cannot read it"):
        run(pretrained=True, init_checkpoint=str(tmp_path / "junk.pt"))
    with pytest.raises(ParamError, match="is not a file"):
        run(pretrained=True, init_checkpoint=str(tmp_path / "missing.pt"))


# --- resume -------------------------------------------------------------------------------------

class Crash(Exception):
    pass


def test_resume_continues_without_gap_or_duplicate(tmp_path: Path) -> None:
    whole, whole_rec = run(epochs=3, lr_schedule="cosine")
    folder = tmp_path / "trial"
    first = Recorder()

    def crash_in_epoch_three(step: int, **metrics: float) -> None:
        if step == 9:
            raise Crash
        first.report(step, **metrics)

    with pytest.raises(Crash):
        det.train({**SMOKE, "epochs": 3, "lr_schedule": "cosine", "checkpoint_dir": str(folder)},
                  crash_in_epoch_three, should_stop=first.should_stop, event=first.event,
                  device=torch.device("cpu"))
    resumed, second = run(epochs=3, lr_schedule="cosine", checkpoint_dir=str(folder))
    assert [s for s, _ in second.series("train_loss")] == [9, 10, 11, 12]
    assert first.values("epoch") == [1.0, 2.0] and second.values("epoch") == [3.0]
    assert resumed.steps == whole.steps == 12 and resumed.epochs == 3
    assert first.values("train_loss") + second.values("train_loss") == pytest.approx(
        whole_rec.values("train_loss"), rel=1e-5)
    assert second.values("map50") == pytest.approx(whole_rec.values("map50")[-1:])
    again, third = run(epochs=3, lr_schedule="cosine", checkpoint_dir=str(folder))
    assert again.status == "completed" and third.points == []      # nothing left to do


# --- the process --------------------------------------------------------------------------------

def test_subprocess_prints_json_lines_and_exit_codes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPDESK_")}
    env["HPDESK_NUM_THREADS"] = "1"
    path = tmp_path / "params.json"
    path.write_text(json.dumps(SMOKE))
    proc = subprocess.run([sys.executable, "-m", "hpdesk.tasks.detection", "--params",
                           str(path)], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [line["step"] for line in lines if "train_loss" in line] == [1, 2, 3, 4]
    assert any("map50" in line for line in lines)
    path.write_text(json.dumps({**SMOKE, "normalization": "weird"}))
    bad = subprocess.run([sys.executable, "-m", "hpdesk.tasks.detection", "--params",
                          str(path)], capture_output=True, text=True, env=env, timeout=120,
                         cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "unknown normalization 'weird'" in bad.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_default_trial_reaches_map50_above_one_half() -> None:
    rec = Recorder()
    result = det.train({}, rec.report, should_stop=rec.should_stop, event=rec.event,
                       device=torch.device("cpu"))
    assert result.status == "completed"
    assert rec.values("map50")[-1] > 0.5
    assert np.all(np.isfinite(rec.values("train_loss")))
