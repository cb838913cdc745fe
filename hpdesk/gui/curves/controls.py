"""The controls around the curves: the bar above them (metric, x axis, log y, smoothing,
"Follow latest") and the list of trials beside them. Plain controls that say what the person
chose through signals; the curves view acts on them."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QWidget,
)

from hpdesk.gui.base.common import named, state_color, state_label
from hpdesk.gui.curves.items import X_EPOCH, X_STEP, X_WALL, trial_color
from hpdesk.store import Trial

SMOOTH_DEBOUNCE_MS = 120  # the slider moves through many values: smooth once it rests
TRIAL_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class CurveControls(QWidget):
    """Signals: `metricChosen(str)`, `xModeChanged(str)` (step, epoch or wall),
    `logYChanged(bool)`, `smoothingChanged(float)` (0 to 0.99, debounced),
    `followChanged(bool)`."""

    metricChosen = Signal(str)
    xModeChanged = Signal(str)
    logYChanged = Signal(bool)
    smoothingChanged = Signal(float)
    followChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric_combo = named(QComboBox(), "curvesMetric", self.tr("Metric"),
                                  self.tr("The metric drawn for every trial"))
        self.metric_combo.currentTextChanged.connect(self._on_metric_text)
        self.x_combo = named(QComboBox(), "curvesXAxis", self.tr("X axis"))
        for text, key in ((self.tr("Step"), X_STEP), (self.tr("Epoch"), X_EPOCH),
                          (self.tr("Wall time (s)"), X_WALL)):
            self.x_combo.addItem(text, key)
        self.x_combo.currentIndexChanged.connect(lambda _: self.xModeChanged.emit(self.x_mode()))
        self.log_check = named(QCheckBox(self.tr("Log y")), "curvesLogY",
                               self.tr("Logarithmic y axis"))
        self.log_check.toggled.connect(self.logYChanged)
        self.smooth_slider = named(QSlider(Qt.Orientation.Horizontal), "curvesSmoothingSlider",
                                   self.tr("Smoothing"),
                                   self.tr("Exponential moving average, as TensorBoard "
                                           "draws it, with the raw points faint behind; each "
                                           "metric keeps its own weight"))
        self.smooth_slider.setRange(0, 99)
        self.smooth_spin = named(QDoubleSpinBox(), "curvesSmoothing", self.tr("Smoothing weight"))
        self.smooth_spin.setRange(0.0, 0.99)
        self.smooth_spin.setSingleStep(0.05)
        self.smooth_spin.setDecimals(2)
        self.smooth_slider.valueChanged.connect(lambda v: self.smooth_spin.setValue(v / 100))
        self.smooth_spin.valueChanged.connect(self._on_spin)
        self.follow_check = named(QCheckBox(self.tr("Follow latest")), "curvesFollow",
                                  self.tr("Keep every curve in view as points arrive"))
        self.follow_check.setChecked(True)
        self.follow_check.toggled.connect(self.followChanged)
        self._smooth_timer = QTimer(self, singleShot=True, interval=SMOOTH_DEBOUNCE_MS)
        self._smooth_timer.timeout.connect(lambda: self.smoothingChanged.emit(self.smoothing()))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for caption, widget in ((self.tr("Metric"), self.metric_combo),
                                (self.tr("X axis"), self.x_combo)):
            label = QLabel(caption)
            label.setBuddy(widget)
            layout.addWidget(label)
            layout.addWidget(widget)
        layout.addWidget(self.log_check)
        smooth_label = QLabel(self.tr("Smoothing"))
        smooth_label.setBuddy(self.smooth_spin)
        layout.addWidget(smooth_label)
        layout.addWidget(self.smooth_slider, 1)
        layout.addWidget(self.smooth_spin)
        layout.addWidget(self.follow_check)

    # state -------------------------------------------------------------------------------------
    def x_mode(self) -> str:
        return str(self.x_combo.currentData() or X_STEP)

    def x_label(self) -> str:
        return self.x_combo.currentText()

    def log_y(self) -> bool:
        return self.log_check.isChecked()

    def smoothing(self) -> float:
        return min(max(float(self.smooth_spin.value()), 0.0), 0.99)

    def set_smoothing(self, weight: float) -> None:
        """Show `weight` without emitting `smoothingChanged` (a pending change is dropped)."""
        self._smooth_timer.stop()
        with QSignalBlocker(self.smooth_spin), QSignalBlocker(self.smooth_slider):
            self.smooth_spin.setValue(weight)
            self.smooth_slider.setValue(round(weight * 100))

    def following(self) -> bool:
        return self.follow_check.isChecked()

    def set_following(self, on: bool, *, quietly: bool = False) -> None:
        with QSignalBlocker(self.follow_check) if quietly else contextlib.nullcontext():
            self.follow_check.setChecked(on)

    def set_metrics(self, names: Sequence[str]) -> None:
        """Fill the chooser, keeping the current choice, without emitting `metricChosen`."""
        current = self.metric_combo.currentText()
        with QSignalBlocker(self.metric_combo):
            self.metric_combo.clear()
            self.metric_combo.addItems(list(names))
            if current:
                self.metric_combo.setCurrentText(current)

    def metrics(self) -> list[str]:
        return [self.metric_combo.itemText(i) for i in range(self.metric_combo.count())]

    def choose_metric(self, name: str) -> None:
        """Select `name` and emit `metricChosen` even when it was already the shown text."""
        with QSignalBlocker(self.metric_combo):
            self.metric_combo.setCurrentText(name)
        self.metricChosen.emit(name)

    def state(self) -> dict[str, Any]:
        """The choices that belong to no experiment (x axis, log y, following), as plain data
        for `restore_state` in a rebuilt window."""
        return {"x_mode": self.x_mode(), "log_y": self.log_y(), "following": self.following()}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Show `state()`'s choices, emitting what changes (the curves follow them)."""
        index = self.x_combo.findData(state.get("x_mode", X_STEP))
        if index >= 0:
            self.x_combo.setCurrentIndex(index)
        self.log_check.setChecked(bool(state.get("log_y", False)))
        self.set_following(bool(state.get("following", True)))  # after the x axis: it follows

    def _on_metric_text(self, text: str) -> None:
        if text:
            self.metricChosen.emit(text)

    def _on_spin(self, value: float) -> None:
        with QSignalBlocker(self.smooth_slider):
            self.smooth_slider.setValue(round(value * 100))
        self._smooth_timer.start()



