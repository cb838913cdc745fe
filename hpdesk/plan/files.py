"""Plan files in and out: YAML, TOML (and JSON read), with exact round trips.

Loading never executes code (`yaml.safe_load`, `tomllib`, `json`) and never raises anything but
`PlanError`, whose lines name the file, the field, what was expected and what was found.
Writing adds the tuning advice as comments where the format has them.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from hpdesk.plan.model import Plan
from hpdesk.plan.reader import PlanError, Problem
from hpdesk.plan.schema import parse_plan

FORMATS = ("yaml", "toml", "json")


class _PlanYamlLoader(yaml.SafeLoader):
    """SafeLoader that also reads YAML 1.2 floats such as `1e-3` (1.1 wants `1.0e-3`) as numbers.

    Only plain scalars are resolved, so a quoted '1e-3' stays text."""


_PlanYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)
MAX_BYTES = 1_000_000


def format_for(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    return {".toml": "toml", ".json": "json"}.get(suffix, "yaml")


def load_plan(path: str | os.PathLike[str]) -> Plan:
    file = Path(path)
    source = str(path)
    try:
        if file.is_dir():
            raise PlanError([Problem("", "a plan file", "a folder", source)])
        if file.stat().st_size > MAX_BYTES:
            raise PlanError([Problem("", "a plan file under 1 MB", "a larger file", source)])
        raw = file.read_bytes()
    except FileNotFoundError:
        raise PlanError([Problem("", "a plan file", "no such file", source)]) from None
    except OSError as exc:
        raise PlanError([Problem("", "a readable plan file", exc.strerror or "an error",
                                 source)]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanError([Problem("", "a UTF-8 text file", "binary data", source)]) from None
    return loads_plan(text, format_for(file), source=source)


def loads_plan(text: str, fmt: str = "yaml", *, source: str = "<plan>") -> Plan:
    return parse_plan(parse_text(text, fmt, source=source), source)


def parse_text(text: str, fmt: str, *, source: str = "<plan>") -> Any:
    """The raw data of a plan file, before the schema; syntax errors become one `Problem`."""
    if "\x00" in text:
        raise PlanError([Problem("", "a text file", "binary data", source)])
    if not text.strip():
        raise PlanError([Problem("", "a plan (hpdesk: 1, task, space...)", "an empty file",
                                 source)])
    try:
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt == "json":
            return json.loads(text)
        return yaml.load(text, Loader=_PlanYamlLoader)  # noqa: S506  (a SafeLoader)
    except tomllib.TOMLDecodeError as exc:
        found = f"a TOML syntax error ({exc})"
    except json.JSONDecodeError as exc:
        found = f"a JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        found = f"a YAML error{where}: {problem}"
    except (ValueError, RecursionError) as exc:  # e.g. JSON numbers too large, deep nesting
        found = f"unreadable {fmt} ({type(exc).__name__})"
    raise PlanError([Problem("", f"a valid {fmt.upper()} document", found, source)])


def dumps_plan(plan: Plan, fmt: str = "yaml", *, comments: bool = True) -> str:
    data = plan.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"unknown plan format {fmt!r}; expected one of {', '.join(FORMATS)}")
    from hpdesk.plan.comments import header_lines, param_comment

    writer = _YamlWriter() if fmt == "yaml" else _TomlWriter()
    lines = [f"# {line}" if line else "#" for line in header_lines(plan)] if comments else []
    space = data.pop("space")
    lines += writer.top(data)
    lines.append(writer.section("space"))
    for name, entry in space.items():
        if comments:
            lines += [f"{writer.indent}# {c}" for c in param_comment(name, plan)]
        lines.append(writer.entry(name, entry))
    return "\n".join(lines) + "\n"


def dump_plan(plan: Plan, path: str | os.PathLike[str], *, comments: bool = True) -> None:
    Path(path).write_text(dumps_plan(plan, format_for(path), comments=comments), encoding="utf-8")


class _YamlWriter:
    indent = "  "

    def top(self, data: dict[str, Any]) -> list[str]:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                              default_flow_style=None, width=100).rstrip("\n").splitlines()

    def section(self, name: str) -> str:
        return f"{name}:"

    def entry(self, name: str, entry: dict[str, Any]) -> str:
        flow = yaml.safe_dump({name: entry}, sort_keys=False, allow_unicode=True,
                              default_flow_style=True, width=10_000).strip()
        return self.indent + flow[1:-1]  # {name: {...}} -> name: {...}


class _TomlWriter:
    indent = ""

    def top(self, data: dict[str, Any]) -> list[str]:
        return tomli_w.dumps(data).rstrip("\n").splitlines() + [""]

    def section(self, name: str) -> str:
        return f"[{name}]"

    def entry(self, name: str, entry: dict[str, Any]) -> str:
        key = tomli_w.dumps({name: 0}).split(" = ")[0]
        return f"{key} = {_toml_inline(entry)}"


def _toml_inline(value: Any) -> str:
    """One-line TOML for a value (tomli-w spreads arrays over lines, ugly inside a table)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{tomli_w.dumps({k: 0}).split(' = ')[0]} = {_toml_inline(v)}"
                          for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_inline(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).split(" = ", 1)[1].strip()
