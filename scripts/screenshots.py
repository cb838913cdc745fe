"""Screenshots for the README, taken from the real window with real trials.

Run under a real X server (the README's images come from Xvfb):
  xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py
It runs a finished digits search (12 trials) for the comparison views, a staged search, a
population-based training and a two-objective search (the example plans), then a search that is
still training while the main window is captured, in English and in Chinese. Writes
docs/screenshots/{main,plan,compare-parallel,compare-importance,staged,compare-pareto,
compare-population,script-arguments,script-metrics,guide,ray-settings,fit-state,data-panel,
lr-find}-{en,zh_CN}.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from hpdesk.plan import (
    Budget,
    Categorical,
    Fixed,
    FloatRange,
    IntRange,
    load_plan,
    plan_from_preset,
)
from hpdesk.runner import control
from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def _wait(app: QApplication, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the window")
        app.processEvents()
        time.sleep(0.05)


def _settle(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _experiments(db: Path) -> None:
    """A finished search to compare, then a longer one left running for the live view."""
    base = plan_from_preset("classification").with_changes(data={"source": "digits"})
    finished = base.with_changes(name="digits-search", budget=Budget(12), concurrency=2,
                                 space={**base.space, "epochs": Fixed(4)})
    live = base.with_changes(name="digits-live", budget=Budget(6), concurrency=2,
                             space={**base.space, "epochs": Fixed(40)})
    examples = ROOT / "resources" / "examples"
    staged = base.with_changes(name="digits-staged", budget=Budget(24), concurrency=2,
                               strategy=base.strategy.__class__("staged", seed=4),
                               pruner=base.pruner.__class__(),  # every trial measures importance
                               space={**base.space, "epochs": Fixed(4)})
    # Adam at 3.0 (300 times the guide's top), 0.03 and 0.003: fit-state findings to read.
    rates = base.with_changes(
        name="digits-rates", budget=Budget(3), concurrency=2,
        strategy=base.strategy.__class__("grid"), pruner=base.pruner.__class__(),
        space={**base.space, "lr": Categorical((3.0, 0.03, 0.003)), "epochs": Fixed(12),
               "batch_size": Fixed(32), "width": Fixed(16), "weight_decay": Fixed(0.0),
               "dropout": Fixed(0.0)})
    with Store(db) as store:
        for plan in (finished, staged, load_plan(examples / "digits-pbt.yaml"),
                     load_plan(examples / "digits-pareto.yaml"), rates):
            done = control.launch(store, plan)
            while store.experiment(done.id).state == "running":
                time.sleep(0.5)
        control.launch(store, live)


LM_OUTPUT = "\n".join([
    "| epoch   1 |    20/  134 batches | lr 2.00 | ms/batch  3.55 | loss  3.49 | ppl    32.78",
    "| epoch   1 |    40/  134 batches | lr 2.00 | ms/batch  1.49 | loss  3.15 | ppl    23.44",
    "| end of epoch   1 | time:  0.24s | valid loss  2.98 | valid ppl    19.67"])


def _guide(app: QApplication, language: str) -> None:
    """Help → Tuning guide at its default size, on the batch-size topic."""
    from hpdesk.gui.shell.guide_dialog import GuideDialog

    dialog = GuideDialog(language)
    dialog.show()
    dialog.select_topic("batch_size")
    _settle(app, 1)
    dialog.grab().save(str(OUT / f"guide-{language}.png"))
    dialog.close()


def _wizard(app: QApplication, language: str) -> None:
    """The own-script steps of the New-experiment dialog at 1024x700: the arguments page of
    the shipped example, then its metrics page with output pasted and a misnamed objective."""
    from hpdesk.gui.wizard.dialog import ARGUMENTS, METRICS, NewExperimentDialog
    from hpdesk.plan import Categorical

    dialog = NewExperimentDialog(language, extra_space={"tied": Categorical((True, False))})
    dialog.resize(1024, 700)
    dialog.show()
    dialog.select_task("script")
    dialog.next()
    dialog.script_page.command.setText("python train_charlm.py")
    dialog.script_page.workdir.edit.setText(str(ROOT / "resources" / "examples" / "own-script"))
    dialog.next()
    assert dialog.currentId() == ARGUMENTS
    dialog.arguments_page.select("flags")
    dialog.arguments_page.table.passed["optimizer"].setChecked(False)
    _settle(app, 1)
    dialog.grab().save(str(OUT / f"script-arguments-{language}.png"))
    while dialog.currentId() != METRICS:
        dialog.next()
    dialog.metrics_page.metric_edit.setText("val_loss")
    dialog.metrics_page.sample.setPlainText(LM_OUTPUT)
    _settle(app, 1)
    dialog.grab().save(str(OUT / f"script-metrics-{language}.png"))
    dialog.close()


def _ray_settings(app: QApplication, window: Any, language: str) -> None:
    """Run settings with a Ray cluster chosen (then back to this computer)."""
    from PySide6.QtWidgets import QScrollArea

    settings = window.workbench.run_settings
    cluster = settings.cluster
    cluster.kind.setCurrentIndex(cluster.kind.findData("ray"))
    cluster.address.setText("http://head.example:8265")
    cluster.gpus.setValue(0.5)
    _settle(app, 0.5)
    scroll = window.workbench.findChild(QScrollArea, "runSettingsScroll")
    if scroll is not None:
        scroll.ensureWidgetVisible(cluster.gpus)
    _settle(app, 0.5)
    window.grab().save(str(OUT / f"ray-settings-{language}.png"))
    cluster.kind.setCurrentIndex(cluster.kind.findData("local"))
    _settle(app, 0.3)


def _diagnostics(app: QApplication, window: Any, language: str) -> None:
    """The data panel and the learning-rate range test of the plan being edited, then the
    fit-state badges and marks of the digits-rates experiment."""
    window.tabs.setCurrentWidget(window.plan_tab)
    panel = window.workbench.show_data_panel()
    panel.resize(1000, 640)
    _settle(app, 3)
    panel.grab().save(str(OUT / f"data-panel-{language}.png"))
    panel.close()
    window.workbench.show_lr_find()
    dialog = window.workbench.lr_find_dialog
    _wait(app, lambda: dialog.outcome is not None, 120)
    _settle(app, 1)
    dialog.grab().save(str(OUT / f"lr-find-{language}.png"))
    dialog.close()
    by_name = {e.name: e.id for e in window.store.experiments()}
    window.experiments.select_experiment(by_name["digits-rates"])
    window.tabs.setCurrentWidget(window.run_tab)
    _settle(app, 6)  # the findings are computed in the background
    window.curves.controls.choose_metric("train_loss")
    window.curves.controls.log_check.setChecked(True)
    _settle(app, 2)
    window.grab().save(str(OUT / f"fit-state-{language}.png"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", nargs="+", default=["en", "zh_CN"])
    parser.add_argument("--wizard-only", action="store_true",
                        help="only the own-script steps of the New-experiment dialog")
    args = parser.parse_args()
    from hpdesk.gui.base.settings import Settings
    from hpdesk.gui.shell import i18n
    from hpdesk.gui.shell.app import make_application
    from hpdesk.gui.shell.main_window import MainWindow

    OUT.mkdir(parents=True, exist_ok=True)
    app = make_application()
    for language in args.languages:
        i18n.install(app, language)
        _wizard(app, language)
        _guide(app, language)
    if args.wizard_only:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "hpdesk.db"
        _experiments(db)
        time.sleep(8)  # the live experiment's trials are a few epochs in
        try:
            for language in args.languages:
                i18n.install(app, language)
                window = MainWindow(Settings(Path(tmp) / f"{language}.ini"), db, language)
                window.resize(1560, 940)
                window.show()
                _wait(app, lambda window=window: window.experiment is not None, 30)
                window.trials.select_trials([t.id for t in window.store.trials(
                    window.experiment.id)])
                _settle(app, 4)
                window.grab().save(str(OUT / f"main-{language}.png"))
                window.edit_copy()  # then edits the advice speaks up about
                plan = window.workbench.plan()
                window.workbench.set_plan(plan.with_changes(fine_tune=True, space={
                    **plan.space, "dropout": FloatRange(0.0, 0.8),
                    "batch_size": IntRange(2, 256, log=True)}))
                _settle(app, 1)
                window.grab().save(str(OUT / f"plan-{language}.png"))
                _ray_settings(app, window, language)
                _diagnostics(app, window, language)
                by_name = {e.name: e.id for e in window.store.experiments()}
                window.experiments.select_experiment(by_name["digits-staged"])
                window.tabs.setCurrentWidget(window.run_tab)
                _settle(app, 3)
                window.grab().save(str(OUT / f"staged-{language}.png"))
                window.experiments.select_experiment(by_name["digits-search"])
                window.tabs.setCurrentWidget(window.compare_tab)
                _settle(app, 3)
                window.grab().save(str(OUT / f"compare-parallel-{language}.png"))
                compare = window.compare
                for name, widget, experiment in (
                        ("compare-importance", compare.importance, "digits-search"),
                        ("compare-population", compare.population, "digits-pbt"),
                        ("compare-pareto", compare.pareto, "digits-pareto")):
                    window.experiments.select_experiment(by_name[experiment])
                    _settle(app, 2)
                    compare.tabs.setCurrentWidget(widget)
                    _settle(app, 3)
                    window.grab().save(str(OUT / f"{name}-{language}.png"))
                window.close()
                _settle(app, 0.5)
        finally:
            with Store(db) as store:
                for exp in store.experiments():
                    if control.request_stop(store, exp.id):
                        control.wait_stopped(store, exp.id, 60)
    print(f"wrote {len(list(OUT.glob('*.png')))} screenshots to {OUT.relative_to(ROOT)}")
    QTimer.singleShot(0, app.quit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
