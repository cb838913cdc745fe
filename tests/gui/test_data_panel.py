"""The data panel (issue 15, item 3, in the window): an image folder with one class 20 times rarer
shows the imbalance and marks the rare class; a missing path is one sentence; a YOLO folder
shows its objects' scales; the file checks reach the plan's advice from one inspection."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt

from hpdesk.gui.base.bar_chart import MARKER
from hpdesk.gui.workbench.advice import AdvicePanel
from hpdesk.gui.workbench.data_panel import DataPanel
from hpdesk.gui.workbench.workbench import PlanWorkbench
from hpdesk.plan import parse_plan, plan_from_preset


def image(path: Path, size: tuple[int, int], shade: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (shade, 255 - shade, 7)).save(path)


def photos(root: Path) -> Path:
    """cat and dog 40 images each, fox 2; a copy and a broken file."""
    for cls, n in (("cat", 40), ("dog", 40), ("fox", 2)):
        for i in range(n):
            image(root / cls / f"{i}.png", (32, 24 if cls == "dog" else 32),
                  (i * 6 + len(cls) * 50) % 256 if cls != "fox" else 200 + i)
    (root / "dog" / "copy.png").write_bytes((root / "cat" / "3.png").read_bytes())
    (root / "cat" / "broken.jpg").write_bytes(b"not an image")
    return root


def folder_plan(path: Path, task: str = "classification") -> dict:
    plan = plan_from_preset(task).to_dict()
    plan["data"] = {"source": "folder" if task == "classification" else "yolo",
                    "path": str(path)}
    return plan


def test_a_class_twenty_times_rarer_is_shown_and_marked(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    panel = DataPanel("en")
    qtbot.addWidget(panel)
    panel.set_plan(folder_plan(photos(tmp_path / "photos")))
    qtbot.waitUntil(lambda: panel.report is not None, timeout=20_000)
    text = panel.text()
    assert "Imbalance ratio (largest class / smallest): 20.5" in text
    assert "fox (2)" in text and "Rare classes" in text
    assert "the rarest, fox, has 2 samples" in text  # the guide's finding, with its source
    assert "Source:" in text
    # The chart: most samples first, the rare class last, marked (not by colour alone).
    assert panel.chart.labels == ["cat", "dog", f"{MARKER} fox"]
    table = panel.classes
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert set(rows) == {"cat", "dog", "fox"}
    assert "rare" in table.item(rows["fox"], 3).text() and table.item(rows["cat"], 3).text() == ""
    assert table.item(rows["fox"], 0).font().bold()
    # The files: the copy, the broken file, two sizes.
    assert panel.duplicates.item(0).text() == "cat/3.png = dog/copy.png"
    assert panel.unreadable.item(0).text() == "cat/broken.jpg"
    assert panel.sizes.rowCount() == 2
    assert not panel.tabs.isTabVisible(2)  # no objects for classification
    assert panel.tabs.tabText(3) == "Findings (3)"


def test_chinese_panel(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    panel = DataPanel("zh_CN")
    qtbot.addWidget(panel)
    panel.set_plan(folder_plan(photos(tmp_path / "photos")))
    qtbot.waitUntil(lambda: panel.report is not None, timeout=20_000)
    assert "少样本类别 fox" in panel.findings.toPlainText()
    assert "内容完全相同" in panel.findings.toPlainText()


def test_a_missing_path_is_one_sentence(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    panel = DataPanel("en")
    qtbot.addWidget(panel)
    panel.set_plan(folder_plan(tmp_path / "nowhere"))
    qtbot.waitUntil(lambda: "no such file or folder" in panel.status.text(), timeout=10_000)
    assert panel.status.text() == f"{tmp_path / 'nowhere'}: no such file or folder."
    assert panel.report is None and panel.classes.rowCount() == 0
    # An empty folder, and a folder of empty class folders, say so too.
    (tmp_path / "empty" / "a").mkdir(parents=True)
    panel.set_plan(folder_plan(tmp_path / "empty"))
    qtbot.waitUntil(lambda: "holds no image file" in panel.status.text(), timeout=10_000)


def test_other_tasks_have_nothing_to_inspect(qtbot) -> None:  # noqa: ANN001
    panel = DataPanel("en")
    qtbot.addWidget(panel)
    panel.set_plan(plan_from_preset("gan"))
    assert "has no data to inspect here" in panel.status.text()
    assert not panel.again_button.isEnabled()
    panel.set_plan(plan_from_preset("detection"))  # built-in shapes
    qtbot.waitUntil(lambda: "built-in shapes" in panel.status.text(), timeout=10_000)


def test_a_yolo_folder_shows_scales_and_objects_per_image(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    root = tmp_path / "yolo"
    boxes = {"a": ["0 0.5 0.5 0.05 0.05", "0 0.2 0.2 0.5 0.5"], "b": ["1 0.5 0.5 0.2 0.2"],
             "c": []}
    for name, lines in boxes.items():
        image(root / "images" / f"{name}.png", (64, 64), 40 + len(lines))
        if lines:
            (root / "labels").mkdir(exist_ok=True)
            (root / "labels" / f"{name}.txt").write_text("\n".join(lines) + "\n")
    panel = DataPanel("en")
    qtbot.addWidget(panel)
    panel.set_plan(folder_plan(root, "detection"))
    qtbot.waitUntil(lambda: panel.report is not None, timeout=20_000)
    assert panel.tabs.isTabVisible(2)
    assert panel.scales_chart.labels == ["small (< 0.1)", "medium (0.1 to 0.3)", "large (≥ 0.3)"]
    assert "Objects per image: mean 1, median 1, max 2" in panel.objects_label.text()
    assert "3 images, 1 of them without a label file" in panel.summary.text()
    assert "1 of 3 images have no label file" in panel.findings.toPlainText()


def test_the_file_checks_become_advice_from_one_inspection(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    advice = AdvicePanel("en")
    qtbot.addWidget(advice)
    plan = folder_plan(photos(tmp_path / "photos"))
    advice.set_plan(parse_plan(plan))
    qtbot.waitUntil(lambda: {"data_duplicates", "data_unreadable"}
                    <= {f.rule for f in advice.findings()}, timeout=20_000)
    rules = [f.rule for f in advice.findings()]
    assert rules.count("class_imbalance") == 1  # counted once, not again from the report
    assert "cat/3.png = dog/copy.png" in advice.text()
    # The data panel reuses the advice's inspection: no second read of the folder.
    panel = DataPanel("en", advice.inspections)
    qtbot.addWidget(panel)
    calls = []
    advice.inspections.finished.connect(calls.append)
    panel.set_plan(plan)
    assert panel.report is not None and calls == []


def test_the_plan_s_inspect_button_opens_the_panel(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    bench = PlanWorkbench("en", devices=[])
    qtbot.addWidget(bench)
    bench.set_plan(parse_plan(folder_plan(tmp_path / "nowhere")))
    qtbot.mouseClick(bench.editor.header.inspect_button, Qt.MouseButton.LeftButton)
    dialog = bench.findChild(DataPanel)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: "no such file or folder" in dialog.status.text(), timeout=10_000)
    bench.show_data_panel()  # again: the same window, raised
    assert len(bench.findChildren(DataPanel)) == 1
