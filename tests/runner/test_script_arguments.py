"""Parameters as scripts expect them: flag styles, true/false styles, parameters that are not
passed, hpdesk's own placeholders; and the folder each trial runs in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hpdesk.plan import PlanError, parse_plan
from hpdesk.plan.script import Argument
from hpdesk.runner import trial_folder
from hpdesk.runner.launch import trial_argv
from hpdesk.runner.trial_folder import fill_trial_folder


def plan(**fields: Any) -> Any:
    base: dict[str, Any] = {
        "hpdesk": 1, "task": "script", "command": "python train.py",
        "objective": {"metric": "valid loss", "direction": "minimize"},
        "params_style": "flags",
        "space": {"lr": {"type": "fixed", "value": 0.01},
                  "tied": {"type": "categorical", "choices": [True, False]},
                  "batch_size": {"type": "fixed", "value": 32},
                  "optimizer": {"type": "fixed", "value": "sgd"}}}
    return parse_plan({**base, **fields})


def argv(p: Any, **params: Any) -> list[str]:
    values = {"lr": 0.01, "tied": True, "batch_size": 32, "optimizer": "sgd", **params}
    return trial_argv(p, values, context={"trial_dir": "/runs/t0", "project": "/proj",
                                          "trial_id": "7", "trial_number": "0"})[2:]


def test_flags_pass_every_parameter_as_written_by_default() -> None:
    assert argv(plan()) == ["--lr", "0.01", "--tied", "true", "--batch_size", "32",
                            "--optimizer", "sgd"]


@pytest.mark.parametrize(("style", "true", "false"), [
    ("value", ["--tied", "true"], ["--tied", "false"]),
    ("capitalized", ["--tied", "True"], ["--tied", "False"]),
    ("number", ["--tied", "1"], ["--tied", "0"]),
    ("switch", ["--tied"], []),
    ("negatable", ["--tied"], ["--no-tied"]),
])
def test_each_boolean_style(style: str, true: list[str], false: list[str]) -> None:
    p = plan(arguments={"tied": {"boolean": style}, "lr": False, "batch_size": False,
                        "optimizer": False})
    assert argv(p, tied=True) == true
    assert argv(p, tied=False) == false


def test_equals_and_dashes_and_a_parameters_own_flag() -> None:
    p = plan(params_style="equals", flag_names="dashes", booleans="number",
             arguments={"lr": {"flag": "--learning-rate"}, "optimizer": {"pass": False}})
    assert argv(p, tied=False) == ["--learning-rate=0.01", "--tied=0", "--batch-size=32"]
    p = plan(params_style="equals", booleans="negatable", flag_names="dashes",
             arguments={"optimizer": {"pass": False}})
    assert argv(p, tied=False)[1] == "--no-tied"


def test_hydra_overrides_keep_keys_and_take_a_flag_as_the_key() -> None:
    p = plan(params_style="hydra", booleans="capitalized",
             arguments={"lr": {"flag": "optim.lr"}, "optimizer": {"pass": False}})
    assert argv(p) == ["optim.lr=0.01", "tied=True", "batch_size=32"]


def test_a_parameter_placed_in_the_command_is_not_appended_again() -> None:
    p = plan(command="python train.py --save {trial_dir}/m.pt --lr {lr} --run {trial_number}"
                     " --id {trial_id} --data {project}/data {tied}",
             arguments={"tied": {"boolean": "number"}, "optimizer": {"pass": False}})
    assert argv(p) == ["--save", "/runs/t0/m.pt", "--lr", "0.01", "--run", "0", "--id", "7",
                       "--data", "/proj/data", "1", "--batch_size", "32"]


def test_switch_styles_need_flags_and_arguments_name_real_parameters() -> None:
    with pytest.raises(PlanError) as err:
        plan(params_style="hydra", booleans="switch")
    assert "booleans" in str(err.value) and "needs flags or equals" in str(err.value)
    with pytest.raises(PlanError) as err:
        plan(arguments={"lrr": {"pass": False}, "lr": {"boolean": "switch"},
                        "tied": {"flag": "--a b"}})
    text = str(err.value)
    assert "arguments.lrr: expected a parameter of the space" in text
    assert "arguments.lr.boolean: expected a parameter whose values are true and false" in text
    assert "arguments.tied.flag" in text


def test_a_parameter_may_not_take_the_name_of_hpdesks_own_placeholders() -> None:
    with pytest.raises(PlanError) as err:
        plan(space={"project": {"type": "fixed", "value": 1}})
    assert "space.project" in str(err.value)


def test_the_fields_round_trip_and_built_in_tasks_refuse_them() -> None:
    p = plan(trial_folder="shared", flag_names="dashes", booleans="switch",
             arguments={"optimizer": {"pass": False}, "lr": {"flag": "--learning-rate"}},
             stdout_metrics={"patterns": [{"regex": r"valid loss\s+(?P<value>\S+)",
                                           "name": "valid_loss"}, r"(?P<name>\w+)=(?P<value>\S+)"]})
    assert parse_plan(p.to_dict()) == p
    assert p.argument("optimizer") == Argument(passed=False)
    assert p.stdout_metrics.patterns[0].name == "valid_loss"
    with pytest.raises(PlanError) as err:
        parse_plan({"hpdesk": 1, "task": "classification", "trial_folder": "own",
                    "arguments": {}})
    assert "trial_folder: expected a command" in str(err.value)


def test_a_pattern_without_a_name_needs_a_fixed_name() -> None:
    with pytest.raises(PlanError) as err:
        plan(stdout_metrics={"patterns": [r"valid loss\s+(?P<value>\S+)"]})
    assert "fixed name" in str(err.value)


# --- the trial's folder -----------------------------------------------------------------------
def test_trial_folder_links_folders_copies_small_files_and_skips_hpdesk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "train.txt").write_text("abc")
    (project / "train.py").write_text("print(1)")
    (project / "model.pt").write_bytes(b"x" * 10)
    (project / "big.bin").write_bytes(b"x" * 100)
    (project / "params.json").write_text("{}")
    (project / "hpdesk.db").write_text("")
    runs = project / "hpdesk-runs"
    trial = runs / "experiment-1" / "trial-0"
    trial.mkdir(parents=True)
    monkeypatch.setattr(trial_folder, "COPY_LIMIT", 50)
    fill_trial_folder(trial, project, skip=[project / "hpdesk.db", runs])
    names = sorted(p.name for p in trial.iterdir())
    assert names == ["big.bin", "data", "model.pt", "train.py"]
    assert (trial / "data").is_symlink() and (trial / "data" / "train.txt").read_text() == "abc"
    assert (trial / "big.bin").is_symlink()
    assert not (trial / "model.pt").is_symlink() and not (trial / "train.py").is_symlink()
    (trial / "model.pt").write_bytes(b"trial 0's own")  # a private copy: the project's stays
    assert (project / "model.pt").read_bytes() == b"x" * 10
    (trial / "train.py").write_text("changed by the trial")
    fill_trial_folder(trial, project)  # a resumed trial keeps what its folder holds
    assert (trial / "train.py").read_text() == "changed by the trial"
    assert os.readlink(trial / "data") == str(project.resolve() / "data")
