"""Fuzzing everything hpdesk reads (issue 11, item 4): plan files in YAML, TOML and JSON (random
structures, random bytes, mutations of the shipped examples and presets), the SDK's parameter
file, trial output lines, and the command line's arguments. Each reader either accepts its input
or refuses it in its own documented way; nothing else escapes, and no refusal is a traceback.

hpdesk has no reader of imported sweep files (W&B, Optuna): plans are its only configuration.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpdesk.knowledge import tasks
from hpdesk.plan import (
    Plan,
    PlanError,
    dumps_plan,
    load_plan,
    loads_plan,
    parse_plan,
    plan_from_preset,
)
from hpdesk.plan.script import MetricPattern
from hpdesk.runner.stdout_metrics import LogTail, StdoutParser
from hpdesk.sdk import SdkError, load_params_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "resources" / "examples").iterdir() if p.is_file())
FUZZ = settings(max_examples=int(os.environ.get("HPDESK_FUZZ_EXAMPLES", "100")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# What a hostile or careless file holds: huge and non-finite numbers, YAML's anchors, aliases,
# merge keys and tags, brackets, control characters, a BOM, and the plan's own field names.
NASTY = ["&a", "*a", "<<: *a", "!!python/object:os.system", "!!binary", "[", "]", "{", "}",
         "- ", ": ", ", ", "\n", "\n  ", "\t", "#", "'", '"', "\\", ".nan", ".inf", "-.inf",
         "nan", "inf", "NaN", "Infinity", "9" * 400, "1e400", "-0", "0x1F", "0o17", "1_000",
         "2001-13-45", "~", "null", "yes", "no", "\x00", "\x1b[31m", "\ufeff", "é", "𝛼",
         "hpdesk", "task", "space", "lr", "concurrency", "budget", "trials", "seed", "value",
         "choices", "low", "high", "step", "when", "type", "objective", "strategy", "executor",
         "command", "env", "=", "[[space]]", "[space]", "true", "false"]
KEYS = ["hpdesk", "task", "space", "lr", "low", "high", "log", "type", "choices", "value",
        "when", "budget", "trials", "epochs", "steps", "wall_time", "strategy", "name", "seed",
        "objective", "metric", "concurrency", "executor", "trial_timeout", "devices", "pruner",
        "command", "env", "step", "batch_size", "depth", "float", "int", "categorical", "fixed"]
numbers = st.one_of(st.integers(), st.integers(min_value=-10**400, max_value=10**400),
                    st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12),
                    st.sampled_from(["classification", "script", "random", "tpe", "grid",
                                     "float", "int", "auto", "cpu", "10m", "1e-3", "val_acc"]))
structures = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children,
                        max_size=5)),
    max_leaves=30)


def _plan_texts() -> list[tuple[str, str]]:
    """Valid plans in every format: the examples and each task's preset."""
    out = [(p.read_text(encoding="utf-8"), {".toml": "toml", ".json": "json"}.get(
        p.suffix, "yaml")) for p in EXAMPLES]
    for task in tasks():
        plan = plan_from_preset(task)
        out += [(dumps_plan(plan, fmt), fmt) for fmt in ("yaml", "toml", "json")]
    return out


VALID = _plan_texts()


def _check(call: Any, source: str) -> Plan | None:
    """`call()` gives a plan, or a PlanError of one-line problems naming the source."""
    try:
        plan = call()
    except PlanError as exc:
        assert exc.problems
        for problem in exc.problems:
            line = str(problem)
            assert line.startswith(source) and "\n" not in line and "\r" not in line, line
            assert line.isprintable(), line
        return None
    assert isinstance(plan, Plan)
    return plan


def _round_trips(plan: Plan) -> None:
    """A plan that loaded is a plan hpdesk writes and reads back the same, in every format."""
    for fmt in ("yaml", "toml", "json"):
        assert loads_plan(dumps_plan(plan, fmt), fmt) == plan


