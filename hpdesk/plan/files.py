"""Plan files in and out: YAML, TOML (and JSON read), with exact round trips.

Loading never executes code (a SafeLoader, `tomllib`, `json`) and never raises anything but
`PlanError`, whose lines name the file, the field, what was expected and what was found.
Reading is bounded before it costs memory or time: the file's size, its encoding (UTF-16 is
named as such), YAML aliases counted as if expanded and nesting refused past the limits of
`hpdesk.plan.reader` while the document is composed, duplicate keys named with their line.
Writing adds the tuning advice as comments where the format has them.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from hpdesk.plan.model import Plan
from hpdesk.plan.reader import MAX_DEPTH, PlanError, Problem
from hpdesk.plan.schema import parse_plan
from hpdesk.plan.yaml_limits import PLAN_YAML_LOADER, Refused

FORMATS = ("yaml", "toml", "json")
MAX_BYTES = 1_000_000


def format_for(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    return {".toml": "toml", ".json": "json"}.get(suffix, "yaml")


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """The plan in a file.

    Raises:
        PlanError: a folder, a missing file, a file over 1 MB, one not in UTF-8, a syntax
            error, a limit of the readers, a field out of bounds; one problem per line.

    >>> load_plan("resources/examples/digits-random.yaml").task  # doctest: +SKIP
    'classification'
    """
    file = Path(path)
    source = str(path)
    try:
        if file.is_dir():
            raise PlanError([Problem("", "a plan file", "a folder", source)])
        mode = file.stat().st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):  # /dev/zero would never end
            raise PlanError([Problem("", "a plan file", "a device", source)])
        if file.stat().st_size > MAX_BYTES:
            raise PlanError([Problem("", "a plan file under 1 MB", "a larger file", source)])
        with open(file, "rb") as fh:  # a pipe (`<(...)`) or a file that grows stays bounded
            raw = fh.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise PlanError([Problem("", "a plan file under 1 MB", "a larger file", source)])
    except FileNotFoundError:
        raise PlanError([Problem("", "a plan file", "no such file", source)]) from None
    except OSError as exc:
        raise PlanError([Problem("", "a readable plan file", exc.strerror or "an error",
                                 source)]) from None
    return loads_plan(decode_text(raw, source), format_for(file), source=source)


def decode_text(raw: bytes, source: str = "<plan>") -> str:
    """UTF-8 text (a BOM allowed); any other encoding or binary data is one `Problem`."""
    encoding = _wide_encoding(raw)
    if encoding is not None:
        raise PlanError([Problem("", "a UTF-8 text file", f"{encoding} text (save it as UTF-8)",
                                 source)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _looks_binary(raw):
            found = "binary data"
        else:
            line = raw.count(b"\n", 0, exc.start) + 1
            found = (f"text that is not UTF-8 (byte 0x{raw[exc.start]:02x} on line {line}; "
                     "save it as UTF-8)")
        raise PlanError([Problem("", "a UTF-8 text file", found, source)]) from None


def _wide_encoding(raw: bytes) -> str | None:
    """UTF-16 or UTF-32 by their byte-order mark (what Notepad and PowerShell write as
    "Unicode"), or UTF-16 without one: every other byte of the first few thousand is zero."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, others in ((odd, even), (even, odd)):
        if zeros.count(0) >= 0.4 * len(zeros) and others.count(0) <= 0.05 * len(others):
            text = sample[:len(sample) // 2 * 2].decode(
                "utf-16-le" if zeros is odd else "utf-16-be", "replace")
            if sum(c.isprintable() or c in "\t\r\n" for c in text[:2048]) >= 0.9 * min(
                    len(text), 2048):
                return "UTF-16"
    return None


def _looks_binary(raw: bytes) -> bool:
    sample = raw[:4096]
    control = sum(b < 32 and b not in b"\t\n\r\x0c\x1b" for b in sample)
    return b"\x00" in sample or control > 0.05 * len(sample)


def loads_plan(text: str, fmt: str = "yaml", *, source: str = "<plan>") -> Plan:
    r"""The plan in a text of format `fmt` (yaml, toml or json); `PlanError` otherwise.

    >>> loads_plan("hpdesk: 1\ntask: classification\nspace: {lr: 0.01}\n").space["lr"].value
    0.01
    """
    return parse_plan(parse_text(text, fmt, source=source), source)