class TrialList(QListWidget):
    """The trials beside the plot, each with its line colour framed in its state colour:
    untick to hide a curve, double-click to go to the trial. Signals: `visibilityChanged(int,
    bool)` (trial id, shown), `trialActivated(int)`."""

    visibilityChanged = Signal(int, bool)
    trialActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filtered: set[int] | None = None
        self._unticked: set[int] = set()  # trials that arrive unticked (set_unticked)
        self._items: dict[int, QListWidgetItem] = {}
        self._drawn_as: dict[int, tuple[int, str]] = {}  # (number, state) of each swatch
        named(self, "curvesTrials", self.tr("Trials shown"),
              self.tr("Untick a trial to hide its curve; double-click to select it in the "
                      "table"))
        self.itemChanged.connect(
            lambda item: self.visibilityChanged.emit(self._id(item), self._shown(item)))
        self.itemDoubleClicked.connect(lambda item: self.trialActivated.emit(self._id(item)))

    def set_trials(self, trials: Sequence[Trial]) -> None:
        """Add the new trials (shown) and refresh the state colour of those whose state
        changed (2,000 entries: only those, benchmarks/gui_scale.py)."""
        with QSignalBlocker(self):
            for t in trials:
                item = self._items.get(t.id)
                if item is None:
                    item = QListWidgetItem(self.tr("#%1").replace("%1", str(t.number)))
                    item.setData(TRIAL_ID_ROLE, t.id)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Unchecked if t.id in self._unticked
                                       else Qt.CheckState.Checked)
                    self.addItem(item)
                    self._items[t.id] = item
                    item.setHidden(self._filtered is not None and t.id not in self._filtered)
                if self._drawn_as.get(t.id) != (t.number, t.state):
                    self._drawn_as[t.id] = (t.number, t.state)
                    item.setIcon(_swatch(t.number, t.state))
                    item.setToolTip(self.tr("Trial %1: %2").replace("%1", str(t.number))
                                    .replace("%2", state_label(t.state)))

    def set_unticked(self, ids: Collection[int]) -> None:
        """Untick these trials, and those of them still to come as they arrive (a rebuilt
        window's list, before its trials are read), emitting nothing."""
        self._unticked = {int(i) for i in ids}
        with QSignalBlocker(self):
            for r in range(self.count()):
                item = self.item(r)
                item.setCheckState(Qt.CheckState.Unchecked if self._id(item) in self._unticked
                                   else Qt.CheckState.Checked)

    def clear(self) -> None:
        """No trials, and none waiting to arrive unticked."""
        self._unticked = set()
        self._items.clear()
        self._drawn_as.clear()
        super().clear()

    def set_filtered(self, ids: set[int] | None) -> None:
        """List only these trials (those the trials table's filters show); None: all."""
        self._filtered = ids
        self._apply_filter()

    def _apply_filter(self) -> None:
        for r in range(self.count()):
            item = self.item(r)
            item.setHidden(self._filtered is not None and self._id(item) not in self._filtered)

    def show_trials(self, ids: set[int]) -> None:
        """Tick these trials (emits `visibilityChanged` for those that were hidden)."""
        for r in range(self.count()):
            if self._id(self.item(r)) in ids:
                self.item(r).setCheckState(Qt.CheckState.Checked)

    def item_of(self, trial_id: int) -> QListWidgetItem | None:
        return self._items.get(trial_id)

    @staticmethod
    def _id(item: QListWidgetItem) -> int:
        return int(item.data(TRIAL_ID_ROLE))

    @staticmethod
    def _shown(item: QListWidgetItem) -> bool:
        return item.checkState() == Qt.CheckState.Checked


def _swatch(number: int, state: str) -> QIcon:
    """The trial's line colour framed in its state colour (a few colours, made once each)."""
    return _swatch_of(trial_color(number).name(), state)


@functools.lru_cache(maxsize=512)
def _swatch_of(color: str, state: str) -> QIcon:
    pix = QPixmap(14, 14)
    pix.fill(state_color(state))
    painter = QPainter(pix)
    painter.fillRect(2, 2, 10, 10, QColor(color))
    painter.end()
    return QIcon(pix)
