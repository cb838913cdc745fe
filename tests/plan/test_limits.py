"""The limits every plan obeys (hpdesk.plan.reader, hpdesk.plan.yaml_limits): nesting, values
once aliases are expanded, 64-bit integers, finite numbers, keys given once, the encoding. Both
YAML loaders (on libyaml and on PyYAML's own parser) keep the same limits."""

from __future__ import annotations

import codecs
import math

import pytest
import yaml

from hpdesk.plan import PlanError, loads_plan, parse_plan
from hpdesk.plan.files import decode_text
from hpdesk.plan.reader import MAX_DEPTH, MAX_VALUES, Problem, Reader, describe, plain_problems
from hpdesk.plan.yaml_limits import LOADERS, PurePlanYamlLoader, Refused

PLAN = "hpdesk: 1\ntask: classification\nspace:\n  lr: {type: float, low: 0.001, high: 0.1}\n"


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request: pytest.FixtureRequest) -> type:
    return request.param


def load(text: str, loader: type) -> object:
    return yaml.load(text, Loader=loader)  # noqa: S506  (SafeLoader subclasses)


def test_both_loaders_are_tested_where_libyaml_is_installed() -> None:
    assert PurePlanYamlLoader in LOADERS
    assert len(LOADERS) == (2 if yaml.__with_libyaml__ else 1)


def test_aliases_are_counted_as_expanded(loader: type) -> None:
    text = "a: &a [" + ", ".join(["1"] * 100) + "]\nb: [" + ", ".join(["*a"] * 999) + "]\n"
    with pytest.raises(Refused) as info:
        load(text, loader)
    assert info.value.expected == f"a plan of at most {MAX_VALUES:,} values"
    assert "alias *a at line 2" in info.value.found and info.value.path.startswith("b[")
    # Under the limit, the same aliases load (and share their value, as YAML says).
    data = load(text.replace("999", "9").replace(", ".join(["*a"] * 999),
                                                 ", ".join(["*a"] * 9)), loader)
    assert isinstance(data, dict) and data["b"][0] is data["a"]


def test_billion_laughs_stops_early(loader: type) -> None:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 10)]
    with pytest.raises(Refused, match="100,000 values"):
        load("\n".join(lines), loader)


def test_a_recursive_alias_is_refused(loader: type) -> None:
    with pytest.raises(Refused) as info:
        load("x: {y: &a [1, {z: *a}]}\n", loader)
    assert info.value.path == "x.y[1].z" and "recursive alias *a" in info.value.found


@pytest.mark.parametrize("flow", [True, False])
def test_nesting_past_the_limit_is_refused_where_it_starts(loader: type, flow: bool) -> None:
    def nested(levels: int) -> str:
        if flow:
            return "[" * levels + "1" + "]" * levels
        return "".join("  " * i + "-\n" for i in range(levels - 1)) + "  " * (levels - 1) + "- 1\n"

    assert load(nested(MAX_DEPTH), loader) is not None
    assert plain_problems(load(nested(MAX_DEPTH), loader)) == []
    with pytest.raises(Refused) as info:
        load(nested(MAX_DEPTH + 1), loader)
    assert info.value.path == "[0]" * MAX_DEPTH and "deeper nesting at line" in info.value.found


def test_duplicate_keys_are_named_with_both_lines(loader: type) -> None:
    with pytest.raises(Refused) as info:
        load("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n", loader)
    assert (info.value.path, info.value.expected) == ("b.c", "each key once")
    assert info.value.found == "it again at line 5 (first at line 3)"
    with pytest.raises(Refused, match="each key once"):  # equal once read: true and yes
        load("{true: 1, yes: 2}\n", loader)
    merged = load("base: &b {x: 1, y: 2}\nmine: {<<: *b, y: 3}\n", loader)
    assert merged["mine"] == {"x": 1, "y": 3}  # a merge key may be overridden


def test_long_integers_are_refused_before_int_sees_them(loader: type) -> None:
    with pytest.raises(Refused) as info:
        load("a: {b: " + "9" * 5000 + "}\n", loader)
    assert info.value.path == "a.b" and "5000 digits" in info.value.found
    assert load("a: 1e-3\nb: '1e-3'\n", loader) == {"a": 0.001, "b": "1e-3"}  # YAML 1.2 floats


def test_safe_tags_only(loader: type) -> None:
    with pytest.raises(yaml.YAMLError):
        load("a: !!python/object/apply:os.system ['true']\n", loader)


def test_plain_problems_walks_without_recursion() -> None:
    loop: list[object] = []
    loop.append(loop)
    (problem,) = plain_problems({"a": loop}, "p")
    assert problem.expected == f"at most {MAX_DEPTH} levels of nesting"
    assert problem.path == "a" + "[0]" * (MAX_DEPTH - 1)
    found = {p.path: p.found for p in plain_problems(
        {"x": [1, math.nan], "y": {"z": -math.inf}, "k": {10**30: 1}, "big": -(2**63) - 1,
         "ok": [2**63 - 1, -(2**63) + 1, 1e308, "nan", None, True]}, "p")}
    assert found == {"x[1]": "nan", "y.z": "-inf", "k.<an integer of 31 digits>":
                     "an integer of 31 digits", "big": "an integer of 19 digits"}
    many = plain_problems({"x": list(range(MAX_VALUES))}, "p")
    assert [p.expected for p in many] == [f"a plan of at most {MAX_VALUES:,} values"]


