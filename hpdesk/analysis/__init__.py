"""What the numbers say: curve smoothing and decimation, importance, summaries of trials.

Plain Python and numpy (and Optuna for importance): no Qt, no torch, so the window, the CLI and
the tests all use the same functions.
"""
