"""Finding, at array speed, the few lines of a large block of output that can give a metric.

A trial that prints 80 MB/s prints mostly lines no metric can come from: tensors, paths, index
lists, progress. StdoutParser reads about 12 MB/s of such lines one by one; `candidate_starts`
looks at the whole block at once with numpy and names the lines worth reading. It is a
superset, never a guess: a line it leaves out gives no point and changes none of the parser's
state when the parser's noise filter is idle (StdoutParser.parse_block keeps reading line by
line while it is not). tests/runner/test_stdout_scan.py checks this against the parser itself.

A line is a candidate when any of these holds (on its bytes, before any cleaning):
- a byte that cleaning or Unicode could change the meaning of: anything not printable ASCII
  but tab and newline (`\\r` redraws, ANSI sequences, `\\b`, non-ASCII letters and digits);
  `{` (a dict line) and `*` (a banner) count as such bytes too;
- `poch` or `POCH` (an epoch announced: `Epoch 3/10`), `Traceback`, `Warning`, or `(` at its
  end (each can start a block of noise lines);
- with custom patterns: a digit, `nan` or `inf` anywhere (a pattern's value is a number);
- otherwise a pair as the default reader finds them: a word that starts with a letter (after
  `-` bullets), then spaces, `:` or `=`, then a value (`5`, `.5`, `-5`, `nan`, `inf`, in any
  case). An epoch given as a field (`EPOCH: 3`) is such a pair.
"""

from __future__ import annotations

import re

import numpy as np

# Classes of bytes, as bits. A letter is WORD alone (or WORD | NI: n, N, i, I, where `nan` and
# `inf` start); `/` and `@` are word characters that count as a DOT (a superset: `/5`).
WORD, NI, DIGIT, SEP, SIGN, DOT, NEWLINE, ODD = 1, 2, 4, 8, 16, 32, 64, 128
MAX_SEP = 16  # a separator run longer than this is not followed back: the line is read
MAX_WORD = 64  # a word longer than this is not followed back: the line is read
_LITERALS = (b"poch", b"POCH", b"Traceback", b"Warning")  # `{` and `*` are ODD bytes
PAD = 6  # newlines in front of a block: every look back stays inside the array
_REPR_END = re.compile(rb"\([ \t]*+(?:\n|\Z)")


def _class_table() -> bytes:
    table = bytearray(256)
    for code in range(256):
        ch = chr(code)
        if code >= 0x80 or (code < 0x20 and ch not in "\t\n") or ch in "{*":
            table[code] = ODD  # the line is read whole
        elif ch in "nNiI":
            table[code] = WORD | NI
        elif ch.isalpha() or ch == "_":
            table[code] = WORD
        elif ch.isdigit():
            table[code] = WORD | DIGIT
        elif ch == ".":
            table[code] = WORD | DOT
        elif ch in "/@":
            table[code] = WORD | DOT
        elif ch == "-":
            table[code] = WORD | SIGN
        elif ch == "+":
            table[code] = SIGN
        elif ch in " \t:=":
            table[code] = SEP
        elif ch == "\n":
            table[code] = NEWLINE
    return bytes(table)


_CLASS = _class_table()


def candidate_starts(block: bytes, *, patterns: bool = False) -> list[int]:
    """The offsets in `block` where candidate lines start, in order (see the module's
    docstring). `patterns`: the plan gives custom patterns (any number may be a value)."""
    # Newlines in front: every look back stops at a class that is no separator and no word.
    text = b"\n" * PAD + block
    raw = np.frombuffer(text, np.uint8)
    cls = np.frombuffer(text.translate(_CLASS), np.uint8)
    starts = np.flatnonzero(cls[PAD - 1:] == NEWLINE) + PAD  # where each line starts
    if starts[-1] == len(text):
        starts = starts[:-1]  # the block's last newline starts no line
    if not len(starts):
        return []
    seen = np.bitwise_or.reduceat(cls, starts)  # the classes each line holds
    flag = (seen & (ODD | DIGIT if patterns else ODD)) != 0
    if patterns:
        spots = _nan_inf(raw, np.flatnonzero(cls & NI))
    else:
        spots = _pairs(cls, raw, _value_starts(cls))
    spots = np.concatenate([spots, *(_find_all(text, literal) for literal in _LITERALS),
                            [m.start() for m in _REPR_END.finditer(text)]])
    if len(spots):
        flag[np.searchsorted(starts, spots, side="right") - 1] = True
    return [int(s) - PAD for s in starts[flag]]


