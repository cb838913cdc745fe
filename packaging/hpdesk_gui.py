"""The PyInstaller bundle's entry point: the same `hpdesk` command as the installed script
(`hpdesk.cli:main`), so the bundle opens the window and runs the sub-commands alike."""

from __future__ import annotations

from hpdesk.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
