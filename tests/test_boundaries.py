"""DESIGN.md's rule, at run time: the domain never loads Qt or torch (import-linter checks the
source; this checks what actually lands in sys.modules)."""

from __future__ import annotations

import subprocess
import sys

import pytest

DOMAIN = ["hpdesk", "hpdesk.knowledge", "hpdesk.plan", "hpdesk.search", "hpdesk.store",
          "hpdesk.runner", "hpdesk.sdk", "hpdesk.cli", "hpdesk.tasks"]


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_modules_load_neither_torch_nor_qt(module: str) -> None:
    code = (f"import sys, {module}\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'PySide6', 'pyqtgraph'))\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_domain_works_with_qt_and_torch_blocked() -> None:
    """Plans, advice, search and the store run in a process where Qt and torch cannot import."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'PySide6', 'pyqtgraph'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import tempfile, pathlib
from hpdesk.plan import plan_from_preset, dumps_plan, loads_plan
from hpdesk.knowledge import advise
from hpdesk.search import make_strategy
from hpdesk.store import Store
for task in ('classification', 'detection', 'gan', 'script'):
    plan = plan_from_preset(task)
    assert loads_plan(dumps_plan(plan)) == plan
    advise(plan.to_dict())
    assert make_strategy(plan).suggest()
with tempfile.TemporaryDirectory() as d:
    with Store(pathlib.Path(d) / 'a.db') as s:
        s.create_experiment('e', 'classification', {})
print('ok')
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr
