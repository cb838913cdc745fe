"""Help → Tuning guide (issue 13, item 6): the menu opens a non-modal dialog whose topics show
their text, sources, parameters and rules, filter by the search box, and speak Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from hpdesk.gui.base.settings import Settings
from hpdesk.gui.shell import i18n
from hpdesk.gui.shell.guide_dialog import GuideDialog, first_sentence
from hpdesk.gui.shell.main_window import MainWindow
from hpdesk.knowledge import catalogue
from hpdesk.knowledge.guide import guide_topics, topic
from tests.gui.accessibility import unnamed_widgets


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    made = MainWindow(Settings(tmp_path / "settings.ini"), tmp_path / "x.db", "en")
    qtbot.addWidget(made)
    made.show()
    qtbot.waitUntil(lambda: made.store is not None, timeout=10_000)
    yield made
    made.replaced = True
    made.close()


@pytest.fixture
def english_afterwards(qapp) -> Iterator[None]:
    yield
    i18n.install(qapp, "en")


def _open(window: MainWindow) -> GuideDialog:
    window.actions_["guide"].trigger()
    dialog = window.findChild(GuideDialog)
    assert dialog is not None
    return dialog


def test_the_help_menu_opens_the_guide_beside_the_window(window, qtbot) -> None:
    help_menu = next(a.menu() for a in window.menuBar().actions()
                     if a.menu() is not None and a.menu().objectName() == "helpMenu")
    action = window.findChild(QAction, "help.guide")
    assert action is window.actions_["guide"] and action in help_menu.actions()
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    dialog = _open(window)
    qtbot.waitUntil(dialog.isVisible)
    assert not dialog.isModal() and dialog.windowTitle() == "Tuning guide"
    assert dialog.visible_keys() == [t.key for t in guide_topics()]
    assert unnamed_widgets(dialog) == []
    action.trigger()  # again: the same dialog, not a second one
    assert window.findChildren(GuideDialog) == [dialog]


def test_a_topic_shows_its_text_sources_parameters_and_rules(window, qtbot) -> None:
    dialog = _open(window)
    topics = dialog.topics
    text = dialog.text
    row = [t.key for t in guide_topics()].index("gan")
    topics.setCurrentRow(row)
    shown = text.toPlainText()
    gan = topic("gan")
    assert gan.title_en in shown and "beta1 = 0.5" in shown
    assert "Heusel et al. 2017" in shown and "Miyato et al. 2018" in shown
    assert "the guide, “How to improve a GAN's performance?" in shown  # the guide's section
    assert "lr_d" in shown and first_sentence(catalogue()["lr_d"].help("en")) in shown
    assert "gan_beta1" in shown and "Advice rules it drives" in shown
    topics.setCurrentRow([t.key for t in guide_topics()].index("parameters"))
    assert "beta1 = 0.5" not in text.toPlainText()


def test_the_search_filters_the_topics(window, qtbot) -> None:
    dialog = _open(window)
    search = dialog.search
    text = dialog.text
    qtbot.keyClicks(search, "LARS")
    assert dialog.visible_keys() == ["batch_size", "extreme_batch"]
    assert dialog.current_key() == "batch_size" and "LARS" in text.toPlainText()
    search.setText("qqzx nothing-like-this")
    assert dialog.visible_keys() == [] and "qqzx nothing-like-this" in text.toPlainText()
    search.clear()
    assert len(dialog.visible_keys()) == len(guide_topics())


def test_chinese_shows_chinese_text_and_follows_a_switch(qtbot, qapp, english_afterwards) -> None:
    i18n.install(qapp, "zh_CN")
    dialog = GuideDialog("zh_CN")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.select_topic("batch_size")
    text = dialog.text
    assert "累计梯度" in text.toPlainText() and "指南《batch size的设置》" in text.toPlainText()
    dialog.search.setText("累计梯度")
    assert "batch_size" in dialog.visible_keys() and "gan" not in dialog.visible_keys()
    dialog.search.clear()
    i18n.install(qapp, "en")  # the window's language switched while the guide is open
    qtbot.waitUntil(lambda: "gradient accumulation" in text.toPlainText())
    assert dialog.current_key() == "batch_size"
    i18n.install(qapp, "zh_CN")
    qtbot.waitUntil(lambda: "累计梯度" in text.toPlainText())
    assert dialog.windowTitle() == "调参指南"


def test_fits_a_small_screen_without_sideways_scrolling(qtbot) -> None:
    dialog = GuideDialog("en")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.width() <= 1000 and dialog.height() <= 660
    dialog.resize(640, 420)
    for key in (t.key for t in guide_topics()):
        dialog.select_topic(key)
        text = dialog.text
        QApplication.processEvents()
        assert text.horizontalScrollBar().maximum() == 0, key


def test_the_open_guide_moves_to_the_window_a_language_switch_opens(
        qtbot, qapp, tmp_path: Path, english_afterwards) -> None:
    from hpdesk.gui.shell import app

    old = app._open_window(Settings(tmp_path / "settings.ini"), tmp_path / "x.db", "en")
    qtbot.waitUntil(lambda: old.store is not None, timeout=10_000)
    try:
        old.actions_["guide"].trigger()
        dialog = old.findChild(GuideDialog)
        assert dialog is not None
        dialog.select_topic("gan")
        new = app.replace_window(old, language="zh_CN")
        qtbot.waitUntil(lambda: dialog.parentWidget() is new and dialog.isVisible())
        assert dialog.current_key() == "gan" and "判别器" in dialog.text.toPlainText()
        new.actions_["guide"].trigger()  # the same dialog, not a second one
        assert [w for w in QApplication.topLevelWidgets() if isinstance(w, GuideDialog)
                and w.isVisible()] == [dialog]
    finally:
        for window in app._windows[:]:
            window.replaced = True  # type: ignore[attr-defined]
            window.close()
            app._windows.remove(window)
