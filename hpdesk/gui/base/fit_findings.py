"""Fit-state findings for the window (issue 15): computed off the GUI thread from the store
(`hpdesk.analysis.diagnose.diagnose_trials`), a finished trial once, a running one again as its
points arrive (at most every `LIVE_INTERVAL_MS`), and worded for the badge in the trials table,
the marks on the curves and the findings dialog.

`FindingsWatcher` is fed the poller's results (`on_poll`) and says `changed(findings)`, findings
being trial id -> its findings (most urgent first; a trial without any is absent). Hundreds of
trials are diagnosed in batches of `BATCH` on one pool thread, so the window never waits and the
first badges come early.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from hpdesk.analysis.diagnose import TrialFinding, diagnose_trials
from hpdesk.gui.base.background import Background
from hpdesk.gui.base.common import LEVEL_COLORS, LEVEL_ICONS
from hpdesk.gui.base.poller import PollResult
from hpdesk.store import Store, Trial

LEVEL_RANK = {"error": 0, "warning": 1, "info": 2}
LIVE_INTERVAL_MS = 5000  # a running trial is diagnosed again at most this often
BATCH = 200  # trials per background job: the first badges of a large database come early

Findings = Mapping[int, tuple[TrialFinding, ...]]


def level_color(level: str) -> str:
    return LEVEL_COLORS.get(level, "#8c8c8c")


@dataclass(frozen=True)
class Badge:
    """What the trials table shows of one trial's findings."""

    level: str  # the most urgent finding's
    text: str  # "⚠ Over-fitting", "✖ Diverged +1"
    tip: str  # rich text: every finding in full
    rank: int  # sorts the most urgent first
    kinds: tuple[str, ...]


def where(found: TrialFinding) -> str:
    """"val_loss, step 700 (epoch 7)": where the finding was seen."""
    f = found.finding
    text = QCoreApplication.translate("FitFindings", "%1, step %2")
    text = text.replace("%1", f.metric).replace("%2", str(f.step))
    if f.epoch is not None:
        epoch = QCoreApplication.translate("FitFindings", "(epoch %1)")
        text += " " + epoch.replace("%1", str(f.epoch))
    return text


def finding_html(found: TrialFinding, lang: str, *, trial: bool = True) -> str:
    """One finding in full, as rich text: title, trial and step, evidence, next action, source."""
    w = found.worded(lang)
    color = level_color(w.level)
    head = (f"<span style='color:{color}; font-weight:bold'>{LEVEL_ICONS.get(w.level, '')} "
            f"{html.escape(w.title)}</span>")
    place = where(found)
    if trial:
        number = QCoreApplication.translate("FitFindings", "Trial %1")
        number = number.replace("%1", str(found.trial_number))
        place = number + " \u00b7 " + place
    lines = [f"{head} &nbsp; <span style='color:#555555'>{html.escape(place)}</span>",
             html.escape(w.evidence),
             "<b>" + html.escape(QCoreApplication.translate("FitFindings", "Next:"))
             + "</b> " + html.escape(w.action)]
    if found.live:
        live = QCoreApplication.translate("FitFindings",
            "Seen while the trial runs: it may change as the run goes on.")
        lines.append("<i>" + html.escape(live) + "</i>")
    source = w.source_text(lang)
    if source:
        said = QCoreApplication.translate("FitFindings", "Source:")
        lines.append(f"<span style='color:#777777'>{html.escape(said)} "
                     f"{html.escape(source)}</span>")
    return "<br>".join(lines)


def findings_html(found: Sequence[TrialFinding], lang: str, *, trial: bool = True) -> str:
    """Several findings, one paragraph each (a tooltip wraps rich text)."""
    return "<qt>" + "<hr>".join(finding_html(f, lang, trial=trial) for f in found) + "</qt>"


def badge(found: Sequence[TrialFinding], lang: str) -> Badge | None:
    """The badge of one trial's findings (None: none): the most urgent one's icon and title,
    "+N" for the others, the whole of them as tooltip."""
    if not found:
        return None
    worded = [f.worded(lang) for f in found]
    first = min(range(len(worded)), key=lambda i: LEVEL_RANK.get(worded[i].level, 9))
    level = worded[first].level
    text = f"{LEVEL_ICONS.get(level, '')} {worded[first].title}"
    if len(worded) > 1:
        text += f" +{len(worded) - 1}"
    ordered = [found[first], *(f for i, f in enumerate(found) if i != first)]
    return Badge(level, text, findings_html(ordered, lang, trial=False),
                 LEVEL_RANK.get(level, 9) * 100 - min(len(found), 99),
                 tuple(f.kind for f in found))


