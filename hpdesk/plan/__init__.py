"""The experiment plan: search-space types, the plan itself, files in and out, validation."""

from hpdesk.plan.files import dump_plan, dumps_plan, load_plan, loads_plan
from hpdesk.plan.model import Budget, Executor, Objective, Plan, Strategy
from hpdesk.plan.presets import plan_from_preset
from hpdesk.plan.reader import PlanError, Problem
from hpdesk.plan.schema import parse_plan
from hpdesk.plan.space import Categorical, Condition, Distribution, Fixed, FloatRange, IntRange

__all__ = [
    "Budget", "Categorical", "Condition", "Distribution", "Executor", "Fixed", "FloatRange",
    "IntRange", "Objective", "Plan", "PlanError", "Problem", "Strategy", "dump_plan",
    "dumps_plan", "load_plan", "loads_plan", "parse_plan", "plan_from_preset",
]
