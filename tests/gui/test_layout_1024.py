"""The window at 1024x700, in English and in Chinese, on a machine with GPUs of long names: the
Plan tab's run settings fit their column (nothing cut at the right, no horizontal scrolling),
whatever strategy or pruner is chosen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QPoint
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QWidget,
)

from hpdesk.gui.base.settings import Settings
from hpdesk.gui.shell import i18n
from hpdesk.gui.shell.main_window import MainWindow

GPUS = "NVIDIA GeForce RTX 4090:24564,NVIDIA RTX 6000 Ada Generation:49140"


@pytest.fixture(params=["en", "zh_CN"])
def window(request: Any, qtbot: Any, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    monkeypatch.setenv("HPDESK_FAKE_GPUS", GPUS)
    app = QCoreApplication.instance()
    assert app is not None
    i18n.install(app, request.param)
    window = MainWindow(Settings(tmp_path / "settings.ini"), tmp_path / "x.db", request.param)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)
    window.tabs.setCurrentWidget(window.plan_tab)
    yield window
    window.close()
    i18n.install(app, "en")


def _cut(root: QWidget, viewport: QWidget) -> list[str]:
    """The visible labels, buttons and fields of `root` that reach past `viewport`'s sides."""
    out = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, (QLabel, QAbstractButton, QComboBox, QLineEdit,
                                   QAbstractSpinBox)) or not widget.isVisibleTo(root):
            continue
        left = widget.mapTo(viewport, QPoint(0, 0)).x()
        if left < 0 or left + widget.width() > viewport.width():
            out.append(f"{widget.objectName() or type(widget).__name__} at {left}, "
                       f"{widget.width()} wide in {viewport.width()}")
    return out


def test_run_settings_fit_their_column_for_every_method(window: MainWindow, qtbot: Any) -> None:
    settings = window.workbench.run_settings
    scroll = window.workbench.findChild(QScrollArea, "runSettingsScroll")
    assert scroll is not None and settings.gpu_checks  # the long GPU names are shown
    for chooser in (settings.strategy_chooser, settings.pruner_chooser):
        for index in range(chooser.combo.count()):
            chooser.combo.setCurrentIndex(index)
            for _ in range(3):  # the layout requests the change posted
                QApplication.processEvents()
            name = chooser.combo.itemData(index)
            assert scroll.horizontalScrollBar().maximum() == 0, name
            assert _cut(settings, scroll.viewport()) == [], name


def test_a_narrow_column_puts_labels_above_fields_and_shortens_long_names(
        window: MainWindow, qtbot: Any) -> None:
    settings = window.workbench.run_settings
    QApplication.processEvents()
    check = settings.gpu_checks[1]
    # A GPU's whole name is its tooltip; the check box shrinks below it instead of widening
    # the column.
    assert "RTX 6000 Ada Generation" in check.toolTip()
    assert check.minimumSizeHint().width() < check.sizeHint().width()
    assert check.width() <= settings.width()
    # The device choice reads whole in both languages (the Chinese label was cut).
    mode = settings.device_mode
    assert mode.width() >= mode.fontMetrics().horizontalAdvance(mode.currentText()) + 24
    assert not mode.is_elided()
    assert mode.currentText() in mode.toolTip()
    assert settings.is_stacked()  # 1024 wide: the column is too narrow for labels beside
    # A wide column keeps labels beside their fields.
    settings.resize(settings.stack_below() + 10, settings.height())
    assert not settings.is_stacked()
