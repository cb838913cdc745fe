"""The window's language: Qt's own strings (qtbase), pyqtgraph's plot menus (a table in
extra_translations) and hpdesk's (resources/i18n/*.qm)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)
_installed: list[QTranslator] = []


def install(app: QCoreApplication, language: str) -> None:
    """Replace the translators: "en" is the source language (none needed), "zh_CN" loads both."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    QLocale.setDefault(QLocale(language))
    if language == "en":
        return
    from hpdesk.gui.shell.resources import translations_dir

    qt = QTranslator(app)
    # Qt's own strings (standard buttons, the file dialog, line-edit menus) from PySide6's
    # translations folder; a missing file is said, not fatal.
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(f"qtbase_{language}", qt_dir):
        app.installTranslator(qt)
        _installed.append(qt)
    else:
        log.warning("no Qt translation qtbase_%s.qm in %s", language, qt_dir)
    from hpdesk.gui.shell.extra_translations import TABLES, TableTranslator

    if language in TABLES:  # pyqtgraph's plot menus (it ships none) and qtbase's few gaps
        extra = TableTranslator(TABLES[language], app)
        app.installTranslator(extra)
        _installed.append(extra)
    ours = QTranslator(app)
    if ours.load(f"hpdesk_{language}", str(translations_dir())):
        app.installTranslator(ours)
        _installed.append(ours)
    else:
        log.warning("no translation hpdesk_%s.qm in %s", language, translations_dir())
