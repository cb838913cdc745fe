"""Plans and databases in and out through file dialogs: open a plan, save it (as), open
another database. The menus, the unsaved-edits prompt and drag and drop share them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox

from hpdesk.gui.actions.window import WindowParts
from hpdesk.plan import dump_plan


def open_plan(window: WindowParts) -> None:
    from hpdesk.gui.base import file_dialogs

    path = file_dialogs.open_file(
        window, "plans",
        QCoreApplication.translate("MainMenus", "Open plan"),
        QCoreApplication.translate("MainMenus", "Plan files (*.yaml *.yml *.toml *.json)"),
        fallback=_plan_folder(window),
    )
    if path is not None:
        window.open_plan_file(path)


def _plan_folder(window: WindowParts) -> Path:
    """Where plans are when no plan dialog was used yet: the open plan's, else the database's."""
    return window.plan_path.parent if window.plan_path is not None else window.db_path.parent


def save_plan(window: WindowParts) -> bool:
    """Save as: True when the plan was written."""
    from hpdesk.gui.base import file_dialogs

    plan = window.workbench.plan()
    if plan is None:
        QMessageBox.warning(
            window,
            QCoreApplication.translate("MainMenus", "The plan is not valid"),
            window.plan_status.text(),
        )
        return False
    name = window.plan_path.name if window.plan_path is not None else f"{plan.name or 'plan'}.yaml"
    path = file_dialogs.save_file(
        window, "plans",
        QCoreApplication.translate("MainMenus", "Save plan"),
        name,
        QCoreApplication.translate("MainMenus", "YAML (*.yaml);;TOML (*.toml)"),
        fallback=_plan_folder(window),
    )
    return path is not None and save_plan_to(window, path)


def save_plan_to(window: WindowParts, path: Path) -> bool:
    plan = window.workbench.plan()
    if plan is None:
        return False
    if path.suffix.lower() not in (".yaml", ".yml", ".toml", ".json"):
        path = path.with_suffix(".yaml")
    try:
        dump_plan(plan, path)
    except OSError as exc:
        QMessageBox.warning(
            window, QCoreApplication.translate("MainMenus", "Cannot save the plan"), str(exc)
        )
        return False
    window.plan_path = path
    window.workbench.mark_saved()
    window.statusBar().showMessage(
        QCoreApplication.translate("MainMenus", "Saved %1").replace("%1", str(path)), 5000
    )
    return True


def open_database(window: WindowParts) -> None:
    from hpdesk.gui.base import file_dialogs

    path = file_dialogs.open_file(
        window, "databases",
        QCoreApplication.translate("MainMenus", "Open database"),
        QCoreApplication.translate("MainMenus", "hpdesk databases (*.db *.sqlite *.sqlite3)"),
        fallback=window.db_path.parent,
    )
    if path is not None:
        window.open_database(path)
