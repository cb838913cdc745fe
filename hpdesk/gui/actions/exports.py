"""Export menu: the plot on screen as PNG or SVG, trials and metrics as CSV, the best trial as a
plan file. Every file dialog has a default name; every failure is said in one sentence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox

from hpdesk.analysis.export import best_trial, plan_of_trial, write_metrics_csv, write_trials_csv
from hpdesk.gui.actions.window import WindowParts
from hpdesk.plan import dump_plan
from hpdesk.store import Experiment


def _write(window: WindowParts, path: Path | None, title: str, name: str, filters: str,
           write: Callable[[Path], object]) -> Path | None:
    """Ask where (unless `path` is given), write, and say what happened."""
    if path is None:
        from hpdesk.gui.base import file_dialogs

        path = file_dialogs.save_file(window, "exports", title, name, filters,
                                      fallback=window.db_path.parent)
        if path is None:
            return None
    try:
        write(path)
    except (OSError, ValueError) as exc:
        QMessageBox.warning(window, QCoreApplication.translate("Exports", "Export failed"),
                            str(exc))
        return None
    window.statusBar().showMessage(
        QCoreApplication.translate("Exports", "Wrote %1").replace("%1", str(path)), 8000)
    return path


def _experiment(window: WindowParts) -> Experiment | None:
    if window.experiment is None or window.store is None:
        QMessageBox.information(
            window, QCoreApplication.translate("Exports", "Export"),
            QCoreApplication.translate("Exports", "Select an experiment first."))
        return None
    return window.experiment


def plot_image(window: WindowParts, path: Path | None = None) -> Path | None:
    """The comparison view when it is showing, else the curves."""
    window.build_views()
    view = window.compare if window.tabs.currentWidget() is window.compare_tab else window.curves

    def write(target: Path) -> None:
        if target.suffix.lower() not in (".png", ".svg"):
            raise ValueError(QCoreApplication.translate(
                "Exports", "%1: choose a .png or .svg file name").replace("%1", str(target)))
        view.export_image(str(target))

    return _write(window, path, QCoreApplication.translate("Exports", "Export plot"), "plot.png",
                  QCoreApplication.translate("Exports", "PNG (*.png);;SVG (*.svg)"), write)


def trials_csv(window: WindowParts, path: Path | None = None) -> Path | None:
    exp = _experiment(window)
    if exp is None or window.store is None:
        return None
    store = window.store
    return _write(window, path, QCoreApplication.translate("Exports", "Export trials"),
                  f"experiment-{exp.id}-trials.csv",
                  QCoreApplication.translate("Exports", "CSV (*.csv)"),
                  lambda target: write_trials_csv(target, exp.plan, store.trials(exp.id)))


def metrics_csv(window: WindowParts, path: Path | None = None) -> Path | None:
    exp = _experiment(window)
    if exp is None or window.store is None:
        return None
    store = window.store
    return _write(window, path, QCoreApplication.translate("Exports", "Export metrics"),
                  f"experiment-{exp.id}-metrics.csv",
                  QCoreApplication.translate("Exports", "CSV (*.csv)"),
                  lambda target: write_metrics_csv(target, store, store.trials(exp.id)))


def best_plan(window: WindowParts, path: Path | None = None) -> Path | None:
    exp = _experiment(window)
    if exp is None or window.store is None:
        return None
    best = best_trial(exp.plan, window.store.trials(exp.id))
    if best is None:
        QMessageBox.information(
            window, QCoreApplication.translate("Exports", "Export"),
            QCoreApplication.translate(
                "Exports", "No trial has completed with an objective value yet."))
        return None
    return _write(window, path,
                  QCoreApplication.translate("Exports", "Export the best trial as a plan"),
                  f"experiment-{exp.id}-trial-{best.number}.yaml",
                  QCoreApplication.translate("Exports", "YAML (*.yaml);;TOML (*.toml)"),
                  lambda target: dump_plan(plan_of_trial(exp.plan, best), target))
