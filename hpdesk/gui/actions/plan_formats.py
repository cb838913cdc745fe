"""File → Import search space… and Export search space…: W&B sweeps, Optuna distributions (and
a runnable Optuna study), NNI search spaces and Ray Tune source, through hpdesk.plan.formats.
What the other format could not say is shown before anything else happens; an imported plan
goes into the editor as File → Open plan puts one there (its command shown first)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox

from hpdesk.gui.actions.window import WindowParts
from hpdesk.plan import PlanError

translate = QCoreApplication.translate


def _export_filters() -> list[tuple[str, str, str]]:
    """(dialog filter, format, suffix), in the dialog's order."""
    return [(translate("PlanFormats", "W&B sweep (*.yaml)"), "wandb", ".yaml"),
            (translate("PlanFormats", "Optuna distributions (*.json)"), "optuna", ".json"),
            (translate("PlanFormats", "Optuna script (*.py)"), "optuna", ".py"),
            (translate("PlanFormats", "NNI search space (*.json)"), "nni", ".json"),
            (translate("PlanFormats", "Ray Tune search space (*.py)"), "raytune", ".py")]


def _show_losses(window: WindowParts, title: str, intro: str, losses: list[str]) -> None:
    if losses:
        QMessageBox.information(window, title, intro + "\n\n" + "\n".join(
            f"• {line}" for line in losses))


def import_space(window: WindowParts, path: Path | None = None) -> bool:
    """Read a W&B, Optuna, NNI or hpdesk file into the editor (unsaved); True when it is
    there."""
    from hpdesk.gui.base import file_dialogs
    from hpdesk.plan.formats import LABELS, read_space

    if path is None:
        path = file_dialogs.open_file(
            window, "plans", translate("PlanFormats", "Import search space"),
            translate("PlanFormats",
                      "Search spaces: W&B, Optuna, NNI, hpdesk (*.yaml *.yml *.json *.toml)"),
            fallback=window.db_path.parent)
        if path is None:
            return False
    try:
        done = read_space(path)
    except PlanError as exc:
        QMessageBox.warning(window, translate("PlanFormats", "Cannot import the search space"),
                            str(exc))
        return False
    assert done.plan is not None
    plan = done.plan.resolved(path.resolve().parent)  # a script runs from the file's folder
    _show_losses(window, translate("PlanFormats", "Imported with changes"),
                 translate("PlanFormats",
                           "%1 was read as a %2. What hpdesk could not keep as it was:")
                 .replace("%1", path.name).replace("%2", LABELS[done.fmt]), done.losses)
    from hpdesk.gui.actions.unsaved import may_discard
    from hpdesk.gui.base.command_confirm import confirm_opened_plan

    if not confirm_opened_plan(window, plan, path) or not may_discard(window):
        return False
    window.workbench.set_plan(plan, saved=False)  # not saved anywhere yet: Save as asks
    window.plan_path = None
    window.welcome.hide()
    window.tabs.setCurrentWidget(window.plan_tab)
    window.statusBar().showMessage(
        translate("PlanFormats", "Imported %1").replace("%1", str(path)), 5000)
    return True


def export_space(window: WindowParts, path: Path | None = None,
                 fmt: str | None = None) -> Path | None:
    """Write the plan in the editor as another tool's search space; the dialog's filter picks
    the format (or `fmt`, or `path`'s extension). Returns the file written."""
    from hpdesk.gui.base import file_dialogs
    from hpdesk.plan.formats import target_format, write_space

    plan = window.workbench.plan()
    if plan is None:
        QMessageBox.warning(window, translate("PlanFormats", "The plan is not valid"),
                            window.plan_status.text())
        return None
    if path is None:
        filters = _export_filters()
        start = file_dialogs.start_folder(window, "plans", window.db_path.parent)
        chosen, selected = QFileDialog.getSaveFileName(
            window, translate("PlanFormats", "Export search space"),
            str(start / f"{plan.name or 'plan'}-sweep.yaml"),
            ";;".join(f for f, _, _ in filters), "", file_dialogs.OPTIONS)
        if not chosen:
            return None
        _, fmt, suffix = next((f for f in filters if f[0] == selected), filters[0])
        path = Path(chosen)
        if path.suffix.lower() != suffix:
            path = path.with_suffix(suffix)
    try:
        done = write_space(plan, target_format(path, fmt, "hpdesk"), path)
        path.write_text(done.text, encoding="utf-8")
    except (OSError, ValueError) as exc:
        QMessageBox.warning(window, translate("PlanFormats", "Cannot export the search space"),
                            str(exc))
        return None
    _show_losses(window, translate("PlanFormats", "Exported with changes"),
                 translate("PlanFormats", "Wrote %1. What the format cannot say:")
                 .replace("%1", str(path)),
                 done.losses)
    window.statusBar().showMessage(
        translate("PlanFormats", "Wrote %1").replace("%1", str(path)), 8000)
    return path
