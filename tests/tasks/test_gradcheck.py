"""`hpdesk gradcheck`: a right backward agrees, a wrong one is named with where it is wrong,
bad input is one line and exit 2. In-process for the analysis, through the CLI for the exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hpdesk.tasks.gradcheck import GradcheckInputError, check, load_target, parse_shape

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "tests" / "fixtures" / "custom_ops.py"


def target(name: str):  # type: ignore[no-untyped-def]
    return load_target(f"{OPS}:{name}")[0]


def test_a_right_backward_agrees_everywhere() -> None:
    report = check(target("Square"), [(2, 3)], name="Square")
    assert report.agree and not report.mismatches
    assert report.checked == 36 and report.max_abs_diff < 1e-6


def test_a_forgotten_factor_is_found_on_every_diagonal_entry() -> None:
    report = check(target("BadSquare"), [(2, 3)], name="BadSquare")
    assert not report.agree and report.wrong_inputs == [0]
    assert sorted(m.input_at for m in report.mismatches) == [
        (0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    for m in report.mismatches:  # d(x^2)/dx = 2x; the backward gave x
        assert m.output_at == m.input_at and m.numerical == pytest.approx(2 * m.autograd)


def test_the_wrong_operand_names_the_second_input_only() -> None:
    report = check(target("BadMul"), [(3,), (3,)], name="BadMul")
    assert not report.agree and report.wrong_inputs == [1]
    assert all(m.input_index == 1 for m in report.mismatches)


def test_a_function_of_tensors_and_a_module_class_are_checked() -> None:
    assert check(target("swish"), [(4,)]).agree
    fn, name = load_target("torch.nn:Tanh")
    assert name == "Tanh" and check(fn, [(2, 2)]).agree


def test_a_backward_of_the_wrong_shape_is_a_disagreement_with_its_reason() -> None:
    report = check(target("WrongShape"), [(3, 4)], name="WrongShape")
    assert not report.agree and "invalid gradient" in (report.error or "")


@pytest.mark.parametrize("spec, said", [
    ("no_colon", "expected MODULE:CALLABLE"),
    (f"{OPS.parent / 'missing.py'}:X", "no such file"),
    (f"{OPS}:Nope", "has no 'Nope'"),
    ("hpdesk_no_such_module:X", "cannot import"),
])
def test_bad_targets_are_said(spec: str, said: str) -> None:
    with pytest.raises(GradcheckInputError, match=said):
        load_target(spec)


def test_shapes_parse_and_bad_ones_are_said() -> None:
    assert parse_shape("3,4") == (3, 4) and parse_shape("2x5") == (2, 5)
    assert parse_shape("scalar") == ()
    for bad in ("3,a", "0,2"):
        with pytest.raises(GradcheckInputError):
            parse_shape(bad)
    with pytest.raises(GradcheckInputError, match="at most"):
        check(torch.sin, [(100, 100)])


def hpdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", "gradcheck", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_command_exits_0_1_and_2() -> None:
    good = hpdesk(f"{OPS}:Square", "--shape", "2,2")
    assert good.returncode == 0 and "agrees with finite differences" in good.stdout
    bad = hpdesk(f"{OPS}:BadMul", "--shape", "3", "--shape", "3", "--json")
    assert bad.returncode == 1, bad.stderr
    report = json.loads(bad.stdout)
    assert report["target"] == "BadMul" and report["wrong_inputs"] == [1]
    assert report["mismatches"][0]["input_index"] == 1
    wrong = hpdesk(f"{OPS}:Nope")
    assert wrong.returncode == 2 and wrong.stderr.strip().count("\n") == 0
    assert "has no 'Nope'" in wrong.stderr
