"""What the presets promise about a task's metrics and data folders, checked against real runs.

Issue 12: the GAN wizard on the ring optimised `fid`, which the ring never reports; a folder that
is no YOLO data set failed every trial with only "exited with code 2". The presets' `reports`
lists are compared with what each task really reports on each data source, and a bad YOLO folder
is refused by the same check the wizard and `plan validate` use, its sentence reaching the
trial's failure reason.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from hpdesk.knowledge import preset
from hpdesk.runner.outcome import diagnose
from hpdesk.tasks.data_layout import yolo_problem

ROOT = Path(__file__).resolve().parents[2]


def _reported(module_name: str, params: dict[str, Any]) -> set[str]:
    torch.set_num_threads(1)
    module = importlib.import_module(module_name)
    seen: set[str] = set()
    module.train({**module.DEFAULTS, **params}, lambda step, **kw: seen.update(kw),
                 should_stop=lambda: False, event=lambda *a, **k: None)
    return seen


RUNS = [("classification", "digits", "SMOKE_PARAMS"), ("detection", "shapes", "SMOKE_PARAMS"),
        ("gan", "digits", "SMOKE_PARAMS"), ("gan", "ring", "SMOKE_PARAMS_RING")]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("task", "source", "smoke"), RUNS)
def test_presets_list_exactly_what_each_source_reports(task: str, source: str,
                                                       smoke: str) -> None:
    p = preset(task)
    module = importlib.import_module(p.module or "")
    seen = _reported(p.module or "", getattr(module, smoke))
    declared = p.reported(source) or ()
    assert all(any(fnmatch.fnmatchcase(m, d) for d in declared) for m in seen), (seen, declared)
    assert {d for d in declared if "*" not in d} <= seen, (seen, declared)
    assert p.objective(source)[0] in seen


def test_yolo_layout_problems_name_what_is_missing(tmp_path: Path) -> None:
    assert yolo_problem(tmp_path / "nowhere").kind == "not_folder"   # type: ignore[union-attr]
    empty = yolo_problem(tmp_path)
    assert empty is not None and empty.kind == "no_images"
    assert "no images/ folder" in empty.sentence() and "\n" not in empty.sentence()
    (tmp_path / "images" / "train").mkdir(parents=True)
    no_files = yolo_problem(tmp_path)
    assert no_files is not None and no_files.kind == "no_image_files"
    assert no_files.where.endswith("train")
    (tmp_path / "images" / "train" / "a.png").write_bytes(b"")
    assert yolo_problem(tmp_path) is None


@pytest.mark.timeout(120)
def test_a_bad_yolo_folder_reaches_the_trials_failure_reason(tmp_path: Path) -> None:
    """The real task process: exit 2, one clear last line that hpdesk's outcome quotes."""
    folder = tmp_path / "not-a-dataset"
    (folder / "photos").mkdir(parents=True)
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"data": {"source": "yolo", "path": str(folder)}}), "utf-8")
    done = subprocess.run([sys.executable, "-m", "hpdesk.tasks.detection", "--params",
                           str(params)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2, done.stderr
    reason = diagnose(done.returncode, done.stderr)
    assert reason.startswith("exited with code 2: ")
    assert f"{folder} has no images/ folder" in reason, reason


@pytest.mark.timeout(120)
def test_plan_validate_refuses_a_folder_that_is_no_yolo_data_set(tmp_path: Path) -> None:
    import yaml

    from hpdesk.plan import plan_from_preset

    plan = plan_from_preset("detection").to_dict()
    plan["data"] = {"source": "yolo", "path": "photos"}      # relative to the plan file
    (tmp_path / "photos").mkdir()
    file = tmp_path / "det.yaml"
    file.write_text(yaml.safe_dump(plan), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "hpdesk.cli", "plan", "validate", str(file)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"{file}: data.path: {tmp_path / 'photos'} has no images/ "
                                   "folder: a YOLO data set holds images/ and labels/, with or "
                                   "without train/ and val/ inside")
