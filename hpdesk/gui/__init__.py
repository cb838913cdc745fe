"""The desktop window. No domain logic lives here.

Only this package imports Qt (PySide6, pyqtgraph); it never imports torch (trials run in their
own processes), so the window starts in about the time Qt itself takes to import.

Its sub-packages name the window's parts, from the top down (each imports only those below it;
`pyproject.toml` holds the layers as an import-linter contract):

- `shell`: the application, the main window that wires the parts, menus, languages.
- `actions`: what buttons and menus do to experiments, trials, plans and files.
- `wizard`, `run`, `compare`, `experiments`: the New experiment dialog, the "Trials and curves"
  tab, the Compare tab and the experiment list.
- `workbench`, `trials`, `curves`: the Plan tab, the trials table and the live curves.
- `base`: what every part uses (state names and colours, background jobs, settings, the poller).
"""
