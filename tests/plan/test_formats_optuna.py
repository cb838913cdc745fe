"""Optuna's distributions JSON in and out (checked against Optuna's own reader), and the
runnable Optuna study a plan exports to."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from hypothesis import given, settings

from hpdesk.plan import Categorical, Fixed, FloatRange, IntRange, PlanError, parse_plan
from hpdesk.plan.formats import convert, optuna_json, read_space, write_space
from tests.plan.format_spaces import same_space, script_plan, spaces

D = optuna.distributions


def _optuna_file(tmp_path: Path, dists: dict, as_text: bool = False) -> Path:
    """A file as Optuna writes distributions: `distribution_to_json` per parameter."""
    path = tmp_path / "space.json"
    data = {n: (D.distribution_to_json(d) if as_text else json.loads(D.distribution_to_json(d)))
            for n, d in dists.items()}
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("as_text", [False, True])
def test_what_optuna_writes_is_read(tmp_path: Path, as_text: bool) -> None:
    path = _optuna_file(tmp_path, {
        "lr": D.FloatDistribution(1e-5, 1e-1, log=True),
        "dropout": D.FloatDistribution(0.0, 0.5, step=0.1),
        "width": D.IntDistribution(16, 512, log=True),
        "layers": D.IntDistribution(1, 9, step=2),
        "depth": D.IntDistribution(1, 4),
        "opt": D.CategoricalDistribution(["adam", "sgd", "rmsprop"]),
        "one": D.CategoricalDistribution([3]),
    }, as_text)
    done = read_space(path)
    s = done.plan.space
    assert done.fmt == "optuna"
    assert s["lr"] == FloatRange(1e-5, 0.1, log=True)
    assert s["dropout"] == FloatRange(0.0, 0.5, step=0.1)
    assert s["width"] == IntRange(16, 512, log=True) and s["layers"] == IntRange(1, 9, step=2)
    assert s["depth"] == IntRange(1, 4) and s["one"] == Fixed(3)
    assert s["opt"] == Categorical(("adam", "sgd", "rmsprop"))
    assert any(line.startswith("command: the Optuna file names no command; wrote the "
                               "placeholder `python train.py`") for line in done.losses)
    assert any(line.startswith("objective: the Optuna file names no metric; assumed val_loss")
               for line in done.losses)


def test_the_names_before_optuna_3_are_read(tmp_path: Path) -> None:
    old = {"u": {"name": "UniformDistribution", "attributes": {"low": 0.1, "high": 0.9}},
           "l": {"name": "LogUniformDistribution", "attributes": {"low": 1e-4, "high": 1e-1}},
           "d": {"name": "DiscreteUniformDistribution",
                 "attributes": {"low": 0.0, "high": 1.0, "q": 0.25}},
           "i": {"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 10,
                                                                   "step": 2}},
           "il": {"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 64,
                                                                      "step": 1}},
           "c": {"name": "CategoricalDistribution", "attributes": {"choices": [1, 2]}}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    s = read_space(path).plan.space
    assert s["u"] == FloatRange(0.1, 0.9) and s["l"] == FloatRange(1e-4, 0.1, log=True)
    assert s["d"] == FloatRange(0.0, 1.0, step=0.25) and s["i"] == IntRange(0, 10, step=2)
    assert s["il"] == IntRange(1, 64, log=True) and s["c"] == Categorical((1, 2))


def test_a_malformed_distribution_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"lr": {"name": "FloatDistribution",
                                       "attributes": {"low": "x", "high": 1}}}))
    with pytest.raises(PlanError) as err:
        read_space(path)
    assert str(err.value) == (f"{path}: lr.attributes.low: expected a number, found the text "
                              "'x'")


@settings(max_examples=60, deadline=None)
@given(spaces())
def test_hpdesk_to_optuna_and_back_is_exact_and_optuna_reads_it(space) -> None:
    plan = script_plan(space)
    text = write_space(plan, "optuna", "x.json").text
    for name, entry in json.loads(text).items():  # Optuna's own reader agrees with the file
        dist = D.json_to_distribution(json.dumps(entry))
        mine = plan.space[name]
        if isinstance(mine, (FloatRange, IntRange)):
            assert (dist.low, dist.high, dist.log) == (mine.low, mine.high, mine.log)
            assert dist.step == (mine.step or (1 if isinstance(mine, IntRange) else None))
        else:
            assert list(dist.choices) == ([mine.value] if isinstance(mine, Fixed)
                                          else list(mine.choices))
    back, _ = optuna_json.read(json.loads(text), "x.json")
    assert same_space(plan, back)


def test_conditions_are_said_lost_in_json_and_kept_in_the_script(tmp_path: Path) -> None:
    plan = parse_plan({"hpdesk": 1, "task": "script", "command": ["python", "t.py"],
                       "objective": {"metric": "acc"},
                       "space": {"opt": ["sgd", "adam"],
                                 "mom": {"type": "float", "low": 0.5, "high": 0.9,
                                         "when": {"opt": ["sgd"]}}}})
    losses = write_space(plan, "optuna", "x.json").losses
    assert sum(line.startswith("mom: Optuna's distributions have no condition")
               for line in losses) == 1
    script = write_space(plan, "optuna", "x.py").text
    assert "    if p.get('opt') in ('sgd',):\n        p['mom'] = trial.suggest_float(" in script


TRAIN = """\
import argparse, json, sys
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--opt", required=True)
parser.add_argument("--mom", type=float, default=0.0)
args = parser.parse_args()
for epoch in range(3):
    loss = (args.lr - 0.03) ** 2 + (0.1 if args.opt == "sgd" else 0.0) + 0.01 * (3 - epoch)
    print(f"| epoch {epoch} | val_loss: {loss:.6f}")
