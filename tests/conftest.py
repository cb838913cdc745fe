"""Test-wide set-up: Qt offscreen before anything imports it; user dirs redirected per test."""

from __future__ import annotations

import os
from pathlib import Path

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


@pytest.fixture(autouse=True)
def _unsaved_plan_edits_discarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A window closed at a test's end over plan edits would wait forever on the Save /
    Discard / Cancel question; tests of that question put `hpdesk.gui.actions.unsaved.ask` back."""
    from hpdesk.gui.actions import unsaved

    monkeypatch.setattr(unsaved, "ask", lambda box: unsaved.Button.Discard)


@pytest.fixture
def starts_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file where fake_train.py records each process it starts (tests.waiting.trial_starts
    counts them): trials inherit the test's environment through hpdesk and its scheduler."""
    from tests.waiting import STARTS_ENV

    path = tmp_path / "trial-starts.txt"
    monkeypatch.setenv(STARTS_ENV, str(path))
    return path
