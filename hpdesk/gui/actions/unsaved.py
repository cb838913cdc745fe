"""Ask before unsaved plan edits are thrown away: quitting, opening another plan or
database, or starting the new-experiment wizard over them asks Save / Discard / Cancel.

"Save" writes back to the plan's file when it came from one, else asks where (Save as).
A plan with problems cannot be saved: then only Discard and Cancel are offered.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox

from hpdesk.gui.actions import plan_files
from hpdesk.gui.actions.window import WindowParts

Button = QMessageBox.StandardButton


def ask(box: QMessageBox) -> Button:
    """Show the question and wait for the answer (tests answer it by clicking its buttons)."""
    box.exec()
    clicked = box.clickedButton()
    return box.standardButton(clicked) if clicked is not None else Button.Cancel


def box_for(window: WindowParts, savable: bool) -> QMessageBox:
    box = QMessageBox(window)
    box.setObjectName("unsavedPlanBox")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QCoreApplication.translate("Unsaved", "Unsaved plan"))
    box.setText(QCoreApplication.translate("Unsaved", "The plan has edits that are not saved."))
    if savable:
        box.setInformativeText(QCoreApplication.translate("Unsaved", "Save them before going on?"))
        box.setStandardButtons(Button.Save | Button.Discard | Button.Cancel)
        box.setDefaultButton(Button.Save)
    else:
        box.setInformativeText(QCoreApplication.translate(
            "Unsaved", "The plan has problems, so it cannot be saved as it is. Discard the edits?"))
        box.setStandardButtons(Button.Discard | Button.Cancel)
        box.setDefaultButton(Button.Cancel)
    box.setEscapeButton(Button.Cancel)
    return box


def may_discard(window: WindowParts) -> bool:
    """True when the window may replace or drop its plan: nothing unsaved, or the person saved
    or discarded it; False when they cancelled (or cancelled the Save as that followed)."""
    bench = window.workbench
    if not bench.is_modified():
        return True
    answer = ask(box_for(window, bench.plan() is not None))
    if answer == Button.Discard:
        return True
    if answer != Button.Save:
        return False
    path = window.plan_path
    if path is not None:
        return plan_files.save_plan_to(window, path)
    return plan_files.save_plan(window)


__all__ = ["ask", "box_for", "may_discard"]