"""

SDK_TRAIN = """\
from hpdesk import sdk
p = sdk.params({"lr": 0.1})
for step in range(1, 4):
    sdk.report(step, val_acc=1.0 - abs(p["lr"] - 0.05) - 0.01 * (3 - step))
"""


@pytest.mark.parametrize("sdk", [False, True])
def test_the_exported_optuna_script_runs_two_trials(tmp_path: Path, sdk: bool) -> None:
    (tmp_path / "train.py").write_text(SDK_TRAIN if sdk else TRAIN)
    space = {"lr": {"type": "float", "low": 0.001, "high": 0.1, "log": True}}
    if not sdk:
        space |= {"opt": ["adam", "sgd"], "mom": {"type": "float", "low": 0.5, "high": 0.9,
                                                   "when": {"opt": ["sgd"]}}}
    plan_file = tmp_path / "plan.yaml"
    from hpdesk.plan import dump_plan

    dump_plan(parse_plan({
        "hpdesk": 1, "name": "tiny", "task": "script", "command": ["python", "train.py"],
        "params_style": "env" if sdk else "flags",
        "objective": {"metric": "val_acc" if sdk else "val_loss",
                      "direction": "maximize" if sdk else "minimize"},
        "strategy": {"name": "tpe", "seed": 3}, "pruner": {"name": "median"},
        "budget": {"trials": 30}, "space": space}), plan_file)
    done = convert(plan_file, tmp_path / "study.py", "optuna")
    assert done.fmt == "optuna-script"
    (tmp_path / "study.py").write_text(done.text)
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("HPDESK_")}
    out = subprocess.run([sys.executable, str(tmp_path / "study.py"), "--n-trials", "2"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stderr.count("finished with value") == 2, out.stderr[-2000:]
    best = [line for line in out.stdout.splitlines() if line.startswith("best value: ")]
    assert len(best) == 1 and float(best[0].split(": ")[1]) > (0 if sdk else -1)
    assert json.loads(out.stdout.split("best params: ")[1])["lr"] > 0
