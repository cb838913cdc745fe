"""Choosing a search strategy or a pruner, with its options, in the run settings' form.

`MethodChooser` puts three kinds of rows into a `QFormLayout`: a combo box of the methods
(labelled from the knowledge data in the window's language), the chosen method's one-line help
under it, and one row per option of every method, generated from the option specs of
`hpdesk.plan.search_options` (only the chosen method's rows are visible):

- int: a spin box (an optional one starts at "automatic"), float: a line edit taking `1e-3`
  (empty: the method's default, or its own choice for an optional option), bool: a check box,
  choice: a combo box, names and factors: comma-separated lists, stages: `lr, optimizer |
  batch_size (0.3, random) | dropout` (names of each stage, then its share of the trials and its
  strategy in brackets if the stage has them).

`options()` is what goes into the plan: options the loaded plan had (kept, even when they equal
the default) and options the person moved off their default; so a plan file read and written
again keeps exactly its options. Values that do not parse are passed on as typed, for
`parse_plan` to report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSize, Qt, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import NOTE_STYLE, guard_wheel, wheel_safe
from hpdesk.knowledge.search_methods import SearchMethod, option_help, strategies
from hpdesk.plan.search_options import Option

INT_MAX = 2_147_483_647
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?%?$")


class ElidedComboBox(QComboBox):
    """A combo box of long labels that fits a narrow column: it may shrink to about ten
    characters, and a label that does not fit ends in "…" instead of being cut (the whole label
    shows in its pop-up)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(10)

    def is_elided(self) -> bool:
        """True while the current label does not fit and is shown shortened."""
        return self._shown_text() != self.currentText()

    def _shown_text(self) -> str:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        room = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                           QStyle.SubControl.SC_ComboBoxEditField, self)
        return self.fontMetrics().elidedText(self.currentText(), Qt.TextElideMode.ElideRight,
                                             room.width() - 2)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self._shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


