"""The pieces of the stdout reader that look at one line: cleaning a terminal's redraws, telling
noise (tracebacks, warnings, argument dumps) from metrics, and reading `name: value` fields and
dict lines. StdoutParser (stdout_metrics) owns the state: steps, the current epoch, the order.

Every regular expression here runs in time linear in the line's length: quantifiers that could
give back characters are possessive or bounded, so a 1 MB line of one token or of prose costs
one pass, not one pass per position."""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass, field

NOISE_WINDOW = 1024  # noise shows in a line's start: the rules look no further
DICT_LIMIT = 100_000  # a `{...}` line longer than this is not parsed as a Python dict
STEP_NAMES = frozenset({"step", "global_step", "global step", "iter", "iteration"})
#: Lightning's experiment version in its progress bar; an OSError's number (`[Errno 2] ...`)
IGNORED_NAMES = frozenset({"v_num", "errno"})

_WORD = r"[^\W\d][\w./@-]*+"  # a letter or _ first; `ms/batch`, `train/loss`, `lr-Adam`, `Acc@1`
_NAMES = rf"{_WORD}(?:[^\S\t]++{_WORD}){{0,3}}"  # 1 to 4 words
_NUM = (r"[-+]?+(?:(?:\d{1,3}(?:,\d{3})++|\d++)(?:\.\d*+)?+|\.\d++)(?:[eE][-+]?+\d++)?+"
        r"|[-+]?+(?i:nan|inf(?:inity)?+)")
_UNIT = r"(?:it/s|s/it|KiB|MiB|GiB|KB|MB|GB|sec|min|ms|us|µs|μs|ns|%|s|h|B)"
# A pair: name, separator, value, optional unit, then a space or the field's end (`3/10`,
# `2ms/step`, `2.1.0`, `0.5 * x` are no values), or `: ` after a one-word name: `iter 100: loss
# 4.23` (not `Sanity Checking DataLoader 0: 100%`). The name's words are scanned once; which
# separator was used decides in Python how many words the name may have (see `_pairs`).
_PAIR = re.compile(rf"(?P<n>{_NAMES})(?P<s>\s*+(?::\s++|=\s*+)|:|\s++)(?P<v>{_NUM})"
                   rf"(?:{_UNIT}|\s{_UNIT}(?=\Z))?+(?:(?P<t>:)?+\s++|\Z)")
_ONE_VALUE = re.compile(rf"(?P<v>{_NUM})(?:{_UNIT}|\s++{_UNIT})?+")
_LABEL_END = re.compile(r":\s++")
# Two or more spaces after a value and before `name:` start a new field (torchvision's
# references print `eta: 0:01:02  lr: 0.0001  loss: 6.9 (6.9)  time: 0.08`; `test  loss: 4` is
# one name); a run of spaces is tried once, at its start.
_SPACED_KEY = re.compile(rf"(?:(?<=[\d)\]%])|(?<=\ds)|(?<=\dms))\s{{2,}}+(?={_NAMES}:\s)")
_BULLETS = "*•>#-+ "  # `* Acc@1 75.1 Acc@5 92.4` (torchvision's final line)
# Fields end at | , ; tab, ` - ` (Keras) and brackets; a comma between digits with three digits
# after it (`55,050`, `17:00:01,123`) is a thousands separator, not a field's end.
_SEPARATORS = str.maketrans({c: "|" for c in ";\t[](){}"})
_COMMA = re.compile(r",(?:(?<!\d,)|(?!\d{3}(?!\d)))")
# tqdm's `100%|██████████|` (or `|####5     |` with ascii=True): progress, not a metric
# (the lookbehind starts a try only where a number starts: a long run of digits is read once)
_BAR = re.compile(r"(?<![\d.])\d++(?:\.\d++)?+%\|[ #0-9█▉▊▋▌▍▎▏▐░▒▓━╸╺─]*+\|")
_EPOCH_ANYWHERE = re.compile(
    r"(?i)(?<![\w./-])epoch\s*+(?::\s*+)?(?:\[\s*+(\d++)\s*+(?:/\s*+\d++\s*+)?\]"
    r"|(\d++)\s*+(?:/\s*+\d++|:))")
