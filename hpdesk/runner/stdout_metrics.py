"""Metrics from an unmodified script's output: `loss: 0.25`, `val_acc=0.9`, `step 3 loss 0.2`,
or the SDK's JSON lines, read from the trial's log as it grows."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
DEFAULT_PATTERN = (rf"(?P<name>[A-Za-z_][A-Za-z0-9_./-]*)\s*[:=]\s*(?P<value>{NUMBER})"
                   r"(?![A-Za-z0-9_])")
STEP = re.compile(r"\b(?:step|iter(?:ation)?|it|epoch)\s*[:= ]\s*(\d+)\b", re.IGNORECASE)
STEP_NAMES = frozenset({"step", "iter", "iteration", "it", "epoch"})
MAX_LINE = 10_000

Point = tuple[str, int, float | None]


class StdoutParser:
    """Turns lines into (name, step, value) points. A line's step is its `step N` (or `epoch N`)
    when it has one; otherwise each metric counts its own lines (1, 2, 3...)."""

    def __init__(self, patterns: Sequence[str] = ()) -> None:
        self._patterns = [re.compile(p) for p in (patterns or (DEFAULT_PATTERN,))]
        self._counts: dict[str, int] = {}

    def parse_line(self, line: str) -> list[Point]:
        line = line.strip()[:MAX_LINE]
        if not line:
            return []
        if line.startswith("{") and line.endswith("}"):
            return self._json(line)
        step_match = STEP.search(line)
        step = int(step_match.group(1)) if step_match else None
        points: list[Point] = []
        for pattern in self._patterns:
            for m in pattern.finditer(line):
                groups = m.groupdict()
                name = groups.get("name") or groups.get("metric")
                if not name or name.lower() in STEP_NAMES:
                    continue
                value = _number(groups.get("value"))
                if value is False:
                    continue
                if groups.get("step"):
                    point_step = int(groups["step"])
                elif step is not None:
                    point_step = step
                else:
                    point_step = self._counts.get(name, 0) + 1
                self._counts[name] = max(self._counts.get(name, 0), point_step)
                points.append((name, point_step, value))  # type: ignore[arg-type]
        return points

    def _json(self, line: str) -> list[Point]:
        try:
            data = json.loads(line)
        except ValueError:
            return []
        if not isinstance(data, dict) or not isinstance(data.get("step"), int) or "event" in data:
            return []
        out: list[Point] = []
        for name, value in data.items():
            if name != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append((name, data["step"], None if math.isnan(value) else float(value)))
            elif name != "step" and value is None:
                out.append((name, data["step"], None))
        return out


def _number(text: str | None) -> float | None | bool:
    if text is None:
        return False
    try:
        value = float(text)
    except ValueError:
        return False
    return None if math.isnan(value) else value


class LogTail:
    """Reads the complete lines added to a log since the last call (survives partial writes)."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self._offset = offset
        self._partial = b""

    def new_lines(self) -> list[str]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read(4_000_000)
                self._offset = fh.tell()
        except OSError:
            return []
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        return [line.decode("utf-8", "replace") for line in lines]