@FUZZ
@given(structures)
def test_any_structure(data: Any) -> None:
    plan = _check(lambda: parse_plan(data, "fuzz"), "fuzz")
    if plan is not None:
        _round_trips(plan)


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), structures, max_size=8))
def test_plan_shaped_structures(data: dict[str, Any]) -> None:
    data.setdefault("hpdesk", 1)
    data.setdefault("task", "classification")
    _check(lambda: parse_plan(data, "fuzz"), "fuzz")


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)), max_size=40),
       st.sampled_from(["yaml", "toml", "json"]))
def test_any_text_of_nasty_tokens(tokens: list[str], fmt: str) -> None:
    text = "".join(tokens)
    _check(lambda: loads_plan(text, fmt, source="fuzz"), "fuzz")


@FUZZ
@given(st.binary(max_size=600), st.sampled_from([".yaml", ".toml", ".json", ".yml"]))
def test_any_bytes_in_a_file(blob: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plan{suffix}"
        path.write_bytes(blob)
        _check(lambda: load_plan(path), str(path))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    """A valid plan with a few slices replaced by nasty tokens or random text."""
    text, fmt = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = min(len(text), start + draw(st.integers(0, 12)))
        new = draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=6), st.just("")))
        text = text[:start] + new + text[end:]
    return text, fmt


@FUZZ
@given(mutated())
def test_mutated_valid_plans(case: tuple[str, str]) -> None:
    text, fmt = case
    plan = _check(lambda: loads_plan(text, fmt, source="fuzz"), "fuzz")
    if plan is not None:
        _round_trips(plan)


@FUZZ
@given(mutated(), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1"]))
def test_mutated_plans_in_other_encodings(case: tuple[str, str], encoding: str) -> None:
    text, fmt = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plan.{fmt}"
        path.write_bytes(text.encode(encoding, "replace"))
        _check(lambda: load_plan(path), str(path))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=8)),
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=6), c,
                                                                  max_size=4)),
    max_leaves=20)


@FUZZ
@given(st.one_of(st.binary(max_size=300),
                 json_values.map(lambda v: json.dumps(v).encode()),
                 st.dictionaries(st.text(max_size=6), json_values, max_size=5).map(
                     lambda v: _toml_or_junk(v).encode())),
       st.sampled_from([".json", ".toml", ".txt", ""]))
