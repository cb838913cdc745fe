"""Plan files: exact round trips in every format, and precise errors for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hpdesk.knowledge import optimizers, tasks
from hpdesk.plan import PlanError, dump_plan, dumps_plan, load_plan, loads_plan, plan_from_preset
from hpdesk.plan.space import Categorical, Fixed, FloatRange, IntRange

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.mark.parametrize("task", tasks())
@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_every_preset_round_trips_exactly(task: str, fmt: str) -> None:
    plan = plan_from_preset(task)
    text = dumps_plan(plan, fmt)
    again = loads_plan(text, fmt)
    assert again == plan
    assert list(again.space) == list(plan.space)
    assert dumps_plan(again, fmt) == text


@pytest.mark.parametrize("optimizer", sorted(optimizers()))
def test_preset_for_each_optimizer_round_trips_with_its_lr_range(optimizer: str) -> None:
    plan = plan_from_preset("classification", optimizer=optimizer)
    lr = plan.space["lr"]
    assert isinstance(lr, FloatRange) and lr.log
    opt = optimizers()[optimizer]
    assert (lr.low, lr.high) == (opt.lr_low, opt.lr_high)
    assert loads_plan(dumps_plan(plan, "toml"), "toml") == plan


def test_fine_tune_lowers_the_written_range() -> None:
    scratch = plan_from_preset("classification", optimizer="adam").space["lr"]
    tuned = plan_from_preset("classification", optimizer="adam", fine_tune=True).space["lr"]
    assert isinstance(scratch, FloatRange) and isinstance(tuned, FloatRange)
    assert tuned.high <= scratch.high / 10 and tuned.low <= scratch.low / 10


def test_written_yaml_carries_order_and_help_as_comments(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    dump_plan(plan_from_preset("classification"), path)
    text = path.read_text()
    assert "# Tuning order" in text and "tier 1 (tune first)" in text
    # Sources are labelled for a reader who has only this file: the guide by its section title.
    assert "KNOWLEDGE.md" not in text and "the guide, “Suitable ranges" in text
    assert all(len(line) <= 100 for line in text.splitlines())
    assert load_plan(path) == plan_from_preset("classification")


def test_written_plans_say_how_they_search_and_why_the_default() -> None:
    text = dumps_plan(plan_from_preset("classification"), "yaml")
    header = " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    assert "Search: Bayesian optimisation (TPE)." in header
    assert "Early stopping: Successive halving (ASHA)." in header
    assert "hpdesk's default: Replayed on 4,860 real learning curves" in header
    plan = plan_from_preset("classification")
    staged = plan.with_changes(strategy=plan.strategy.__class__("staged"))
    other = dumps_plan(staged, "yaml")
    assert "# Search: In the guide's order (staged)." in other
    assert "hpdesk's default" not in other


def test_advice_is_written_as_comments(tmp_path: Path) -> None:
    plan = plan_from_preset("classification")
    plan = plan.with_changes(space={**plan.space, "dropout": FloatRange(0.0, 0.8)})
    text = dumps_plan(plan, "yaml")
    assert "Advice for this plan" in text and "0.5" in text
    assert loads_plan(text) == plan


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if p.is_file()))
def test_shipped_examples_are_valid(name: str) -> None:
    plan = load_plan(EXAMPLES / name)
    assert plan.task in tasks()
    assert plan.budget.trials >= 1


def test_yaml_1_1_strings_are_coerced_to_numbers() -> None:
    plan = loads_plan("""
hpdesk: 1
task: classification
space:
  lr: {type: float, low: 1e-3, high: 1e-2, log: true}
  weight_decay: {type: fixed, value: 5e-5}
  batch_size: {type: int, low: "16", high: 64.0}
""")
    assert yaml.safe_load("x: 1e-3")["x"] == "1e-3"  # the quirk this guards against
    assert plan.space["lr"] == FloatRange(0.001, 0.01, log=True)
    assert plan.space["batch_size"] == IntRange(16, 64)
    assert isinstance(plan.space["weight_decay"], Fixed)


def test_shorthands_and_defaults() -> None:
    plan = loads_plan("""
