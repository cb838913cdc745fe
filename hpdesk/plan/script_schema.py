"""Validating a plan's own-script fields (hpdesk.plan.script): the trial folder, the style of
flags and true/false values, each parameter's argument, and the metric patterns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hpdesk.plan.reader import Reader
from hpdesk.plan.script import (
    BOOLEAN_STYLES,
    FLAG_NAMES,
    FLAG_ONLY_BOOLEANS,
    PARAMS_STYLES,
    PLACEHOLDERS,
    TRIAL_FOLDERS,
    Argument,
    MetricPattern,
    StdoutMetrics,
    pattern_issue,
)
from hpdesk.plan.space import Distribution, possible_values

SCRIPT_FIELDS = ("trial_folder", "params_style", "flag_names", "booleans", "arguments",
                 "stdout_metrics")
_FLAG = re.compile(r"^[^\s=]+$")


@dataclass(frozen=True)
class ScriptOptions:
    params_style: str = "template"
    stdout_metrics: StdoutMetrics = field(default_factory=StdoutMetrics)
    trial_folder: str = "own"
    flag_names: str = "as_written"
    booleans: str = "value"
    arguments: Mapping[str, Argument] = field(default_factory=dict)


def parse_script_options(r: Reader, top: Mapping[str, Any], command: Any,
                         space: Mapping[str, Distribution] | None) -> ScriptOptions:
    """The own-script fields; a built-in task (no command) may not set any of them."""
    if command is None:
        for key in SCRIPT_FIELDS:
            if key in top:
                r.fail(key, "a command: only your own scripts take this option", "a built-in task")
        return ScriptOptions()
    style = r.text("params_style", top.get("params_style", "template"),
                   choices=PARAMS_STYLES) or "template"
    folder = r.text("trial_folder", top.get("trial_folder", "own"), choices=TRIAL_FOLDERS)
    names = r.text("flag_names", top.get("flag_names", "as_written"), choices=FLAG_NAMES)
    booleans = r.text("booleans", top.get("booleans", "value"), choices=BOOLEAN_STYLES)
    if booleans in FLAG_ONLY_BOOLEANS and style not in ("flags", "equals"):
        r.fail("booleans", f"value, capitalized or number with params_style {style} "
               f"({booleans} writes a flag alone, so it needs flags or equals)", booleans)
    arguments = _arguments(r, top.get("arguments", {}), style, space)
    if space is not None:
        for name in space:
            if name in PLACEHOLDERS:
                r.fail(f"space.{name}", "a parameter name that is not one of hpdesk's own "
                       f"placeholders ({', '.join(PLACEHOLDERS)})", name)
    return ScriptOptions(style, _stdout_metrics(r, top.get("stdout_metrics", {})),
                         folder or "own", names or "as_written", booleans or "value", arguments)


def _arguments(r: Reader, value: Any, style: str,
               space: Mapping[str, Distribution] | None) -> dict[str, Argument]:
    """`arguments: {name: {pass: false, flag: --learning-rate, boolean: switch}}`."""
    if not isinstance(value, Mapping):
        r.fail("arguments", "a mapping of parameter names to how each is passed", value)
        return {}
    out: dict[str, Argument] = {}
    for name, entry in value.items():
        path = f"arguments.{name}"
        if space is not None and name not in space:
            r.fail(path, "a parameter of the space", name)
            continue
        if isinstance(entry, bool):
            entry = {"pass": entry}
        m = r.mapping(path, entry, ("pass", "flag", "boolean"))
        if m is None:
            continue
        passed = r.boolean(f"{path}.pass", m.get("pass", True))
        flag = m.get("flag")
        if flag is not None and (not isinstance(flag, str) or not _FLAG.match(flag)):
            r.fail(f"{path}.flag", "the flag as the script expects it, such as --learning-rate "
                   "(no spaces or =)", flag)
            flag = None
        boolean = m.get("boolean")
        if boolean is not None:
            boolean = r.text(f"{path}.boolean", boolean, choices=BOOLEAN_STYLES)
            if space is not None and name in space and not _is_boolean(space[name]):
                r.fail(f"{path}.boolean", "a parameter whose values are true and false",
                       "a parameter with other values")
            elif boolean in FLAG_ONLY_BOOLEANS and style not in ("flags", "equals"):
                r.fail(f"{path}.boolean", f"value, capitalized or number with params_style "
                       f"{style} ({boolean} needs flags or equals)", boolean)
        if passed is not None:
            out[str(name)] = Argument(passed, flag, boolean)
    return out


def _is_boolean(dist: Distribution) -> bool:
    values = possible_values(dist)
    return bool(values) and all(isinstance(v, bool) for v in values)


def _stdout_metrics(r: Reader, metrics: Any) -> StdoutMetrics:
    if isinstance(metrics, bool):
        metrics = {"enabled": metrics}
    m = r.mapping("stdout_metrics", metrics, ("enabled", "patterns"))
    if m is None:
        return StdoutMetrics()
    enabled = r.boolean("stdout_metrics.enabled", m.get("enabled", True))
    patterns = m.get("patterns", [])
    if isinstance(patterns, (str, Mapping)):
        patterns = [patterns]
    if not isinstance(patterns, list):
        r.fail("stdout_metrics.patterns", "a list of regular expressions", patterns)
        patterns = []
    clean = [p for i, item in enumerate(patterns)
             if (p := _pattern(r, f"stdout_metrics.patterns[{i}]", item)) is not None]
    return StdoutMetrics(tuple(clean), bool(enabled))


def _pattern(r: Reader, where: str, item: Any) -> MetricPattern | None:
    """A regex, or `{regex: ..., name: valid_loss}` for a fixed metric name."""
    name = None
    if isinstance(item, Mapping):
        m = r.mapping(where, item, ("regex", "name"))
        if m is None:
            return None
        name = m.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            r.fail(f"{where}.name", "the metric's name", name)
            return None
        item = m.get("regex")
        where = f"{where}.regex"
    if not isinstance(item, str):
        r.fail(where, "a regular expression", item)
        return None
    issue = pattern_issue(item, name)
    if issue is not None:
        kind, detail = issue
        r.fail(where, {"syntax": f"a valid regular expression ({detail})",
                       "value": "a named group (?P<value>...) for the number",
                       "name": "a named group (?P<name>...), or a fixed name: "
                               "{regex: ..., name: ...}"}[kind], item)
        return None
    return MetricPattern(item, name)
