"""What the window's buttons, menus and context menus do: launch, stop, resume and re-run,
manage experiments (rename, archive, delete), export, open and save plans, ask before unsaved
edits are lost. They act on `WindowParts` (window.py), the main window's parts and commands,
so the main window imports them and they never import it."""
