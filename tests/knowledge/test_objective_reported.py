"""Issue 12 item 1: a built-in task's objective must be a metric its data reports.

The GAN on the ring never reports `fid`; a plan that still optimises it ends every trial without
a value. The preset picks the objective per data source, and the advice (shown by the wizard's
review and by `hpdesk plan validate`) says so when a plan asks for a metric the data never gives.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpdesk.knowledge import advise, preset, tasks
from hpdesk.knowledge.presets import validate_presets
from hpdesk.plan import plan_from_preset

ROOT = Path(__file__).resolve().parents[2]


def _gan_plan(source: str, metric: str) -> dict[str, Any]:
    data = plan_from_preset("gan").to_dict()
    data["data"] = {"source": source}
    data["objective"] = {"metric": metric, "direction": "minimize"}
    return data


def test_gan_objective_follows_the_data_source() -> None:
    assert preset("gan").objective("digits") == ("fid", "minimize")
    assert preset("gan").objective("ring") == ("modes_covered", "maximize")
    ring = plan_from_preset("gan", source="ring")
    assert (ring.objective.metric, ring.objective.direction) == ("modes_covered", "maximize")
    assert ring.data == {"source": "ring"}
    assert plan_from_preset("gan").objective.metric == "fid"


@pytest.mark.parametrize("task", [t for t in tasks() if preset(t).module])
def test_every_built_in_source_reports_its_own_objective(task: str) -> None:
    p = preset(task)
    for source in p.data_sources:
        plan = plan_from_preset(task, source=source).to_dict()
        assert p.reports_metric(plan["objective"]["metric"], source) is True
        assert not [f for f in advise(plan) if f.rule == "objective_not_reported"]


def test_advice_names_an_objective_the_data_never_reports() -> None:
    found = [f for f in advise(_gan_plan("ring", "fid")) if f.rule == "objective_not_reported"]
    assert len(found) == 1
    text = found[0].message("en")
    assert "fid" in text and "ring" in text and "modes_covered" in text
    assert "modes_covered" in found[0].message("zh")
    # fid on digits is fine; a command runs whatever it runs; a script preset says nothing
    assert not [f for f in advise(_gan_plan("digits", "fid"))
                if f.rule == "objective_not_reported"]
    assert not [f for f in advise({**_gan_plan("ring", "fid"), "command": ["python", "t.py"]})
                if f.rule == "objective_not_reported"]
    assert not [f for f in advise(plan_from_preset("script").to_dict())
                if f.rule == "objective_not_reported"]


def test_a_preset_whose_objective_its_data_never_reports_is_refused() -> None:
    raw = yaml.safe_load((ROOT / "hpdesk/knowledge/data/presets.yaml").read_text("utf-8"))
    del raw["gan"]["objectives"]
    with pytest.raises(Exception, match="never reported on data source 'ring'"):
        validate_presets({"gan": raw["gan"]})


@pytest.mark.timeout(120)
def test_plan_validate_warns_about_the_objective(tmp_path: Path) -> None:
    plan = tmp_path / "ring.yaml"
    plan.write_text(yaml.safe_dump(_gan_plan("ring", "fid")), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "hpdesk.cli", "plan", "validate", str(plan)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "objective fid is never reported" in out.stdout, out.stdout + out.stderr
