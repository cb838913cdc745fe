"""The curves table, and how a suggested configuration finds its row in it.

Snapping rule (a search suggests values from continuous ranges; the table holds a grid):
- `optimizer` is categorical: taken as it is;
- every numeric value goes to the nearest grid value of its hyperparameter, measured in log space
  for the log-scaled ones (lr, batch_size, weight_decay, width) and linearly for the others
  (momentum, dropout). A value exactly half-way between two grid values (in floating point, to
  1e-9) goes to the smaller one, so e.g. weight_decay 1e-5, half-way between 1e-6 and 1e-4 in
  log space, snaps to 1e-6.
- `momentum` exists only for `sgd_momentum`; a configuration of it that carries no momentum gets
  0.9 (the catalogue's default), and any momentum given to another optimiser is ignored.

So each grid value owns the part of the searched range nearest to it: on lr's log range
[1e-4, 1] the nine values own equal log-widths, the two ends half a width each; batch_size
16 / 64 / 256 own a quarter / half / quarter of [16, 256] in log space; momentum 0.5 / 0.9 /
0.99 own 41 % / 50 % / 9 % of [0.5, 0.99]; dropout 0 / 0.25 / 0.5 own 25 / 50 / 25 % of [0, 0.5];
width 32 / 128 own half of [32, 128] each in log space.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
TABLE = HERE.parent / "curves" / "digits_mlp.npz"
#: Hyperparameters snapped on a log scale; the other numeric ones linearly.
LOG_SCALED = ("lr", "batch_size", "weight_decay", "width")
LINEAR = ("momentum", "dropout")
NUMERIC = ("lr", "batch_size", "momentum", "dropout", "weight_decay", "width")
DEFAULT_MOMENTUM = 0.9
#: The target: a configuration in the table's best TARGET_FRACTION by final validation loss.
TARGET_FRACTION = 0.01


@dataclass
class Table:
    val_loss: np.ndarray          # (configs, epochs), float64, NaN from divergence on
    epoch_time: np.ndarray        # (configs, epochs), seconds each epoch took when it was made
    val_acc: np.ndarray
    meta: dict[str, Any]
    configs: list[dict[str, Any]]
    grid: dict[str, tuple[float, ...]]
    epochs: int
    index: dict[tuple[Any, ...], int] = field(default_factory=dict)
    final: np.ndarray = field(default_factory=lambda: np.zeros(0))
    target_rows: frozenset[int] = frozenset()
    target_loss: float = math.nan  # the worst final loss still inside the target
    best_loss: float = math.nan

    @property
    def rows(self) -> int:
        return len(self.configs)

    def key(self, config: Mapping[str, Any]) -> tuple[Any, ...]:
        """A table configuration's identity: the optimiser and each grid value's index."""
        out: list[Any] = [config["optimizer"]]
        for name in NUMERIC:
            if name == "momentum" and config["optimizer"] != "sgd_momentum":
                out.append(-1)
            else:
                out.append(self.grid[name].index(config[name]))
        return tuple(out)

    def snap(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The table configuration a suggestion stands for (the module's snapping rule)."""
        optimizer = params["optimizer"]
        if optimizer not in self.meta["optimizers"]:
            raise KeyError(f"optimizer {optimizer!r} is not in the table")
        out: dict[str, Any] = {"optimizer": optimizer}
        for name in NUMERIC:
            if name == "momentum":
                if optimizer != "sgd_momentum":
                    continue
                value = params.get("momentum", DEFAULT_MOMENTUM)
            else:
                value = params[name]
            out[name] = nearest(self.grid[name], float(value), log=name in LOG_SCALED)
        return out

    def row(self, params: Mapping[str, Any]) -> int:
        return self.index[self.key(self.snap(params))]


def nearest(grid: tuple[float, ...], value: float, *, log: bool) -> float:
    """The grid value nearest `value` (in log space when `log`); ties go to the smaller one."""
    where = (lambda v: math.log(v)) if log else (lambda v: v)
    if log and value <= 0:
        return min(grid)
    x = where(value)
    best, best_d = None, math.inf
    for g in sorted(grid):
        d = round(abs(where(g) - x), 9)
        if d < best_d:
            best, best_d = g, d
    assert best is not None
    return best


def load(path: Path = TABLE) -> Table:
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        val_loss = data["val_loss"].astype(np.float64)
        epoch_time = data["epoch_time"].astype(np.float64)
        val_acc = data["val_acc"].astype(np.float64)
    grid = {k: tuple(v) for k, v in meta["grid"].items()}
    table = Table(val_loss, epoch_time, val_acc, meta, meta["configs"], grid, int(meta["epochs"]))
    table.index = {table.key(c): i for i, c in enumerate(table.configs)}
    if len(table.index) != table.rows:
        raise ValueError("the table has two rows for one configuration")
    final = val_loss[:, -1]
    table.final = final
    order = np.argsort(np.where(np.isfinite(final), final, np.inf), kind="stable")
    count = max(1, math.ceil(TARGET_FRACTION * table.rows))
    table.target_rows = frozenset(int(i) for i in order[:count])
    table.target_loss = float(final[order[count - 1]])
    table.best_loss = float(final[order[0]])
    return table
