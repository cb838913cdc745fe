"""The plan workbench: the plan editor, the live advice and the run settings side by side.

One widget for the main window to embed: `set_plan` shows a plan in all three parts, `plan()`
is the edited plan (None while either part has problems) and `planChanged` carries every new
valid one. The advice follows each edit; a click on a parameter in it focuses that row.
It also knows whether the plan differs from the one last opened, saved or launched
(`is_modified`, `modifiedChanged`), so the window can ask before edits are thrown away.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QVBoxLayout, QWidget

from hpdesk.gui.workbench.advice import AdvicePanel
from hpdesk.gui.workbench.editor import PlanEditor
from hpdesk.gui.workbench.run_settings import RunSettings
from hpdesk.plan import Plan

SIDE_MIN_WIDTH = 260  # the run settings' labels and fields stay readable in a small window


class PlanWorkbench(QWidget):
    """Editor | (advice above run settings), in splitters whose state the window may save
    (objectNames `planWorkbenchSplitter` and `planWorkbenchSideSplitter`)."""

    planChanged = Signal(object)  # the new valid Plan, run settings included
    validityChanged = Signal(bool, list)  # valid, problem sentences of both parts
    modifiedChanged = Signal(bool)  # the plan now differs (True) or no longer differs (False)

    def __init__(self, language: str, devices: list[dict[str, Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("planWorkbench")
        self.language = language
        self.editor = PlanEditor(language)
        self.run_settings = RunSettings(language, devices)
        self.advice = AdvicePanel(language)
        self._plan: Plan | None = None
        self._valid = True
        self._problems: list[str] = []
        self._setting = False
        self._baseline: Plan | None = None  # last opened, saved or launched
        self._modified = False
        # Each problem is said once, in the advice panel ("Cannot run"); the fields concerned
        # are marked where they are.
        self.editor.show_problem_list(False)
        self.run_settings.show_problem_list(False)

        settings_scroll = QScrollArea()
        settings_scroll.setObjectName("runSettingsScroll")
        settings_scroll.setWidgetResizable(True)
        settings_scroll.setFrameShape(QFrame.Shape.NoFrame)
        settings_scroll.setWidget(self.run_settings)
        self.side_splitter = QSplitter(Qt.Orientation.Vertical)
        self.side_splitter.setObjectName("planWorkbenchSideSplitter")
        self.side_splitter.addWidget(self.advice)
        self.side_splitter.addWidget(settings_scroll)
        self.side_splitter.setStretchFactor(0, 2)
        self.side_splitter.setStretchFactor(1, 3)
        self.side_splitter.setMinimumWidth(SIDE_MIN_WIDTH)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("planWorkbenchSplitter")
        self.splitter.addWidget(self.editor)
        self.splitter.addWidget(self.side_splitter)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([920, 480])
        self.side_splitter.setSizes([320, 580])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.editor.planChanged.connect(lambda _p: self._update())
        self.editor.validityChanged.connect(lambda _v, _p: self._update())
        self.run_settings.settingsChanged.connect(self._update)
        self.advice.parameterActivated.connect(self.editor.focus_parameter)
        self.editor.header.inspectDataRequested.connect(self.show_data_panel)
        self.editor.lrFindRequested.connect(self.show_lr_find)

    def show_data_panel(self) -> QWidget:
        """The data panel for the plan's data, in a window beside the plan (it follows the
        plan; the inspection is shared with the advice)."""
        from hpdesk.gui.workbench.data_panel import show_data_panel  # pyqtgraph: when asked

        return show_data_panel(self)

    def show_lr_find(self) -> None:
        """The learning-rate range test of the plan as edited (the last valid one), in a
        dialog whose "Apply to plan" sets the editor's lr range."""
        from hpdesk.gui.workbench.lr_find_dialog import LrFindDialog, database_of

        plan = self.plan() or self.editor.last_valid_plan()
        if plan is None:
            return
        dialog = LrFindDialog(plan, database_of(self), apply=self.editor.set_lr_range,
                              parent=self)
        self.lr_find_dialog = dialog
        dialog.show()
        dialog.start()

    def set_plan(self, plan: Plan, *, saved: bool = True) -> None:
        """Show `plan` in the editor, the run settings and the advice. Emits no planChanged;
        validityChanged(True, []) when the plan shown before had problems. `saved`: the plan
        is what was opened or saved (not modified); False keeps the previous baseline."""
        self._setting = True
        try:
            self.editor.set_plan(plan)
            self.run_settings.set_plan(plan)
        finally:
            self._setting = False
        self._plan = plan
        self.advice.set_problems([])
        self.advice.set_plan(plan)
        if saved:
            self._baseline = plan
        if not self._valid or self._problems:
            self._valid, self._problems = True, []
            self.validityChanged.emit(True, [])
        self._note_modified()

    def state(self) -> dict[str, Any]:
        """Everything being edited, invalid text included, with the baseline: plain data (and
        `Plan`s) for `restore_state` in a rebuilt window (another language or database)."""
        return {"editor": self.editor.state(), "run_settings": self.run_settings.state(),
                "plan": self._plan, "baseline": self._baseline}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Show `state()`: the same fields, the same problems in this window's language, the
        same modified flag (validityChanged and modifiedChanged say what differs)."""
        self._setting = True
        try:
            self.editor.restore_state(state["editor"])
            self.run_settings.restore_state(state["run_settings"])
        finally:
            self._setting = False
        self._plan, self._baseline = state["plan"], state["baseline"]
        if self._plan is not None:  # the advice of the last valid plan, as before the switch
            self.advice.set_plan(self._plan)
        self._update()

    def plan(self) -> Plan | None:
        """The plan as edited, or None while the editor or the run settings have problems."""
        return self._plan if self._valid else None

    def problems(self) -> list[str]:
        return list(self._problems)

    def is_modified(self) -> bool:
        """True while the plan differs from the one last opened, saved or launched; a plan
        with problems counts as modified (what was typed would be lost)."""
        return not self._valid or self._plan != self._baseline

    def baseline(self) -> Plan | None:
        """The plan last opened, saved or launched (to carry into a rebuilt window)."""
        return self._baseline

    def set_baseline(self, plan: Plan | None) -> None:
        self._baseline = plan
        self._note_modified()

    def mark_saved(self) -> None:
        """The plan shown was just saved or launched: it is no longer modified."""
        if self._valid:
            self.set_baseline(self._plan)

    def _note_modified(self) -> None:
        modified = self.is_modified()
        if modified != self._modified:
            self._modified = modified
            self.modifiedChanged.emit(modified)

    def _update(self) -> None:
        if self._setting:
            return
        edited = self.editor.plan()
        if edited is not None:  # checked against the edited plan (objectives, searched names)
            self.run_settings.follow(edited)
        combined = self.run_settings.apply(edited) if edited is not None else None
        problems = list(dict.fromkeys(self.editor.problems() + self.run_settings.problems()))
        valid = combined is not None and not problems
        self.advice.set_problems(problems)
        if combined is not None:
            self.advice.set_plan(combined)
        changed_validity = (valid, problems) != (self._valid, self._problems)
        self._valid, self._problems = valid, problems
        if valid and combined is not None and combined != self._plan:
            self._plan = combined
            self.planChanged.emit(combined)
        if changed_validity:
            self.validityChanged.emit(valid, list(problems))
        self._note_modified()


__all__ = ["PlanWorkbench"]
