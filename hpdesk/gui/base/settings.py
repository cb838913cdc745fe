"""UI preferences (window layout, recent databases, language, trainer interpreter) in an INI
file through QSettings. Only preferences live here, never experiment data: that is the database.

Tests pass their own `path`, so no test reads or writes the person's real settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

DEFAULTS: dict[str, Any] = {
    "language": "",  # "" follows the system locale (zh* gives Chinese, else English)
    "recent_databases": [],
    "trainer_python": "",  # "" is this interpreter (not possible in a frozen bundle)
    "welcome_done": False,
}
LANGUAGES = ("en", "zh_CN")
MAX_RECENT = 8


class Settings:
    """A thin typed wrapper: every key has a default, every value comes back as its type."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            self._qs = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                 "hpdesk", "hpdesk")
        else:
            self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def path(self) -> str:
        return self._qs.fileName()

    def get(self, key: str) -> Any:
        default = DEFAULTS[key]
        value = self._qs.value(key, default)
        if isinstance(default, bool):
            return value if isinstance(value, bool) else str(value).lower() == "true"
        if isinstance(default, list):
            if value in (None, ""):
                return []
            return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        return value

    def set(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(f"unknown setting {key!r}")
        self._qs.setValue(key, value)

    # window layout: opaque Qt blobs ----------------------------------------------------------
    def layout(self, name: str) -> QByteArray | None:
        value = self._qs.value(f"layout/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_layout(self, name: str, state: QByteArray) -> None:
        self._qs.setValue(f"layout/{name}", state)

    # recent databases ------------------------------------------------------------------------
    def recent_databases(self) -> list[str]:
        return [p for p in self.get("recent_databases") if p]

    def add_recent_database(self, path: str | Path) -> None:
        text = str(Path(path).expanduser().resolve())
        recent = [text] + [p for p in self.recent_databases() if p != text]
        self.set("recent_databases", recent[:MAX_RECENT])

    # the folder each kind of file dialog showed last ("plans", "databases", "exports", ...) --
    def last_folder(self, kind: str) -> str:
        value = self._qs.value(f"folders/{kind}", "")
        return str(value) if value else ""

    def set_last_folder(self, kind: str, folder: str | Path) -> None:
        self._qs.setValue(f"folders/{kind}", str(folder))

    def language(self, system_locale: str) -> str:
        """The chosen UI language, or the system's when none was chosen."""
        chosen = self.get("language")
        if chosen in LANGUAGES:
            return str(chosen)
        return "zh_CN" if system_locale.lower().startswith("zh") else "en"

    def sync(self) -> None:
        self._qs.sync()
