"""`hpdesk plan new`, `hpdesk plan validate`, `hpdesk plan preview` and `hpdesk plan convert`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from hpdesk.cli.common import EXIT_OK, EXIT_USAGE, CliError, db_arg


def add_parsers(sub: argparse._SubParsersAction) -> None:
    plan = sub.add_parser("plan", help="create, check and convert plan files",
                          description="Create plan files from the task presets, check them, and "
                                      "convert search spaces from and to other tools.")
    plan_sub = plan.add_subparsers(dest="plan_command", metavar="ACTION")
    validate = plan_sub.add_parser("validate", help="check plan files; exit 2 if any is invalid",
                                   description="Check plan files; print each problem on a line, "
                                               "then the tuning advice for valid plans.")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--lang", choices=("en", "zh"), default="en",
                          help="language of the advice")
    validate.add_argument("--experiment", type=int, default=None, metavar="ID",
                          help="also advise on what that experiment's best completed trial "
                               "measured (its loss terms, its per-class accuracies)")
    db_arg(validate)
    preview = plan_sub.add_parser(
        "preview", help="print the command lines of a plan's first trials, running nothing",
        description="Print the command line, working folder and parameters of the first "
                    "trials the plan's search would start (drawn with the plan's seed, or seed "
                    "0 when it has none); nothing runs.")
    preview.add_argument("plan", metavar="PLAN")
    preview.add_argument("--trials", type=int, default=1, metavar="N",
                         help="how many trials to show (default 1)")
    new = plan_sub.add_parser("new", help="write a task preset as a plan file",
                              description="Write the preset of a task as a plan file, with the "
                                          "tuning order and advice as comments.")
    new.add_argument("--task", required=True,
                     choices=("classification", "detection", "gan", "script"))
    new.add_argument("--optimizer", help="the optimiser whose learning-rate range to use")
    new.add_argument("--fine-tune", action="store_true",
                     help="start from pre-trained weights and lower the learning rates one to "
                          "two orders of magnitude: classification and detection set pretrained "
                          "true and leave init_checkpoint for you to fill (a classification "
                          "trial's checkpoint.pt); a script loads its own weights; the gan task "
                          "cannot fine-tune")
    new.add_argument("-o", "--output", required=True, metavar="FILE",
                     help="where to write (.yaml, .toml or .json)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    convert = plan_sub.add_parser(
        "convert", help="convert a search space between hpdesk and W&B, Optuna, NNI, Ray Tune",
        description="Read IN (an hpdesk plan, a W&B sweep, Optuna distributions JSON or an NNI "
                    "search space; the format is read from its content, and no code is run) and "
                    "write OUT as the format --to names. Without --to, OUT's extension decides: "
                    ".toml is an hpdesk plan, and so is .yaml or .json when IN is another tool's "
                    "file; otherwise say --to. An Optuna OUT ending .py is a runnable Optuna "
                    "study; raytune writes Python source (both are written, never read). What "
                    "the target cannot say is printed on stderr, one line each; exit 2 for a "
                    "malformed IN or an existing OUT without --force.")
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT")
    convert.add_argument("--to", choices=("hpdesk", "wandb", "optuna", "nni", "raytune"),
                         help="the format to write (needed when OUT's extension leaves a choice)")
    convert.add_argument("--force", action="store_true", help="overwrite an existing OUT")
    plan.set_defaults(handler=cmd_plan)


def cmd_plan(args: argparse.Namespace) -> int:
    if args.plan_command == "validate":
        return _validate(args)
    if args.plan_command == "new":
        return _new(args)
    if args.plan_command == "preview":
        return _preview(args)
    if args.plan_command == "convert":
        return _convert(args)
    raise CliError("plan needs an action: new, validate, preview or convert (see hpdesk plan "
                   "--help)",
                   EXIT_USAGE)


def _convert(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hpdesk.plan import PlanError
    from hpdesk.plan.formats import LABELS, convert

    output = Path(args.output)
    if output.exists() and not args.force:
        raise CliError(f"{output} exists; pass --force to overwrite it", EXIT_USAGE)
    try:
        done = convert(args.input, output, args.to)
    except PlanError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # OUT's extension leaves the format open
        raise CliError(str(exc), EXIT_USAGE) from exc
    try:
        output.write_text(done.text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE) from exc
    for line in done.losses:
        print(line, file=sys.stderr)
    count = len(done.plan.space) if done.plan is not None else 0
    print(f"wrote {output} ({LABELS[done.fmt]}, {count} parameters"
          f"{'' if not done.losses else ', what did not carry over on stderr'})")
    return EXIT_OK


def _preview(args: argparse.Namespace) -> int:
    import shlex
    from pathlib import Path

    from hpdesk.plan import PlanError, load_plan
    from hpdesk.runner.preview import preview_trials

    if not 1 <= args.trials <= 1000:
        raise CliError("--trials must be between 1 and 1000", EXIT_USAGE)
    try:
        plan = load_plan(args.plan).resolved(Path(args.plan).resolve().parent)
    except PlanError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    trials, stopped = preview_trials(plan, args.trials)
    if plan.strategy.seed is None:
        print("# the plan has no seed: these are seed 0's trials; a run draws its own")
    for t in trials:
        where = t.cwd or "the folder hpdesk starts in"
        print(f"trial {t.number} (in {where}):")
        print(f"  {shlex.join(t.argv)}")
    if stopped is not None and len(trials) < args.trials:
        print(f"# {len(trials)} of {args.trials} shown: {stopped}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hpdesk.knowledge import advise
    from hpdesk.plan import PlanError, load_plan

    code = EXIT_OK
    for file in args.files:
        try:
            plan = load_plan(file)
        except PlanError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            code = EXIT_USAGE
            continue
        data = plan.resolved(Path(file).resolve().parent).data or {}
        if plan.command is None and plan.task == "detection" and data.get("source") == "yolo":
            from hpdesk.tasks.data_layout import yolo_problem  # stdlib only: no torch

            layout = yolo_problem(str(data.get("path", "")))
            if layout is not None:      # every trial would fail at once with this sentence
                print(f"{file}: data.path: {layout.sentence()}", file=sys.stderr)
                code = EXIT_USAGE
                continue
        findings = advise(plan.to_dict(), _evidence(args, plan.task, plan.command, data))
        print(f"{file}: valid ({plan.task}, {len(plan.searched())} searched parameters, "
              f"{plan.budget.trials} trials)")
        for f in findings:
            print(f"{file}: {f.level}: {f.message(args.lang)} [{f.source_text(args.lang)}]")
    return code


def _evidence(args: argparse.Namespace, task: str, command: object,
              data: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the advice can read beyond the plan: the class counts of its data (files are
    listed, never decoded) and, with --experiment, what that experiment's trials measured."""
    from hpdesk.analysis.class_counts import class_counts, data_of

    found: dict[str, Any] = {}
    source = data_of({"task": task, "command": command, "data": data or None})
    counts = class_counts(source) if source is not None else None
    if counts:
        found["class_counts"] = counts
    if args.experiment is not None:
        from hpdesk.analysis.evidence import trial_evidence
        from hpdesk.cli.common import open_store

        with open_store(args.db, must_exist=True) as store:
            found.update(trial_evidence(store, args.experiment))
    return found or None


def _new(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hpdesk.knowledge import KnowledgeError
    from hpdesk.plan import dump_plan, plan_from_preset

    output = Path(args.output)
    if output.exists() and not args.force:
        raise CliError(f"{output} exists; pass --force to overwrite it", EXIT_USAGE)
    if output.suffix.lower() not in (".yaml", ".yml", ".toml", ".json"):
        raise CliError(f"{output}: expected a .yaml, .toml or .json file name", EXIT_USAGE)
    try:
        plan = plan_from_preset(args.task, optimizer=args.optimizer, fine_tune=args.fine_tune)
    except KnowledgeError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    try:
        dump_plan(plan, output)
    except OSError as exc:  # a missing folder, a folder of that name, no permission
        raise CliError(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE) from exc
    print(f"wrote {output} ({args.task}, {len(plan.space)} hyperparameters)")
    return EXIT_OK
