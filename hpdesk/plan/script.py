"""How a plan talks to a person's own script: where each trial runs, how each parameter is
written on the command line, and how metrics are read from what the script prints.

These are the plan's fields for `task: script` (and any plan with a `command`). They are plain
data; `hpdesk.runner.launch` turns them into an argument list and `hpdesk.runner.stdout_metrics`
into a reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: How parameters reach the script: placeholders only, appended flags (`--name value`,
#: `--name=value`), Hydra overrides (`name=value`), a JSON file, or the environment only.
PARAMS_STYLES = ("template", "flags", "equals", "hydra", "json", "env")
#: How a true/false value is written: `--flag true`, `--flag True`, `--flag 1`; `--flag` or
#: nothing (argparse store_true); `--flag` or `--no-flag` (argparse BooleanOptionalAction).
BOOLEAN_STYLES = ("value", "capitalized", "number", "switch", "negatable")
#: Styles that write the flag alone, so they need a style with flags.
FLAG_ONLY_BOOLEANS = ("switch", "negatable")
#: `--learning_rate` as the parameter is named, or `--learning-rate`.
FLAG_NAMES = ("as_written", "dashes")
#: Each trial runs in its own folder (the default), or every trial in the project folder.
TRIAL_FOLDERS = ("own", "shared")
#: Placeholders hpdesk fills in a command, beside the parameters' own `{name}`.
PLACEHOLDERS = ("trial_dir", "params_file", "trial_id", "trial_number", "project")


@dataclass(frozen=True)
class Argument:
    """One parameter's way onto the command line: passed or not (a parameter may exist only to
    inform the advice, such as the optimiser a script hard-codes), under which flag, and for
    true/false values in which style (None: the plan's `booleans`)."""

    passed: bool = True
    flag: str | None = None
    boolean: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not self.passed:
            out["pass"] = False
        if self.flag is not None:
            out["flag"] = self.flag
        if self.boolean is not None:
            out["boolean"] = self.boolean
        return out


def pattern_issue(regex: str, fixed_name: str | None = None) -> tuple[str, str] | None:
    """Why a metric pattern cannot be used, for each place that says it in its own words:
    ("syntax", the regex error), ("value", "") without a value group, ("name", "") without a
    name group or a fixed name; None when it can."""
    try:
        groups = re.compile(regex).groupindex
    except re.error as exc:
        return "syntax", str(exc)
    if "value" not in groups:
        return "value", ""
    if "name" not in groups and "metric" not in groups and not (fixed_name or "").strip():
        return "name", ""
    return None


@dataclass(frozen=True)
class MetricPattern:
    """A regular expression that reads metrics from a line. Named groups: `name` (or `metric`),
    `value`, and optionally `step` and `epoch`; `name` here gives a fixed metric name to a
    pattern without a name group (`valid loss\\s+(?P<value>\\S+)` read as `valid_loss`)."""

    regex: str
    name: str | None = None

    def problem(self) -> str | None:
        """Why the pattern cannot be used (for the reader), in words, or None."""
        issue = pattern_issue(self.regex, self.name)
        if issue is None:
            return None
        kind, detail = issue
        return {"syntax": f"not a valid regular expression ({detail})",
                "value": "no (?P<value>...) group",
                "name": "no (?P<name>...) group and no fixed name"}[kind]

    def to_plain(self) -> str | dict[str, str]:
        return self.regex if self.name is None else {"regex": self.regex, "name": self.name}


@dataclass(frozen=True)
class StdoutMetrics:
    """How metrics are read from an unmodified script's output: the built-in reader (common
    formats: `name: value`, tables, Keras, Lightning, Hugging Face, JSON lines), or the plan's
    own patterns instead."""

    patterns: tuple[MetricPattern, ...] = ()
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"enabled": self.enabled}
        if self.patterns:
            out["patterns"] = [p.to_plain() for p in self.patterns]
        return out