def parse_text(text: str, fmt: str, *, source: str = "<plan>") -> Any:
    """The raw data of a plan file, before the schema; syntax errors and the readers' limits
    (nesting, expanded aliases, duplicate keys, NaN in JSON) become one `Problem`."""
    if "\x00" in text:
        raise PlanError([Problem("", "a text file", "binary data", source)])
    if not text.strip():
        raise PlanError([Problem("", "a plan (hpdesk: 1, task, space...)", "an empty file",
                                 source)])
    try:
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt == "json":
            return json.loads(text, object_pairs_hook=_json_object,
                              parse_constant=_json_constant, parse_int=_json_int)
        return yaml.load(text, Loader=PLAN_YAML_LOADER)  # noqa: S506  (a SafeLoader)
    except Refused as exc:
        raise PlanError([Problem(exc.path, exc.expected, exc.found, source)]) from None
    except tomllib.TOMLDecodeError as exc:
        found = f"a TOML syntax error ({exc})"
    except json.JSONDecodeError as exc:
        found = f"a JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        found = f"a YAML error{where}: {problem}"
    except RecursionError:  # JSON and TOML readers recurse: bounded by the interpreter's stack
        raise PlanError([Problem("", f"at most {MAX_DEPTH} levels of nesting",
                                 "deeper nesting", source)]) from None
    except ValueError as exc:  # e.g. a TOML integer of more than 4,300 digits, a bad date
        if "integer string conversion" in str(exc):
            raise PlanError([Problem("", "an integer between -2**63 and 2**63",
                                     "an integer of more than 4,300 digits", source)]) from None
        found = f"unreadable {fmt} ({(str(exc).splitlines() or [type(exc).__name__])[0]})"
    raise PlanError([Problem("", f"a valid {fmt.upper()} document", found, source)])


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Refused(key, "each key once in an object", "it twice")
        out[key] = value
    return out


def _json_constant(name: str) -> float:
    raise Refused("", "a JSON document (JSON has no NaN or Infinity; write a number)", name)


def _json_int(text: str) -> int:
    if len(text) > 40:  # int() refuses 4,300 digits with a ValueError; the schema wants 19
        raise Refused("", "an integer between -2**63 and 2**63", f"an integer of {len(text)} "
                      "digits")
    return int(text)


#: What a comment line may not hold: control characters (YAML refuses them even in comments, TOML
#: too) and the characters YAML and TOML read as line breaks.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _printable(text: str) -> str:
    """A comment's text with what a plan file cannot hold there written as an escape: a plan
    named with a stray control character still writes and reads back."""
    def escape(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
    return _UNPRINTABLE.sub(escape, text.replace("\n", " ").replace("\t", " "))


def dumps_plan(plan: Plan, fmt: str = "yaml", *, comments: bool = True) -> str:
    data = plan.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"unknown plan format {fmt!r}; expected one of {', '.join(FORMATS)}")
    from hpdesk.plan.comments import header_lines, param_comment

    writer = _YamlWriter() if fmt == "yaml" else _TomlWriter()
    lines = [f"# {_printable(line)}" if line else "#"
             for line in header_lines(plan)] if comments else []
    space = data.pop("space")
    lines += writer.top(data)
    lines.append(writer.section("space"))
    for name, entry in space.items():
        if comments:
            lines += [f"{writer.indent}# {_printable(c)}" for c in param_comment(name, plan)]
        lines.append(writer.entry(name, entry))
    return "\n".join(lines) + "\n"


def dump_plan(plan: Plan, path: str | os.PathLike[str], *, comments: bool = True) -> None:
    Path(path).write_text(dumps_plan(plan, format_for(path), comments=comments), encoding="utf-8")


#: Characters YAML 1.1 reads as line breaks: PyYAML writes them raw inside a quoted scalar, which
#: then reads back as a space, so a plan holding one is written with escapes (allow_unicode off).
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


def _unicode_is_safe(data: Any) -> bool:
    text = json.dumps(data, ensure_ascii=False)
    return not any(ch in text for ch in _YAML_BREAKS)


class _YamlWriter:
    indent = "  "

    def top(self, data: dict[str, Any]) -> list[str]:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=_unicode_is_safe(data),
                              default_flow_style=None, width=80).rstrip("\n").split("\n")
        # split("\n"), not splitlines(): a name may hold U+2028 or U+0085, which splitlines
        # would break the line at and the file would then read back as another name.

    def section(self, name: str) -> str:
        return f"{name}:"

    def entry(self, name: str, entry: dict[str, Any]) -> str:
        flow = yaml.safe_dump({name: entry}, sort_keys=False,
                              allow_unicode=_unicode_is_safe(entry),
                              default_flow_style=True, width=10_000).strip()
        return self.indent + flow[1:-1]  # {name: {...}} -> name: {...}


class _TomlWriter:
    indent = ""

    def top(self, data: dict[str, Any]) -> list[str]:
        return tomli_w.dumps(data).rstrip("\n").split("\n") + [""]

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
