"""The workspace model: pure Python, no Textual, no writes (except the parse cache via fsio).

Stable entry points: ``load(path) -> Workspace`` and ``Workspace.apply(changed_paths)``.
"""

from .types import (
    ACHIEVEMENT_STATES,
    PLAN_STATES,
    Achievement,
    Effort,
    Execution,
    GrammaPlan,
    Plan,
    Problem,
    Reason,
)
from .workspace import Workspace, load, quick_names

__all__ = [
    "ACHIEVEMENT_STATES",
    "PLAN_STATES",
    "Achievement",
    "Effort",
    "Execution",
    "GrammaPlan",
    "Plan",
    "Problem",
    "Reason",
    "Workspace",
    "load",
    "quick_names",
]
