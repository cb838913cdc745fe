"""The window's language: Qt's own strings (qtbase) and hpdesk's (resources/i18n/*.qm)."""

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
    from hpdesk.gui.resources import translations_dir

    qt = QTranslator(app)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _installed.append(qt)
    ours = QTranslator(app)
    if ours.load(f"hpdesk_{language}", str(translations_dir())):
        app.installTranslator(ours)
        _installed.append(ours)
    else:
        log.warning("no translation hpdesk_%s.qm in %s", language, translations_dir())
