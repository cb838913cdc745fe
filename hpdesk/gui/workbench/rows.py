"""One hyperparameter row of the plan editor: its name, family, mode and value editors.

A `ParamRow` owns the widgets of one row of the editor's grid (so the columns line up across
tiers) and writes every user edit straight into its `RowForm`; the editor then checks the whole
form. Fields the check rejects are marked with a red border and the problem as tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import INVALID_STYLE, NOTE_STYLE, combo_box, fill, html_escape
from hpdesk.knowledge import catalogue
from hpdesk.knowledge.catalogue import LEARNING_RATES
from hpdesk.knowledge.explain import explain
from hpdesk.knowledge.guide import topics_for_param
from hpdesk.plan.editing import RowForm, format_scalar

SEARCHED_STYLE = "color: #1f5fa8;"
_PAGE = {"fixed": 0, "range": 1, "choices": 2}


class PageStack(QStackedWidget):
    """A stacked widget as wide as the page it shows (Qt's is as wide as its widest page), so
    a fixed value fits beside its name where a range would not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()


class ParamRow(QObject):
    """The widgets of one hyperparameter; `edited(name, field)` after each change by the user."""

    edited = Signal(str, str)
    removeRequested = Signal(str)
    recommendRequested = Signal(str)

    def __init__(self, form: RowForm, language: str, *, strict: bool, parent: QWidget,
                 task: str | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self._strict = strict
        self._loading = True  # until load(): building the combos must not write to the form
        self._marks: dict[str, str] = {}
        self._shown: tuple[str, bool, bool] | None = None
        name = form.name
        hp = catalogue().get(name)
        tip = f"<p><b>{html_escape(name)}</b></p>"
        about = explain(name, task, language)
        if about is None:
            tip += "<p>" + html_escape(self.tr(
                "A parameter of your own script; hpdesk passes it on as it is.")) + "</p>"
        else:
            tip += f"<p>{html_escape(about.help)}</p>"
            if about.preset_why:
                tip += "<p>" + html_escape(fill(self.tr("This task's preset: %1"),
                                                about.preset_why))
                tip += "<br><i>" + html_escape(fill(self.tr("Source: %1"),
                                                     about.preset_sources)) + "</i></p>"
            tip += "<p><i>" + html_escape(fill(self.tr("Source: %1"), about.sources))
            tip += "<br>" + html_escape(fill(self.tr("Tier: %1"), about.tier)) + "</i></p>"
            topics = topics_for_param(name)
            if topics:
                tip += "<p>" + html_escape(fill(self.tr("More in Help → Tuning guide (F1): %1"),
                                                topics[0].title(language))) + "</p>"

        self.name_label = QLabel(name, parent)
        self.name_label.setObjectName(f"param.{name}")
        self.name_label.setToolTip(tip)
        self.name_label.setCursor(Qt.CursorShape.WhatsThisCursor)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The family goes in the tooltip, not a column: the rows fit a 1024-pixel window.
        self.family = self._family(hp.family if hp else "")
        self.name_label.setToolTip(tip + "<p>" + html_escape(
            fill(self.tr("Family: %1"), self.family)) + "</p>")

        self.mode = combo_box(f"param.{name}.mode", fill(self.tr("%1: fixed or searched"), name))
        labels = {"fixed": self.tr("Fixed"), "range": self.tr("Search a range"),
                  "choices": self.tr("Search a list")}
        for mode in form.modes():
            self.mode.addItem(labels[mode], mode)
        self.mode.setToolTip(self.tr(
            "Fixed: every trial uses one value. Search a range: trials draw values between low "
            "and high. Search a list: trials pick among the values you list."))
        self.mode.activated.connect(self._mode_picked)

        self.stack = PageStack(parent)
        self.stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.value_edit, self.value_combo = self._value_editor(name)
        page = QWidget()
        lay = QHBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.value_combo if self.value_combo is not None else self.value_edit)
        lay.addStretch(1)
        self.stack.addWidget(page)
        self.low = self._line(f"param.{name}.low", fill(self.tr("%1: low end"), name),
                              self.tr("low"), "low")
        self.high = self._line(f"param.{name}.high", fill(self.tr("%1: high end"), name),
                               self.tr("high"), "high")
        self.scale = combo_box(f"param.{name}.scale", fill(self.tr("%1: scale"), name),
                               self.tr("Log scale: values spread evenly over orders of magnitude "
                                       "(learning rates, weight decay). Linear: evenly spaced."))
        self.scale.addItem(self.tr("log"), True)
        self.scale.addItem(self.tr("linear"), False)
        self.scale.activated.connect(lambda _i: self._set("log", bool(self.scale.currentData())))
        self.scale.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scale.setMinimumContentsLength(3)
        self.step = self._line(f"param.{name}.step", fill(self.tr("%1: step"), name),
                               self.tr("step"), "step")
        self.step.setToolTip(self.tr("Optional: only multiples of this step above low are tried."))
        for w in (self.low, self.high):
            w.setMinimumWidth(44)
        self.step.setMinimumWidth(32)
        self.step.setMaximumWidth(64)
        page = QWidget()
        lay = QHBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.low, 2)
        lay.addWidget(QLabel(self.tr("to")))
        lay.addWidget(self.high, 2)
        lay.addWidget(self.scale)
        lay.addWidget(self.step, 1)
        self.stack.addWidget(page)
        self.choices = self._line(f"param.{name}.choices", fill(self.tr("%1: choices"), name),
                                  self.tr("values separated by commas"), "choices")
        if hp is not None and hp.choices is not None:
            self.choices.setToolTip(fill(self.tr("Comma-separated; possible values: %1"),
                                         ", ".join(map(format_scalar, hp.choices))))
        else:
            self.choices.setToolTip(self.tr("Comma-separated values, e.g. 16, 32, 64"))
        self.stack.addWidget(self.choices)

        self.note = QLabel(parent)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        self.note.setObjectName(f"param.{name}.note")
        self.recommend: QPushButton | None = None
        if name in LEARNING_RATES:
            self.recommend = named(QPushButton(self.tr("Use recommended"), parent),
                                   f"param.{name}.recommend",
                                   self.tr("Use the recommended learning-rate range"))
            self.recommend.clicked.connect(lambda: self.recommendRequested.emit(name))
        self.remove = named(QToolButton(parent), f"param.{name}.remove",
                            fill(self.tr("Remove %1 from the plan"), name),
                            fill(self.tr("Remove %1 from the plan (add it back from the list "
                                         "above)"), name))
        self.remove.setText("\u2715")
        self.remove.setAutoRaise(True)
        self.remove.setFixedWidth(self.remove.fontMetrics().horizontalAdvance("\u2715") + 12)
        self.remove.clicked.connect(lambda: self.removeRequested.emit(name))
        self._tips = {w: w.toolTip() for w in self.fields().values()}
        self.load()

    # ---- building --------------------------------------------------------------------------

    def _family(self, family: str) -> str:
        return {"network": self.tr("network"), "optimisation": self.tr("optimisation"),
                "regularisation": self.tr("regularisation")}.get(family, self.tr("your script"))

    def _line(self, object_name: str, accessible: str, placeholder: str, field: str) -> QLineEdit:
        edit = named(QLineEdit(), object_name, accessible)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(lambda text: self._set(field, text))
        return edit

    def _value_editor(self, name: str) -> tuple[QLineEdit, QComboBox | None]:
        accessible = fill(self.tr("%1: value"), name)
        edit = self._line(f"param.{name}.value", accessible, self.tr("value"), "value")
        hp = catalogue().get(name)
        if self.form.kind not in ("bool", "choice") or hp is None or hp.choices is None:
            edit.setMinimumWidth(100)
            return edit, None
        combo = combo_box(f"param.{name}.value", accessible)
        for choice in hp.choices:
            combo.addItem(format_scalar(choice))
        combo.setEditable(not self._strict and self.form.kind == "choice")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setMinimumWidth(90)
        combo.setMaximumWidth(240)
        combo.currentTextChanged.connect(self._combo_changed)
        return edit, combo

    def fields(self) -> dict[str, QWidget]:
        value: QWidget = self.value_combo if self.value_combo is not None else self.value_edit
        return {"value": value, "low": self.low, "high": self.high, "step": self.step,
                "scale": self.scale, "choices": self.choices, "mode": self.mode}

    # ---- form <-> widgets ------------------------------------------------------------------

    def load(self) -> None:
        """Show the form's texts (after the editor changed them, e.g. a recommended range)."""
        f = self.form
        self._loading = True
        try:
            self.mode.setCurrentIndex(max(0, self.mode.findData(f.mode)))
            self.stack.setCurrentIndex(_PAGE[f.mode])
            if self.value_combo is not None:
                if self.value_combo.findText(f.value) < 0:
                    self.value_combo.addItem(f.value)
                self.value_combo.setCurrentText(f.value)
            else:
                self.value_edit.setText(f.value)
            self.low.setText(f.low)
            self.high.setText(f.high)
            self.scale.setCurrentIndex(0 if f.log else 1)
            self.step.setText(f.step)
            self.choices.setText(f.choices)
        finally:
            self._loading = False

    def _set(self, field: str, value: Any) -> None:
        if self._loading:
            return
        setattr(self.form, field, value)
        self.edited.emit(self.form.name, field)

    def _combo_changed(self, text: str) -> None:
        self._set("value", text)

    def _mode_picked(self, _index: int) -> None:
        self.stack.setCurrentIndex(_PAGE[self.mode.currentData()])
        self._set("mode", self.mode.currentData())

    # ---- state shown -----------------------------------------------------------------------

    def set_note(self, text: str, *, inactive: bool) -> None:
        """The row's condition (or why it is off) in the notes column; searched rows stand out."""
        searched = self.form.mode != "fixed"
        if (text, inactive, searched) == self._shown:
            return
        self._shown = (text, inactive, searched)
        self.note.setText(text)
        self.note.setVisible(bool(text))
        font = self.name_label.font()
        font.setItalic(inactive)
        font.setBold(not inactive)
        self.name_label.setFont(font)
        self.name_label.setStyleSheet(NOTE_STYLE if inactive else SEARCHED_STYLE if searched
                                      else "")
        self.name_label.setAccessibleDescription(text)

    def clause_text(self, clauses: Sequence[tuple[str, Sequence[Any]]]) -> str:
        """'only when optimizer = sgd_momentum' for a condition."""
        parts = [fill(self.tr("%1 = %2"), ctl, ", ".join(map(format_scalar, allowed)))
                 for ctl, allowed in clauses]
        return fill(self.tr("only when %1"), self.tr(" and ").join(parts)) if parts else ""

    def mark(self, problems: dict[str, str]) -> None:
        """Red border and the problem as tooltip on each named field; clears the others."""
        if problems == self._marks:
            return  # restyling every field at each keystroke is what makes typing slow
        self._marks = dict(problems)
        widgets = self.fields()
        row_problem = problems.get("")
        for field, widget in widgets.items():
            text = problems.get(field)
            if field == "mode" and text is None:
                text = row_problem
            widget.setStyleSheet(INVALID_STYLE if text else "")
            widget.setToolTip(text or self._tips.get(widget, ""))
            widget.setAccessibleDescription(text or "")

    def focus(self) -> None:
        widget = {"fixed": self.fields()["value"], "range": self.low,
                  "choices": self.choices}[self.form.mode]
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

