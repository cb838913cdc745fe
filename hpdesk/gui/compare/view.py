"""Comparing an experiment's trials: parallel coordinates, slice plots, importance, and for the
searches that have them the Pareto front (several objectives) and the population (PBT), in tabs.

The view is handed the plan (its exported dict) and the trials whenever they change; it turns
them into one `TrialsTable` (hpdesk.analysis, by the first objective) that the first three tabs
draw, and redraws only when that table would draw differently; the Pareto and Population tabs
keep their own check. `add_events` passes the poller's PBT events on. Clicking a trial in any
plot emits `trialActivated(trial_id)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRectF, QSize, Signal
from PySide6.QtGui import QPainter, QShowEvent
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hpdesk.analysis.trials_table import TrialsTable, format_value, trials_table
from hpdesk.gui.base.background import Background
from hpdesk.gui.base.common import SCREEN_ONLY, named
from hpdesk.gui.base.plan_dicts import objectives, strategy_name
from hpdesk.gui.compare.importance import ImportancePanel
from hpdesk.gui.compare.parallel import ParallelCoordinates
from hpdesk.gui.compare.pareto import ParetoPanel
from hpdesk.gui.compare.population import PopulationPanel
from hpdesk.gui.compare.slices import SlicePlots
from hpdesk.store import Event, Trial

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".svg")


class CompareView(QWidget):
    """Tabs over one experiment's trials. `set_data(plan_dict, trials)` is cheap to call on
    every poll; `export_image(path)` writes the current tab as PNG or SVG."""

    trialActivated = Signal(int)

    def __init__(self, language: str, parent: QWidget | None = None,
                 background: Background | None = None) -> None:
        super().__init__(parent)
        self._redraw_due = False  # the plots wait to be shown (_redraw)
        self.summary = named(QLabel(), "compareSummary", self.tr("Summary of the trials"))
        self.summary.setWordWrap(True)
        self.show_unscored = named(
            QCheckBox(self.tr("Show trials that did not complete")), "compareShowUnscored",
            self.tr("Show trials that did not complete"),
            self.tr("Failed, pruned, running and queued trials, drawn in grey."))
        self.show_unscored.setChecked(True)
        self.show_unscored.toggled.connect(lambda _: self._redraw())
        self.export_button = named(QPushButton(self.tr("Export image…")), "compareExport",
                                   self.tr("Export the current plot as an image"))
        self.export_button.clicked.connect(self._ask_export)

        self.parallel = ParallelCoordinates()
        self.slices = SlicePlots(language)
        self.importance = ImportancePanel(language, background=background)
        self.tabs = named(QTabWidget(), "compareTabs", self.tr("Comparison views"))
        self.tabs.addTab(self.parallel, self.tr("Parallel coordinates"))
        self.tabs.addTab(self.slices, self.tr("Slices"))
        self.tabs.addTab(self.importance, self.tr("Importance"))
        self.pareto = ParetoPanel(language)
        self.population = PopulationPanel(language)
        self.tabs.addTab(self.pareto, self.tr("Pareto front"))
        self.tabs.addTab(self.population, self.tr("Population"))
        self.tabs.setTabToolTip(0, self.tr("Every trial as a line across its parameters and "
                                           "its objective"))
        self.tabs.setTabToolTip(1, self.tr("The objective against each parameter"))
        self.tabs.setTabToolTip(2, self.tr("Which parameters mattered, beside the tuning guide's "
                                           "tiers"))
        self._sync_tabs(None)
        for signal in (self.parallel.trialActivated, self.slices.trialActivated,
                       self.pareto.trialActivated, self.population.trialActivated):
            signal.connect(self.trialActivated)

        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.show_unscored)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)
        self.table: TrialsTable | None = None
        self._drawn: tuple[Any, ...] | None = None
        self._set_summary()

    def set_experiment(self, plan: Mapping[str, Any] | None) -> None:
        """A new experiment: no trials and no events yet."""
        self.population.set_data(None, [])
        self.set_data(plan, [])

    def add_events(self, events: Sequence[Event]) -> None:
        """The poller's new events (the Population tab draws the `pbt` ones)."""
        self.population.add_events(events)

    def set_data(self, plan: Mapping[str, Any] | None, trials: Sequence[Trial]) -> None:
        """Show these trials of the experiment whose plan is `plan` (None clears the view)."""
        self._sync_tabs(plan)
        if self.tabs.isTabEnabled(self.tabs.indexOf(self.pareto)):
            self.pareto.set_data(plan, trials)
        if self.tabs.isTabEnabled(self.tabs.indexOf(self.population)):
            self.population.set_data(plan, trials)
        table = None if plan is None else trials_table(plan, trials)
        self.table = table
        signature = None if table is None else table.signature()
        if signature is not None and signature == self._drawn:
            return
        self._drawn = signature
        self._set_summary()
        self._redraw()

    def view_state(self) -> dict[str, Any]:
        """The tab shown and whether unscored trials are drawn, as plain data for
        `restore_view_state` in a rebuilt window."""
        return {"tab": self.tabs.currentIndex(), "show_unscored": self.show_unscored.isChecked()}

    def restore_view_state(self, state: Mapping[str, Any]) -> None:
        """Show `view_state()`'s choices (a tab this experiment has not: the one shown stays)."""
        self.show_unscored.setChecked(bool(state.get("show_unscored", True)))
        tab = int(state.get("tab", 0))
        if 0 <= tab < self.tabs.count() and self.tabs.isTabEnabled(tab):
            self.tabs.setCurrentIndex(tab)

    def _sync_tabs(self, plan: Mapping[str, Any] | None) -> None:
        """The Pareto tab for several objectives, the Population tab for PBT; else disabled."""
        for page, enabled, why in (
                (self.pareto, len(objectives(plan)) > 1,
                 self.tr("The trials no other trial beats on every objective; for plans with "
                         "several objectives")),
                (self.population, strategy_name(plan) == "pbt",
                 self.tr("Who copied whom, and each member's hyperparameters over the epochs; "
                         "for population-based training"))):
            index = self.tabs.indexOf(page)
            shown = self.tabs.currentIndex() == index
            self.tabs.setTabEnabled(index, enabled)
            self.tabs.setTabToolTip(index, why)
            if shown and not enabled:  # back to the first tab, not the disabled one's neighbour
                self.tabs.setCurrentIndex(0)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._redraw_due:
            self._redraw()

    def _redraw(self, *, force: bool = False) -> None:
        """Draw the plots now when they are on screen (or `force`), else when they are next
        shown (2,000 trials cost a tenth of a second to draw: not while the window opens on
        another tab)."""
        self._redraw_due = not (force or self.isVisible())
        if self._redraw_due:
            return
        show = self.show_unscored.isChecked()
        self.parallel.set_table(self.table, show)
        self.slices.set_table(self.table, show)
        self.importance.set_table(self.table)

    def _set_summary(self) -> None:
        table = self.table
        if table is None or len(table) == 0:
            self.summary.setText(self.tr("No trials to compare yet."))
            return
        text = self.tr("%1 trials, %2 completed with %3.").replace("%1", str(len(table))) \
            .replace("%2", str(table.scored_count)).replace("%3", table.metric)
        best = table.best_row()
        if best is not None:
            goal = self.tr("higher is better") if table.maximize else self.tr("lower is better")
            text += " " + self.tr("Best: trial %1 with %2 (%3), drawn in orange.") \
                .replace("%1", str(table.numbers[best])) \
                .replace("%2", format_value(float(table.objective[best]))) \
                .replace("%3", goal)
        self.summary.setText(text)

    # export --------------------------------------------------------------------------------
    def export_image(self, path: str | Path) -> Path:
        """Write the current tab to `path`: SVG for .svg, else a bitmap in the suffix's format."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in IMAGE_SUFFIXES:
            raise ValueError(f"An image is written as {', '.join(IMAGE_SUFFIXES)}, "
                             f"not {path.suffix or 'a file without a suffix'}.")
        if self._redraw_due:
            self._redraw(force=True)
        page = self.tabs.currentWidget()
        # What only makes sense on screen ("point at a line...") stays out of the image.
        hidden = [w for w in page.findChildren(QWidget)
                  if w.property(SCREEN_ONLY) and w.isVisible()]
        for widget in hidden:
            widget.hide()
        try:
            if suffix == ".svg":
                self._write_svg(page, path)
            elif not page.grab().save(str(path)):
                raise OSError(f"Could not write the image {path}.")
        finally:
            for widget in hidden:
                widget.show()
        return path

    def _write_svg(self, page: QWidget, path: Path) -> None:
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(QSize(page.width(), page.height()))
        generator.setViewBox(QRectF(0, 0, page.width(), page.height()))
        generator.setTitle(self.tabs.tabText(self.tabs.currentIndex()))
        painter = QPainter()
        if not painter.begin(generator):
            raise OSError(f"Could not write the image {path}.")
        try:
            page.render(painter, QPoint(0, 0))
        finally:
            painter.end()

    def _ask_export(self) -> None:
        from hpdesk.gui.base import file_dialogs

        chosen = file_dialogs.save_file(
            self, "exports", self.tr("Export image"), "compare.png",
            self.tr("PNG image (*.png);;SVG drawing (*.svg)"))
        if chosen is not None:
            name = str(chosen)
            if not chosen.suffix:
                name += ".png"
            self.export_image(name)
