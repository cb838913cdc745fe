"""Help → Tuning guide: hpdesk's account of each topic of the tuning guide, browsable beside the
work (the dialog is not modal), in the window's language.

Each topic shows its sources, the hyperparameters it drives (with the first sentence of their
catalogue help) and the advice rules it drives (with what they say), so a person can see why a
preset, a range or a warning is what it is. The topics are data (hpdesk.knowledge.guide).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QLocale, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import html_escape
from hpdesk.knowledge.catalogue import catalogue
from hpdesk.knowledge.guide import Topic, guide_topics, rule_summary
from hpdesk.knowledge.sources import label

_KEY = Qt.ItemDataRole.UserRole
_SENTENCE = re.compile(r"(?<=[.。])\s")


def knowledge_language(language: str) -> str:
    """The knowledge data's language for a window language ("zh_CN" → "zh", else "en")."""
    return "zh" if str(language).lower().startswith("zh") else "en"


def first_sentence(text: str) -> str:
    """The first sentence of a help text: enough for a line under a parameter's name."""
    text = text.strip()
    cut = text.find("。")
    if cut >= 0:
        return text[:cut + 1]
    parts = _SENTENCE.split(text, maxsplit=1)
    return parts[0]


class GuideDialog(QDialog):
    """The topics on the left (filtered by the search box), the chosen one on the right."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setModal(False)
        self.lang = knowledge_language(language)
        self.search = named(QLineEdit(), "guideSearch", "")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.topics = named(QListWidget(), "guideTopics", "")
        self.topics.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.topics.setWordWrap(True)
        self.topics.currentItemChanged.connect(lambda item, _old: self._show(item))
        self.text = named(QTextBrowser(), "guideText", "")
        self.text.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(lambda url: self.select_topic(url.fragment()))
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.topics, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("guideSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.text)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 600])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setObjectName("guideButtons")
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(buttons)
        self.setSizeGripEnabled(True)
        self.resize(900, 600)  # inside a 1024x700 screen with room for the frame
        self._retranslate()
        self._fill()

    # ---- public --------------------------------------------------------------------------
    def select_topic(self, key: str) -> bool:
        """Show topic ``key`` (clearing a search that hides it); False when there is none."""
        for row in range(self.topics.count()):
            item = self.topics.item(row)
            if item.data(_KEY) == key:
                if item.isHidden():
                    self.search.clear()
                self.topics.setCurrentItem(item)
                return True
        return False

    def current_key(self) -> str | None:
        item = self.topics.currentItem()
        return str(item.data(_KEY)) if item is not None else None

    def visible_keys(self) -> list[str]:
        """The topics the search leaves listed, in reading order."""
        return [str(self.topics.item(r).data(_KEY)) for r in range(self.topics.count())
                if not self.topics.item(r).isHidden()]

    def set_language(self, language: str) -> None:
        """Show the topics in ``language`` ("en", "zh_CN"…), keeping the topic and the search."""
        self.lang = knowledge_language(language)
        self._retranslate()
        self._fill()

    # ---- Qt ------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """Follow a language switch while open: the window's translators were replaced."""
        if event.type() == QEvent.Type.LanguageChange:
            self.set_language(QLocale().name())
            QTimer.singleShot(0, self._follow_window)
        super().changeEvent(event)

    def _follow_window(self) -> None:
        """A language switch replaces the main window (hpdesk.gui.shell.app.replace_window):
        move to the window that took this one's place, so the guide stays open beside it."""
        old = self.parentWidget()
        if old is None or not getattr(old, "replaced", False):
            return
        for w in QApplication.topLevelWidgets():
            if type(w) is type(old) and w is not old and not getattr(w, "replaced", False):
                adopt(self, w)
                return

    # ---- building ------------------------------------------------------------------------
    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Tuning guide"))
        self.search.setPlaceholderText(self.tr("Search the topics"))
        self.search.setAccessibleName(self.tr("Search the topics"))
        self.topics.setAccessibleName(self.tr("Topics of the guide"))
        self.text.setAccessibleName(self.tr("The topic"))

    def _fill(self) -> None:
        """(Re)list the topics in the current language, keeping the one shown."""
        keep = self.current_key()
        self.topics.blockSignals(True)
        self.topics.clear()
        for t in guide_topics():
            item = QListWidgetItem(t.title(self.lang))
            item.setData(_KEY, t.key)
            item.setToolTip(t.section_title(self.lang))
            self.topics.addItem(item)
        self.topics.blockSignals(False)
        self._filter(self.search.text())
        if keep is None or not self.select_topic(keep):
            visible = self.visible_keys()
            if visible:
                self.select_topic(visible[0])
        self._show(self.topics.currentItem())

    def _filter(self, text: str) -> None:
        """List only the topics whose title, text, parameters or rules hold every word typed."""
        by_key = {t.key: t for t in guide_topics()}
        for row in range(self.topics.count()):
            item = self.topics.item(row)
            item.setHidden(not by_key[item.data(_KEY)].matches(text, self.lang))
        current = self.topics.currentItem()
        if current is None or current.isHidden():
            visible = self.visible_keys()
            if visible:
                self.select_topic(visible[0])
            else:
                self.topics.setCurrentRow(-1)
                self._show(None)

    def _show(self, item: QListWidgetItem | None) -> None:
        if item is None or item.isHidden():
            text = self.search.text().strip()
            self.text.setHtml("<p>" + html_escape(
                self.tr("No topic mentions “%1”.").replace("%1", text) if text
                else self.tr("Choose a topic on the left.")) + "</p>")
            return
        topic = next(t for t in guide_topics() if t.key == item.data(_KEY))
        self.text.setHtml(self.topic_html(topic))

    def topic_html(self, topic: Topic) -> str:
        """The topic as the browser shows it: its text, then sources, parameters and rules."""
        lang = self.lang
        out = [f"<h2>{html_escape(topic.title(lang))}</h2>",
               "<p><i>" + html_escape(self.tr("In the guide: %1").replace(
                   "%1", topic.section_title(lang))) + "</i></p>"]
        for block in topic.blocks(lang):
            if isinstance(block, list):
                out.append("<ul>" + "".join(f"<li>{html_escape(i)}</li>" for i in block)
                           + "</ul>")
            else:
                out.append(f"<p>{html_escape(block)}</p>")
        sources_heading = self.tr("Sources")
        out.append(f"<h3>{html_escape(sources_heading)}</h3>")
        out.append("<ul>" + "".join(f"<li>{html_escape(label(r, lang))}</li>"
                                    for r in topic.sources) + "</ul>")
        if topic.params:
            known = catalogue()
            params_heading = self.tr("Hyperparameters it drives")
            out.append(f"<h3>{html_escape(params_heading)}</h3><ul>")
            for name in topic.params:
                line = first_sentence(known[name].help(lang)) if name in known else ""
                out.append(f"<li><b>{html_escape(name)}</b>"
                           + (f" — {html_escape(line)}" if line else "") + "</li>")
            out.append("</ul>")
        if topic.rules:
            rules_heading = self.tr("Advice rules it drives")
            out.append(f"<h3>{html_escape(rules_heading)}</h3><ul>")
            for rule in topic.rules:
                said = rule_summary(rule, lang)
                out.append(f"<li><code>{html_escape(rule)}</code>"
                           + (f" — {html_escape(said)}" if said else "") + "</li>")
            out.append("</ul>")
        return "\n".join(out)


def adopt(dialog: GuideDialog, window: QWidget) -> None:
    """Make ``window`` the dialog's parent, keeping where it is and whether it is shown."""
    if dialog.parentWidget() is window:
        return
    shown, where = dialog.isVisible(), dialog.geometry()
    dialog.setParent(window, dialog.windowFlags())
    dialog.setGeometry(where)
    if shown:
        dialog.show()


def show_guide(window: QWidget, language: str, topic: str | None = None) -> GuideDialog:
    """Open the guide dialog beside ``window`` at ``topic``: the one already open (also one
    left by a window this one replaced) is reused and raised, so there is only ever one."""
    dialog = window.findChild(GuideDialog) or next(
        (w for w in QApplication.topLevelWidgets() if isinstance(w, GuideDialog)), None)
    if dialog is None:
        dialog = GuideDialog(language, window)
    else:
        adopt(dialog, window)
    if knowledge_language(language) != dialog.lang:
        dialog.set_language(language)
    if topic is not None:
        dialog.select_topic(topic)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


__all__ = ["GuideDialog", "adopt", "first_sentence", "knowledge_language", "show_guide"]