def test_parse_plan_refuses_bad_numbers_before_reading_fields() -> None:
    with pytest.raises(PlanError) as info:
        parse_plan({"hpdesk": 1, "task": "classification", "concurrency": 10**400,
                    "space": {"lr": math.nan}}, "p")
    assert [str(p) for p in info.value.problems] == [
        "p: concurrency: expected an integer between -2**63 and 2**63, found an integer of "
        "401 digits", "p: space.lr: expected a finite number, found nan"]


def test_reader_number_never_overflows() -> None:
    r = Reader("p")
    assert r.number("a", 10**30) is None and r.number("b", "1e400") is None
    assert r.number("c", 1e300, integer=True) is None and r.number("d", "nan") is None
    assert r.number("e", "12", integer=True) == 12
    assert [p.path for p in r.problems] == ["a", "b", "c", "d"]
    assert describe(10**5000) == "an integer of 5001 digits"


def test_messages_are_one_printable_line() -> None:
    text = str(Problem("space.\x1b[31mred\nx" + "y" * 500, "a name", "a\rb", "f.yaml"))
    assert text.isprintable() and "\\x1b" in text and "\\n" in text and "\\r" in text
    assert len(text) < 300


@pytest.mark.parametrize("field, value, expected", [
    ("concurrency", "257", "from 1 to 256 trials at a time"),
    ("concurrency", "0", "from 1 to 256 trials at a time"),
    ("budget", "{trials: 1000001}", "from 1 to 1,000,000 trials"),
    ("budget", "{trials: 2, epochs: 10000000001}", "from 1 to 10,000,000,000 epochs"),
    ("budget", "{trials: 2, steps: 1000000000001}", "from 1 to 1,000,000,000,000 steps"),
    ("budget", "{trials: 2, wall_time: 366d}", "at most 365 days"),
    ("budget", "{trials: 2, wall_time: .inf}", "a finite number"),
    ("executor", "{trial_timeout: 1000d}", "at most 365 days"),
    ("executor", "{trial_timeout: 1e300}", "a number between -2**63 and 2**63"),
    ("executor", "{devices: [1024]}", "a list of GPU indices"),
    ("strategy", "{name: tpe, seed: 9223372036854775808}", "between -2**63 and 2**63"),
    ("strategy", "{name: tpe, n_startup_trials: 10000000}", "from 0 to 1,000,000"),
])
def test_every_count_and_time_has_a_ceiling(field: str, value: str, expected: str) -> None:
    with pytest.raises(PlanError) as info:
        loads_plan(f"{PLAN}{field}: {value}\n")
    assert len(info.value.problems) == 1, info.value.problems
    assert expected in str(info.value.problems[0])


def test_ranges_with_a_step_hold_a_bounded_number_of_values() -> None:
    assert loads_plan(PLAN + "  width: {type: int, low: 1, high: 1000000, step: 1}\n")
    with pytest.raises(PlanError, match="space.width.step: expected a step that cuts"):
        loads_plan(PLAN + "  width: {type: int, low: 0, high: 1000000, step: 1}\n")
    with pytest.raises(PlanError, match="space.dropout.step"):
        loads_plan(PLAN + "  dropout: {type: float, low: 0, high: 0.5, step: 1e-12}\n")


def test_json_refuses_nan_duplicates_and_long_integers() -> None:
    for text, needle in [('{"hpdesk": NaN}', "NaN"), ('{"a": -Infinity}', "-Infinity"),
                         ('{"a": 1, "a": 2}', "a: expected each key once"),
                         ('{"a": ' + "1" * 50 + "}", "an integer of 50 digits")]:
        with pytest.raises(PlanError) as info:
            loads_plan(text, "json")
        assert needle in str(info.value), (text, str(info.value))


def test_toml_nesting_and_huge_integers() -> None:
    with pytest.raises(PlanError, match="levels of nesting"):
        loads_plan("a = " + "[" * 5000 + "]" * 5000, "toml")
    with pytest.raises(PlanError, match="more than 4,300 digits"):
        loads_plan("a = " + "1" * 5000, "toml")


@pytest.mark.parametrize("raw, found", [
    (PLAN.encode("utf-16"), "UTF-16 text (save it as UTF-8)"),
    (PLAN.encode("utf-16-le"), "UTF-16 text"),
    (PLAN.encode("utf-16-be"), "UTF-16 text"),
    (codecs.BOM_UTF32_BE + PLAN.encode("utf-32-be"), "UTF-32 text"),
    ("# Grüße\n".encode("latin-1") + PLAN.encode(), "not UTF-8 (byte 0xfc on line 1"),
    (PLAN.encode() + "# é\n".encode("cp1252"), "not UTF-8 (byte 0xe9 on line 5"),
    (bytes(range(256)), "binary data"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary data"),
])
def test_encodings_are_named(raw: bytes, found: str) -> None:
    with pytest.raises(PlanError) as info:
        decode_text(raw, "f.yaml")
    (problem,) = info.value.problems
    assert problem.expected == "a UTF-8 text file" and found in problem.found


def test_utf8_with_or_without_bom_and_short_files_decode() -> None:
    assert decode_text(codecs.BOM_UTF8 + PLAN.encode()) == PLAN
    assert decode_text("é: 𝛼\n".encode()) == "é: 𝛼\n"
    assert decode_text(b"a") == "a" and decode_text(b"") == ""
