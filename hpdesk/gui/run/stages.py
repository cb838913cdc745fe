"""The stages of a staged search, above the trials table of the experiment shown.

One card per stage, left to right in the order they run: the hyperparameters it opens, its share
of the trials and its strategy, whether it is done, current or to come, the values held fixed
from earlier stages, its best trial, and the importance measured after it, with every
disagreement with the guide's tiers said in a sentence ("dropout (tier 3) mattered more than lr
(tier 1)"). A header button folds the cards away and still says where the search stands.

It sits on the "Trials and curves" tab because that is where a person follows a running
experiment: the stage tells them which columns of the table are moving now and which are held.
Only staged experiments show it. Fed by `set_experiment(plan)`, `set_trials(trials)` and
`add_events(events)` (the poller's `stage`, `stage_end` and `importance` events).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import format_value, named
from hpdesk.gui.base.inputs import fill, html_escape
from hpdesk.gui.base.plan_dicts import objectives, strategy_name
from hpdesk.gui.run.stage_summary import CURRENT, DONE, StageRow, current_row, stage_rows
from hpdesk.knowledge.search_methods import strategies
from hpdesk.store import Event, Trial

CARD_STYLE = {
    CURRENT: "QLabel{border:2px solid #1f77b4;background:#f2f7fd;border-radius:4px;padding:6px;}",
    DONE: "QLabel{border:1px solid #7fbf7f;background:#f7fbf7;border-radius:4px;padding:6px;}",
    "to come": "QLabel{border:1px dashed #b8b8b8;color:#6b6b6b;border-radius:4px;padding:6px;}",
}
WARNING = "#a14d00"
MAX_HEIGHT = 170  # the cards scroll beyond this, so the trials table keeps its room
TOP_SHARES = 4  # importance: the largest shares named on a card


class StagePanel(QWidget):
    """Cards of a staged search's stages under a fold-away header (objectName stagePanel)."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stagePanel")
        self._lang = language
        self._plan: dict[str, Any] = {}
        self._events: list[Event] = []
        self._trials: list[Trial] = []
        self._rows: list[StageRow] = []
        self.toggle = named(QToolButton(), "stagePanelToggle", self.tr("Show or hide the stages"))
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.toggle.toggled.connect(self._folded)
        self.cards = QWidget()
        self.cards.setObjectName("stageCards")
        self._cards_layout = QHBoxLayout(self.cards)
        self._cards_layout.setContentsMargins(0, 0, 0, 0)
        self.labels: list[QLabel] = []
        self.cards_area = named(QScrollArea(), "stagePanelScroll", self.tr("Stages"))
        self.cards_area.setWidgetResizable(True)
        self.cards_area.setFrameShape(QFrame.Shape.NoFrame)
        self.cards_area.setWidget(self.cards)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.toggle)
        layout.addWidget(self.cards_area)
        self.hide()

    # ---- data in ---------------------------------------------------------------------------

    def set_experiment(self, plan: Mapping[str, Any] | None) -> None:
        """A new experiment: shown only when its strategy is staged."""
        self._plan = dict(plan or {})
        self._events, self._trials = [], []
        self.setVisible(strategy_name(self._plan) == "staged")
        self._render()

    def add_events(self, events: Sequence[Event]) -> None:
        wanted = [e for e in events if e.kind in ("stage", "stage_end", "importance")]
        if wanted:
            self._events.extend(wanted)
            self._render()

    def set_trials(self, trials: Sequence[Trial]) -> None:
        self._trials = list(trials)
        self._render()

    # ---- what is shown ---------------------------------------------------------------------

    def rows(self) -> list[StageRow]:
        return list(self._rows)

    def card_texts(self) -> list[str]:
        """Each card's text without markup (tests, screen readers)."""
        return [label.accessibleDescription() for label in self.labels]

    def summary(self) -> str:
        return self.toggle.text()

    # ---- rendering -------------------------------------------------------------------------

    def _render(self) -> None:
        if strategy_name(self._plan) != "staged":
            self._rows = []
            return
        self._rows = stage_rows(self._plan, self._events, self._trials)
        self.toggle.setText(self._summary())
        while len(self.labels) > len(self._rows):
            label = self.labels.pop()
            self._cards_layout.removeWidget(label)
            label.deleteLater()
        while len(self.labels) < len(self._rows):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            label.setMinimumWidth(200)
            label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            label.setFrameShape(QFrame.Shape.NoFrame)
            self._cards_layout.addWidget(label, 1)
            self.labels.append(label)
        for label, row in zip(self.labels, self._rows):
            lines = self._card(row)
            label.setObjectName(f"stageCard{row.number}")
            label.setStyleSheet(CARD_STYLE.get(row.status, ""))
            label.setText("<br>".join(html for html, _ in lines))
            label.setAccessibleDescription("\n".join(text for _, text in lines))
            label.setToolTip(self._tooltip(row))
        self._fit()

    def _fit(self) -> None:
        """As tall as the cards at this width, up to MAX_HEIGHT (then they scroll)."""
        width = max(self.cards_area.viewport().width(), 200)
        layout = self._cards_layout
        need = layout.heightForWidth(width) if layout.hasHeightForWidth() else \
            self.cards.sizeHint().height()
        limit = min(MAX_HEIGHT, max(80, self.window().height() // 6))
        self.cards_area.setFixedHeight(min(max(need, 40) + 2, limit))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._rows:
            self._fit()

    def _summary(self) -> str:
        rows = self._rows
        head = self.tr("Staged search")
        now = current_row(rows)
        if not rows:
            return head
        if now is not None:
            return head + " · " + fill(self.tr("stage %1 of %2: %3 · %4 of %5 trials ended"),
                                       str(now.number), str(len(rows)), ", ".join(now.params),
                                       str(now.finished), str(now.trials))
        if all(r.status == DONE for r in rows):
            return head + " · " + self.tr("all %1 stages done").replace("%1", str(len(rows)))
        return head + " · " + self.tr("%1 stages, none started yet").replace("%1", str(len(rows)))

    def _status(self, status: str) -> str:
        return {DONE: self.tr("done"), CURRENT: self.tr("current")}.get(status, self.tr("to come"))

    def _card(self, row: StageRow) -> list[tuple[str, str]]:
        """(rich text, plain text) of each line of a stage's card."""
        lines: list[tuple[str, str]] = []

        def add(text: str, style: str = "") -> None:
            html = html_escape(text)
            lines.append((f"<span style='{style}'>{html}</span>" if style else html, text))

        title = self.tr("Stage %1 · %2").replace("%1", str(row.number)).replace(
            "%2", self._status(row.status))
        lines.append((f"<b>{html_escape(title)}</b>", title))
        add(self.tr("Opens: %1").replace("%1", ", ".join(row.params) or "—"))
        method = strategies().get(row.strategy)
        label = method.label(self._lang) if method is not None else row.strategy
        if row.status == "to come":
            add(fill(self.tr("%1 trials · %2"), str(row.trials), label))
        elif row.running:
            add(fill(self.tr("%1 trials · %2 · %3 ended, %4 running"), str(row.trials), label,
                     str(row.finished), str(row.running)))
        else:
            add(fill(self.tr("%1 trials · %2 · %3 ended"), str(row.trials), label,
                     str(row.finished)))
        if row.status != "to come":
            held = ", ".join(f"{k} = {format_value(v)}" for k, v in (row.held or {}).items())
            template = (self.tr("Narrowed around: %1") if row.carry == "narrow"
                        else self.tr("Held: %1"))
            add(template.replace("%1", held) if held else
                self.tr("Held: nothing (the first stage searches alone)"))
        if row.best_trial is not None:
            goal = (objectives(self._plan) or [{"metric": ""}])[0]["metric"]
            add(self.tr("Best so far: trial %1 (%2 %3)").replace("%1", str(row.best_trial))
                .replace("%2", goal).replace("%3", format_value(row.best_value)))
        lines.extend(self._importance_lines(row))
        return lines

    def _importance_lines(self, row: StageRow) -> list[tuple[str, str]]:
        data = row.importance
        if data is None:
            return []
        if data.get("reason") or not data.get("ranking"):
            text = self.tr("Importance after this stage: not measured, too few finished trials")
            return [(f"<i>{html_escape(text)}</i>", text)]
        shares = [f"{r.get('name')} {_share(r.get('importance'))}"
                  for r in data.get("ranking") or () if isinstance(r, Mapping)][:TOP_SHARES]
        text = fill(self.tr("Importance after this stage (%1, %2 trials): %3"),
                    str(data.get("evaluator", "")), str(data.get("trials", "")),
                    ", ".join(shares))
        out = [(html_escape(text), text)]
        if not row.disagreements:
            agree = self.tr("The order agrees with the guide's tiers.")
            out.append((f"<span style='color:#2b7a2b'>{html_escape(agree)}</span>", agree))
        for d in row.disagreements:
            sentence = "⚠ " + self.disagreement(d)
            out.append((f"<span style='color:{WARNING}'>{html_escape(sentence)}</span>",
                        sentence))
        return out

    def disagreement(self, d: Mapping[str, Any]) -> str:
        """One disagreement with the guide's tiers, in the window's language."""
        return fill(self.tr("%1 (tier %2, %3) mattered more than %4 (tier %5, %6)"),
                    str(d.get("name")), str(d.get("tier")), _share(d.get("importance")),
                    str(d.get("above")), str(d.get("above_tier")),
                    _share(d.get("above_importance")))

    def _tooltip(self, row: StageRow) -> str:
        parts = []
        if row.defaults:
            parts.append(self.tr("Later stages' hyperparameters at their defaults: %1").replace(
                "%1", ", ".join(f"{k} = {format_value(v)}" for k, v in row.defaults.items())))
        reason = (row.importance or {}).get("reason")
        if reason:
            parts.append(str(reason))
        return "\n".join(parts)

    def _folded(self, shown: bool) -> None:
        self.cards_area.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)


def _share(value: Any) -> str:
    return f"{value:.0%}" if isinstance(value, (int, float)) else "?"


__all__ = ["StagePanel"]
