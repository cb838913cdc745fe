"""The application around the parts: start-up, the main window that wires the parts together,
the menus, window layout memory, languages and translations, the app's resource files, and
the Trainer Python dialog."""
