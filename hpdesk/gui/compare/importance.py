"""The importance tab: how much each parameter explained the objective in this experiment (bars),
beside the tuning guide's tier for it (colour and label), or why there is nothing to show yet.

Importance is computed on the background pool; a result is kept per evaluator and per set of
scored trials, so polling the same trials again, or switching evaluators back, costs nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from hpdesk.analysis.importance import (
    EVALUATOR_NAMES,
    EVALUATORS,
    RELIABLE_FROM,
    ImportanceResult,
    compute_importance,
    shortfall,
)
from hpdesk.analysis.trials_table import TrialsTable
from hpdesk.gui.base.background import Background
from hpdesk.gui.base.common import named
from hpdesk.gui.compare.style import BACKGROUND, INK, TIER_COLORS, small_font, style_plot
from hpdesk.knowledge import catalogue

BAR_HEIGHT = 0.6


class ImportancePanel(QWidget):
    """`resultShown(result)` after each result (or reason) is put on screen."""

    resultShown = Signal(object)

    def __init__(self, language: str = "en", parent: QWidget | None = None,
                 background: Background | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self.background = background or Background(self)
        self.evaluator = named(QComboBox(), "importanceEvaluator",
                               self.tr("Importance method"),
                               self.tr("PED-ANOVA: what set the best trials apart. fANOVA: how "
                                       "much of the objective's variance each parameter "
                                       "explains (a random forest)."))
        for key in EVALUATORS:
            self.evaluator.addItem(EVALUATOR_NAMES[key], key)
        self.evaluator.currentIndexChanged.connect(lambda _: self.refresh())
        self.status = named(QLabel(), "importanceStatus", self.tr("Importance status"))
        self.status.setWordWrap(True)
        self.graphics = pg.PlotWidget(background=BACKGROUND)
        named(self.graphics, "importanceChart", self.tr("Importance of each parameter"))
        self.plot: pg.PlotItem = self.graphics.getPlotItem()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        style_plot(self.plot)
        self.plot.hideAxis("bottom")  # each bar carries its percentage
        self.guide = named(QLabel(), "importanceGuideOrder",
                           self.tr("The tuning guide's order for these parameters"))
        self.guide.setWordWrap(True)
        self.guide.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.guide.setTextFormat(Qt.TextFormat.RichText)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.guide)
        self.pages.addWidget(self.graphics)
        self.caveat = named(QLabel(), "importanceCaveat",
                            self.tr("How far the importance can be trusted"))
        self.caveat.setWordWrap(True)
        self.caveat.setStyleSheet("color: #8a4b00; font-weight: bold;")  # amber, as a warning
        self.caveat.hide()
        self.legend = named(QLabel(), "importanceLegend", self.tr("Importance legend"))
        self.legend.setWordWrap(True)
        self.legend.setText(self._legend_html())
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Method:")))
        top.addWidget(self.evaluator)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.caveat)  # right under the bars and their percentages
        layout.addWidget(self.legend)
        self._table: TrialsTable | None = None
        self._results: dict[tuple[Any, ...], ImportanceResult] = {}
        self._pending: set[tuple[Any, ...]] = set()
        self.computations = 0  # how many times importance was actually computed
        self.shown: ImportanceResult | None = None
        self.bar_names: list[str] = []  # the bars drawn, top to bottom

    def current_evaluator(self) -> str:
        return str(self.evaluator.currentData())

    def set_table(self, table: TrialsTable | None) -> None:
        self._table = table
        self.refresh()

    def refresh(self) -> None:
        """Show the result for the current table and evaluator, computing it if new."""
        table, evaluator = self._table, self.current_evaluator()
        if table is None:
            self._show(None)
            return
        short = shortfall(table, evaluator)
        if short is not None:
            self._show(short)
            return
        key = (evaluator, table.scored_signature())
        if key in self._results:
            self._show(self._results[key])
            return
        self.status.setText(self.tr("Computing importance over %1 trials…")
                            .replace("%1", str(table.scored_count)))
        self._show_caveat(None)
        self._show_guide(table)
        if key in self._pending:
            return
        self._pending.add(key)
        self.computations += 1
        self.background.run(lambda: compute_importance(table, evaluator),
                            success=lambda result: self._arrived(key, result),
                            failure=lambda message: self._failed(key, message))

    def _arrived(self, key: tuple[Any, ...], result: ImportanceResult) -> None:
        if not isValid(self):  # the window closed while the pool was computing
            return
        self._pending.discard(key)
        if len(self._results) > 8:  # old trial sets are not coming back
            self._results.clear()
        self._results[key] = result
        table = self._table
        if table is not None and key == (self.current_evaluator(), table.scored_signature()):
            self._show(result)

    def _failed(self, key: tuple[Any, ...], message: str) -> None:
        if not isValid(self):
            return
        self._pending.discard(key)
        self.status.setText(self.tr("Importance could not be computed: %1").replace("%1", message))
        self._show_caveat(None)
        self._show_guide(self._table)

    # drawing -------------------------------------------------------------------------------
    def _show(self, result: ImportanceResult | None) -> None:
        self.plot.clear()
        self.shown = result
        self._show_caveat(result)
        if result is None:
            self.status.setText(self.tr("No experiment selected."))
            self._show_guide(None)
        elif not result.ready:
            self.status.setText(self._reason(result))
            self._show_guide(self._table)
        else:
            self.status.setText(self.tr(
                "How much each parameter explained %1 across %2 completed trials (%3). The "
                "colour and label give the tuning guide's tier: tier 1 is tuned first.")
                .replace("%1", self._table.metric if self._table else "")
                .replace("%2", str(result.trials))
                .replace("%3", EVALUATOR_NAMES[result.evaluator]))
            self._draw(result)
            self.pages.setCurrentWidget(self.graphics)
        self.resultShown.emit(result)

    def _show_caveat(self, result: ImportanceResult | None) -> None:
        """Percentages from few trials say so beside them: how many trials, and that the
        ranking may change (thresholds: hpdesk.analysis.importance.RELIABLE_FROM)."""
        if result is None or not result.uncertain:
            self.caveat.hide()
            self.caveat.setText("")
            return
        need = str(RELIABLE_FROM[result.evaluator])
        if result.evaluator == "fanova":
            text = self.tr("⚠ These percentages rest on only %1 trials. fANOVA needs about %2 "
                           "to be reliable (PED-ANOVA copes with fewer): the ranking is "
                           "uncertain and may change as more trials finish.")
        else:
            text = self.tr("⚠ These percentages rest on only %1 trials. PED-ANOVA wants at "
                           "least 5 trials in its top 10 % (about %2 trials in all, as Optuna "
                           "advises): the ranking is uncertain and may change as more trials "
                           "finish.")
        self.caveat.setText(text.replace("%1", str(result.trials)).replace("%2", need))
        self.caveat.show()

    def _show_guide(self, table: TrialsTable | None) -> None:
        """Until the trials speak: the order the tuning guide gives these parameters."""
        self.plot.clear()
        self.bar_names = []
        self.pages.setCurrentWidget(self.guide)
        if table is None or not table.axes:
            self.guide.setText("")
            return
        lines = []
        for tier in (1, 2, 3, None):
            names = [a.name for a in table.axes if a.tier == tier]
            if names:
                title = (self.tr("not in the guide") if tier is None
                         else self.tr("tier %1").replace("%1", str(tier)))
                lines.append(f'<span style="color:{TIER_COLORS[tier]}">&#9632;</span> '
                             f"<b>{title}</b>: {', '.join(names)}")
        self.guide.setText("<p>" + self.tr("Until then, the tuning guide's order for the "
                                           "searched parameters (tier 1 is tuned first):")
                           + "</p><p>" + "<br>".join(lines) + "</p>")

    def _reason(self, result: ImportanceResult) -> str:
        if result.reason == "too_few_trials":
            return self.tr("Not enough trials yet: %1 completed with an objective, importance "
                           "needs at least %2.").replace("%1", str(result.have)) \
                .replace("%2", str(result.need))
        if result.reason == "too_few_params":
            return self.tr("Importance compares parameters: this plan searches %1, at least %2 "
                           "are needed.").replace("%1", str(result.have)) \
                .replace("%2", str(result.need))
        if result.reason == "constant_objective":
            return self.tr("Every completed trial has the same objective: there is nothing to "
                           "explain yet.")
        return result.message()

    def _draw(self, result: ImportanceResult) -> None:
        params = result.params
        n = len(params)
        y = np.arange(n, dtype=float)[::-1]  # most important at the top
        shares = np.array([100 * (p.importance or 0.0) for p in params])
        brushes = [pg.mkBrush(TIER_COLORS.get(p.tier, TIER_COLORS[None])) for p in params]
        self.plot.addItem(pg.BarGraphItem(x0=np.zeros(n), y=y, height=BAR_HEIGHT, width=shares,
                                          brushes=brushes, pens=[pg.mkPen(INK)] * n))
        font = small_font(9)
        for p, yy, share in zip(params, y, shares):
            label = self.tr("not assessed") if p.importance is None else f"{share:.0f}%"
            tier = (self.tr("tier %1").replace("%1", str(p.tier)) if p.tier is not None
                    else self.tr("not in the guide"))
            item = pg.TextItem(f"{label}  ·  {tier}", color=INK, anchor=(0, 0.5))
            item.setFont(font)
            item.setPos(share, yy)
            if p.name in catalogue():
                item.setToolTip(catalogue()[p.name].help(self._lang))
            self.plot.addItem(item)
        left = self.plot.getAxis("left")
        left.setTicks([[(float(yy), p.name) for p, yy in zip(params, y)], []])
        left.setStyle(tickLength=0)
        self.bar_names = [p.name for p in params]
        top = max(float(shares.max()) if n else 0.0, 1.0)
        self.plot.setXRange(0, top * 1.35, padding=0)  # room for the labels right of the bars
        self.plot.setYRange(-0.6, n - 0.4, padding=0)

    def _legend_html(self) -> str:
        swatch = '<span style="color:{c}">&#9632;</span> {t}'
        parts = [swatch.format(c=TIER_COLORS[1], t=self.tr("tier 1: tune first")),
                 swatch.format(c=TIER_COLORS[2], t=self.tr("tier 2")),
                 swatch.format(c=TIER_COLORS[3], t=self.tr("tier 3: tune last")),
                 swatch.format(c=TIER_COLORS[None], t=self.tr("not in the guide"))]
        return self.tr("Tuning guide's tiers:") + " " + " &nbsp; ".join(parts)

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for importance still being computed (closing, tests)."""
        return self.background.wait(msecs)
