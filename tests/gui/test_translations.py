"""The Chinese window: every tr() string of hpdesk/gui has a finished translation, the shipped .qm
is the compiled .ts, the app's translator really turns key strings into Chinese, and no
translation loses a placeholder, a tag or a menu accelerator the code relies on."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "update_translations.py"
TS = ROOT / "resources" / "i18n" / "hpdesk_zh_CN.ts"
QM = TS.with_suffix(".qm")

PLACEHOLDER = re.compile(r"%(?:\d+|n)")
TAG = re.compile(r"</?[a-zA-Z]+\s*/?>")
BRACED = re.compile(r"\{[A-Za-z_%0-9]*\}")
ACCELERATOR = re.compile(r"&([^&\s])")


def _require_tool(name: str) -> None:
    """Qt's translation tools come with PySide6-Essentials, a dependency: missing is a failure."""
    if not (shutil.which(name) or Path(sys.executable).with_name(name).exists()):
        pytest.fail(f"{name} is not installed: it comes with PySide6-Essentials (make venv)")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("update_translations", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _messages() -> list[tuple[str, str, list[str]]]:
    """(context, source, translations) of every live message of the .ts."""
    rows = []
    for context in ET.parse(TS).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            if translation.get("type") in ("vanished", "obsolete"):
                continue
            forms = [f.text or "" for f in translation.iter("numerusform")]
            rows.append((name, message.findtext("source") or "", forms or [translation.text or ""]))
    return rows


def _accelerators(text: str) -> list[str]:
    return [m.lower() for m in ACCELERATOR.findall(text.replace("&&", ""))]


def test_every_string_of_the_window_has_a_finished_translation() -> None:
    _require_tool("pyside6-lupdate")
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (
        "untranslated strings: translate them in resources/i18n/hpdesk_zh_CN.ts, then run "
        f"scripts/update_translations.py\n{result.stdout}{result.stderr}")


def test_the_shipped_qm_is_the_compiled_ts(tmp_path: Path) -> None:
    _require_tool("pyside6-lrelease")
    fresh = tmp_path / QM.name
    _script().lrelease(TS, fresh)
    assert QM.read_bytes() == fresh.read_bytes(), (
        "resources/i18n/hpdesk_zh_CN.qm is stale: run scripts/update_translations.py")


@pytest.mark.parametrize(("context", "source", "expected"), [
    ("MainWindow", "Launch", "启动"),
    ("MainWindow", "Plan", "计划"),
    ("States", "completed", "已完成"),
    ("States", "pruned", "已剪枝"),
    ("PlanEditor", "Tier 1 · tune first", "第一梯队 · 最先调"),
    ("RunSettings", "Early stopping (pruning)", "剪枝/提前停止"),
    ("States", "stopped", "已停止"),
    ("States", "paused", "已暂停"),
    ("StagePanel", "Stages", "阶段"),
    ("CompareView", "Pareto front", "帕累托前沿"),
    ("CompareView", "Population", "种群"),
    ("DataPage", "Handwritten digits (built in)", "手写数字（内置）"),
    ("ExperimentOverview", "lower is better", "越低越好"),
])
def test_the_translator_turns_key_strings_into_chinese(qapp: object, context: str, source: str,
                                                       expected: str) -> None:
    from PySide6.QtCore import QTranslator

    from hpdesk.gui.shell.resources import translations_dir

    translator = QTranslator()
    assert translator.load("hpdesk_zh_CN", str(translations_dir()))
    assert translator.translate(context, source) == expected


def test_the_app_installs_the_chinese_translator(qapp: object) -> None:
    """Through the window's own loader (hpdesk.gui.shell.i18n), not just a hand-made QTranslator."""
    from PySide6.QtCore import QCoreApplication, QLocale

    from hpdesk.gui.shell import i18n

    app = QCoreApplication.instance()
    assert app is not None
    before = QLocale()
    try:
        i18n.install(app, "zh_CN")
        assert QCoreApplication.translate("MainWindow", "Stop") == "停止"
        text = QCoreApplication.translate("TrialsView", "%1 of %2 trials")
        assert text.replace("%1", "3").replace("%2", "10") == "3 / 10 个试验"
    finally:
        i18n.install(app, "en")
        QLocale.setDefault(before)
    assert QCoreApplication.translate("MainWindow", "Stop") == "Stop"


def test_translations_keep_placeholders_tags_and_accelerators() -> None:
    rows = _messages()
    assert len(rows) > 300
    broken = []
    for context, source, forms in rows:
        for text in forms:
            where = f"{context}: {source!r} -> {text!r}"
            if not text.strip():
                broken.append(f"empty: {where}")
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(text)):
                broken.append(f"placeholders: {where}")
            if Counter(TAG.findall(source)) != Counter(TAG.findall(text)):
                broken.append(f"HTML tags: {where}")
            if Counter(BRACED.findall(source)) != Counter(BRACED.findall(text)):
                broken.append(f"{{name}} placeholders: {where}")
            if _accelerators(source) != _accelerators(text):
                broken.append(f"accelerator: {where}")
            if source.endswith("…") != text.endswith("…"):
                broken.append(f"ellipsis: {where}")
    assert broken == []


def test_the_checks_above_would_notice_a_lost_placeholder() -> None:
    """Guard the guard: the patterns really see %1, tags and accelerators."""
    assert PLACEHOLDER.findall("Trial %1 of %2") == ["%1", "%2"]
    assert TAG.findall("<b>New here?</b>") == ["<b>", "</b>"]
    assert _accelerators("S&top experiment") == ["t"]
    assert _accelerators("Bergstra & Bengio") == []
    assert _accelerators("停止实验(&T)") == ["t"]


def test_no_translation_goes_through_a_wrapper_lupdate_cannot_see() -> None:
    """lupdate finds only literal `tr("...")` and `QCoreApplication.translate("Ctx", "...")`
    calls: a helper such as `def _tr(text): return translate("Ctx", text)` hides its strings,
    and they silently drop out of the Chinese file (it happened twice)."""
    gui = Path(__file__).resolve().parents[2] / "hpdesk" / "gui"
    wrappers = re.compile(r"def \w+\((?:self, )?text: str\)[^:]*:\s*"
                          r"(?:\"\"\"[^\"]*\"\"\"\s*)?(?:#[^\n]*\s*)*"
                          r"return (?:QCoreApplication\.translate|self\.tr)\(", re.S)
    found = [f"{path.name}" for path in sorted(gui.rglob("*.py"))
             if wrappers.search(path.read_text(encoding="utf-8"))]
    assert found == [], f"translation wrappers lupdate cannot see: {found}"
