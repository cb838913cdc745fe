"""Built-in torch training programs that hpdesk runs as trial subprocesses.

Each task is a module run as ``python -m hpdesk.tasks.<name>``; it reads its hyperparameters and
reports its metrics through :mod:`hpdesk.sdk`. This package itself imports nothing, so that code
which only needs to name or locate a task (the GUI, the planner) never pays for importing torch;
only the task modules and their shared machinery (common, optim, schedules, layers, training,
image_data) import it.
"""
