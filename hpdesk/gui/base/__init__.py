"""Pieces every part of the window uses and that know no part: names and colours of trial
states, number formatting, background jobs, the settings file, file dialogs that remember their
folder, wheel-safe inputs, readers of plan dicts, the command confirmation, and the poller that
brings the database to the window off the GUI thread."""
