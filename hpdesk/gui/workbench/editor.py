"""The plan editor: a plan's hyperparameters as a form grouped by tuning tier, checked as typed.

Every edit rebuilds the plan's exported form and parses it with `hpdesk.plan.parse_plan` (through
`hpdesk.plan.editing`), so the editor accepts exactly what `hpdesk run` accepts. While the form
is invalid `plan()` is None, the offending fields are marked and `validityChanged` lists the
problems; `planChanged` carries each new valid plan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import combo_box, fill
from hpdesk.gui.workbench.grid import LINES_PER_ROW, fit_rows, tier_text
from hpdesk.gui.workbench.header import PlanHeader
from hpdesk.gui.workbench.rows import ParamRow
from hpdesk.knowledge import catalogue, optimizers, tasks
from hpdesk.knowledge.catalogue import LEARNING_RATES
from hpdesk.plan import Plan, PlanError, Problem
from hpdesk.plan.editing import (
    RowForm,
    build_plan,
    follows_optimizer,
    form_state,
    format_scalar,
    forms_from_plan,
    is_builtin,
    locate,
    log_middle,
    possible_values,
    recommended_lr,
    suggested_form,
)

_TIERS = (1, 2, 3, 0)


def _tier(name: str) -> int:
    hp = catalogue().get(name)
    return hp.tier if hp is not None else 0


class PlanEditor(QWidget):
    """Edits a plan's hyperparameters, name, objective and fine-tuning switch.

    `set_plan` shows a plan (no planChanged; validityChanged only if validity changes); the
    plan's other sections (strategy, budget,
    executor...) pass through unchanged."""

    planChanged = Signal(object)  # the new valid Plan
    validityChanged = Signal(bool, list)  # valid, problem sentences
    lrFindRequested = Signal()  # "Find learning rate…": the range test (lr_find_dialog.py)

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("planEditor")
        self._language = language
        self._lang = language
        self._base: Plan | None = None
        self._forms: list[RowForm] = []
        self._rows: dict[str, ParamRow] = {}
        self._plan: Plan | None = None
        self._last_valid: Plan | None = None
        self._problems: list[str] = []
        self._valid = True
        self._lr_touched: set[str] = set()  # learning rates the person set themselves
        self._list_problems = True

        self.add_combo = combo_box("addParameter", self.tr("Hyperparameter to add"))
        self.add_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.add_combo.setMinimumContentsLength(14)
        self.add_button = named(QPushButton(self.tr("Add")), "addParameterButton",
                                self.tr("Add the hyperparameter to the plan"))
        self.add_button.clicked.connect(self._add_clicked)
        add = QWidget()
        add.setObjectName("addParameterLine")
        add_layout = QHBoxLayout(add)
        add_layout.setContentsMargins(0, 0, 0, 0)
        add_layout.addWidget(QLabel(self.tr("Add a hyperparameter")))
        add_layout.addWidget(self.add_combo)
        add_layout.addWidget(self.add_button)
        add_layout.addStretch(1)
        self.lr_find_button = named(
            QPushButton(self.tr("Find learning rate…")), "lrFindButton",
            self.tr("Find learning rate"),
            self.tr("Sweep the learning rate over a few mini-batches (Smith 2017's range test) "
                    "and compare the suggested range with the guide's"))
        self.lr_find_button.clicked.connect(self.lrFindRequested)
        add_layout.addWidget(self.lr_find_button)
        self.header = PlanHeader(language=self._language)
        self.header.edited.connect(self._changed)
        self.header.fineTuneToggled.connect(lambda _c: self._sync_lr())
        self.name_edit, self.metric_edit = self.header.name_edit, self.header.metric_edit
        self.fine_tune = self.header.fine_tune

        self.rows_area = QScrollArea()
        self.rows_area.setObjectName("planEditorScroll")
        self.rows_area.setWidgetResizable(True)
        self.rows_area.setFrameShape(QFrame.Shape.NoFrame)
        self.rows_area.viewport().installEventFilter(self)
        self._placed: list[tuple[ParamRow, int]] = []
        self._inline: dict[str, bool] = {}
        self.problem_label = QLabel()
        self.problem_label.setObjectName("planProblems")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #d62728;")
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.rows_area, 1)
        layout.addWidget(add)
        layout.addWidget(self.problem_label)

    # ---- public ----------------------------------------------------------------------------

    def set_plan(self, plan: Plan) -> None:
        """Show `plan`; `plan()` returns it unchanged until the person edits something."""
        self._base = plan
        self._forms = forms_from_plan(plan)
        self._plan = self._last_valid = plan
        self._lr_touched = set()
        self.header.set_plan(plan)
        self._rebuild()
        self._check(emit=False)
        if self._valid:  # the plan as given, not as re-read from the form (it is equal)
            self._plan = self._last_valid = plan

    def state(self) -> dict[str, Any]:
        """The form as typed, invalid text included (the rows' `RowForm`s, copied, and the
        header's fields), for `restore_state` in a rebuilt window (another language)."""
        return {"base": self._base, "forms": [replace(f) for f in self._forms],
                "header": self.header.state(), "lr_touched": set(self._lr_touched),
                "plan": self._plan, "last_valid": self._last_valid}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Show `state()`'s form: the same fields and the same problems (in this editor's
        language); validityChanged when the validity differs from what was shown."""
        base = state["base"]
        if base is None:
            return
        self._base = base
        self._forms = [replace(f) for f in state["forms"]]
        self._plan, self._last_valid = state["plan"], state["last_valid"]
        self._lr_touched = set(state["lr_touched"])
        self.header.set_plan(base)
        self.header.restore_state(state["header"])
        self._rebuild()
        self._check(emit=False)

    def plan(self) -> Plan | None:
        """The plan as edited, or None while the form has problems."""
        return self._plan if self._valid else None

    def last_valid_plan(self) -> Plan | None:
        return self._last_valid

    def is_valid(self) -> bool:
        return self._valid

    def problems(self) -> list[str]:
        return list(self._problems)

    def show_problem_list(self, shown: bool) -> None:
        """Whether the problems are listed under the rows (the workbench lists them once, in
        its advice panel; the fields are marked either way)."""
        self._list_problems = shown
        self.problem_label.setVisible(shown and bool(self._problems))

    def set_lr_range(self, low: float, high: float) -> bool:
        """Make the lr row a range from `low` to `high` (the range test's "Apply to plan"), as
        if the person had typed it; False when the plan has no lr row."""
        row = self._rows.get("lr")
        if row is None or row.form.removed:
            return False
        row.form.mode = "range"
        row.form.low, row.form.high = format_scalar(low), format_scalar(high)
        row.load()
        self._row_edited("lr", "mode")
        return True

    def focus_parameter(self, name: str) -> bool:
        """Scroll to a hyperparameter's row and put the cursor in it (from the advice panel)."""
        row = self._rows.get(name)
        if row is None or row.form.removed:
            return False
        self.rows_area.ensureWidgetVisible(row.name_label)
        row.focus()
        return True

    # ---- building the grid -----------------------------------------------------------------

    def _strict(self) -> bool:
        return self._base is not None and is_builtin(self._base.task)

    def _rebuild(self) -> None:
        self._rows = {}
        self._placed = []
        self._inline = {}
        body = QWidget()
        body.setObjectName("planEditorRows")
        grid = self._grid = QGridLayout(body)
        grid.setHorizontalSpacing(6)
        grid.setContentsMargins(0, 0, 4, 0)  # the rows fit the editor's half of 1024 pixels
        heads = (self.tr("Hyperparameter"), self.tr("How"),
                 self.tr("Value, or range from low to high"))
        for col, text in enumerate(heads):
            label = QLabel(f"<b>{text}</b>")
            label.setWordWrap(True)  # a long head never widens the rows
            label.setToolTip(self.tr("Hover over a hyperparameter's name for what it does and "
                                     "where its recommended range comes from."))
            grid.addWidget(label, 0, col)
        line = 1
        for tier in _TIERS:
            forms = [f for f in self._forms if not f.removed and _tier(f.name) == tier]
            if not forms:
                continue
            title, about = tier_text(tier)
            head = QLabel(f"<b>{title}</b> &nbsp; <span style='font-weight:normal'>{about}</span>")
            head.setObjectName(f"tierHeading{tier}")
            head.setWordWrap(True)
            head.setContentsMargins(0, 10 if line > 1 else 4, 0, 2)
            grid.addWidget(head, line, 0, 1, 4)
            line += 1
            for form in forms:
                row = ParamRow(form, self._language, strict=self._strict(), parent=body,
                               task=self._task() or None)
                row.edited.connect(self._row_edited)
                row.removeRequested.connect(self._remove)
                row.recommendRequested.connect(self._recommend)
                grid.addWidget(row.name_label, line, 0)
                grid.addWidget(row.mode, line, 1)
                grid.addWidget(row.remove, line, 3)
                self._placed.append((row, line))
                self._rows[form.name] = row
                line += LINES_PER_ROW  # value below, note, quick fix: see plan_grid
        grid.setColumnStretch(2, 1)
        grid.setVerticalSpacing(4)
        grid.setRowStretch(line, 1)
        self.rows_area.setWidget(body)
        self._fit_rows(force=True)
        self._fill_add_list()

    def _fit_rows(self, *, force: bool = False) -> None:
        fit_rows(self._grid, self._placed, self.rows_area.viewport().width(), self._inline,
                 force=force)

    def value_inline(self, name: str) -> bool:
        """Whether `name`'s value sits on its row's line (False: on a line below the name)."""
        return self._inline.get(name, True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.rows_area.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_rows()
        return False

    def _fill_add_list(self) -> None:
        names = [f.name for f in self._forms if f.removed]
        if self._base is not None and not self._strict():
            present = {f.name for f in self._forms}
            names += [n for n in catalogue() if n not in present]
        names.sort(key=lambda n: (_tier(n) or 9, n))
        self.add_combo.clear()
        self.add_combo.addItems(names)
        self.add_combo.setEditable(not self._strict())
        self.add_combo.setPlaceholderText(self.tr("choose…") if names else
                                          self.tr("all are in the plan"))
        self.add_combo.setCurrentIndex(-1)
        line = self.add_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText(self.tr("choose or type a name"))
        enabled = bool(names) or not self._strict()
        self.add_combo.setEnabled(enabled)
        self.add_button.setEnabled(enabled)

    # ---- edits ------------------------------------------------------------------------------

    def _row_edited(self, name: str, field: str) -> None:
        if name in LEARNING_RATES:
            self._lr_touched.add(name)
        if field == "mode":  # another page of values: maybe wider or narrower
            self._fit_rows()
        if name == "optimizer":
            self._sync_lr()
            self._sync_name()
        self._changed()

    def _sync_name(self) -> None:
        """A preset's name says its optimiser ("classification-adam"): keep it saying so."""
        values = self._optimizer_values()
        if self._base is None or len(values) != 1:
            return
        task, name = self._base.task, self.name_edit.text()
        if name.startswith(f"{task}-") and name[len(task) + 1:] in optimizers():
            self.name_edit.setText(f"{task}-{values[0]}")

    def _optimizer_values(self) -> list[Any]:
        form = next((f for f in self._forms if f.name == "optimizer" and not f.removed), None)
        if form is None and self._base is not None and self._base.task in tasks():
            from hpdesk.knowledge import preset

            return [preset(self._base.task).default_optimizer]
        return (possible_values(form, strict=False) or []) if form is not None else []

    def _recommended(self) -> tuple[float, float] | None:
        return recommended_lr(self._optimizer_values(), self.fine_tune.isChecked())

    def _sync_lr(self) -> None:
        """Follow the optimiser (§5) with every initial learning rate's range (the GAN's lr_g
        and lr_d too), except those the person set themselves."""
        self._apply_recommended([n for n in LEARNING_RATES if n not in self._lr_touched])

    def _apply_recommended(self, names: list[str]) -> None:
        rec = self._recommended()
        for name in names:
            row = self._rows.get(name)
            if rec is None or row is None or not follows_optimizer(self._task(), name):
                continue
            row.form.low, row.form.high = format_scalar(rec[0]), format_scalar(rec[1])
            row.form.value = format_scalar(log_middle(*rec))
            row.load()

    def _task(self) -> str:
        """The task of the plan shown ("" before one is)."""
        return self._base.task if self._base is not None else ""

    def _recommend(self, name: str) -> None:
        self._apply_recommended([name])
        self._lr_touched.discard(name)
        self._changed()

    def _remove(self, name: str) -> None:
        for form in self._forms:
            if form.name == name:
                form.removed = True
        self._rebuild()
        self._changed()

    def _add_clicked(self) -> None:
        name = self.add_combo.currentText().strip()
        if not name or self._base is None:
            return
        existing = next((f for f in self._forms if f.name == name), None)
        if existing is not None:
            existing.removed = False
        else:
            self._forms.append(suggested_form(
                name, task=self._base.task, fine_tune=self.fine_tune.isChecked(),
                optimizer_values=self._optimizer_values()))
        self._rebuild()
        self._changed()
        self.focus_parameter(name)

    def _changed(self) -> None:
        self._check(emit=True)

    # ---- checking ---------------------------------------------------------------------------

    def _check(self, *, emit: bool) -> None:
        if self._base is None:
            return
        try:
            # The search sections are the run settings' to check, against this plan: checked
            # here too, a pruner the person has since removed there would block the editor.
            plan: Plan | None = build_plan(
                self._base, self._forms, **self.header.values(),
                strategy={"name": "random"}, pruner={"name": "none"}).with_changes(
                strategy=self._base.strategy, pruner=self._base.pruner)
            problems: list[Problem] = []
        except PlanError as exc:
            plan, problems = None, exc.problems
        self._show_state()
        names = [f.name for f in self._forms]
        marks: dict[str | None, dict[str, str]] = {}
        sentences = []
        for p in problems:
            param, where = locate(p, names)
            text = self._sentence(param, where, p)
            if text not in sentences:  # each problem once, however many paths it has
                sentences.append(text)
            marks.setdefault(param, {}).setdefault(where, text)
        for name, row in self._rows.items():
            row.mark(marks.get(name, {}))
        self.header.mark(marks.get(None, {}))
        self.problem_label.setText("\n".join(sentences))
        self.problem_label.setVisible(self._list_problems and bool(sentences))
        valid = plan is not None
        changed = (valid, sentences) != (self._valid, self._problems)
        self._valid, self._problems = valid, sentences
        if plan is not None:
            self._plan = plan
            if emit and plan != self._last_valid:
                self._last_valid = plan
                self.planChanged.emit(plan)
            self._last_valid = plan
        if changed:  # a state: reported after set_plan too
            self.validityChanged.emit(valid, list(sentences))

    def _sentence(self, param: str | None, where: str, p: Problem) -> str:
        fields = {"low": self.tr("low end"), "high": self.tr("high end"), "step": self.tr("step"),
                  "value": self.tr("value"), "choices": self.tr("choices"),
                  "when": self.tr("condition")}
        if param is None:
            subject = self.header.field_label(where) or where or self.tr("plan")
        elif where in fields:
            subject = fill(self.tr("%1, %2"), param, fields[where])
        else:
            subject = param
        return fill(self.tr("%1: expected %2, found %3."), subject, p.expected, p.found)

    def _show_state(self) -> None:
        """Conditions and inactive rows in the notes column; the lr recommendation button."""
        assert self._base is not None
        state = form_state(self._base.task, self._forms)
        for name, row in self._rows.items():
            if name in state.inactive:
                row.set_note(fill(self.tr("Off: %1"), row.clause_text([state.inactive[name]])),
                             inactive=True)
            else:
                row.set_note(row.clause_text(state.when.get(name, ())), inactive=False)
        self._show_recommendation()

    def _show_recommendation(self) -> None:
        for name in LEARNING_RATES:
            row = self._rows.get(name)
            if row is not None and row.recommend is not None:
                self._show_recommendation_of(row)

    def _show_recommendation_of(self, row: ParamRow) -> None:
        button = row.recommend
        assert button is not None
        if not follows_optimizer(self._task(), row.form.name):
            button.setVisible(False)
            return
        rec = self._recommended()
        form = row.form
        differs = False
        if rec is not None and form.mode == "range":
            differs = (form.low, form.high) != (format_scalar(rec[0]), format_scalar(rec[1]))
        elif rec is not None and form.mode == "fixed":
            try:
                differs = not rec[0] <= float(form.value) <= rec[1]
            except ValueError:
                differs = True
        button.setVisible(differs and form.mode != "choices")
        if rec is not None:
            button.setText(fill(self.tr("Use %1 to %2"), format_scalar(rec[0]),
                                       format_scalar(rec[1])))
            opts = [optimizers()[o].label(self._lang) for o in self._optimizer_values()
                    if isinstance(o, str) and o in optimizers()]
            button.setToolTip(fill(
                self.tr("Recommended initial learning rate for %1 (the guide's “Suitable ranges of "
                        "some hyperparameters”): %2 to %3"),
                ", ".join(opts), format_scalar(rec[0]), format_scalar(rec[1])))


__all__ = ["PlanEditor"]
