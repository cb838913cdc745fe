"""The desktop window: Qt widgets, item models and the poller. No domain logic lives here.

Only this package imports Qt (PySide6, pyqtgraph); it never imports torch (trials run in their
own processes), so the window starts in about the time Qt itself takes to import.
"""
