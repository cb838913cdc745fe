"""The main window's menus: files in and out, the experiment, settings, help."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from hpdesk import __version__
from hpdesk.gui.actions.plan_files import open_database, open_plan, save_plan
from hpdesk.gui.actions.window import WindowParts

LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}


def _action(
    window: WindowParts,
    menu: QMenu,
    name: str,
    text: str,
    slot: object,
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def build_menus(window: WindowParts) -> dict[str, QAction]:
    bar = window.menuBar()
    actions: dict[str, QAction] = {}
    file_menu = bar.addMenu(QCoreApplication.translate("MainMenus", "&File"))
    file_menu.setObjectName("fileMenu")
    actions["new"] = _action(
        window,
        file_menu,
        "newExperimentAction",
        QCoreApplication.translate("MainMenus", "&New experiment…"),
        window.new_experiment,
        QKeySequence.StandardKey.New,
    )
    actions["open_plan"] = _action(
        window,
        file_menu,
        "openPlanAction",
        QCoreApplication.translate("MainMenus", "&Open plan…"),
        lambda: open_plan(window),
        QKeySequence.StandardKey.Open,
    )
    actions["save_plan"] = _action(
        window,
        file_menu,
        "savePlanAction",
        QCoreApplication.translate("MainMenus", "&Save plan as…"),
        lambda: save_plan(window),
        QKeySequence.StandardKey.SaveAs,
    )
    from hpdesk.gui.actions import plan_formats

    actions["import_space"] = _action(
        window,
        file_menu,
        "importSearchSpaceAction",
        QCoreApplication.translate("MainMenus", "&Import search space…"),
        lambda: plan_formats.import_space(window),
    )
    actions["export_space"] = _action(
        window,
        file_menu,
        "exportSearchSpaceAction",
        QCoreApplication.translate("MainMenus", "E&xport search space…"),
        lambda: plan_formats.export_space(window),
    )
    file_menu.addSeparator()
    actions["open_db"] = _action(
        window,
        file_menu,
        "openDatabaseAction",
        QCoreApplication.translate("MainMenus", "Open &database…"),
        lambda: open_database(window),
    )
    recent = file_menu.addMenu(QCoreApplication.translate("MainMenus", "&Recent databases"))
    recent.setObjectName("recentDatabasesMenu")
    for path in window.settings.recent_databases():
        action = recent.addAction(path)
        action.triggered.connect(lambda _=False, p=path: window.open_database(Path(p)))
    export = file_menu.addMenu(QCoreApplication.translate("MainMenus", "&Export"))
    export.setObjectName("exportMenu")
    from hpdesk.gui.actions import exports

    actions["export_image"] = _action(
        window,
        export,
        "exportImageAction",
        QCoreApplication.translate("MainMenus", "Plot as image (PNG, SVG)…"),
        lambda: exports.plot_image(window),
    )
    actions["export_trials"] = _action(
        window,
        export,
        "exportTrialsAction",
        QCoreApplication.translate("MainMenus", "Trials as CSV…"),
        lambda: exports.trials_csv(window),
    )
    actions["export_metrics"] = _action(
        window,
        export,
        "exportMetricsAction",
        QCoreApplication.translate("MainMenus", "Metrics as CSV…"),
        lambda: exports.metrics_csv(window),
    )
    actions["export_best"] = _action(
        window,
        export,
        "exportBestPlanAction",
        QCoreApplication.translate("MainMenus", "Best trial as a plan…"),
        lambda: exports.best_plan(window),
    )
    file_menu.addSeparator()
    actions["quit"] = _action(
        window,
        file_menu,
        "quitAction",
        QCoreApplication.translate("MainMenus", "&Quit"),
        window.close,
        QKeySequence.StandardKey.Quit,
    )

    run_menu = bar.addMenu(QCoreApplication.translate("MainMenus", "&Experiment"))
    run_menu.setObjectName("experimentMenu")
    actions["launch"] = _action(
        window,
        run_menu,
        "launchAction",
        QCoreApplication.translate("MainMenus", "&Launch plan"),
        window.launch,
        "Ctrl+R",
    )
    actions["stop"] = _action(
        window,
        run_menu,
        "stopAction",
        QCoreApplication.translate("MainMenus", "S&top experiment"),
        window.stop_experiment,
    )
    actions["resume"] = _action(
        window,
        run_menu,
        "resumeAction",
        QCoreApplication.translate("MainMenus", "&Resume experiment"),
        window.resume_experiment,
    )
    actions["copy"] = _action(
        window,
        run_menu,
        "editCopyAction",
        QCoreApplication.translate("MainMenus", "&Edit a copy of its plan"),
        window.edit_copy,
    )
    run_menu.addSeparator()
    actions["inspect_data"] = _action(
        window,
        run_menu,
        "inspectDataAction",
        QCoreApplication.translate("MainMenus", "&Inspect the plan's data…"),
        lambda: window.workbench.show_data_panel(),
        "Ctrl+I",
    )
    actions["per_class"] = _action(
        window,
        run_menu,
        "perClassAction",
        QCoreApplication.translate("MainMenus", "&Per-class results of the selected trial…"),
        lambda: per_class(window),
        "Ctrl+Shift+P",
    )
    run_menu.addSeparator()  # the list's own actions: their keys work where the list has focus
    listed = window.experiments
    for key, act in (("rename", listed.rename_action), ("archive", listed.archive_action),
                     ("delete", listed.delete_action)):
        run_menu.addAction(act)
        actions[key] = act

    settings_menu = bar.addMenu(QCoreApplication.translate("MainMenus", "&Settings"))
    settings_menu.setObjectName("settingsMenu")
    language_menu = settings_menu.addMenu(QCoreApplication.translate("MainMenus", "&Language"))
    language_menu.setObjectName("languageMenu")
    group = QActionGroup(window)
    for code, label in LANGUAGE_NAMES.items():
        action = _action(
            window,
            language_menu,
            f"language_{code}",
            label,
            lambda _=False, c=code: window.languageChosen.emit(c),
        )
        action.setCheckable(True)
        action.setChecked(code == window.language)
        group.addAction(action)
        actions[f"language_{code}"] = action
    actions["trainer"] = _action(
        window,
        settings_menu,
        "trainerPythonAction",
        QCoreApplication.translate("MainMenus", "&Trainer Python…"),
        lambda: choose_trainer(window),
    )

    help_menu = bar.addMenu(QCoreApplication.translate("MainMenus", "&Help"))
    help_menu.setObjectName("helpMenu")
    actions["guide"] = _action(
        window,
        help_menu,
        "help.guide",
        QCoreApplication.translate("MainMenus", "&Tuning guide"),
        lambda: show_guide(window),
        QKeySequence.StandardKey.HelpContents,
    )
    actions["about"] = _action(
        window,
        help_menu,
        "aboutAction",
        QCoreApplication.translate("MainMenus", "&About hpdesk"),
        lambda: about(window),
    )
    return actions


def per_class(window: WindowParts) -> None:
    """The per-class results of the one trial selected in the trials table (else a window that
    says to select one)."""
    from hpdesk.gui.trials.per_class import show_per_class

    trials = getattr(window, "trials", None)  # built after the first paint
    selected = trials.selected_ids() if trials is not None else []
    show_per_class(window, window.db_path, selected[0] if len(selected) == 1 else None,
                   window.language)


def choose_trainer(window: WindowParts) -> None:
    """Trials need a Python with torch and hpdesk; a frozen window has no Python of its own."""
    from hpdesk.gui.shell.trainer_dialog import TrainerPythonDialog

    TrainerPythonDialog(window.settings, window).exec()


def show_guide(window: WindowParts) -> None:
    """The tuning guide beside the work (not modal), in the window's language."""
    from hpdesk.gui.shell.guide_dialog import show_guide as open_guide

    open_guide(window, window.language)


def about(window: WindowParts) -> None:
    QMessageBox.about(
        window,
        QCoreApplication.translate("MainMenus", "About hpdesk"),
        QCoreApplication.translate(
            "MainMenus",
            "<b>hpdesk %1</b><br>A desktop workbench for deep-learning hyperparameter experiments."
            "<br>Presets and advice follow a practitioner's tuning guide and the papers they "
            "cite (Help → Tuning guide). MIT licence.",
        ).replace("%1", __version__),
    )
