"""`hpdesk diagnose`: what the curves of each trial show (under- and over-fitting, divergence,
a learning rate too high, a plateau, a collapsing GAN) and what to do next, with its source."""

from __future__ import annotations

import argparse
from typing import Any

from hpdesk.cli.common import EXIT_OK, db_arg, open_store, say


def add_parsers(sub: argparse._SubParsersAction) -> None:
    diag = sub.add_parser(
        "diagnose", help="read each trial's fit state from its curves, with the next step",
        description="Read the curves of every trial (of one experiment with --experiment, "
                    "else of every experiment not archived) and report what they show: "
                    "divergence, a learning rate too high, over- or under-fitting, a plateau, a "
                    "GAN player that wins outright. Each finding names the trial, the step, "
                    "the evidence and the next action, with its source. Running trials are "
                    "read as far as they got. --json prints a list of objects with trial_id, "
                    "kind, step, evidence and action (and more).")
    db_arg(diag)
    diag.add_argument("--experiment", type=int, metavar="ID", help="only this experiment")
    diag.add_argument("--trial", type=int, metavar="TRIAL_ID", help="only this trial")
    diag.add_argument("--json", action="store_true", help="print a JSON list")
    diag.add_argument("--lang", choices=("en", "zh"), default="en",
                      help="language of the evidence and the advice")
    diag.set_defaults(handler=cmd_diagnose)


def cmd_diagnose(args: argparse.Namespace) -> int:
    from hpdesk.analysis.diagnose import diagnose_trials
    from hpdesk.jsonsafe import dumps

    lang = "zh" if args.lang == "zh" else "en"
    with open_store(args.db, must_exist=True) as store:
        if args.trial is not None:
            trials = [store.trial(args.trial)]  # a clear error for an unknown id
        elif args.experiment is not None:
            store.experiment(args.experiment)
            trials = store.trials(args.experiment)
        else:
            shown = {e.id for e in store.experiments() if not e.archived}
            trials = [t for t in store.trials() if t.experiment_id in shown]
        found = diagnose_trials(store, trials)
    if args.json:
        say(dumps([f.to_dict(lang) for f in found], indent=2))
        return EXIT_OK
    for line in describe(found, lang, len({t.id for t in trials if t.state != "queued"})):
        say(line)
    return EXIT_OK


_LEVELS_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


def describe(found: list[Any], lang: str, trials: int) -> list[str]:
    """The findings as text: one paragraph per finding, then a line of totals."""
    zh = lang == "zh"
    lines: list[str] = []
    for f in found:
        w = f.worded(lang)
        where = (f"实验 {f.experiment_id} 试验 {f.trial_number}（id {f.trial_id}）" if zh else
                 f"experiment {f.experiment_id}, trial {f.trial_number} (id {f.trial_id})")
        live = ("，仍在运行" if zh else ", still running") if f.live else ""
        step = f"第 {f.finding.step} 步" if zh else f"step {f.finding.step}"
        level = _LEVELS_ZH.get(w.level, w.level) if zh else w.level
        lines.append(f"{level}：{where}{live}：{w.title}，{step}" if zh else
                     f"{level}: {where}{live}: {w.title}, {step}")
        lines.append(("  依据：" if zh else "  evidence: ") + w.evidence)
        lines.append(("  建议：" if zh else "  next: ") + w.action)
        lines.append(("  来源：" if zh else "  source: ") + w.source_text(lang))
    if zh:
        lines.append(f"{trials} 个试验，{len(found)} 条发现")
    else:
        lines.append(f"{trials} trial{'s' if trials != 1 else ''} read, "
                     f"{len(found)} finding{'s' if len(found) != 1 else ''}")
    return lines