class FindingsWatcher(QObject):
    """Diagnoses the trials of the experiment being watched as the polls say they changed.

    A trial that is not running is diagnosed once (again only when its state changes or it
    gets new points); a running one at once, then again with its new points at most every
    `live_interval_ms`. Signal `changed(dict)`: trial id -> tuple of findings, all of them."""

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None, *,
                 live_interval_ms: int = LIVE_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.live_interval_ms = live_interval_ms
        self.background = Background(self)
        self.background.pool.setMaxThreadCount(1)
        self._db: Path | None = None
        self._experiment: int | None = None
        self._generation = 0
        self._trials: dict[int, Trial] = {}
        self._seen: dict[int, str] = {}  # trial id -> the state it was last diagnosed in
        self._due: set[int] = set()  # diagnose at the next job
        self._live: set[int] = set()  # running trials with new points since their last look
        self._live_at = 0.0  # monotonic time of the last job that took the live trials
        self._busy = False
        self._findings: dict[int, tuple[TrialFinding, ...]] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._schedule)

    def watch(self, db_path: Path | str, experiment_id: int) -> None:
        """Start afresh on another experiment (its findings arrive with the first polls)."""
        self.stop()
        self._db, self._experiment = Path(db_path), experiment_id

    def stop(self) -> None:
        """Forget the experiment; a job in flight is ignored when it ends."""
        self._generation += 1
        self._db = self._experiment = None
        self._trials.clear()
        self._seen.clear()
        self._due.clear()
        self._live.clear()
        self._busy = False
        self._timer.stop()
        if self._findings:
            self._findings = {}
            self.changed.emit({})

    def findings(self) -> dict[int, tuple[TrialFinding, ...]]:
        return dict(self._findings)

    def wait(self, msecs: int = 30_000) -> bool:
        return self.background.wait(msecs)

    def on_poll(self, result: PollResult) -> None:
        if self._db is None or result.experiment_id != self._experiment:
            return
        if result.trials_changed:
            self._trials = {t.id: t for t in result.trials}
            for tid, trial in self._trials.items():
                if trial.state != "queued" and self._seen.get(tid) != trial.state:
                    self._due.add(tid)
            gone = [tid for tid in self._findings if tid not in self._trials]
            if gone:
                for tid in gone:
                    del self._findings[tid]
                self.changed.emit(dict(self._findings))
        for tid, _name in result.new_points:
            pointed = self._trials.get(tid)
            if pointed is None or tid in self._due:
                continue
            (self._live if pointed.state == "running" else self._due).add(tid)
        self._schedule()

    def _schedule(self) -> None:
        if self._busy or self._db is None:
            return
        wait_ms = self.live_interval_ms - (time.monotonic() - self._live_at) * 1000
        take = sorted(self._due)
        if self._live and wait_ms <= 0:
            take = sorted(set(take) | self._live)
        elif self._live and not self._timer.isActive():
            self._timer.start(max(1, int(wait_ms)))
        if not take:
            return
        take = take[:BATCH]
        trials = [self._trials[t] for t in take if t in self._trials]
        if any(t.state == "running" for t in trials):
            self._live_at = time.monotonic()
        for tid in take:
            self._due.discard(tid)
            self._live.discard(tid)
            if tid in self._trials:
                self._seen[tid] = self._trials[tid].state
        self._busy = True
        generation, db = self._generation, self._db

        def work() -> tuple[list[int], list[TrialFinding]]:
            with Store(db, must_exist=True, read_only=True) as store:
                return [t.id for t in trials], diagnose_trials(store, trials)

        what = QCoreApplication.translate("FitFindings", "Reading the fit state of trials")
        self.background.run(work, success=lambda r: self._done(generation, r),
                            failure=lambda _m: self._failed(generation), what=what)

    def _done(self, generation: int, result: tuple[list[int], list[TrialFinding]]) -> None:
        if generation != self._generation:
            return
        self._busy = False
        ids, found = result
        by_trial: dict[int, list[TrialFinding]] = {}
        for f in found:
            by_trial.setdefault(f.trial_id, []).append(f)
        before = dict(self._findings)
        for tid in ids:
            if by_trial.get(tid):
                self._findings[tid] = tuple(by_trial[tid])
            else:
                self._findings.pop(tid, None)
        if self._findings != before:
            self.changed.emit(dict(self._findings))
        self._schedule()

    def _failed(self, generation: int) -> None:
        if generation == self._generation:
            self._busy = False  # logged by Background; the next poll's changes try again


__all__ = ["LEVEL_COLORS", "LEVEL_ICONS", "Badge", "FindingsWatcher", "badge",
           "finding_html", "findings_html", "level_color", "where"]