def _find_all(text: bytes, literal: bytes) -> np.ndarray:
    """Where `literal` occurs in `text`, at most once a line (one is enough)."""
    found = []
    at = text.find(literal)
    while at >= 0:
        found.append(at)
        end = text.find(b"\n", at)
        at = -1 if end < 0 else text.find(literal, end + 1)
    return np.array(found, np.int64)


def _nan_inf(raw: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Of the positions `at`, those where `nan` or `inf` starts, in any case."""
    last = len(raw) - 1
    one, two = raw[np.minimum(at + 1, last)] | 0x20, raw[np.minimum(at + 2, last)] | 0x20
    first = raw[at] | 0x20
    return at[((first == ord("n")) & (one == ord("a")) & (two == ord("n")))
              | ((first == ord("i")) & (one == ord("n")) & (two == ord("f")))]


def _value_starts(cls: np.ndarray) -> np.ndarray:
    """Digits (and n, i) after a separator, or after a sign or dot (or both) after one, where
    the separator follows a word character or is longer than 2: where a value written after
    `name: ` can start (its other digits, and numbers in lists of numbers, are left out).
    Position p is looked at from p - 5: PAD newlines come first."""
    n = len(cls)
    word = (cls & WORD) != 0
    sep = (cls & SEP) != 0
    mark = (cls & (SIGN | DOT)) != 0
    ends = np.zeros(n, bool)  # a separator that follows a word within 2, or a long one
    ends[2:] = sep[2:] & (word[1:-1] | (sep[1:-1] & (word[:-2] | sep[:-2])))
    follows = ends[4:n - 1] | (mark[4:n - 1] & (ends[3:n - 2]
                                                  | (mark[3:n - 2] & ends[2:n - 3])))
    return np.flatnonzero(((cls[5:] & (DIGIT | NI)) != 0) & follows) + 5


def _pairs(cls: np.ndarray, raw: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Of the positions where a value can start (`_value_starts`), those that hold a number,
    `nan` or `inf` after an optional sign or dot, a separator, and a word that starts with a
    letter (after `-` bullets): a superset of the `name: value` pairs the default reader
    reads."""
    letters = (cls[at] & DIGIT) == 0
    at = np.concatenate([at[~letters], _nan_inf(raw, at[letters])])
    for mark in (DOT, SIGN):  # -5, .5, -.5, +inf: the value's sign and dot come first
        at = np.where((cls[at - 1] & mark) != 0, at - 1, at)
    at = at[(cls[at - 1] & SEP) != 0]
    sure = []  # followed back too far: the line is read
    j = at - 1
    for _ in range(MAX_SEP):  # back over the separator: spaces, `:`, `=`
        c = cls[j]
        on_sep = (c & SEP) != 0
        alive = on_sep | ((c & WORD) != 0)
        at, j, on_sep = at[alive], j[alive], on_sep[alive]
        if not on_sep.any():
            break
        j = j - on_sep
    else:
        still = (cls[j] & SEP) != 0
        sure.append(at[still])
        at, j = at[~still], j[~still]
    s = j
    for _ in range(MAX_WORD):  # back to the word's first character
        more = (cls[s - 1] & WORD) != 0
        if not more.any():
            break
        s = s - more
    else:
        long = (cls[s - 1] & WORD) != 0
        sure.append(at[long])
        at, s, j = at[~long], s[~long], j[~long]
    for _ in range(MAX_WORD):  # `--lr 0.1`: bullets are stripped before the name
        more = ((cls[s] & (WORD | SIGN)) == WORD | SIGN) & (s < j)
        if not more.any():
            break
        s = s + more
    letter = (cls[s] & (WORD | DIGIT | DOT | SIGN)) == WORD
    return np.concatenate([at[letter], *sure])
