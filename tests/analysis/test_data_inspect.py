"""`hpdesk data inspect`: the data as the task reads it, with the guide's findings. Image
folders are made here (Pillow), one class 20 times rarer than the others, a duplicate, a file
no reader opens; a YOLO folder with known boxes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from hpdesk.analysis.data_inspect import DataError, data_from_path, inspect_data

ROOT = Path(__file__).resolve().parents[2]


def image(path: Path, size: tuple[int, int], shade: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (shade, 255 - shade, 7)).save(path)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for cls, n in (("cat", 40), ("dog", 40), ("fox", 2)):
        for i in range(n):
            image(root / cls / f"{i}.png", (32, 24 if cls == "dog" else 32),
                  (i * 6 + len(cls) * 50) % 256 if cls != "fox" else 200 + i)
    (root / "dog" / "copy.png").write_bytes((root / "cat" / "3.png").read_bytes())
    (root / "cat" / "broken.jpg").write_bytes(b"not an image")
    return root


def test_a_class_twenty_times_rarer_is_reported(photos: Path) -> None:
    report = inspect_data("classification", data_from_path("classification", str(photos)))
    assert report.classes == {"cat": 41, "dog": 41, "fox": 2}
    assert report.imbalance_ratio == pytest.approx(20.5)
    assert report.rare_classes == {"fox": 2}
    assert [f.rule for f in report.findings] == ["class_imbalance", "data_duplicates",
                                                 "data_unreadable"]
    assert "fox" in report.findings[0].message("en") and "fox" in report.findings[0].message("zh")
    assert ["cat/3.png", "dog/copy.png"] in report.duplicates
    assert report.unreadable == ["cat/broken.jpg"]
    assert report.image_sizes == {"32x32": 43, "32x24": 40}  # the copy is 32x32 too


def test_balanced_digits_give_no_finding() -> None:
    report = inspect_data("classification", None)
    assert len(report.classes) == 10 and report.imbalance_ratio < 1.1
    assert report.findings == [] and report.rare_classes == {}


def test_few_samples_per_class_against_many_classes(tmp_path: Path) -> None:
    for c in range(30):
        for i in range(3):
            image(tmp_path / "few" / f"c{c:02d}" / f"{i}.png", (8, 8), (c * 8 + i) % 256)
    report = inspect_data("classification", data_from_path("classification",
                                                           str(tmp_path / "few")))
    assert [f.rule for f in report.findings] == ["few_shot"]


def test_a_yolo_folder_gives_objects_per_image_scales_and_classes(tmp_path: Path) -> None:
    root = tmp_path / "yolo"
    boxes = {"a": ["0 0.5 0.5 0.05 0.05", "0 0.2 0.2 0.5 0.5"],  # small, large
             "b": ["1 0.5 0.5 0.2 0.2"],                          # medium
             "c": []}
    for name, lines in boxes.items():
        image(root / "images" / f"{name}.png", (64, 64), 40)
        if lines:
            (root / "labels").mkdir(exist_ok=True)
            (root / "labels" / f"{name}.txt").write_text("\n".join(lines) + "\n")
    report = inspect_data("detection", data_from_path("detection", str(root)))
    assert report.images == 3 and report.images_without_labels == 1
    assert report.objects_per_image == {"mean": 1.0, "median": 1, "max": 2}
    assert report.object_scales == {"small": 1, "medium": 1, "large": 1}
    assert report.classes == {"0": 2, "1": 1}


@pytest.mark.parametrize("task, path, said", [
    ("classification", "missing", "no such file or folder"),
    ("detection", None, "give --data with a YOLO folder"),
    ("detection", "photos", "has no images/ folder"),
])
def test_what_cannot_be_read_is_said(task: str, path: str | None, said: str,
                                     photos: Path) -> None:
    where = None if path is None else str(photos.parent / path)
    with pytest.raises(DataError, match=said):
        inspect_data(task, data_from_path(task, where))


def test_the_command_prints_the_report_and_its_json(photos: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hpdesk.cli", "data", "inspect", *args],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)

    text = run("classification", "--data", str(photos))
    assert text.returncode == 0, text.stderr
    assert "fox: 2 (rare)" in text.stdout and "imbalance ratio" in text.stdout
    data = json.loads(run("classification", "--data", str(photos), "--json", "--lang",
                          "zh").stdout)
    assert data["rare_classes"] == {"fox": 2} and data["findings"][0]["rule"] == "class_imbalance"
    assert "fox" in data["findings"][0]["message"] and "类别" in data["findings"][0]["message"]
    missing = run("classification", "--data", str(photos / "nope"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
