"""Test-wide set-up: Qt offscreen before anything imports it; user dirs redirected per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test writes to the real ~/.local/share/hpdesk or ~/.config/hpdesk."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for name in ("HPDESK_DB", "HPDESK_TRIAL_ID", "HPDESK_PARAMS", "HPDESK_PARAMS_FILE"):
        monkeypatch.delenv(name, raising=False)
