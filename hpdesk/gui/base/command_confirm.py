"""Before a plan opened from a file may run: what it runs, shown and confirmed.

A plan file can come from someone else, and its `command:` (and its `env:`, which can name a
library to preload or a Python path) runs with the person's rights. When such a plan is opened
(File → Open plan, a dropped file, `hpdesk plan.yaml`) the window shows the command of its first
trial, the folder it runs from and the variables it sets, secrets masked, and opens the plan
only when the person allows it (docs/security.md). What was allowed is remembered for this
session, so Launch does not ask about the same command again; a command edited or typed in the
window is still confirmed at Launch (trial_actions.launch).

On allowing, the plan's secret env values go to this process's environment, where the
schedulers the window starts find them (hpdesk.plan.secrets): the plan as edited in the window
no longer holds them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.plan import Plan
from hpdesk.plan.secrets import env_to_dict, secret_values
from hpdesk.runner.provenance import CommandPreview, command_preview

#: What the person allowed in this session (fingerprints of command, folder and env).
_allowed: set[str] = set()


def needs_confirmation(plan: Plan) -> bool:
    """A plan runs something of its own: a command, or variables set for hpdesk's tasks."""
    return plan.command is not None or bool(plan.env) or bool(plan.env_secret)


def fingerprint(plan: Plan) -> str:
    return json.dumps([list(plan.command or ()), plan.workdir,
                       env_to_dict(plan.env, plan.env_secret)], sort_keys=True)


def shown_command(plan: Plan) -> str:
    """The command line of `plan`'s first trial as every part of the window shows it (the
    wizard's preview, this dialog, Launch's question): the argument list the runner builds
    (`hpdesk.runner.provenance.command_preview`, secrets masked), POSIX-quoted by `shlex.join`
    so it can be pasted, hpdesk's placeholders filled as a launch from the window fills them."""
    return preview_of(plan).command


def preview_of(plan: Plan) -> CommandPreview:
    """`command_preview` for a launch from the window: a plan without a `workdir` runs from
    the window's current folder."""
    return command_preview(plan, project=plan.workdir or os.getcwd())


def allowed(plan: Plan) -> bool:
    """Whether the person already allowed exactly this command, folder and env."""
    return not needs_confirmation(plan) or fingerprint(plan) in _allowed


class CommandConfirmDialog(QDialog):
    """The command, the folder and the variables of a plan opened from `source`; Allow or
    Cancel."""

    def __init__(self, preview: CommandPreview, source: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commandConfirmDialog")
        self.setWindowTitle(self.tr("Run what this plan runs?"))
        self.resize(760, 360)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("The plan %1 runs this on your computer, with your rights. "
                               "Each trial starts (parameters as in its first trial):")
                       .replace("%1", source))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.text = named(QPlainTextEdit(), "commandConfirmText",
                          self.tr("What the plan runs"))
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText("\n".join(self._lines(preview)))
        layout.addWidget(self.text, 1)
        warning = QLabel(self.tr("Allow it only if you trust where the plan comes from: a "
                                 "command can read, change or send anything your account can."))
        warning.setWordWrap(True)
        layout.addWidget(warning)
        buttons = QDialogButtonBox()
        self.allow_button = named(QPushButton(self.tr("Allow and open")), "allowCommandButton",
                                  self.tr("Allow the plan's command and open the plan"))
        self.cancel_button = named(QPushButton(self.tr("Cancel")), "cancelCommandButton",
                                   self.tr("Do not open the plan"))
        buttons.addButton(self.allow_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setDefault(True)  # Enter alone never allows a stranger's command
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _lines(self, preview: CommandPreview) -> list[str]:
        lines = [preview.command]
        if preview.folder is not None:
            where = (self.tr("each trial in a folder of its own, filled from %1")
                     if preview.own_folders else self.tr("in %1"))
            lines += ["", where.replace("%1", preview.folder)]
        if preview.env:
            lines += ["", self.tr("with these environment variables:")]
            inherited = self.tr("(from your environment)")
            lines += [f"  {name}={inherited if value is None else value}"
                      for name, value in preview.env]
        return lines


def confirm_opened_plan(parent: QWidget, plan: Plan, path: Path) -> bool:
    """Ask before a plan from a file that runs something of its own is opened; True when it
    may be opened (nothing to ask, or allowed)."""
    if not needs_confirmation(plan):
        return True
    dialog = CommandConfirmDialog(preview_of(plan), str(path), parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
    finally:
        dialog.deleteLater()
    _allowed.add(fingerprint(plan))
    os.environ.update(secret_values(plan))  # a missing one is named at Launch
    return True


__all__ = ["CommandConfirmDialog", "allowed", "confirm_opened_plan", "fingerprint",
           "needs_confirmation", "preview_of", "shown_command"]
