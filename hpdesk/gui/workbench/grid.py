"""Where the plan editor's rows sit in its grid, so that every field fits the width it gets.

Each hyperparameter has four grid lines: name | how | value | remove; then its value, when it
does not fit beside the name (a range in a 1024-pixel window); then its note; then its quick
fix (the recommended learning rate), when the value went below. Empty lines take no room.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QGridLayout

from hpdesk.gui.workbench.rows import ParamRow

LINES_PER_ROW = 4


def tier_text(tier: int) -> tuple[str, str]:
    """The heading of a tuning tier (KNOWLEDGE.md) and what it holds. Literal translate calls:
    lupdate finds only those."""
    if tier == 1:
        return (QCoreApplication.translate("PlanEditor", "Tier 1 · tune first"),
                QCoreApplication.translate("PlanEditor",
                                           "learning rate, its schedule, the loss terms"))
    if tier == 2:
        return (QCoreApplication.translate("PlanEditor", "Tier 2 · tune next"),
                QCoreApplication.translate("PlanEditor", "batch size, momentum"))
    if tier == 3:
        return (QCoreApplication.translate("PlanEditor", "Tier 3 · tune last"),
                QCoreApplication.translate(
                    "PlanEditor", "Adam's betas, regularisation, the network's shape, set-up"))
    return (QCoreApplication.translate("PlanEditor", "Other"),
            QCoreApplication.translate("PlanEditor", "parameters of your own script"))


def fit_rows(grid: QGridLayout, placed: Sequence[tuple[ParamRow, int]], width: int,
             inline: dict[str, bool], *, force: bool = False) -> None:
    """Put each row's value beside its name where it fits in `width` pixels, else on the line
    below: no field or button ever sits past the right edge. `inline` remembers where each
    value is (name -> beside); rows already in place are left alone unless `force`."""
    if not placed:
        return
    cols = [max(w.minimumSizeHint().width() for w in widgets) for widgets in (
        [r.name_label for r, _ in placed], [r.mode for r, _ in placed],
        [r.remove for r, _ in placed])]
    margins = grid.contentsMargins()
    room = (width - sum(cols) - margins.left() - margins.right()
            - 3 * grid.horizontalSpacing())
    for row, line in placed:
        beside = row.stack.minimumSizeHint().width() <= room
        if not force and inline.get(row.form.name) == beside:
            continue
        inline[row.form.name] = beside
        for widget in (row.stack, row.note, row.recommend):
            if widget is not None:
                grid.removeWidget(widget)
        if beside:
            grid.addWidget(row.stack, line, 2)
        else:
            grid.addWidget(row.stack, line + 1, 0, 1, 3)
        # The quick fix sits under the range it sets (beside: next to the row's note).
        if beside and row.recommend is not None:
            grid.addWidget(row.note, line + 2, 1)
            grid.addWidget(row.recommend, line + 2, 2, Qt.AlignmentFlag.AlignLeft)
        elif beside:
            grid.addWidget(row.note, line + 2, 1, 1, 2)
        else:
            grid.addWidget(row.note, line + 2, 0, 1, 3)
            if row.recommend is not None:
                grid.addWidget(row.recommend, line + 3, 0, 1, 3, Qt.AlignmentFlag.AlignLeft)


__all__ = ["LINES_PER_ROW", "fit_rows", "tier_text"]
