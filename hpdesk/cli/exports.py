"""`hpdesk export`: trials, metric points and experiments as CSV or JSON Lines, and experiments
as TensorBoard runs, for pandas, spreadsheets and TensorBoard."""

from __future__ import annotations

import argparse
import errno
import sys
import textwrap
from pathlib import Path

from hpdesk.cli.common import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, CliError, db_arg, open_store

_TABLES = {
    "trials": ("one row per trial: ids, state, objectives, start, end and duration, device, "
               "host, exit code, message, then a param.<name> column per hyperparameter",
               "hpdesk export trials --experiment 3 --format csv -o trials.csv"),
    "metrics": ("every metric point in long format: experiment_id, trial_id, trial_number, "
                "name, step, value, wall_time (streamed: any size exports in little memory)",
                "hpdesk export metrics --format jsonl -o metrics.jsonl"),
    "experiments": ("one row per experiment: id, name, task, state, created and updated "
                    "times, objective metric and direction, number of trials",
                    "hpdesk export experiments -o -"),
}
_TIMES = ("Times are ISO 8601 in UTC (2026-12-06T01:23:45.123456+00:00); a missing value or a "
          "NaN is an empty CSV cell or a JSON null. Without --experiment every experiment is "
          "written.")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export", help="write trials or metrics as CSV/JSON Lines, or TensorBoard runs",
        description=_text("Write results out of the database for pandas, a spreadsheet or "
                          "TensorBoard.", "hpdesk export metrics --experiment 3 -o m.csv"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = export.add_subparsers(dest="export_kind", metavar="WHAT")
    for kind, (what, example) in _TABLES.items():
        table = kinds.add_parser(
            kind, help=what.split(":")[0], description=_text(f"Write {what}. {_TIMES}", example),
            formatter_class=argparse.RawDescriptionHelpFormatter)
        _common(table, "FILE", "where to write; - writes to stdout")
        table.add_argument("--format", choices=("csv", "jsonl"), default=None,
                           help="csv or jsonl (one JSON object per line); default: from the "
                                "file name (.jsonl, .ndjson), else csv")
        table.set_defaults(handler=cmd_export_table)
    board = kinds.add_parser(
        "tensorboard", help="TensorBoard runs with scalars and the HParams table",
        description=_text(
            "Write each trial as a TensorBoard run, DIR/experiment-<id>/trial-<n>/, with every "
            "metric as scalars and its hyperparameters for the HParams tab (the experiment's "
            "config is in DIR/experiment-<id>/: point TensorBoard there). Needs tensorboardX: "
            "pip install 'hpdesk[tensorboard]'.",
            "hpdesk export tensorboard --experiment 3 -o runs/",
            "tensorboard --logdir runs/experiment-3"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(board, "DIR", "the folder to write the runs in (made if missing)")
    board.set_defaults(handler=cmd_export_tensorboard)
    export.set_defaults(handler=cmd_export_missing)


def _text(description: str, *example: str) -> str:
    lines = "\n".join(f"  {line}" for line in example)
    return f"{textwrap.fill(description, 78)}\n\nExample:\n{lines}"


def _common(parser: argparse.ArgumentParser, metavar: str, output_help: str) -> None:
    db_arg(parser)
    parser.add_argument("--experiment", type=int, metavar="ID",
                        help="only this experiment (default: every one)")
    parser.add_argument("-o", "--output", required=True, metavar=metavar, help=output_help)
    parser.add_argument("--force", action="store_true",
                        help="replace what an earlier export wrote there")


def cmd_export_missing(args: argparse.Namespace) -> int:
    raise CliError("export needs what to write: trials, metrics, experiments or tensorboard "
                   "(see hpdesk export --help)", EXIT_USAGE)


def cmd_export_table(args: argparse.Namespace) -> int:
    from hpdesk.analysis.results_out import EXPORTS, ExportError, write_file

    fmt = args.format or _format_of(args.output)
    export = EXPORTS[args.export_kind]
    if args.output == "-":
        with open_store(args.db, must_exist=True) as store:
            export(store, sys.stdout, fmt, args.experiment)
        sys.stdout.flush()
        return EXIT_OK
    output = Path(args.output)
    if output.is_file() and not args.force:
        raise CliError(f"{output} exists; pass --force to overwrite it", EXIT_USAGE)
    with open_store(args.db, must_exist=True) as store:
        if args.experiment is not None:
            store.experiment(args.experiment)  # an unknown id is said before any file is made
        try:
            count = write_file(output, lambda fh: export(store, fh, fmt, args.experiment))
        except ExportError as exc:
            raise CliError(str(exc), _code(exc)) from exc
    noun = {"trials": "trial", "metrics": "metric point", "experiments": "experiment"}
    print(f"wrote {_count(count, noun[args.export_kind])} to {output} ({fmt})")
    return EXIT_OK


def cmd_export_tensorboard(args: argparse.Namespace) -> int:
    from hpdesk.analysis.results_out import ExportError
    from hpdesk.analysis.tensorboard_out import NeedsTensorboardX, export_tensorboard

    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise CliError(f"{output} is a file; -o names the folder to write the runs in",
                       EXIT_USAGE)
    with open_store(args.db, must_exist=True) as store:
        try:
            done = export_tensorboard(store, output, args.experiment, replace=args.force)
        except NeedsTensorboardX as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
        except ExportError as exc:
            raise CliError(str(exc), _code(exc)) from exc
    print(f"wrote {_count(done.runs, 'trial run')} ({_count(done.points, 'scalar')}) of "
          f"{_count(done.experiments, 'experiment')} to {output}")
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _format_of(output: str) -> str:
    return "jsonl" if output.lower().endswith((".jsonl", ".ndjson")) else "csv"


def _code(exc: OSError) -> int:
    """A full disk is a runtime problem (1); a path that cannot be written is bad input (2),
    as `hpdesk plan new -o` treats it."""
    return EXIT_RUNTIME if exc.errno in (errno.ENOSPC, errno.EDQUOT) else EXIT_USAGE
