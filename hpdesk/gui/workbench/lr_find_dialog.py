"""The plan editor's "Find learning rate…": the learning-rate range test (Smith 2017) in a dialog.

Why a separate process: the window never imports torch, so the sweep runs as
`python -m hpdesk.cli lr-find PLAN --json --db DB --progress` in a QProcess, on the editor's
current plan written to a temporary file. Its progress lines move the bar, Cancel ends it, and
its JSON result becomes the whole loss-versus-learning-rate curve on a log axis, with the
suggested range and the guide's range for the optimiser shaded, the sentence that compares them,
and "Apply to plan", which sets the lr row's low and high in the editor. The sweep is a trial of
its own experiment in the window's database, so its curve also shows among the experiments.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QProcess
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.plan import Plan, dumps_plan

_PROGRESS = re.compile(r"lr-find: step (\d+) of (\d+)")
SUGGESTED_BRUSH = (44, 160, 44, 60)   # green: what this sweep suggests
GUIDE_BRUSH = (31, 119, 180, 50)      # blue: the guide's range for the optimiser


def _fmt(x: float) -> str:
    return f"{x:.2g}"


class LrFindDialog(QDialog):
    """Runs one sweep of `plan` into the database `db` and shows its result; `apply(low,
    high)` (the editor's) is called by "Apply to plan" and says whether it could be applied."""

    def __init__(self, plan: Plan, db: Path, *, steps: int = 100,
                 apply: Callable[[float, float], bool] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lrFindDialog")
        self.setWindowTitle(self.tr("Find learning rate"))
        self.resize(760, 560)
        self._plan, self._db, self._steps, self._apply = plan, db, steps, apply
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._process: QProcess | None = None
        self._stderr = ""
        self.outcome: dict[str, Any] | None = None
        self.plot: Any = None

        self.status = QLabel(self.tr("Sweeping the learning rate…"))
        self.status.setObjectName("lrFindStatus")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("lrFindProgress")
        self.progress.setRange(0, steps)
        self.sentence = QLabel()
        self.sentence.setObjectName("lrFindSentence")
        self.sentence.setWordWrap(True)
        self.plot_box = QVBoxLayout()
        self.cancel_button = named(QPushButton(self.tr("Cancel")), "lrFindCancel",
                                   self.tr("Stop the sweep"))
        self.cancel_button.clicked.connect(self.cancel)
        self.apply_button = named(QPushButton(self.tr("Apply to plan")), "lrFindApply",
                                  self.tr("Set the plan's learning-rate range to the suggested "
                                          "one"))
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply_to_plan)
        self.close_button = named(QPushButton(self.tr("Close")), "lrFindClose",
                                  self.tr("Close this window"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.cancel_button, self.apply_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addLayout(self.plot_box, 1)
        layout.addWidget(self.sentence)
        layout.addLayout(buttons)

    # ---- the sweep --------------------------------------------------------------------------

    def start(self) -> None:
        """Write the plan to a temporary file and start `hpdesk lr-find` on it."""
        self._folder = tempfile.TemporaryDirectory(prefix="hpdesk-lr-find-")
        path = Path(self._folder.name) / "plan.yaml"
        path.write_text(dumps_plan(self._plan, comments=False), encoding="utf-8")
        process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(["-m", "hpdesk.cli", "lr-find", str(path), "--json", "--db",
                              str(self._db), "--steps", str(self._steps), "--progress"])
        process.readyReadStandardError.connect(self._read_progress)
        process.finished.connect(self._finished)
        self._process = process
        process.start()

    def cancel(self) -> None:
        """Stop the sweep (its trial is marked stopped by the command's Ctrl-C path)."""
        process = self._process
        if process is not None and process.state() != QProcess.ProcessState.NotRunning:
            self._process = None
            process.terminate()
            if not process.waitForFinished(5000):
                process.kill()
                process.waitForFinished(2000)
        self.status.setText(self.tr("Cancelled."))
        self.cancel_button.setEnabled(False)

    def _read_progress(self) -> None:
        if self._process is None:
            return
        text = bytes(self._process.readAllStandardError().data()).decode("utf-8", "replace")
        self._stderr += text
        for match in _PROGRESS.finditer(text):
            self.progress.setMaximum(int(match.group(2)))
            self.progress.setValue(int(match.group(1)))
            self.status.setText(self.tr("Sweeping the learning rate: step %1 of %2")
                                .replace("%1", match.group(1)).replace("%2", match.group(2)))

    def _finished(self, code: int, _status: object = None) -> None:
        process = self._process
        if process is None:  # cancelled
            return
        self._read_progress()
        out = bytes(process.readAllStandardOutput().data()).decode("utf-8", "replace")
        self._process = None
        self.cancel_button.setEnabled(False)
        try:
            result = json.loads(out)
        except ValueError:
            lines = [ln for ln in self._stderr.splitlines()
                     if ln.strip() and not _PROGRESS.match(ln)]
            why = lines[-1].removeprefix("hpdesk: ") if lines else self.tr("it ended without "
                                                                           "a word")
            self.status.setText(self.tr("The sweep could not run: %1").replace("%1", why))
            return
        self.show_result(result)

    # ---- the result -------------------------------------------------------------------------

    def show_result(self, result: Mapping[str, Any]) -> None:
        """Draw the curve and the two ranges, say how they compare, enable Apply."""
        self.outcome = dict(result)
        self.progress.setValue(self.progress.maximum())
        self.status.setText(self.tr("Experiment %1, trial %2: loss against learning rate, %3 "
                                    "points.").replace("%1", str(result.get("experiment_id")))
                            .replace("%2", str(result.get("trial_id")))
                            .replace("%3", str(len(result.get("points") or []))))
        self._draw(result)
        self.sentence.setText(self.comparison_text(result))
        ok = result.get("suggested_low") is not None and result.get("suggested_high") is not None
        self.apply_button.setEnabled(bool(ok and self._apply is not None))

    def comparison_text(self, r: Mapping[str, Any]) -> str:
        """The comparison in the window's language, from the result's numbers."""
        optimizer = str(r.get("optimizer", ""))
        glo, ghi = float(r["guide_low"]), float(r["guide_high"])
        low, high = r.get("suggested_low"), r.get("suggested_high")
        if low is None or high is None:
            return self.tr("No range suggested: %1").replace("%1", _said(r, "reason"))
        low, high = float(low), float(high)
        args = {"%1": _fmt(low), "%2": _fmt(high), "%3": optimizer, "%4": _fmt(glo),
                "%5": _fmt(ghi)}
        if low <= ghi and glo <= high:
            text = self.tr("Suggested %1 to %2; it overlaps the guide's range for %3 (%4 to "
                           "%5).")
        elif high < glo:
            text = self.tr("Suggested %1 to %2; it lies below the guide's range for %3 (%4 to "
                           "%5): the loss stopped falling before the guide's rates, which are "
                           "near divergence for this model, data and batch size.")
        else:
            text = self.tr("Suggested %1 to %2; it lies above the guide's range for %3 (%4 to "
                           "%5): the loss was still falling past the guide's rates.")
        for key, value in args.items():
            text = text.replace(key, value)
        note = _said(r, "note")
        if note:
            text += " " + self.tr("Note: %1").replace("%1", note)
        return text

    def _draw(self, r: Mapping[str, Any]) -> None:
        import pyqtgraph as pg  # only when a result is shown

        if self.plot is not None:
            self.plot_box.removeWidget(self.plot)
            self.plot.deleteLater()
        plot = pg.PlotWidget()
        plot.setObjectName("lrFindPlot")
        plot.setBackground("w")
        plot.setLogMode(x=True, y=False)
        plot.setLabel("bottom", self.tr("learning rate"))
        # The ticks are the rates themselves: an SI prefix would relabel them "(x0.001)".
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        plot.setLabel("left", self.tr("training loss"))
        plot.addLegend()
        points = [(float(p[0]), float("nan") if p[1] is None else float(p[1]))
                  for p in r.get("points") or [] if p and p[0] is not None and float(p[0]) > 0]
        xs = [p[0] for p in points]
        ys = [p[1] if math.isfinite(p[1]) else float("nan") for p in points]
        if xs:
            plot.plot(xs, ys, pen=pg.mkPen((150, 150, 150), width=1), symbol="o",
                      symbolSize=4, connect="finite", name=self.tr("loss"))
            smoothed = list(r.get("smoothed") or [])
            if smoothed:
                plot.plot(xs[:len(smoothed)], smoothed, pen=pg.mkPen((214, 39, 40), width=2),
                          name=self.tr("smoothed"))
        self.regions = []
        legend = plot.getPlotItem().legend
        for low, high, brush, label in (
                (r.get("guide_low"), r.get("guide_high"), GUIDE_BRUSH,
                 self.tr("the guide's range for %1").replace("%1", str(r.get("optimizer")))),
                (r.get("suggested_low"), r.get("suggested_high"), SUGGESTED_BRUSH,
                 self.tr("suggested range"))):
            if low is None or high is None or not (0 < float(low) < float(high)):
                continue
            region = pg.LinearRegionItem((math.log10(float(low)), math.log10(float(high))),
                                         movable=False, brush=pg.mkBrush(*brush))
            plot.addItem(region)
            self.regions.append(region)
            if legend is not None:  # a swatch of the shade, so the two need no guessing
                swatch = pg.BarGraphItem(x=[0], height=[1], width=1, brush=pg.mkBrush(*brush),
                                         pen=pg.mkPen(None))
                legend.addItem(swatch, label)
        self.plot = plot
        self.plot_box.addWidget(plot)

    def apply_to_plan(self) -> None:
        """Set the editor's lr row to the suggested range."""
        r = self.outcome or {}
        if self._apply is None or r.get("suggested_low") is None:
            return
        if self._apply(float(r["suggested_low"]), float(r["suggested_high"])):
            self.sentence.setText(self.sentence.text() + " " + self.tr(
                "Applied to the plan's lr range."))
            self.apply_button.setEnabled(False)
        else:
            self.sentence.setText(self.sentence.text() + " " + self.tr(
                "The plan has no lr row to set; add lr to the plan first."))

    def done(self, result: int) -> None:  # noqa: D102 - Qt's; stops a running sweep first
        if self._process is not None:
            self.cancel()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
        super().done(result)


def _said(result: Mapping[str, Any], key: str) -> str:
    """The result's `key` sentence in the window's language (i18n sets the default locale):
    `hpdesk lr-find --json` gives both, `key` in English and `key_zh` in Chinese."""
    zh = QLocale().name().startswith("zh") and result.get(f"{key}_zh")
    return str(result.get(f"{key}_zh") if zh else result.get(key) or "")


def database_of(widget: QWidget) -> Path:
    """The database the window works on (the main window's `db_path`), else the default."""
    db = getattr(widget.window(), "db_path", None)
    if isinstance(db, Path):
        return db
    from hpdesk.runner.paths import default_db_path

    return default_db_path()