_LOG_PREFIX = re.compile(r"(?:DEBUG|INFO):[\w.]*+:")  # logging.basicConfig's `INFO:root:`
_ANSI = re.compile(r"\x1b(?:\[[0-?]*+[ -/]*+[@-~]|\][^\x07\x1b]*+(?:\x07|\x1b\\)?+|[@-Z\\-_])")

_BARE_VALUE = rf"(?:{_NUM})(?:{_UNIT}|\s{_UNIT})?+\s*+\Z"  # the rest of a line is one value
_NOISE = re.compile(r"""(?x)
    File\ "[^"]*+",\ line\ \d                              # a traceback's frame
  | (?:[A-Za-z_]\w*+\.)*+[A-Z]\w*?(?:Error|Exception|Warning|Interrupt|Exit)
      (?::\s++(?!""" + _BARE_VALUE + r""")|\Z)             # ValueError: ..., not `ValError: 0.1`
  | (?:WARNING|WARN|ERROR|CRITICAL|FATAL)\b                # logging at those levels
  | usage:\s++(?!""" + _BARE_VALUE + r""")                 # argparse's usage, not `usage: 45%`
  | [\w./-]++:\ error:\                                    # argparse's `main.py: error: ...`
  | warnings\.warn\(
  | During\ handling\ of\ the\ above\ exception
  | The\ above\ exception\ was\ the\ direct\ cause
  | [A-Za-z_][\w.]*+\([A-Za-z_]\w*+=                       # Namespace(lr=20, ...) and reprs
  | \[(?:rank\d++\]:\[)?+[WEF](?:\d{4}|\s)                 # torch's C++ warnings
  | [IWEF]\d{4}\ ++\d\d:\d\d:\d\d                          # glog / absl (TensorFlow, JAX)
  | \d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d\.\d++:\ [IWEF]\        # TensorFlow's C++ log
  | wandb:                                                 # wandb's summary repeats values
  | (?:-----\ )?hpdesk:\                                    # hpdesk's own lines in a trial's log
  | LOCAL_RANK:                                            # Lightning's device lines
  | (?:Total|Trainable|Non-trainable)(?:\ estimated\ model)?\ params\b   # model summaries
  | \^[\s^~]*+\Z                                           # 3.11's carets under the source
""")
_LEVEL = re.compile(r"(?<!\w)(?:WARNING|WARN|ERROR|CRITICAL|FATAL)(?!\w)\s*+[\]\-|:]")
_WARNED_AT = re.compile(r":\d++:\s[\w.]*?Warning\b")  # /path/x.py:83: UserWarning: ...
_REPR_OPEN = re.compile(r"[A-Za-z_][\w.]*+\(\Z")  # `Net(` or `TrainingArguments(` on its own
_BANNER = re.compile(r"\*{3,}+\s.*\s\*{3,}+\Z")  # `***** Running training *****`
_TRACEBACK = "Traceback (most recent call last):"


@dataclass(slots=True)
class Reading:
    """What one line says before the parser numbers it: metrics in order, its explicit step and
    its epoch (either may be missing)."""

    metrics: dict[str, float | None] = field(default_factory=dict)
    step: int | None = None
    epoch: float | None = None

    def add(self, name: str, value: float | None) -> None:
        """A step name sets the step, an epoch name the epoch, anything else is a metric; the
        first of each on a line wins (a point is never replaced within a line either)."""
        role = name_role(name)
        if role == "step":
            if self.step is None and value is not None and value >= 0 and value.is_integer():
                self.step = int(value)
        elif role == "epoch":
            if self.epoch is None and value is not None and math.isfinite(value):
                self.epoch = value
        elif role == "metric" and name not in self.metrics:
            self.metrics[name] = value


def name_role(name: str) -> str:
    """"step", "epoch", "ignore" or "metric": the names a line's numbering comes from are not
    metrics themselves (`Train Epoch`, `end of epoch`: the last word counts)."""
    low = name.lower()
    if low in STEP_NAMES:
        return "step"
    if low.rsplit(" ", 1)[-1] == "epoch":
        return "epoch"
    return "ignore" if low in IGNORED_NAMES else "metric"


def normal_name(name: str) -> str:
    """Runs of spaces inside a name become one (`valid  loss` and `valid loss` are one metric)."""
    return " ".join(name.split()) if "  " in name or "\t" in name else name.strip()