def test_sdk_params_file(blob: bytes, suffix: str) -> None:
    """load_params_file gives a mapping, or says what is wrong with an SdkError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"params{suffix}"
        path.write_bytes(blob)
        try:
            data = load_params_file(path)
        except SdkError as exc:
            assert str(exc)
        else:
            assert isinstance(data, dict)


def _toml_or_junk(value: dict[str, Any]) -> str:
    try:
        return tomli_w.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


@pytest.mark.timeout(30)
def test_sdk_params_file_deep_and_foreign(tmp_path: Path) -> None:
    for name, blob in {"deep.json": b"[" * 100_000, "deep.toml": b"x = " + b"[" * 100_000,
                       "utf16.json": '{"lr": 0.1}'.encode("utf-16"),
                       "huge.json": b'{"lr": ' + b"9" * 5000 + b"}"}.items():
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(SdkError):
            load_params_file(tmp_path / name)


# Lines a training script may print: fields, dicts, JSON, progress bars, redraws, escapes.
LINE_TOKENS = ["loss", "val_acc", "step", "epoch", "Epoch", "iter", "global_step", ": ", "=",
               " ", "|", ",", ";", "\t", " - ", "[", "]", "(", ")", "{", "}", "'", '"', "/",
               "%", "ms", "it/s", "0.5", "1e-3", "-2", "nan", "inf", "-inf", "NaN", "1,234",
               "9" * 400, "1e400", "\r", "\b", "\x1b[2K", "\x1b[31m", "100%|███|", "tensor(",
               "np.float64(", "None", "True", "Traceback", "INFO:root:", "Namespace(", "µs",
               "\x00", "\ufffd", "𝛼"]
line_texts = st.lists(st.one_of(st.sampled_from(LINE_TOKENS), st.text(max_size=6)),
                      max_size=30).map("".join)
dict_lines = json_values.map(lambda v: json.dumps({"loss": v, "step": v}))


def _check_points(points: list[tuple[str, int, float | None]], last: int | None) -> int | None:
    """The module's contract: names are texts, one step per line and steps only grow, values
    are numbers (never NaN: that is None; inf as printed) or None."""
    steps = {step for _, step, _ in points}
    assert len(steps) <= 1
    for name, step, value in points:
        assert isinstance(name, str) and name.strip()
        assert isinstance(step, int) and step >= 0 and (last is None or step > last)
        assert value is None or (isinstance(value, float) and not math.isnan(value))
    return next(iter(steps)) if steps else last


@FUZZ
@given(st.lists(st.one_of(line_texts, dict_lines, st.text(max_size=80)), max_size=12))
def test_output_lines(lines: list[str]) -> None:
    parser = StdoutParser()
    last = None
    for line in lines:
        last = _check_points(parser.parse_line(line), last)
    assert parser.last_step == last


@FUZZ
@given(st.lists(line_texts, max_size=8),
       st.sampled_from([MetricPattern(r"loss=(?P<value>\S+)", "loss"),
                        MetricPattern(r"(?P<name>\w+): (?P<value>[-\d.e]+)"),
                        MetricPattern(r"step (?P<step>\d+)\D+(?P<value>\S+)", "x")]))
def test_output_lines_with_patterns(lines: list[str], pattern: MetricPattern) -> None:
    parser = StdoutParser([pattern])
    last = None
    for line in lines:
        last = _check_points(parser.parse_line(line), last)


@FUZZ
@given(st.lists(st.binary(max_size=200), max_size=6))
def test_log_tail_of_any_bytes(blocks: list[bytes]) -> None:
    """Any bytes a trial writes become text lines, every byte once."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trial.log"
        path.write_bytes(b"")
        tail, parser, got = LogTail(path), StdoutParser(), []
        for block in blocks:
            with open(path, "ab") as fh:
                fh.write(block)
            got += tail.new_lines()
        got += tail.drain()
        assert tail.offset == sum(map(len, blocks))
        assert "\n".join(got).encode("utf-8", "surrogateescape").count(b"\n") == max(
            0, len(got) - 1)
        last = None
        for line in got:
            assert isinstance(line, str)
            last = _check_points(parser.parse_line(line), last)


# The CLI: every command but those that run experiments or open the window, with options and
# values that are wrong in every way argparse and the handlers can meet.
COMMANDS = [["plan", "validate"], ["plan", "preview"], ["plan", "new"], ["plan"], ["trials"],
            ["experiments"], ["status"], ["devices"], ["logs"], ["stop"], ["run"], ["start"],
            ["resume"], ["--version"], ["--help"], ["nonsense"], ["-x"], ["plan", "frobnicate"],
            ["diagnose"], ["data", "inspect"], ["data"]]
ARGS = ["--json", "--db", "--experiment", "--trials", "--task", "classification", "gan",
        "script", "-o", "--output", "--force", "--lang", "zh", "en", "--wait", "--max-trials",
        "--concurrency", "--optimizer", "adam", "--fine-tune", "--follow", "--help", "-h",
        "1", "0", "-1", "nan", "inf", "-inf", "1e400", "9" * 400, "9" * 5000, "", " ", "--",
        "=", "--db=", "--trials=0", "x.yaml", "x.toml", "x.json", "x.txt", "missing.yaml",
        "out.yaml", "/dev/null", ".", "..", "\x1b[31m", "é", "hostile.yaml", "hostile.json",
        "utf16.yaml", "folder", "db.sqlite", "notadb.db", "--trial", "--data", "detection",
        "\x00", "a\x00b"]


def _cli_folder(folder: Path) -> None:
    """Files the random arguments may name: hostile plans, a folder, a file that is no
    database. None is a plan that would run."""
    (folder / "hostile.yaml").write_text("a: &a [1, *a]\n", encoding="utf-8")
    (folder / "hostile.json").write_text('{"hpdesk": 1, "concurrency": NaN}', encoding="utf-8")
    (folder / "utf16.yaml").write_bytes("hpdesk: 1\n".encode("utf-16"))
    (folder / "notadb.db").write_bytes(b"not a database" * 100)
    (folder / "folder").mkdir()


