"""Search spaces in and out: which format a file is, reading it into a plan, writing a plan as
another tool's file. Pure functions: no Qt, no Optuna, no torch; reading runs no code.

Formats: `hpdesk` (plan files: YAML, TOML, JSON), `wandb` (a W&B sweep, YAML), `optuna` (the
distributions JSON in, and out as JSON or, to a .py name, as a runnable study script), `nni`
(a search_space.json, or an NNI config in), `raytune` (Python source, out only).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpdesk.plan.files import MAX_BYTES, decode_text, dumps_plan, parse_text
from hpdesk.plan.model import Plan
from hpdesk.plan.reader import PlanError, Problem
from hpdesk.plan.schema import parse_plan

FORMATS = ("hpdesk", "wandb", "optuna", "nni", "raytune")
LABELS = {"hpdesk": "hpdesk plan", "wandb": "W&B sweep", "optuna": "Optuna distributions",
          "optuna-script": "Optuna script", "nni": "NNI search space",
          "raytune": "Ray Tune search space"}
#: What each output extension may be, in the order tried.
BY_SUFFIX = {".toml": ("hpdesk",), ".yaml": ("hpdesk", "wandb"), ".yml": ("hpdesk", "wandb"),
             ".json": ("hpdesk", "optuna", "nni"), ".py": ("optuna", "raytune")}


@dataclass(frozen=True)
class Conversion:
    """What a conversion made: the plan read (on import) or the text to write (on export),
    in `fmt`, and one line for each thing the target could not say."""

    fmt: str
    plan: Plan | None = None
    text: str = ""
    losses: list[str] = field(default_factory=list)


def _problem(source: str, path: str, expected: str, found: str) -> PlanError:
    return PlanError([Problem(path, expected, found, source)])


def read_document(path: str | os.PathLike[str]) -> tuple[Any, str]:
    """The parsed data of a file (YAML, TOML or JSON, bounded as plan files are) and the syntax
    it was read as; a .py file is refused: hpdesk never runs code to read a space."""
    file = Path(path)
    source = str(path)
    if file.suffix.lower() == ".py":
        raise _problem(source, "", "a W&B sweep, Optuna distributions JSON, NNI search space "
                       "or hpdesk plan (Python search spaces are written, never read: reading "
                       "one would run it)", "a Python file")
    try:
        if file.is_dir():
            raise _problem(source, "", "a search-space file", "a folder")
        with open(file, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _problem(source, "", "a search-space file", "no such file") from None
    except OSError as exc:
        raise _problem(source, "", "a readable file", exc.strerror or "an error") from None
    if len(raw) > MAX_BYTES:
        raise _problem(source, "", "a file under 1 MB", "a larger file")
    text = decode_text(raw, source)
    suffix = file.suffix.lower()
    syntax = "toml" if suffix == ".toml" else "json" if suffix == ".json" else "yaml"
    if syntax == "yaml" and text.lstrip().startswith("{") and suffix not in (".yaml", ".yml"):
        syntax = "json"
    return parse_text(text, syntax, source=source), syntax


def detect(data: Any) -> str | None:
    """The format of parsed data, from its content; None when it is none of them."""
    from hpdesk.plan.formats import nni, optuna_json, wandb

    if isinstance(data, dict) and ("hpdesk" in data or ("task" in data and "space" in data)):
        return "hpdesk"
    if wandb.looks_like(data):
        return "wandb"
    if nni.looks_like(data):
        return "nni"
    if optuna_json.looks_like(data):
        return "optuna"
    return None


def read_space(path: str | os.PathLike[str]) -> Conversion:
    """The plan in a search-space file of any format hpdesk reads, and what did not carry over.

    Raises:
        PlanError: a malformed file, each problem naming the file and the field.
    """
    from hpdesk.plan.formats import nni, optuna_json, wandb

    source = str(path)
    data, _ = read_document(path)
    fmt = detect(data)
    if fmt is None:
        raise _problem(source, "", "a search space: an hpdesk plan, a W&B sweep (with "
                       "parameters), Optuna distributions JSON or an NNI search space "
                       "({name: {_type, _value}})", "none of them")
    if fmt == "hpdesk":
        return Conversion(fmt, plan=parse_plan(data, source))
    readers: dict[str, Callable[[Any, str], tuple[Plan, list[str]]]] = {
        "wandb": wandb.read, "optuna": optuna_json.read, "nni": nni.read}
    plan, losses = readers[fmt](data, source)
    if not plan.name:
        plan = plan.with_changes(name=Path(source).stem)
    return Conversion(fmt, plan=plan, losses=losses)


def target_format(out: str | os.PathLike[str], to: str | None, source_fmt: str) -> str:
    """The format to write: `to`, else the one OUT's extension allows (hpdesk when the input
    is another tool's and the extension fits a plan). Raises ValueError with one sentence when
    the extension leaves a choice."""
    suffix = Path(out).suffix.lower()
    allowed = BY_SUFFIX.get(suffix)
    if to is not None:
        if to not in FORMATS:
            raise ValueError(f"--to: expected one of {', '.join(FORMATS)}, found {to}")
        if allowed is not None and to not in allowed:
            raise ValueError(f"{out}: {_either((to,))} is not written as {suffix}; name a "
                             f"{_suffixes(to)} file")
        if allowed is None:
            raise ValueError(f"{out}: expected a file name ending {_suffixes(to)}")
        return to
    if allowed is None:
        raise ValueError(f"{out}: expected a file name ending .yaml, .toml, .json or .py")
    if len(allowed) == 1:
        return allowed[0]
    if "hpdesk" in allowed and source_fmt != "hpdesk":
        return "hpdesk"
    raise ValueError(f"{out}: a {suffix} file may be {_either(allowed)}; say which with --to "
                     f"{'|'.join(allowed)}")


def _either(formats: tuple[str, ...]) -> str:
    labels = [f"{'an' if LABELS[f][0] in 'aehinou' else 'a'} {LABELS[f]}" for f in formats]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def _suffixes(fmt: str) -> str:
    return " or ".join(s for s, formats in BY_SUFFIX.items() if fmt in formats)


def write_space(plan: Plan, fmt: str, out: str | os.PathLike[str]) -> Conversion:
    """The text of `plan` as `fmt` for a file named `out` (its extension picks the Optuna
    script or the plan syntax), and what the target cannot say. Writes nothing."""
    from hpdesk.plan.formats import nni, optuna_json, optuna_script, raytune, wandb_write

    suffix = Path(out).suffix.lower()
    if fmt == "hpdesk":
        syntax = {".toml": "toml", ".json": "json"}.get(suffix, "yaml")
        return Conversion(fmt, plan=plan, text=dumps_plan(plan, syntax))
    if fmt == "optuna" and suffix == ".py":
        text, losses = optuna_script.write(plan)
        return Conversion("optuna-script", plan=plan, text=text, losses=losses)
    writers: dict[str, Callable[[Plan], tuple[str, list[str]]]] = {
        "wandb": wandb_write.write, "optuna": optuna_json.write, "nni": nni.write,
        "raytune": raytune.write}
    text, losses = writers[fmt](plan)
    return Conversion(fmt, plan=plan, text=text, losses=losses)


def convert(src: str | os.PathLike[str], out: str | os.PathLike[str],
            to: str | None = None) -> Conversion:
    """Read `src` (any format), and make the text of `out` in `to` (or the format its
    extension names); the losses of both steps. Writes nothing.

    Raises:
        PlanError: a malformed input.
        ValueError: OUT's extension leaves the format open, or does not suit `to`.
    """
    read = read_space(src)
    assert read.plan is not None
    fmt = target_format(out, to, read.fmt)
    written = write_space(read.plan, fmt, out)
    return Conversion(written.fmt, plan=read.plan, text=written.text,
                      losses=[*read.losses, *written.losses])
