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


def add_data_parsers(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="look at a task's data before training on it",
                          description="Look at the data as the task reads it.")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    inspect = data_sub.add_parser(
        "inspect", help="class balance, samples per class, duplicates, sizes, object scales",
        description="Classification: samples per class, the imbalance ratio and the rare "
                    "classes, samples per class against the number of classes, duplicate and "
                    "unreadable images, image sizes. Detection (a YOLO folder): objects per "
                    "image, their scales and classes. The tuning guide's findings follow. "
                    "Example: hpdesk data inspect classification --data photos/")
    inspect.add_argument("task", choices=("classification", "detection"))
    inspect.add_argument("--data", metavar="PATH",
                         help="a folder of class sub-folders or an .npz (classification), a "
                              "YOLO folder (detection); default: the task's built-in data")
    inspect.add_argument("--json", action="store_true", help="print the report as JSON")
    inspect.add_argument("--lang", choices=("en", "zh"), default="en",
                         help="language of the findings")
    data.set_defaults(handler=cmd_data)


def cmd_data(args: argparse.Namespace) -> int:
    from hpdesk.analysis.data_inspect import DataError, data_from_path, inspect_data
    from hpdesk.cli.common import EXIT_USAGE, CliError
    from hpdesk.jsonsafe import dumps

    if args.data_command != "inspect":
        raise CliError("data needs an action: inspect (see hpdesk data --help)", EXIT_USAGE)
    try:
        report = inspect_data(args.task, data_from_path(args.task, args.data))
    except DataError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    lang = "zh" if args.lang == "zh" else "en"
    if args.json:
        print(dumps(report.to_dict(lang)))
        return 0
    for line in describe(report, lang):
        print(line)
    return 0


def describe(report: object, lang: str) -> list[str]:
    from hpdesk.analysis.data_inspect import DataReport

    assert isinstance(report, DataReport)
    lines = [f"{report.task} data: {report.source}"]
    if report.task == "detection":
        lines.append(f"images: {report.images} ({report.images_without_labels} without a label "
                     f"file); objects per image: mean {report.objects_per_image['mean']:.3g}, "
                     f"median {report.objects_per_image['median']:g}, "
                     f"max {report.objects_per_image['max']:g}")
        lines.append("object scales (side of the box against the image's): " + ", ".join(
            f"{k} {n}" for k, n in report.object_scales.items()))
    counts = report.classes
    word = "objects" if report.task == "detection" else "samples"
    lines.append(f"{len(counts)} classes, {sum(counts.values())} {word}; " + ", ".join(
        f"{k}: {n}" + (" (rare)" if k in report.rare_classes else "") for k, n in counts.items()))
    if report.imbalance_ratio is not None:
        lines.append(f"imbalance ratio (largest / smallest class): {report.imbalance_ratio:.3g}")
    if report.image_sizes:
        shown = list(report.image_sizes.items())[:5]
        lines.append("image sizes: " + ", ".join(f"{k} ({n})" for k, n in shown)
                     + (", ..." if len(report.image_sizes) > 5 else ""))
    if report.duplicates:
        lines.append(f"{len(report.duplicates)} groups of identical files, e.g. "
                     + " = ".join(report.duplicates[0][:3]))
    if report.unreadable:
        lines.append(f"{len(report.unreadable)} files no image reader opens, e.g. "
                     + ", ".join(report.unreadable[:3]))
    for finding in report.findings:
        lines.append(f"{finding.level}: {finding.message(lang)} ({finding.source_text(lang)})")
    if not report.findings:
        lines.append("no finding of the tuning guide about this data")
    return lines