def to_value(text: str) -> float | None:
    """The number as printed (`5.68s` -> 5.68, `12%` -> 12, `1,234` -> 1234); None for NaN.
    Raises ValueError for anything else."""
    m = _ONE_VALUE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not a number: {text[:40]!r}")
    return _number(m["v"])


def _number(text: str) -> float | None:
    value = float(text.replace(",", "") if "," in text else text)
    return None if value != value else value


def clean(line: str) -> str:
    """What a terminal would show: no ANSI sequences; of `\\r` redraws (tqdm, Lightning) the
    last non-empty part; of Keras' `\\b` erasures the text after the last run. Not stripped:
    the noise filter needs the indentation."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if "\r" in line:
        parts = line.split("\r")
        line = next((p for p in reversed(parts) if p.strip()), "")
    if "\b" in line:
        line = line[line.rfind("\b") + 1:]
    return line


def strip_log_prefix(text: str) -> str:
    """`INFO:root:epoch 2 loss: 0.3` -> `epoch 2 loss: 0.3` (logging's default format)."""
    m = _LOG_PREFIX.match(text)
    return text[m.end():] if m else text


class NoiseFilter:
    """Says which lines are not metrics, with the little state multi-line noise needs: the
    indented lines of a traceback and its exception line, the source line under a warning, the
    `  Num examples = 60000` lines under a `***** Running training *****` banner, and a
    multi-line repr (`print(model)`, Hugging Face's `TrainingArguments(`) up to its `)`."""

    MAX_BLOCK = 10_000  # a repr that never closes stops hiding lines after this many

    def __init__(self) -> None:
        self._block = ""  # "traceback", "warning", "banner" or ""
        self._depth = 0
        self._held = 0

    @property
    def idle(self) -> bool:
        """No block of noise lines is open: a line's own text alone says whether it is noise."""
        return not self._block and not self._depth

    def skip(self, raw: str, text: str) -> bool:
        """True when the line (`raw` as cleaned, `text` stripped too) is noise."""
        if self._depth:
            self._depth += text.endswith("(") - text.startswith(")")
            self._held += 1
            if self._held > self.MAX_BLOCK:
                self._depth = 0
            return True
        if text.endswith(_TRACEBACK):
            self._block = "traceback"
            return True
        if self._block:
            if not text or raw[:1].isspace():
                return True
            block, self._block = self._block, ""
            if block == "traceback":
                return True  # the exception line, whatever its form
        if _NOISE.match(text, 0, NOISE_WINDOW) or _LEVEL.search(text, 0, 120) is not None:
            return True
        if "Warning" in text and _WARNED_AT.search(text):
            self._block = "warning"
            return True
        if text.endswith("(") and _REPR_OPEN.match(text):
            self._depth, self._held = 1, 0
            return True
        if text.startswith("***") and _BANNER.match(text) and "metrics" not in text.lower():
            self._block = "banner"
            return True
        return False


def is_dict_line(text: str) -> bool:
    return text.startswith("{") and text.endswith("}")


def read_dict(text: str) -> Reading | None:
    """A JSON object or a printed Python dict (Hugging Face's Trainer): its numeric top-level
    values; None when the line is no dict (then it is read as fields)."""
    try:
        data = json.loads(text)
    except Exception:  # ValueError, RecursionError on deep nesting
        data = _python_dict(text) if len(text) < DICT_LIMIT else None
    if not isinstance(data, dict):
        return None
    reading = Reading()
    if "event" in data:  # the SDK's events: `{"event": "diverged", "step": 5}`
        return reading
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip() or isinstance(value, bool):
            continue
        if value is None:
            reading.add(normal_name(key), None)
        elif isinstance(value, (int, float)):
            try:
                number = float(value)
            except OverflowError:
                continue
            reading.add(normal_name(key), None if number != number else number)
    return reading


_SPECIAL = {"nan": math.nan, "inf": math.inf}
_NUMBER_CALLS = frozenset({"tensor", "float64", "float32", "float16", "bfloat16", "int64",
                           "int32", "int16", "int8", "uint8"})


def _python_dict(text: str) -> dict[object, object] | None:
    """A printed dict, parsed (never evaluated) as ast.literal_eval would, its top-level values
    taken when they are literals, `nan`/`inf` (how Python prints them: literal_eval refuses
    them) or `tensor(0.5, ...)` / `np.float64(0.5)`; anything else becomes a string."""
    try:
        tree = ast.parse(text, mode="eval").body
    except Exception:  # SyntaxError, ValueError, MemoryError, RecursionError on deep nesting
        return None
    if not isinstance(tree, ast.Dict):
        return None
    out: dict[object, object] = {}
    for key, node in zip(tree.keys, tree.values):
        if not isinstance(key, ast.Constant):
            return None  # `{loss: 0.5}` is no printed dict: its fields are read instead
        out[key.value] = _literal(node)
    return out


def _literal(node: ast.expr) -> object:
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if isinstance(node, ast.Call) and node.args and not isinstance(node.args[0], ast.Starred):
        func = node.func
        called = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        if called in _NUMBER_CALLS and sign == 1.0:
            return _literal(node.args[0])
        return "call"
    if isinstance(node, ast.Name) and node.id in _SPECIAL:
        return sign * _SPECIAL[node.id]
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, bool):
            return value if sign == 1.0 else "signed"
        if isinstance(value, (int, float)):
            return -value if sign < 0 else value
    return "other"