class ElidedCheckBox(QCheckBox):
    """A check box whose long text (a GPU's name) ends in "…" in a narrow column instead of
    widening it; the whole text is its tooltip and its `text()`."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        full = super().sizeHint()
        metrics = self.fontMetrics()
        short = metrics.horizontalAdvance(self.text()[:6] + "…")
        return QSize(min(full.width(), full.width() - metrics.horizontalAdvance(self.text())
                         + short), full.height())

    def is_elided(self) -> bool:
        return self._shown_text() != self.text()

    def _shown_text(self) -> str:
        option = QStyleOptionButton()
        self.initStyleOption(option)
        room = self.style().subElementRect(QStyle.SubElement.SE_CheckBoxContents, option, self)
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             room.width() - 2)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QStylePainter(self)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        option.text = self._shown_text()
        painter.drawControl(QStyle.ControlElement.CE_CheckBox, option)


def elided_combo(object_name: str, accessible_name: str,
                 tooltip: str | None = None) -> ElidedComboBox:
    """`combo_box` (named, wheel-guarded) that shortens a label it has no room for."""
    return wheel_safe(ElidedComboBox(), object_name, accessible_name, tooltip)


def format_number(value: Any) -> str:
    """1e-05 -> "1e-05", 0.25 -> "0.25", 3 -> "3": the text that reads back to the same value."""
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e16 else f"{value:.1f}"
    return str(value)


def _number(text: str) -> Any:
    """A typed number (50% is 0.5), or the text itself for `parse_plan` to report."""
    text = text.strip()
    if not _NUMBER.match(text):
        return text
    value = float(text.rstrip("%"))
    return value / 100 if text.endswith("%") else value


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，;]", text) if part.strip()]


def format_stages(stages: Sequence[Mapping[str, Any]] | None) -> str:
    """`[{params: [lr, optimizer]}, {params: [batch_size], share: 0.3, strategy: random}]` ->
    `lr, optimizer | batch_size (0.3, random)`."""
    parts = []
    for stage in stages or ():
        text = ", ".join(str(p) for p in stage.get("params") or ())
        extras = [format_number(stage["share"])] if "share" in stage else []
        extras += [str(stage["strategy"])] if "strategy" in stage else []
        parts.append(f"{text} ({', '.join(extras)})" if extras else text)
    return " | ".join(parts)


def parse_stages(text: str) -> list[dict[str, Any]] | None:
    """The reverse of `format_stages`; None for an empty text (stages by the guide's tiers)."""
    if not text.strip():
        return None
    out: list[dict[str, Any]] = []
    for part in text.split("|"):
        match = re.fullmatch(r"\s*([^()]*?)\s*(?:\(([^()]*)\))?\s*", part)
        if match is None:
            out.append({"params": part.strip()})  # parse_plan says what is wrong
            continue
        entry: dict[str, Any] = {"params": split_list(match.group(1))}
        for extra in split_list(match.group(2) or ""):
            value = _number(extra)
            if isinstance(value, float):
                entry["share"] = value
            else:
                entry["strategy"] = extra
        out.append(entry)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


class OptionField:
    """One option's widget: `load(value)` shows a value, `read()` gives it in the plan's form
    (None: leave it out, the method's default or own choice)."""

    def __init__(self, section: str, method: SearchMethod, key: str, spec: Option,
                 language: str, changed: Callable[[], None]) -> None:
        self.key, self.spec = key, spec
        help_text = option_help(key, language, method=method.name)
        default = self._default_text()
        if default:
            note = QCoreApplication.translate("MethodOptions", "Default: %1").replace(
                "%1", default)
        else:
            note = QCoreApplication.translate("MethodOptions", "Empty by default")
        tip = help_text + ("\n" if help_text else "") + note
        object_name = f"{section}Option.{method.name}.{key}"
        accessible = f"{method.label(language)}: {key}"
        self.widget: QWidget
        if spec.kind == "int":
            spin = named(QSpinBox(), object_name, accessible, tip)
            low = int(spec.low) if spec.low is not None else -INT_MAX
            high = min(int(spec.high), INT_MAX) if spec.high is not None else INT_MAX
            spin.setRange(low - 1 if spec.optional else low, high)
            if spec.optional:
                spin.setSpecialValueText(
                    QCoreApplication.translate("MethodOptions", "automatic"))
            spin.valueChanged.connect(lambda _v: changed())
            guard_wheel(spin)
            self.widget = spin
        elif spec.kind == "bool":
            check = named(QCheckBox(), object_name, accessible, tip)
            check.toggled.connect(lambda _c: changed())
            self.widget = check
        elif spec.kind == "choice":
            box = elided_combo(object_name, accessible, tip)
            labels = {
                "fix": QCoreApplication.translate("MethodOptions", "fix at the best value"),
                "narrow": QCoreApplication.translate(
                    "MethodOptions", "narrow the range around the best value")}
            for choice in spec.choices:
                known = strategies().get(choice)
                box.addItem(known.label(language) if known is not None else
                            labels.get(choice, choice), choice)
            box.currentIndexChanged.connect(lambda _i: changed())
            self.widget = box
        else:
            edit = named(QLineEdit(), object_name, accessible, tip)
            edit.setPlaceholderText(self._placeholder())
            edit.textChanged.connect(lambda _t: changed())
            self.widget = edit
        self.label = QLabel(key)
        self.label.setToolTip(tip)
        self.label.setBuddy(self.widget)

    def _default_text(self) -> str:
        d = self.spec.default
        if d is None:
            return ""
        if isinstance(d, bool):
            return "true" if d else "false"
        if isinstance(d, (list, tuple)):
            return ", ".join(format_number(v) for v in d)
        return format_number(d)

    def _placeholder(self) -> str:
        kind = self.spec.kind
        if kind == "names":
            return QCoreApplication.translate(
                "MethodOptions", "every one that can change (e.g. lr, momentum)")
        if kind == "stages":
            return QCoreApplication.translate(
                "MethodOptions", "by the guide's tiers (e.g. lr, optimizer | batch_size | dropout)")
        if self.spec.optional:
            return QCoreApplication.translate("MethodOptions", "automatic")
        return self._default_text()

    def load(self, value: Any) -> None:
        w, kind = self.widget, self.spec.kind
        if isinstance(w, QSpinBox):
            w.setValue(w.minimum() if value is None else int(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(max(0, w.findData(value)))
        elif isinstance(w, QLineEdit):
            if value is None:
                text = ""
            elif kind == "stages":
                text = format_stages(value)
            elif isinstance(value, (list, tuple)):
                text = ", ".join(format_number(v) for v in value)
            else:
                text = format_number(value)
            w.setText(text)

    def read(self) -> Any:
        w, kind = self.widget, self.spec.kind
        if isinstance(w, QSpinBox):
            return None if self.spec.optional and w.value() == w.minimum() else w.value()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        text = w.text().strip() if isinstance(w, QLineEdit) else ""
        if not text:
            return None
        if kind == "stages":
            return parse_stages(text)
        if kind == "names":
            return split_list(text)
        if kind == "factors":
            return [_number(part) for part in split_list(text)]
        return _number(text)


class MethodChooser(QObject):
    """A strategy or pruner combo, its help, and every method's option rows in `form`.

    `changed()` after each edit by the person."""

    changed = Signal()

    def __init__(self, section: str, methods: Mapping[str, SearchMethod],
                 specs: Mapping[str, Mapping[str, Option]], names: Sequence[str], language: str,
                 form: QFormLayout, title: str, accessible: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.section, self._language = section, language
        self._loading = False
        self._loaded: dict[str, set[str]] = {}
        self.methods = {n: methods.get(n) or SearchMethod(n, n, n, "", "", "") for n in names}
        self.combo = elided_combo(f"{section}Name", accessible)
        for i, (name, method) in enumerate(self.methods.items()):
            self.combo.addItem(method.label(language), name)
            self.combo.setItemData(i, method.help(language), Qt.ItemDataRole.ToolTipRole)
        self.help = QLabel()
        self.help.setObjectName(f"{section}Help")
        self.help.setWordWrap(True)
        self.help.setStyleSheet(NOTE_STYLE)
        form.addRow(title, self.combo)
        form.addRow(self.help)  # across both columns: the help has room to wrap
        self.fields: dict[str, dict[str, OptionField]] = {}
        for name, method in self.methods.items():
            page = self.fields.setdefault(name, {})
            for key, spec in specs.get(name, {}).items():
                page[key] = OptionField(section, method, key, spec, language, self._edited)
                form.addRow(page[key].label, page[key].widget)
        self._form = form
        self.combo.currentIndexChanged.connect(self._chosen)
        self._show()

    # ---- public ----------------------------------------------------------------------------

    def name(self) -> str:
        return str(self.combo.currentData())

    def set_method(self, name: str, options: Mapping[str, Any]) -> None:
        """Show `name` with `options` (every other method back to its defaults); no signal."""
        self._loading = True
        try:
            self.combo.setCurrentIndex(max(0, self.combo.findData(name)))
            self._loaded = {name: set(options)}
            for method, page in self.fields.items():
                for key, field in page.items():
                    given = options if method == name else {}
                    field.load(given.get(key, field.spec.default))
        finally:
            self._loading = False
        self._show()

    def options(self) -> dict[str, Any]:
        """The chosen method's options as the plan gets them (see the module doc)."""
        name, out = self.name(), {}
        kept = self._loaded.get(name, set())
        for key, field in self.fields.get(name, {}).items():
            value = field.read()
            if value is None:
                continue
            if key in kept or not _same(value, field.spec.default):
                out[key] = value
        return out

    def field(self, key: str) -> QWidget | None:
        """The chosen method's widget for an option (to mark a problem on)."""
        found = self.fields.get(self.name(), {}).get(key)
        return None if found is None else found.widget

    def widgets(self) -> list[QWidget]:
        return [self.combo, *(f.widget for page in self.fields.values() for f in page.values())]

    # ---- internals -------------------------------------------------------------------------

    def _show(self) -> None:
        chosen = self.name()
        method = self.methods.get(chosen)
        text = method.help(self._language) if method is not None else ""
        self.help.setText(text)
        self.help.setVisible(bool(text))
        self.combo.setToolTip(text)
        for name, page in self.fields.items():
            for field in page.values():
                self._form.setRowVisible(field.widget, name == chosen)

    def _chosen(self, _index: int) -> None:
        self._show()
        self._edited()

    def _edited(self) -> None:
        if not self._loading:
            self.changed.emit()


__all__ = ["ElidedCheckBox", "ElidedComboBox", "MethodChooser", "OptionField", "elided_combo",
           "format_number", "format_stages", "guard_wheel",
           "parse_stages"]
