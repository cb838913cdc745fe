"""`hpdesk gradcheck`: the checks that need torch run as `python -m hpdesk.tasks.*` (only
hpdesk/tasks imports torch), with their output and exit status passed through."""

from __future__ import annotations

import argparse
import subprocess
import sys


def add_parsers(sub: argparse._SubParsersAction) -> None:
    grad = sub.add_parser(
        "gradcheck", help="check a custom operation's backward against finite differences",
        description="Compare autograd's gradients of a custom operation (a "
                    "torch.autograd.Function, an nn.Module class without arguments or a "
                    "function of tensors) with central finite differences in double precision "
                    "(torch.autograd.gradcheck), and print where they disagree. Exit 0 when "
                    "they agree, 1 when they do not, 2 on bad input. MODULE may be a dotted "
                    "module name or a .py file, which is imported (its code runs). Example: "
                    "hpdesk gradcheck my_ops.py:Swish --shape 3,4")
    grad.add_argument("target", metavar="MODULE:CALLABLE")
    grad.add_argument("--shape", action="append", metavar="SIZES",
                      help="the shape of one input, e.g. 3,4 (repeat for each input; default "
                           "3,4 for each required argument)")
    grad.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    grad.add_argument("--json", action="store_true", help="print the report as JSON")
    grad.set_defaults(handler=cmd_gradcheck)


def cmd_gradcheck(args: argparse.Namespace) -> int:
    argv = [sys.executable, "-m", "hpdesk.tasks.gradcheck", args.target,
            "--seed", str(args.seed)]
    for shape in args.shape or ():
        argv += ["--shape", shape]
    if args.json:
        argv.append("--json")
    return subprocess.run(argv).returncode
