"""`hpdesk gradcheck MODULE:CALLABLE`: does a custom operation's backward match its forward?

The guide's debugging advice: a new operation's gradients are checked against finite
differences before it is trusted in training. The check runs in double precision on random
inputs of the given shapes: `torch.autograd.gradcheck` gives the verdict, and the two Jacobians
(autograd's, and central differences') are compared entry by entry to say *where* they disagree:
which input, which output element, by how much.

The target is a `torch.autograd.Function` subclass (checked through `.apply`), an `nn.Module`
class that takes no arguments, or any function of tensors; `MODULE` is a dotted module name or a
path to a .py file, which is imported, so its top-level code runs: it is the person's own code,
named on the command line. Exit status: 0 when they agree, 1 when they do not, 2 on bad input
(said in one line).

Run as `python -m hpdesk.tasks.gradcheck` (the CLI starts it so: only hpdesk/tasks imports
torch).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

EXIT_AGREE, EXIT_DISAGREE, EXIT_BAD_INPUT = 0, 1, 2
EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3  # torch.autograd.gradcheck's defaults in double precision
MAX_ELEMENTS = 4096  # finite differences cost one forward pass per input element, twice
SHOWN = 5  # worst entries named


class GradcheckInputError(ValueError):
    """The target or the shapes cannot be used (said in one line, exit 2)."""


@dataclass
class Mismatch:
    input_index: int
    input_at: tuple[int, ...]
    output_index: int
    output_at: tuple[int, ...]
    autograd: float
    numerical: float

    def describe(self, names: Sequence[str]) -> str:
        return (f"d {_out(self.output_index)}{_at(self.output_at)} / d "
                f"{names[self.input_index]}{_at(self.input_at)}: autograd {self.autograd:.6g}, "
                f"finite differences {self.numerical:.6g}")


@dataclass
class Report:
    target: str
    shapes: list[tuple[int, ...]]
    agree: bool
    checked: int = 0
    max_abs_diff: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)
    wrong_inputs: list[int] = field(default_factory=list)
    error: str | None = None  # the backward itself failed

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "agree": self.agree, "error": self.error,
                "shapes": [list(s) for s in self.shapes], "checked": self.checked,
                "max_abs_diff": self.max_abs_diff, "wrong_inputs": self.wrong_inputs,
                "mismatches": [m.__dict__ | {"input_at": list(m.input_at),
                                             "output_at": list(m.output_at)}
                               for m in self.mismatches[:SHOWN]]}


def _out(index: int) -> str:
    return "output" if index == 0 else f"output{index}"


def _at(where: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, where)) + "]" if where else ""


def parse_shape(text: str) -> tuple[int, ...]:
    """`3,4` or `3x4` -> (3, 4); `scalar` or `()` -> ()."""
    cleaned = text.strip().lower().replace("x", ",").strip("()[] ")
    if cleaned in ("", "scalar"):
        return ()
    try:
        shape = tuple(int(part) for part in cleaned.split(",") if part.strip())
    except ValueError:
        raise GradcheckInputError(f"--shape {text!r}: expected sizes such as 3,4") from None
    if any(n < 1 for n in shape):
        raise GradcheckInputError(f"--shape {text!r}: every size must be at least 1")
    return shape


def load_target(spec: str) -> tuple[Callable[..., Any], str]:
    """The callable `MODULE:CALLABLE` names, ready to take tensors, and how to name it."""
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise GradcheckInputError(f"{spec!r}: expected MODULE:CALLABLE, e.g. my_ops.py:Square")
    module = _import(module_name)
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise GradcheckInputError(f"{module_name} has no {attr!r}")
        target = getattr(target, part)
    if inspect.isclass(target) and issubclass(target, torch.autograd.Function):
        return target.apply, attr
    if inspect.isclass(target) and issubclass(target, torch.nn.Module):
        try:
            module_instance = target()
        except TypeError as exc:
            raise GradcheckInputError(f"{attr} needs arguments to be built ({exc}); wrap it "
                                      "in a function of tensors") from None
        return module_instance.double(), attr
    if not callable(target):
        raise GradcheckInputError(f"{attr} in {module_name} is not callable")
    return target, attr


def _import(name: str) -> Any:
    path = Path(name)
    if name.endswith(".py") or path.is_file():
        if not path.is_file():
            raise GradcheckInputError(f"{name}: no such file")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise GradcheckInputError(f"{name}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.resolve().parent))  # its own imports beside it
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise GradcheckInputError(f"{name} failed to import: "
                                      f"{type(exc).__name__}: {exc}") from None
        return module
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise GradcheckInputError(f"cannot import {name}: {exc}") from None
    except Exception as exc:
        raise GradcheckInputError(f"{name} failed to import: "
                                  f"{type(exc).__name__}: {exc}") from None


def default_shapes(fn: Callable[..., Any]) -> list[tuple[int, ...]]:
    """One (3, 4) tensor per required positional argument when no --shape is given."""
    owner = getattr(fn, "__self__", None)
    skip = 0
    if inspect.isclass(owner) and issubclass(owner, torch.autograd.Function):
        fn, skip = owner.forward, 1  # forward(ctx, *inputs)
    elif isinstance(fn, torch.nn.Module):
        fn = fn.forward
    try:
        params = list(inspect.signature(fn).parameters.values())[skip:]
    except (TypeError, ValueError):
        return [(3, 4)]
    required = [p for p in params if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [(3, 4)] * max(1, len(required))


def check(fn: Callable[..., Any], shapes: Sequence[tuple[int, ...]], *, name: str = "",
          seed: int = 0) -> Report:
    """Autograd against central differences on random double inputs of `shapes`."""
    total = sum(math.prod(s) for s in shapes)
    if total > MAX_ELEMENTS:
        raise GradcheckInputError(f"{total} input elements: at most {MAX_ELEMENTS} (finite "
                                  "differences take two forward passes per element); use "
                                  "smaller --shape")
    generator = torch.Generator().manual_seed(seed)
    inputs = tuple(torch.randn(*s, dtype=torch.float64, generator=generator).requires_grad_()
                   if s else torch.randn((), dtype=torch.float64,
                                         generator=generator).requires_grad_()
                   for s in shapes)
    report = Report(name, list(shapes), agree=True)
    try:
        outputs = _as_tuple(fn(*inputs))
    except Exception as exc:
        raise GradcheckInputError(f"{name} failed on inputs of shapes "
                                  f"{', '.join(map(str, shapes))}: {type(exc).__name__}: "
                                  f"{exc}") from None
    if not outputs or not all(isinstance(o, torch.Tensor) for o in outputs):
        raise GradcheckInputError(f"{name} must return a tensor (or a tuple of tensors)")
    if not any(o.requires_grad for o in outputs):
        raise GradcheckInputError(f"{name}'s output does not depend on its inputs through "
                                  "autograd (no grad_fn): nothing to check")
    try:
        report.agree = bool(torch.autograd.gradcheck(
            fn, inputs, eps=EPS, atol=ATOL, rtol=RTOL, raise_exception=False))
        analytic = _autograd_jacobian(fn, inputs, outputs)
    except RuntimeError as exc:  # a backward that returns the wrong shape, or raises
        report.agree = False
        report.error = " ".join(str(exc).split())[:500]
        return report
    numeric = _numerical_jacobian(fn, inputs, [o.shape for o in outputs])
    for out_i, (a_rows, n_rows) in enumerate(zip(analytic, numeric)):
        for in_i, (a, n) in enumerate(zip(a_rows, n_rows)):
            diff = (a - n).abs()
            report.checked += diff.numel()
            if diff.numel():
                report.max_abs_diff = max(report.max_abs_diff, float(diff.max()))
            bad = diff > ATOL + RTOL * n.abs()
            for flat in torch.nonzero(bad.reshape(-1)).reshape(-1).tolist():
                o_flat, i_flat = divmod(flat, max(1, math.prod(shapes[in_i])))
                report.mismatches.append(Mismatch(
                    in_i, _unravel(i_flat, shapes[in_i]), out_i,
                    _unravel(o_flat, tuple(outputs[out_i].shape)),
                    float(a.reshape(-1)[flat]), float(n.reshape(-1)[flat])))
                if in_i not in report.wrong_inputs:
                    report.wrong_inputs.append(in_i)
    report.mismatches.sort(key=lambda m: -abs(m.autograd - m.numerical))
    if report.mismatches:
        report.agree = False
    return report


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _autograd_jacobian(fn: Callable[..., Any], inputs: tuple[torch.Tensor, ...],
                       outputs: tuple[torch.Tensor, ...]) -> list[list[torch.Tensor]]:
    """rows[output][input]: (output elements x input elements), one backward per output
    element (the operation's own backward)."""
    rows: list[list[torch.Tensor]] = []
    for out in outputs:
        per_input = [torch.zeros(out.numel(), max(1, x.numel()), dtype=torch.float64)
                     for x in inputs]
        if out.requires_grad:
            for k in range(out.numel()):
                outs = _as_tuple(fn(*inputs))
                target = outs[len(rows)].reshape(-1)[k]
                grads = torch.autograd.grad(target, inputs, allow_unused=True)
                for i, g in enumerate(grads):
                    if g is not None:
                        per_input[i][k] = g.reshape(-1)
        rows.append(per_input)
    return rows


def _numerical_jacobian(fn: Callable[..., Any], inputs: tuple[torch.Tensor, ...],
                        shapes: list[torch.Size]) -> list[list[torch.Tensor]]:
    rows = [[torch.zeros(math.prod(s) or 1, max(1, x.numel()), dtype=torch.float64)
             for x in inputs] for s in shapes]
    with torch.no_grad():
        for i, x in enumerate(inputs):
            flat = x.detach().reshape(-1)
            for j in range(flat.numel()):
                bumped = [t.detach().clone() for t in inputs]
                bumped[i].reshape(-1)[j] += EPS
                plus = _as_tuple(fn(*bumped))
                bumped[i].reshape(-1)[j] -= 2 * EPS
                minus = _as_tuple(fn(*bumped))
                for o, (p, m) in enumerate(zip(plus, minus)):
                    rows[o][i][:, j] = ((p - m) / (2 * EPS)).reshape(-1)
    return rows


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    where = []
    for size in reversed(shape):
        flat, rest = divmod(flat, size)
        where.append(rest)
    return tuple(reversed(where))


def describe(report: Report) -> str:
    names = [f"input{i}" for i in range(len(report.shapes))]
    shapes = ", ".join("x".join(map(str, s)) or "scalar" for s in report.shapes)
    if report.error is not None:
        return f"gradcheck: {report.target}: its backward failed: {report.error}"
    if report.agree:
        return (f"gradcheck: {report.target} agrees with finite differences on inputs of "
                f"shape {shapes} ({report.checked} Jacobian entries, largest difference "
                f"{report.max_abs_diff:.2g})")
    lines = [f"gradcheck: {report.target}: autograd and finite differences disagree for "
             f"{', '.join(names[i] for i in report.wrong_inputs) or 'its inputs'} "
             f"({len(report.mismatches)} of {report.checked} Jacobian entries, inputs of shape "
             f"{shapes}); the backward of {report.target} is wrong there:"]
    lines += [f"  {m.describe(names)}" for m in report.mismatches[:SHOWN]]
    if len(report.mismatches) > SHOWN:
        lines.append(f"  ... and {len(report.mismatches) - SHOWN} more")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hpdesk gradcheck")
    parser.add_argument("target")
    parser.add_argument("--shape", action="append", default=[])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        fn, name = load_target(args.target)
        shapes = ([parse_shape(s) for s in args.shape] if args.shape
                  else default_shapes(fn))
        report = check(fn, shapes, name=name, seed=args.seed)
    except GradcheckInputError as exc:
        print(f"hpdesk gradcheck: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(report.to_dict()) if args.json else describe(report))
    return EXIT_AGREE if report.agree else EXIT_DISAGREE


if __name__ == "__main__":
    sys.exit(main())
