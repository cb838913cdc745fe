"""`hpdesk plan convert IN OUT [--to FORMAT] [--force]`: exit codes, one line per loss, and a
result that `hpdesk plan validate` accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hpdesk.cli import main
from hpdesk.plan import load_plan

SWEEP = """\
program: train.py
method: random
metric: {name: val_acc, goal: maximize}
parameters:
  lr: {distribution: log_uniform_values, min: 1e-4, max: 1e-1}
  noise: {distribution: normal, mu: 0.01, sigma: 0.002}
  batch_size: {values: [32, 64]}
run_cap: 8
"""


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", "convert", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_sweep_becomes_a_plan_that_validates(tmp_path: Path, capsys) -> None:
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    code, out, err = _run(capsys, str(tmp_path / "sweep.yaml"), str(tmp_path / "plan.yaml"))
    assert code == 0 and out.startswith(f"wrote {tmp_path / 'plan.yaml'} (hpdesk plan")
    assert err.splitlines() == ["noise: W&B's normal(0.01, 0.002) has no hpdesk form; kept as a "
                                "range [0.006, 0.014] (mean ± 2 sd)"]
    plan = load_plan(tmp_path / "plan.yaml")
    assert plan.command == ("python", "train.py") and plan.budget.trials == 8
    assert main(["plan", "validate", str(tmp_path / "plan.yaml")]) == 0


def test_an_existing_out_needs_force(tmp_path: Path, capsys) -> None:
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    (tmp_path / "plan.toml").write_text("keep")
    code, _, err = _run(capsys, str(tmp_path / "sweep.yaml"), str(tmp_path / "plan.toml"))
    assert code == 2 and err.strip() == (f"hpdesk: {tmp_path / 'plan.toml'} exists; pass "
                                         "--force to overwrite it")
    assert (tmp_path / "plan.toml").read_text() == "keep"
    code, _, _ = _run(capsys, str(tmp_path / "sweep.yaml"), str(tmp_path / "plan.toml"),
                      "--force")
    assert code == 0 and load_plan(tmp_path / "plan.toml").objective.metric == "val_acc"


def test_a_malformed_input_is_one_line_naming_file_and_field(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: random\nparameters:\n  lr: {distribution: uniform, min: 1}\n")
    code, _, err = _run(capsys, str(bad), str(tmp_path / "plan.yaml"))
    assert code == 2
    assert err.splitlines() == [f"{bad}: parameters.lr.max: expected max for the uniform "
                                "distribution, found nothing"]
    assert not (tmp_path / "plan.yaml").exists()


def test_an_ambiguous_extension_asks_for_to(tmp_path: Path, capsys) -> None:
    from hpdesk.plan import dump_plan, plan_from_preset

    dump_plan(plan_from_preset("script"), tmp_path / "plan.yaml")
    code, _, err = _run(capsys, str(tmp_path / "plan.yaml"), str(tmp_path / "out.json"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "say which with --to hpdesk|optuna|nni" in err
    for to, name in (("wandb", "s.yaml"), ("optuna", "d.json"), ("nni", "n.json"),
                     ("raytune", "r.py"), ("optuna", "study.py")):
        code, out, err = _run(capsys, str(tmp_path / "plan.yaml"), str(tmp_path / name),
                              "--to", to)
        assert code == 0, err
        assert all(line and "\n" not in line for line in err.splitlines())
    assert yaml.safe_load((tmp_path / "s.yaml").read_text())["program"] == "train.py"
    assert json.loads((tmp_path / "n.json").read_text())["lr"]["_type"] == "loguniform"
    compile((tmp_path / "r.py").read_text(), "r.py", "exec")
    compile((tmp_path / "study.py").read_text(), "study.py", "exec")


def test_python_is_never_read(tmp_path: Path, capsys) -> None:
    (tmp_path / "space.py").write_text("import os; os.remove('x')\n")
    code, _, err = _run(capsys, str(tmp_path / "space.py"), str(tmp_path / "plan.yaml"))
    assert code == 2 and "Python search spaces are written, never read" in err


def test_help_names_the_formats(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["plan", "convert", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "hpdesk,wandb,optuna,nni,raytune" in text and "--force" in text
