"""The plan a person would write to tune the MLP on the hardened digits task, as YAML.

Everything the curves table fixed (`BASE` in benchmarks/curves/make_table.py) is fixed here too;
the searched space is the natural continuous one around the table's grid (the replay snaps each
suggestion onto the grid, see `replay.table`). Only `strategy`, `pruner`, the trial budget and
the seed change between replays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hpdesk.plan import Plan, loads_plan

OPTIMIZERS = ("sgd", "sgd_momentum", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam")

SPACE_YAML = """\
space:
  # tier 1
  optimizer: {type: categorical, choices: [OPTIMIZERS]}
  lr: {type: float, low: 0.0001, high: 1.0, log: true}
  # tier 2
  batch_size: {type: int, low: 16, high: 256, log: true}
  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd_momentum}}
  # tier 3
  dropout: {type: float, low: 0.0, high: 0.5}
  weight_decay: {type: float, low: 0.000001, high: 0.01, log: true}
  width: {type: int, low: 32, high: 128, log: true}
  # fixed, as the table was made (make_table.BASE)
  model: mlp
  depth: 2
  activation: relu
  epochs: 27
  seed: 0
  lr_schedule: exponential
  lr_final_ratio: 0.01
  lr_staircase: true
""".replace("OPTIMIZERS", ", ".join(OPTIMIZERS))


def flow(value: Mapping[str, Any]) -> str:
    """A mapping as one YAML flow line (JSON is YAML)."""
    return json.dumps(dict(value))


def plan_yaml(strategy: Mapping[str, Any], pruner: Mapping[str, Any] | None, *, trials: int,
              seed: int, space: str = SPACE_YAML, name: str = "digits-mlp-replay",
              extra: str = "") -> str:
    """The whole plan: `strategy` and `pruner` are the sections as a person writes them
    (`{"name": "staged", "inner": "tpe"}`, `{"name": "asha", "reduction_factor": 3}`)."""
    strategy = {**strategy, "seed": seed}
    lines = [
        "hpdesk: 1",
        f"name: {name}",
        "task: classification",
        "data: {source: digits, train_size: 500, label_noise: 0.2}",
        "objective: {metric: val_loss, direction: minimize, reduce: last}",
        f"strategy: {flow(strategy)}",
    ]
    if pruner:
        lines.append(f"pruner: {flow(pruner)}")
    lines += [f"budget: {{trials: {trials}}}", "concurrency: 1"]
    if extra:
        lines.append(extra.rstrip("\n"))
    return "\n".join(lines) + "\n" + space


def build_plan(strategy: Mapping[str, Any], pruner: Mapping[str, Any] | None, *, trials: int,
               seed: int, **kw: Any) -> Plan:
    return loads_plan(plan_yaml(strategy, pruner, trials=trials, seed=seed, **kw), "yaml")
