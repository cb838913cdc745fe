"""hpdesk: plan, launch, watch and explain deep-learning hyperparameter experiments.

Importing the package loads neither torch nor Qt (DESIGN.md): only `hpdesk.tasks` imports torch
and only `hpdesk.gui` imports Qt.
"""

__version__ = "0.1.0"
