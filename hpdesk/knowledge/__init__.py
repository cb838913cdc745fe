"""The tuning knowledge of shared/KNOWLEDGE.md as data: hyperparameters, task presets, advice.

Pure data and functions (standard library and PyYAML only), so every other package — the plan,
the search, the GUI — can use it without pulling in Qt or torch.
"""

from __future__ import annotations

from hpdesk.knowledge.advice import RULES, Finding, advise
from hpdesk.knowledge.catalogue import (
    FAMILIES,
    Hyperparameter,
    KnowledgeError,
    Optimizer,
    catalogue,
    lr_range,
    optimizers,
)
from hpdesk.knowledge.preset_space import preset_space
from hpdesk.knowledge.presets import Preset, preset, tasks

__all__ = [
    "FAMILIES",
    "RULES",
    "Finding",
    "Hyperparameter",
    "KnowledgeError",
    "Optimizer",
    "Preset",
    "advise",
    "catalogue",
    "lr_range",
    "optimizers",
    "preset",
    "preset_space",
    "tasks",
]