hpdesk: 1
task: classification
strategy: grid
budget: 3
executor: local
space:
  optimizer: [adam, sgd_momentum]
  momentum: {type: float, low: 0.8, high: 0.99, when: {optimizer: sgd_momentum}}
  epochs: 3
""")
    assert plan.space["optimizer"] == Categorical(("adam", "sgd_momentum"))
    assert plan.space["momentum"].when.holds({"optimizer": "sgd_momentum"})
    assert not plan.space["momentum"].when.holds({"optimizer": "adam"})
    assert plan.strategy.name == "grid" and plan.budget.trials == 3
    assert plan.objective.metric == "val_acc" and plan.objective.direction == "maximize"


def test_durations_are_read_in_units() -> None:
    base = ("hpdesk: 1\ntask: classification\nspace: {epochs: 1}\n"
            "budget: {trials: 2, wall_time: %s}\n")
    assert loads_plan(base % "90").budget.wall_time == 90
    assert loads_plan(base % "30m").budget.wall_time == 1800
    assert loads_plan(base % "2h").budget.wall_time == 7200


def _problems(text: str, fmt: str = "yaml") -> list[str]:
    with pytest.raises(PlanError) as info:
        loads_plan(text, fmt, source="p.yaml")
    return [str(p) for p in info.value.problems]


BROKEN = {
    "wrong type": ("hpdesk: 1\ntask: classification\nspace:\n"
                   "  lr: {type: float, low: abc, high: 1}\n",
                   "space.lr.low", "a number"),
    "min above max": ("hpdesk: 1\ntask: classification\nspace:\n"
                      "  lr: {type: float, low: 0.1, high: 0.01}\n",
                      "space.lr.low", "below high"),
    "log through zero": ("hpdesk: 1\ntask: classification\nspace:\n"
                         "  weight_decay: {type: float, low: 0, high: 1e-4, log: true}\n",
                         "space.weight_decay.low", "above 0 for a log range"),
    "unknown optimiser": ("hpdesk: 1\ntask: classification\nspace:\n  optimizer: adamm\n",
                          "space.optimizer.value", "an optimiser"),
    "unknown optimiser in choices": ("hpdesk: 1\ntask: classification\nspace:\n"
                                     "  optimizer: [adam, lion]\n",
                                     "space.optimizer.choices[1]", "lion"),
    "unknown task": ("hpdesk: 1\ntask: segmentation\nspace: {lr: 0.1}\n", "task", "one of"),
    "unknown hyperparameter": ("hpdesk: 1\ntask: classification\nspace: {lr_rate: 0.1}\n",
                               "space.lr_rate", "honours"),
    "unknown field": ("hpdesk: 1\ntask: classification\nspaces: {}\nspace: {lr: 0.1}\n",
                      "spaces", "unknown field"),
    "wrong version": ("hpdesk: 2\ntask: classification\nspace: {lr: 0.1}\n", "hpdesk", "version 1"),
    "negative lr": ("hpdesk: 1\ntask: classification\nspace: {lr: -0.1}\n", "space.lr.value",
                    "above 0"),
    "dropout of 1": ("hpdesk: 1\ntask: classification\nspace: {dropout: [0.1, 1.0]}\n",
                     "space.dropout.choices", "[0, 1)"),
    "bad condition": ("hpdesk: 1\ntask: classification\nspace:\n"
                      "  momentum: {type: fixed, value: 0.9, when: {optimiser: sgd}}\n",
                      "space.momentum.when.optimiser", "another parameter"),
    "script without command": ("hpdesk: 1\ntask: script\nspace: {lr: 0.1}\n", "command",
                               "the command"),
    "bad concurrency": ("hpdesk: 1\ntask: classification\nconcurrency: 0\nspace: {lr: 0.1}\n",
                        "concurrency", "from 1 to 256"),
    "empty choices": ("hpdesk: 1\ntask: classification\n"
                      "space: {batch_size: {type: categorical, choices: []}}\n",
                      "space.batch_size.choices", "non-empty"),
    "not a mapping": ("- 1\n- 2\n", "p.yaml", "a mapping"),
    "python tag": ("hpdesk: 1\ntask: !!python/object/apply:os.system ['echo hi']\n", "p.yaml",
                   "YAML error at line 2"),
    "syntax error": ("hpdesk: 1\ntask: [classification\n", "p.yaml", "YAML error"),
    "empty file": ("", "p.yaml", "an empty file"),
    "whitespace file": ("  \n\n", "p.yaml", "an empty file"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_plans_name_the_field(case: str) -> None:
    text, field, expected = BROKEN[case]
    problems = _problems(text)
    assert any(p.startswith("p.yaml") and field in p and expected in p for p in problems), problems
    assert all(": expected " in p and ", found " in p for p in problems)


def test_all_problems_are_reported_not_only_the_first() -> None:
    problems = _problems("hpdesk: 1\ntask: classification\nconcurrency: -1\n"
                         "space:\n  lr: {type: float, low: 1, high: 0.1}\n  dropout: 0.9999\n"
                         "  batch_size: {type: int, low: 0.5, high: 8}\n")
    assert len(problems) >= 3


def test_files_on_disk(tmp_path: Path) -> None:
    binary = tmp_path / "junk.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    missing = tmp_path / "missing.yaml"
    for path, expected in [(binary, "binary data"), (missing, "no such file"),
                           (tmp_path, "a folder")]:
        with pytest.raises(PlanError) as info:
            load_plan(path)
        (problem,) = info.value.problems
        assert str(path) in str(problem) and expected in str(problem)


def test_toml_and_json_errors() -> None:
    assert "TOML syntax error" in _problems("hpdesk = \n", "toml")[0]
    assert "JSON syntax error at line 1" in _problems("{hpdesk: 1}", "json")[0]


def test_data_section_round_trips_and_is_checked_against_the_task(tmp_path: Path) -> None:
    text = ("hpdesk: 1\ntask: classification\ndata: {source: folder, path: imgs, image_size: 16}\n"
            "space: {epochs: 1}\n")
    plan = loads_plan(text)
    assert plan.data == {"source": "folder", "path": "imgs", "image_size": 16}
    for fmt in ("yaml", "toml", "json"):
        assert loads_plan(dumps_plan(plan, fmt), fmt) == plan
    resolved = plan.resolved(tmp_path)
    assert resolved.data is not None and resolved.data["path"] == str(tmp_path / "imgs")
    assert loads_plan("hpdesk: 1\ntask: gan\ndata: ring\nspace: {epochs: 1}\n").data == {
        "source": "ring"}
    assert "data.source" in _problems(
        "hpdesk: 1\ntask: detection\ndata: {source: coco}\nspace: {epochs: 1}\n")[0]
    assert "data" in _problems("hpdesk: 1\ntask: script\ncommand: [x]\ndata: {source: a}\n"
                               "space: {lr: 0.1}\n")[0]
    assert "data.size" in _problems(
        "hpdesk: 1\ntask: gan\ndata: {source: ring, size: {a: 1}}\nspace: {epochs: 1}\n")[0]


@pytest.mark.parametrize("name", ["\x7fdetection", "a\u2028b", "x\x85y", "p\u2029q", "fs\x1cx",
                                  "tab\there", "中文 plan"])
@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_a_name_with_control_or_line_break_characters_writes_and_reads_back(
        name: str, fmt: str) -> None:
    """Found by the fuzz test: the name goes into the comments too, where YAML refuses control
    characters; and U+2028 or U+0085 once broke the line the name stood on."""
    plan = plan_from_preset("detection").with_changes(name=name)
    assert loads_plan(dumps_plan(plan, fmt), fmt) == plan