def read_fields(text: str) -> Reading:
    """The default reader: split the line into fields and read each field that is, as a whole,
    `name: value` pairs (the forms are in stdout_metrics' docstring)."""
    reading = Reading()
    table = "|" in text or "\t" in text
    in_list = False
    if "%|" in text:
        text = _BAR.sub("|", text)
    if " - " in text:
        text = text.replace(" - ", "|")
    if "," in text:
        listed = _COMMA.sub("|", text)
        # In a list of fields (`step 200: train loss 3.12, val loss 3.25`: nanoGPT) a field
        # that ends in `several words value` is read as in a table (`_pairs`).
        in_list = listed != text
        text = listed
    if "  " in text:
        text = _SPACED_KEY.sub("|", text)
    for part in text.translate(_SEPARATORS).split("|"):
        if len(part) < 3:
            continue
        part = part.strip().lstrip(_BULLETS)
        m = _PAIR.match(part)
        if m is not None and m.end() == len(part):  # the usual field: one pair
            _add(reading, m, table or (in_list and not m["t"]))
        else:
            for m in _pairs(part, table, in_list):
                _add(reading, m, table or (in_list and m.end() == len(part)))
    if reading.epoch is None:
        reading.epoch = epoch_anywhere(text)
    return reading


def _add(reading: Reading, m: re.Match[str], table: bool) -> None:
    name = m["n"]
    if len(name) > 1 and (" " not in name or _many_words_allowed(m, table)):
        reading.add(normal_name(name), _number(m["v"]))


def _many_words_allowed(m: re.Match[str], table: bool) -> bool:
    """`valid loss: 5.8` and `learning rate = 0.1` anywhere, `valid loss  5.8` in tables only,
    `a b:1` (`serving on localhost:8080`) and `a b 0: ...` nowhere."""
    if m["t"]:
        return False
    separator = m["s"]
    if "=" in separator or ": " in separator:
        return True
    return table and ":" not in separator


def _pairs(part: str, table: bool, in_list: bool = False) -> list[re.Match[str]]:
    """The pairs that make up the whole field after an optional label ending in `: `; none when
    something else is left. In a list of fields (`in_list`) the last pair may have a
    multi-word name (`step 200: train loss 3.12`; not `val_loss improved from inf to 0.4`).
    Each retry starts after a label colon past the last failure, so the field is scanned a
    bounded number of times."""
    end = len(part)
    start = 0
    while start < end:
        pos, found = start, []
        while (m := _PAIR.match(part, pos)) is not None:
            if " " in m["n"] and not _many_words_allowed(
                    m, table or (in_list and m.end() == end)):
                break
            found.append(m)
            pos = m.end()
            if pos >= end:
                return found
        label = _LABEL_END.search(part, pos)
        if label is None:
            return []
        start = label.end()
    return []


def epoch_anywhere(text: str) -> float | None:
    """`Epoch 3/10`, `Epoch 0:`, `Epoch [1/5]` anywhere in the line."""
    if "poch" not in text and "POCH" not in text:
        return None
    found = _EPOCH_ANYWHERE.search(text)
    return float(found[1] or found[2]) if found else None