def _run_cli(argv: list[str], monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str], database: Path | None = None) -> None:
    """`hpdesk.cli.main(argv)` in a fresh folder: exit 0, 1 or 2, a message on stderr for a
    refusal, never a traceback or an "unexpected" error."""
    from hpdesk.cli import main

    monkeypatch.delenv("HPDESK_DEBUG", raising=False)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _cli_folder(folder)
        if database is not None:
            shutil.copy(database, folder / "real.db")
        monkeypatch.setenv("HPDESK_DB_PATH", str(folder / "default.db"))
        monkeypatch.chdir(folder)
        assert argv and not os.path.isfile(argv[0])  # a file first would open the window
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        finally:
            monkeypatch.chdir(ROOT)
        out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in out + err, argv
    assert "unexpected" not in err, (argv, err)
    if code != 0:
        assert err.strip(), argv


@FUZZ
@given(st.sampled_from(COMMANDS),
       st.lists(st.one_of(st.sampled_from(ARGS), st.text(max_size=8)), max_size=6))
def test_cli_arguments(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                       command: list[str], args: list[str]) -> None:
    _run_cli([*command, *args], monkeypatch, capsys)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one experiment recorded and never started (nothing here runs it)."""
    from hpdesk.runner import create_experiment
    from hpdesk.store import Store

    path = tmp_path_factory.mktemp("cli") / "real.db"
    with Store(path) as store:
        create_experiment(store, plan_from_preset("classification", trials=2))
    return path


NUMBERS = ["1", "0", "-1", "2", "3", "99999999999999999999", "9" * 400, "nan", "inf", "-inf",
           "1e400", "x", ""]
PLAN_FILES = ["hostile.yaml", "hostile.json", "utf16.yaml", "missing.yaml", "folder",
              "notadb.db", "real.db"]
DATABASES = ["real.db", "real.db", "notadb.db", "folder", "missing.db", "hostile.yaml"]
number = st.sampled_from(NUMBERS)
flag = st.booleans()


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """Each read-only command with its own options, values wrong in every way: the paths past
    argparse into the handlers."""
    db = ["--db", draw(st.sampled_from(DATABASES))]
    json_flag = ["--json"] if draw(flag) else []
    kind = draw(st.sampled_from(["validate", "preview", "new", "trials", "experiments",
                                 "status", "logs", "stop", "run", "devices"]))
    if kind == "validate":
        return ["plan", "validate", *draw(st.lists(st.sampled_from(PLAN_FILES), min_size=1,
                                                   max_size=3))]
    if kind == "preview":
        return ["plan", "preview", draw(st.sampled_from(PLAN_FILES)), "--trials", draw(number)]
    if kind == "new":
        return ["plan", "new", "--task", draw(st.sampled_from(["classification", "gan", "x"])),
                "-o", draw(st.sampled_from(["new.yaml", "new.toml", "new.txt", "folder",
                                            "hostile.yaml", "folder/x.json", "no/dir/x.yaml"])),
                *(["--force"] if draw(flag) else []),
                *(["--optimizer", draw(st.sampled_from(["adam", "sgd", "nonsense"]))]
                  if draw(flag) else [])]
    if kind == "trials":
        return ["trials", *db, *(["--experiment", draw(number)] if draw(flag) else []),
                *json_flag]
    if kind == "experiments":
        return ["experiments", *db, *json_flag]
    if kind == "status":
        return ["status", *([draw(number)] if draw(flag) else []), *db, *json_flag]
    if kind == "logs":
        return ["logs", draw(number), *db]
    if kind == "stop":
        return ["stop", draw(number), *db, "--wait", draw(number)]
    if kind == "run":  # only files that are no plan: nothing may run
        return ["run", draw(st.sampled_from(PLAN_FILES)), *db, "--concurrency", draw(number),
                "--max-trials", draw(number)]
    return ["devices", *json_flag]


@FUZZ
@given(command_lines())
def test_cli_commands_with_wrong_values(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, database: Path,
                                        argv: list[str]) -> None:
    _run_cli(argv, monkeypatch, capsys, database)
