"""The check every GUI test can run: each interactive widget has an objectName and an
accessible name (tests find widgets by the first; screen readers speak the second)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

INTERACTIVE = (QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox,
               QLineEdit, QPlainTextEdit, QTextEdit, QTabBar)


def unnamed_widgets(root: QWidget) -> list[str]:
    """Descriptions of interactive widgets under `root` lacking an objectName or accessible name.

    Widgets Qt creates inside composite widgets (a combo box's line edit, a spin box's editor,
    a tab widget's bar, a scroll area's bars, a view's header) belong to their named parent."""
    missing = []
    for w in [root, *root.findChildren(QWidget)]:
        if not isinstance(w, INTERACTIVE) or _is_internal(w):
            continue
        if not w.objectName() or not w.accessibleName():
            missing.append(f"{type(w).__name__}(objectName={w.objectName()!r}, "
                           f"accessibleName={w.accessibleName()!r}, text={_text(w)!r})")
    return missing


def _is_internal(w: QWidget) -> bool:
    parent = w.parentWidget()
    name = w.objectName()
    if name.startswith("qt_") or (parent is not None and parent.objectName().startswith("qt_")):
        return True
    if isinstance(w, QLineEdit) and isinstance(parent, (QComboBox, QAbstractSpinBox)):
        return True
    if isinstance(w, QAbstractButton) and isinstance(parent, QLineEdit):
        return True  # the clear button of setClearButtonEnabled
    p = parent
    while p is not None:  # a combo box's pop-up list (the Python type shows only QFrame)
        if p.metaObject().className() == "QComboBoxPrivateContainer":
            return True
        p = p.parentWidget()
    if isinstance(w, QAbstractSlider) and type(w).__name__ == "QScrollBar":
        return True
    if isinstance(w, QTabBar) and parent is not None and type(parent).__name__ == "QTabWidget":
        return True
    if isinstance(w, QAbstractButton) and parent is not None and (
            isinstance(parent, (QAbstractItemView, QTabBar))
            or type(parent).__name__ in ("QHeaderView", "QDialogButtonBox", "QToolBar",
                                         "QTableCornerButton", "QMenuBar")):
        return True
    if type(w).__name__ in ("QHeaderView",):
        return True
    p = parent
    while p is not None:  # pyqtgraph's own context menus and axes are not ours to name
        if type(p).__module__.startswith("pyqtgraph"):
            return True
        p = p.parentWidget()
    return False


def _text(w: QWidget) -> str:
    text = getattr(w, "text", None)
    return text() if callable(text) else ""
