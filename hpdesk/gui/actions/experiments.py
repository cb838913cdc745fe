"""What the experiment list's menu and keys ask of an experiment: rename it, archive it, delete it
with its files. Each asks first where it must (a name, a confirmation), then writes off the GUI
thread with its own connection (hpdesk.gui.base.background); the answer comes back as a status
message, an error as a dialog, never silently."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from hpdesk.gui.actions.trials import in_background
from hpdesk.gui.actions.window import WindowParts
from hpdesk.runner.paths import experiment_dir
from hpdesk.store import Store

#: The folders hpdesk makes for an experiment (hpdesk.runner.paths.new_experiment_dir): the
#: only ones deleting removes, whatever a database says its folder is.
OWN_FOLDER = re.compile(r"experiment-\d+(\.\d+)?")


def rename(window: WindowParts, experiment_id: int) -> None:
    """Ask for the new name (the current one filled in), then store it."""
    if window.store is None:
        return
    current = window.store.experiment(experiment_id).name
    name, ok = QInputDialog.getText(
        window,
        QCoreApplication.translate("ExperimentActions", "Rename experiment"),
        QCoreApplication.translate("ExperimentActions", "New name of experiment %1:").replace(
            "%1", str(experiment_id)
        ),
        QLineEdit.EchoMode.Normal,
        current,
    )
    name = name.strip()
    if not ok or not name or name == current:
        return

    def done(_: object) -> None:
        window.refresh()
        if window.experiment is not None and window.experiment.id == experiment_id:
            window.show_experiment(experiment_id)  # its title
        window.statusBar().showMessage(
            QCoreApplication.translate("ExperimentActions", "Experiment %1 is now called %2")
            .replace("%1", str(experiment_id))
            .replace("%2", name),
            5000,
        )

    in_background(
        window,
        lambda store: store.rename_experiment(experiment_id, name),
        done,
        QCoreApplication.translate("ExperimentActions", "Rename"),
    )


def set_archived(window: WindowParts, experiment_id: int, archived: bool) -> None:
    """Archive (hidden from the list unless "Show archived" is ticked) or bring back. A running
    experiment is not archived: it would run on out of sight."""
    if (
        archived
        and window.store is not None
        and window.store.experiment(experiment_id).state == "running"
    ):
        QMessageBox.information(
            window,
            QCoreApplication.translate("ExperimentActions", "Archive"),
            QCoreApplication.translate(
                "ExperimentActions", "Experiment %1 is running; stop it before archiving it."
            ).replace("%1", str(experiment_id)),
        )
        return

    def done(_: object) -> None:
        window.refresh()
        text = (
            QCoreApplication.translate(
                "ExperimentActions", "Experiment %1 archived: tick Show archived to see it"
            )
            if archived
            else QCoreApplication.translate("ExperimentActions", "Experiment %1 is listed again")
        )
        window.statusBar().showMessage(text.replace("%1", str(experiment_id)), 5000)

    in_background(
        window,
        lambda store: store.set_archived(experiment_id, archived),
        done,
        QCoreApplication.translate("ExperimentActions", "Archive")
        if archived
        else QCoreApplication.translate("ExperimentActions", "Unarchive"),
    )


class Deleted(NamedTuple):
    folder: Path | None  # the folder removed, None when there was none
    kept: str | None  # why a folder was kept (not hpdesk's, or it could not be removed)


def delete_with_files(store: Store, experiment_id: int) -> Deleted:
    """Remove the experiment from the database (refused while it runs), then its runs folder:
    the folder only if hpdesk made it, so a database edited by hand cannot point this at
    anything else."""
    folder = experiment_dir(store, experiment_id)
    store.delete_experiment(experiment_id)
    if not folder.is_dir():
        return Deleted(None, None)
    if folder.is_symlink() or not OWN_FOLDER.fullmatch(folder.name):
        return Deleted(None, f"{folder} is not a folder hpdesk made")
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        return Deleted(None, str(exc))
    return Deleted(folder, None)


def delete(window: WindowParts, experiment_id: int) -> None:
    """Delete the experiment and its files after the person confirms; a running one is
    refused before asking (and again by the store, should it have started meanwhile)."""
    if window.store is None:
        return
    store = window.store
    exp = store.experiment(experiment_id)
    if exp.state == "running":
        QMessageBox.information(
            window,
            QCoreApplication.translate("ExperimentActions", "Delete experiment"),
            QCoreApplication.translate(
                "ExperimentActions", "Experiment %1 is running; stop it before deleting it."
            ).replace("%1", str(experiment_id)),
        )
        return
    trials = len(store.trials(experiment_id))
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        QCoreApplication.translate("ExperimentActions", "Delete experiment"),
        QCoreApplication.translate("ExperimentActions", "Delete experiment %1 “%2”?")
        .replace("%1", str(exp.id))
        .replace("%2", exp.name),
        parent=window,
    )
    box.setObjectName("deleteExperimentDialog")
    box.setInformativeText(
        QCoreApplication.translate(
            "ExperimentActions",
            "Its %1 trials, their metrics and its files in %2 are removed for good.",
        )
        .replace("%1", str(trials))
        .replace("%2", str(experiment_dir(store, experiment_id)))
    )
    delete_button = box.addButton(
        QCoreApplication.translate("ExperimentActions", "Delete"),
        QMessageBox.ButtonRole.DestructiveRole,
    )
    delete_button.setObjectName("confirmDeleteButton")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    if box.clickedButton() is not delete_button:
        return

    def done(result: Deleted) -> None:
        if window.experiment is not None and window.experiment.id == experiment_id:
            window.forget_experiment()
        window.refresh()
        window.select_default_experiment()
        if result.kept is not None:
            QMessageBox.warning(
                window,
                QCoreApplication.translate("ExperimentActions", "Delete experiment"),
                QCoreApplication.translate(
                    "ExperimentActions", "Experiment %1 was deleted, but its files were kept: %2"
                )
                .replace("%1", str(experiment_id))
                .replace("%2", result.kept),
            )
            return
        window.statusBar().showMessage(
            QCoreApplication.translate("ExperimentActions", "Experiment %1 deleted").replace(
                "%1", str(experiment_id)
            ),
            5000,
        )

    in_background(
        window,
        lambda s: delete_with_files(s, experiment_id),
        done,
        QCoreApplication.translate("ExperimentActions", "Delete"),
    )
