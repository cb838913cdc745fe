"""The plan side of `hpdesk lr-find`: what a plan's sweep runs with, checked before anything is
written, and `--write`, which puts the suggested range into the plan file in place.

Everything a sweep could be refused for is found here, before the database is touched, and said
in one sentence (exit 2): a plan that does not read, an own script, the GAN, an optimiser the
guide does not know, a sweep range or step count that cannot run, and a `--write` that cannot
be done (no lr, a fixed lr, lr as a list of choices, a file whose lr entry is not found).

Why `--write` edits the text instead of saving the plan again: a plan file may carry its owner's
comments and layout, which a fresh dump would drop. Only the numbers after lr's `low` and
`high` change; the edited text is then read back and must give exactly the old plan with the new
range, or nothing is written and the person is told which numbers to set by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpdesk.cli.common import EXIT_USAGE, CliError
from hpdesk.plan import Categorical, Fixed, FloatRange, Plan, PlanError

#: The tasks the sweep runs (hpdesk.tasks.lr_find.TASKS) and why the others cannot be swept.
SWEPT_TASKS = ("classification", "detection")
WHY_NOT = {
    "gan": "the GAN has two learning rates and two losses that do not fall as it learns, so a "
           "loss-versus-learning-rate curve says nothing about either rate",
}
MAX_STEPS = 10_000
#: The default sweep: the guide's range lowered by this much at the start...
BELOW = 1e4
#: ... and raised by this much at the end.
ABOVE = 1e2


@dataclass
class SweepSetup:
    """What one sweep runs with: the plan (relative paths resolved), the task's parameters, the
    optimiser and the guide's range for it, the sweep's rates and steps, notes for the person."""

    plan: Plan
    path: Path
    params: dict[str, Any]
    optimizer: str
    guide: tuple[float, float]
    start: float
    end: float
    steps: int
    notes: list[str] = field(default_factory=list)


def _plan_error(exc: PlanError) -> CliError:
    first = str(exc.problems[0]) if exc.problems else str(exc)
    more = len(exc.problems) - 1
    plural = "s" if more > 1 else ""
    tail = (f" (and {more} more problem{plural}; `hpdesk plan validate` lists them)"
            if more > 0 else "")
    return CliError(f"{first}{tail}", EXIT_USAGE)


def setup_sweep(args: argparse.Namespace) -> SweepSetup:
    """Read and check everything the sweep needs; CliError (exit 2) in one sentence if not."""
    from hpdesk.knowledge import lr_range, preset
    from hpdesk.knowledge.reading import KnowledgeError
    from hpdesk.plan import load_plan
    from hpdesk.plan.space import example_params

    path = Path(args.plan)
    try:
        plan = load_plan(path).resolved(path.resolve().parent)
    except PlanError as exc:
        raise _plan_error(exc) from None
    if plan.command is not None:
        raise CliError(f"{path} runs its own script, whose training loop lr-find cannot drive "
                       "one mini-batch at a time; it sweeps only the built-in tasks "
                       f"({', '.join(SWEPT_TASKS)})", EXIT_USAGE)
    if plan.task in WHY_NOT:
        raise CliError(f"lr-find cannot sweep the {plan.task} task: {WHY_NOT[plan.task]}",
                       EXIT_USAGE)
    if plan.task not in SWEPT_TASKS:
        raise CliError(f"lr-find sweeps only the built-in tasks {', '.join(SWEPT_TASKS)}, not "
                       f"{plan.task!r}", EXIT_USAGE)
    if not 2 <= args.steps <= MAX_STEPS:
        raise CliError(f"--steps must be from 2 to {MAX_STEPS:,}, got {args.steps}", EXIT_USAGE)
    notes: list[str] = []
    optimizer = _optimizer(plan, args.optimizer, preset(plan.task).default_optimizer, notes)
    try:
        guide = lr_range(optimizer, fine_tune=plan.fine_tune)
    except KnowledgeError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    start = args.start_lr if args.start_lr is not None else float(f"{guide[0] / BELOW:.3g}")
    end = args.end_lr if args.end_lr is not None else float(f"{guide[1] * ABOVE:.3g}")
    if not (math.isfinite(start) and math.isfinite(end) and 0 < start < end):
        raise CliError(f"the sweep needs 0 < --start-lr < --end-lr, got {start:g} and {end:g}",
                       EXIT_USAGE)
    if args.write:
        _check_writable(plan, path)
    params = example_params(plan.space)
    params.pop("lr", None)  # the sweep sets every update's rate; a stored lr would mislead
    params["optimizer"] = optimizer
    if plan.data is not None:
        params["data"] = dict(plan.data)
    if plan.fine_tune:
        notes.append("the plan fine-tunes, so the guide's range is lowered (low / 100, "
                     "high / 10)")
    return SweepSetup(plan, path, params, optimizer, guide, start, end, args.steps, notes)


def _optimizer(plan: Plan, wanted: str | None, default: str, notes: list[str]) -> str:
    dist = plan.space.get("optimizer")
    if isinstance(dist, Fixed):
        choices: tuple[Any, ...] = (dist.value,)
    elif isinstance(dist, Categorical):
        choices = tuple(dist.choices)
    else:
        choices = (default,)
    names = [str(c) for c in choices]
    if wanted is not None:
        if wanted not in names:
            raise CliError(f"--optimizer {wanted!r} is not one of the plan's optimisers "
                           f"({', '.join(names)})", EXIT_USAGE)
        return wanted
    if len(names) > 1:
        notes.append(f"the plan searches {len(names)} optimisers; this sweep uses the first, "
                     f"{names[0]} (--optimizer picks another)")
    return names[0]


def _check_writable(plan: Plan, path: Path) -> None:
    """`--write` refused before the sweep when it could not be done afterwards."""
    dist = plan.space.get("lr")
    if dist is None:
        raise CliError(f"{path} has no lr to tune, so --write has nowhere to put the range; "
                       "add lr to its space, or run without --write", EXIT_USAGE)
    if isinstance(dist, Fixed):
        raise CliError(f"{path} fixes lr at {dist.value}, so --write has no range to set; make "
                       "lr a range to tune (type: float), or run without --write", EXIT_USAGE)
    if not isinstance(dist, FloatRange):
        raise CliError(f"{path} gives lr as a list of choices, and --write sets a range's low "
                       "and high; make lr a range (type: float), or run without --write",
                       EXIT_USAGE)
    if not os.access(path, os.W_OK):
        raise CliError(f"{path} cannot be written, so --write cannot put the range into it",
                       EXIT_USAGE)


_ENTRY = re.compile(r"""^(?P<indent>[ \t]*)(?:\[\s*space\s*\.\s*)?["']?lr["']?\s*(?:[:=]|\])""")
_SPACE = re.compile(r"""^\s*(\[\s*space\b|["']?space["']?\s*[:=])""")
_BOUND = r"""(?P<key>["']?{name}["']?\s*[:=]\s*)(?P<value>[-+0-9.eE_]+)"""


def edited_text(text: str, low: float, high: float) -> str | None:
    """`text` with the numbers after lr's `low` and `high` in the `space` section replaced, or
    None when lr's entry is not found (YAML flow or block style, TOML inline table or
    `[space.lr]`, JSON)."""
    lines = text.splitlines(keepends=True)
    seen_space = False
    for i, line in enumerate(lines):
        if _SPACE.match(line):
            seen_space = True
        match = _ENTRY.match(line)
        if not seen_space or not match:
            continue
        end = _block_end(lines, i, len(match.group("indent").expandtabs()))
        block = "".join(lines[i:end])
        for name, value in (("low", low), ("high", high)):
            number = f"{value:.3g}"

            def put(m: re.Match[str], number: str = number) -> str:
                return m.group("key") + number

            block, count = re.subn(_BOUND.format(name=name), put, block, count=1)
            if count != 1:
                return None
        return "".join(lines[:i]) + block + "".join(lines[end:])
    return None


def _block_end(lines: list[str], i: int, indent: int) -> int:
    """Where lr's entry that starts at line `i` ends: a TOML table runs to the next header, a
    braced entry to its closing brace, a YAML block while lines are indented deeper."""
    first = lines[i].strip()
    end = i + 1
    if first.startswith("["):
        while end < len(lines) and not lines[end].lstrip().startswith("["):
            end += 1
        return end
    depth = first.count("{") - first.count("}")
    if "{" in first:
        while depth > 0 and end < len(lines):
            depth += lines[end].count("{") - lines[end].count("}")
            end += 1
        return end
    while end < len(lines):
        nxt = lines[end]
        if nxt.strip() and not nxt.strip().startswith("#") and \
                len(nxt.expandtabs()) - len(nxt.expandtabs().lstrip()) <= indent:
            break
        end += 1
    return end


def _json_edited(text: str, low: float, high: float) -> str | None:
    try:
        data = json.loads(text)
        data["space"]["lr"]["low"], data["space"]["lr"]["high"] = low, high
    except (ValueError, KeyError, TypeError):
        return None
    return json.dumps(data, indent=2) + "\n"


def write_range(setup: SweepSetup, low: float, high: float) -> str:
    """Put [low, high] into the plan file's lr range in place; the sentence to print. Raises
    CliError (exit 2) when the edit cannot be made exactly."""
    from hpdesk.plan import loads_plan
    from hpdesk.plan.files import format_for

    path = setup.path
    low, high = float(f"{low:.3g}"), float(f"{high:.3g}")
    hand = f"set lr's low to {low:.3g} and high to {high:.3g} by hand"
    try:
        text = path.read_text(encoding="utf-8")
        before = loads_plan(text, format_for(path), source=str(path))
    except (OSError, UnicodeDecodeError, PlanError) as exc:
        raise CliError(f"could not read {path} again to write the range ({exc}); {hand}",
                       EXIT_USAGE) from None
    old = before.space.get("lr")
    if not isinstance(old, FloatRange):
        raise CliError(f"{path} no longer gives lr as a range; {hand}", EXIT_USAGE)
    new_text = edited_text(text, low, high)
    if new_text is None and format_for(path) == "json":  # no comments to keep: edit the data
        new_text = _json_edited(text, low, high)
    wanted = before.with_changes(space={**before.space, "lr": dataclasses.replace(
        old, low=low, high=high)})
    try:
        ok = new_text is not None and loads_plan(new_text, format_for(path),
                                                 source=str(path)) == wanted
    except PlanError:
        ok = False
    if not ok or new_text is None:
        raise CliError(f"could not find lr's low and high in {path} to change them in place; "
                       f"{hand}", EXIT_USAGE)
    tmp = path.with_name(f".{path.name}.lr-find.tmp")
    try:
        tmp.write_text(new_text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise CliError(f"could not write {path}: {exc.strerror}; {hand}", EXIT_USAGE) from None
    return f"wrote lr: {low:.3g} to {high:.3g} into {path} (was {old.low:.3g} to {old.high:.3g})"
