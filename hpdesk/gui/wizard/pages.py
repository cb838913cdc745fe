"""The built-in steps of the new-experiment dialog: the task, its data, the optimiser and the
budget. Each page reads its own widgets, says in one translated sentence what blocks it
(`problem()`), and lets the wizard go on only when that is empty."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFontDatabase, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.wizard.choices import DATA_PATHS, needs_checkpoint, path_problem
from hpdesk.gui.workbench.data_sources import source_descriptions
from hpdesk.knowledge import optimizers, preset, tasks
from hpdesk.knowledge.catalogue import LEARNING_RATES
from hpdesk.plan import plan_from_preset
from hpdesk.plan.space import Fixed, FloatRange, IntRange
from hpdesk.tasks.data_layout import yolo_problem

PROBLEM_STYLE = "color: #b00020;"
# What does not block the page but will go wrong as it stands: amber, and a ⚠ in front.
WARNING_STYLE = "color: #9a5800;"


class WrappedLabel(QLabel):
    """A word-wrapping label as tall as its text at its width. (A form layout sizes a row by
    the label's size hint, the height of the text wrapped at a guessed narrow width: a one-line
    hint got the room of four, the text centred in it.)"""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        if self.width() > 0 and self.text():
            return QSize(hint.width(), self.heightForWidth(self.width()))
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()


def problem_label(object_name: str) -> QLabel:
    """A red, wrapping line for what blocks the page (empty when nothing does)."""
    label = WrappedLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setStyleSheet(PROBLEM_STYLE)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def warning_label(object_name: str) -> QLabel:
    """An amber, wrapping line for what will go wrong but does not block the page."""
    label = problem_label(object_name)
    label.setStyleSheet(WARNING_STYLE)
    return label


def hint_label(text: str = "") -> QLabel:
    """A wrapping explanation in a softer colour than the controls it explains (two thirds of
    the way from the background to the text colour, so it reads on light and dark themes)."""
    label = WrappedLabel(text)
    palette = label.palette()
    fg = palette.color(QPalette.ColorRole.WindowText)
    bg = palette.color(QPalette.ColorRole.Window)
    mixed = QColor(*(round(a * 0.7 + b * 0.3) for a, b in
                     ((fg.red(), bg.red()), (fg.green(), bg.green()), (fg.blue(), bg.blue()))))
    palette.setColor(QPalette.ColorRole.WindowText, mixed)
    label.setPalette(palette)
    return label


def monospace_box(object_name: str, accessible_name: str) -> QPlainTextEdit:
    """A read-only monospace box: commands are shown exactly, one argument never re-wrapped."""
    box = named(QPlainTextEdit(), object_name, accessible_name)
    box.setReadOnly(True)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * 7 + 12)
    return box


def page_form(page: QWidget) -> QFormLayout:
    """A form at the top of `page`, the spare height below it (rows do not drift apart)."""
    outer = QVBoxLayout(page)
    form = QFormLayout()
    outer.addLayout(form)
    outer.addStretch(1)
    return form


def named_combo(object_name: str, accessible_name: str) -> QComboBox:
    """A named combo box."""
    box = named(QComboBox(), object_name, accessible_name)
    return box


class PathRow(QWidget):
    """A path line edit with a Browse button that opens the platform's file dialog."""

    def __init__(self, name: str, accessible: str, browse_text: str, kind: str = "folder",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.edit = named(QLineEdit(), f"{name}Edit", accessible)
        self.browse = named(QPushButton(browse_text), f"{name}Browse", browse_text)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)
        self.browse.clicked.connect(self._browse)
        self._title = accessible

    def text(self) -> str:
        return self.edit.text().strip()

    def _browse(self) -> None:
        from hpdesk.gui.base import file_dialogs

        here = Path(self.text()).expanduser() if self.text() else None
        if self.kind == "folder":
            chosen = file_dialogs.existing_folder(self, "data", self._title, here=here)
        else:
            chosen = file_dialogs.open_file(self, "scripts", self._title, here=here)
        if chosen:
            self.edit.setText(str(chosen))


class Page(QWizardPage):
    """A step whose Next/Finish waits for `problem()` to be empty; the reason shows in red."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language = language
        self.lang = language
        self.problem_line = problem_label(f"{type(self).__name__}Problem")

    def problem(self) -> str:
        return ""

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        return not self.problem()

    def changed(self) -> None:
        """Re-check after an edit: update the red line and the wizard's buttons."""
        self.problem_line.setText(self.problem())
        self.completeChanged.emit()


class TaskPage(Page):
    """Which kind of training: one radio button per preset, with its description under it."""

    def __init__(self, language: str, on_change: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.setTitle(self.tr("What do you want to tune?"))
        self.setSubTitle(self.tr("Pick the kind of training. hpdesk fills in the hyperparameters "
                                 "that matter for it, with recommended ranges."))
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for task in tasks():
            p = preset(task)
            button = named(QRadioButton(p.label(self.lang)), f"task_{task}", p.label(self.lang))
            button.setAccessibleDescription(p.help(self.lang))
            self.group.addButton(button)
            self.buttons[task] = button
            about = hint_label(p.help(self.lang))
            about.setContentsMargins(24, 0, 0, 8)
            layout.addWidget(button)
            layout.addWidget(about)
        layout.addStretch(1)
        self.buttons[tasks()[0]].setChecked(True)
        self.group.buttonToggled.connect(lambda *_: on_change())

    def task(self) -> str:
        return next((t for t, b in self.buttons.items() if b.isChecked()), tasks()[0])

    def select(self, task: str) -> None:
        self.buttons[task].setChecked(True)


class DataPage(Page):
    """Where a built-in task reads its data: its built-in sources, or a folder or file."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.setTitle(self.tr("Which data?"))
        self.setSubTitle(self.tr("The built-in data sets need no download and train in seconds."))
        self.descriptions = source_descriptions()
        layout = QVBoxLayout(self)
        self.sources_box = QVBoxLayout()
        layout.addLayout(self.sources_box)
        self.path_label = QLabel(self.tr("Location:"))
        self.path_row = PathRow("dataPath", self.tr("Data location"), self.tr("Browse…"))
        self.path_label.setBuddy(self.path_row.edit)
        row = QHBoxLayout()
        row.addWidget(self.path_label)
        row.addWidget(self.path_row, 1)
        layout.addLayout(row)
        layout.addWidget(self.problem_line)
        layout.addStretch(1)
        self.group = QButtonGroup(self)
        self.group.buttonToggled.connect(lambda *_: self._source_changed())
        self.path_row.edit.textChanged.connect(lambda *_: self.changed())
        self.buttons: dict[str, QRadioButton] = {}
        self._widgets: list[QWidget] = []
        self.task = ""

    def show_task(self, task: str) -> None:
        """One radio button per source of `task` (kept as they are when the task is the same)."""
        if task == self.task:
            return
        self.task = task
        for w in self._widgets:
            if isinstance(w, QRadioButton):
                self.group.removeButton(w)
            w.hide()
            w.deleteLater()
        self._widgets, self.buttons = [], {}
        for source in preset(task).data_sources:
            title, about = self.descriptions.get(source, (source, ""))
            button = named(QRadioButton(title), f"dataSource_{source}", title)
            button.setAccessibleDescription(about)
            note = hint_label(about)
            note.setContentsMargins(24, 0, 0, 6)
            self.group.addButton(button)
            self.sources_box.addWidget(button)
            self.sources_box.addWidget(note)
            self._widgets += [button, note]
            self.buttons[source] = button
        if self.buttons:
            next(iter(self.buttons.values())).setChecked(True)
        self._source_changed()

    def source(self) -> str | None:
        return next((s for s, b in self.buttons.items() if b.isChecked()), None)

    def select(self, source: str) -> None:
        self.buttons[source].setChecked(True)

    def path(self) -> str:
        return self.path_row.text()

    def _source_changed(self) -> None:
        kind = DATA_PATHS.get(self.source() or "")
        self.path_label.setVisible(kind is not None)
        self.path_row.setVisible(kind is not None)
        self.path_row.kind = kind or "folder"
        self.changed()

    def problem(self) -> str:
        kind = DATA_PATHS.get(self.source() or "")
        if kind is None:
            return ""
        issue = path_problem(self.path(), kind)
        if issue == "empty":
            return (self.tr("Choose the folder that holds the data.") if kind == "folder"
                    else self.tr("Choose the file that holds the data."))
        if issue == "missing":
            return self.tr("%1 does not exist.").replace("%1", self.path())
        if issue == "kind":
            return (self.tr("%1 is a file, not a folder.") if kind == "folder"
                    else self.tr("%1 is a folder, not a file.")).replace("%1", self.path())
        if self.source() == "yolo":
            return self._yolo_problem()
        return ""

    def _yolo_problem(self) -> str:
        """What the detection task would miss in the folder, checked as it reads it."""
        layout = yolo_problem(self.path())
        if layout is None:
            return ""
        if layout.kind == "no_images":
            return self.tr("%1 has no images/ folder: a YOLO data set holds images/ and labels/, "
                           "with or without train/ and val/ inside.").replace("%1", layout.where)
        if layout.kind == "no_image_files":
            return self.tr("%1 holds no image files (.png, .jpg and the like).") \
                .replace("%1", layout.where)
        return self.tr("%1 is not a folder.").replace("%1", layout.where)


class TrainingPage(Page):
    """The optimiser (its recommended learning-rate range), from scratch or fine-tuning, and
    how many trials."""

    def __init__(self, language: str, current_task: Callable[[], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.current_task = current_task
        self.setTitle(self.tr("How to train"))
        self.setSubTitle(self.tr("The task and the optimiser set the learning-rate ranges that "
                                 "are searched."))
        self.optimizer = named_combo("optimizer", self.tr("Optimiser"))
        for name, opt in optimizers().items():
            self.optimizer.addItem(opt.label(self.lang), name)
        self.lr_note = hint_label()
        self.scratch = named(QRadioButton(self.tr("Train from scratch")), "fromScratch",
                             self.tr("Train from scratch"))
        self.fine = named(QRadioButton(self.tr("Fine-tune a pre-trained model")), "fineTune",
                          self.tr("Fine-tune a pre-trained model"))
        self.scratch.setChecked(True)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.scratch)
        self.mode_group.addButton(self.fine)
        mode_note = hint_label(self.tr("Fine-tuning searches learning rates one to two orders of "
                                       "magnitude lower, so the pre-trained weights are not "
                                       "destroyed."))
        # Where the task's pre-trained weights come from, or why it has none (the preset says).
        self.fine_note = hint_label()
        self.fine_note.setObjectName("fineTuneNote")
        self.checkpoint_label = QLabel(self.tr("Pre-trained checkpoint:"))
        self.checkpoint = PathRow("checkpoint", self.tr("Pre-trained checkpoint"),
                                  self.tr("Browse…"), kind="file")
        self.checkpoint_label.setBuddy(self.checkpoint.edit)
        self.checkpoint.edit.setPlaceholderText(
            self.tr("checkpoint.pt of a finished classification trial"))
        self.trials = named(QSpinBox(), "trials", self.tr("Number of trials"))
        self.trials.setRange(1, 10000)
        self.trials.setValue(10)
        self.trials.setMaximumWidth(120)
        form = page_form(self)
        form.addRow(self.tr("&Optimiser:"), self.optimizer)
        form.addRow("", self.lr_note)
        form.addRow(self.tr("Start:"), self.scratch)
        form.addRow("", self.fine)
        form.addRow("", mode_note)
        form.addRow("", self.fine_note)
        form.addRow(self.checkpoint_label, self.checkpoint)
        form.addRow(self.tr("&Trials:"), self.trials)
        form.addRow(self.problem_line)
        self.optimizer.currentIndexChanged.connect(lambda *_: self.changed())
        self.mode_group.buttonToggled.connect(lambda *_: self.changed())
        self.checkpoint.edit.textChanged.connect(lambda *_: self.changed())
        self.task = ""

    def show_task(self, task: str) -> None:
        """The preset's default optimiser, the first time a task is shown."""
        if task == self.task:
            return
        self.task = task
        self.optimizer.setCurrentIndex(self.optimizer.findData(preset(task).default_optimizer))
        self._offer_fine_tuning(task)
        self.changed()

    def _offer_fine_tuning(self, task: str) -> None:
        """Fine-tuning only where the task can start from pre-trained weights; the GAN cannot,
        and lowering its learning rates would only slow a start from random weights."""
        p = preset(task)
        why = p.fine_tune_why(self.lang)
        if p.can_fine_tune:
            self.fine.setEnabled(True)
            self.fine.setToolTip("")
            text = self.tr("Pre-trained weights: %1.").replace("%1", why)
        else:
            if self.fine.isChecked():
                self.scratch.setChecked(True)
            self.fine.setEnabled(False)
            text = (self.tr("The %1 task cannot start from pre-trained weights: %2.")
                    .replace("%1", p.label(self.lang)).replace("%2", why))
            self.fine.setToolTip(text)
        self.fine.setAccessibleDescription(text)
        self.fine_note.setText(text)

    def chosen_optimizer(self) -> str:
        return str(self.optimizer.currentData())

    def fine_tune(self) -> bool:
        """Fine-tuning is chosen, and the current task can start from pre-trained weights."""
        task = self.current_task()
        return self.fine.isChecked() and bool(task) and preset(task).can_fine_tune

    def needs_checkpoint(self) -> bool:
        plan = plan_from_preset(self.current_task(), optimizer=self.chosen_optimizer(),
                                fine_tune=self.fine_tune())
        return needs_checkpoint(plan)

    def changed(self) -> None:
        self.lr_note.setText(self.lr_text())
        wanted = bool(self.current_task()) and self.needs_checkpoint()
        self.checkpoint_label.setVisible(wanted)
        self.checkpoint.setVisible(wanted)
        super().changed()

    def lr_text(self) -> str:
        """The learning rates the plan will search, read from the plan itself (the GAN's lr_g
        and lr_d have their own ranges), so this page and the review never disagree."""
        task = self.current_task()
        if not task:
            return ""
        space = plan_from_preset(task, optimizer=self.chosen_optimizer(),
                                 fine_tune=self.fine_tune()).space
        lr = space.get("lr")
        if isinstance(lr, FloatRange) and not any(n in space for n in LEARNING_RATES[1:]):
            return (self.tr("Learning rates searched: %1 to %2.")
                    .replace("%1", f"{lr.low:g}").replace("%2", f"{lr.high:g}"))
        parts = []
        for name in LEARNING_RATES:
            dist = space.get(name)
            if dist is None:
                continue
            if isinstance(dist, Fixed):
                value = dist.value
                shown = f"{value:g}" if isinstance(value, (int, float)) else str(value)
                parts.append(self.tr("%1 fixed at %2").replace("%1", name).replace("%2", shown))
            elif isinstance(dist, (FloatRange, IntRange)):
                parts.append(self.tr("%1 from %2 to %3").replace("%1", name)
                             .replace("%2", f"{dist.low:g}").replace("%3", f"{dist.high:g}"))
        return self.tr("Learning rates searched: %1.").replace("%1", "; ".join(parts))

    def checkpoint_path(self) -> str:
        return self.checkpoint.text() if self.checkpoint.isVisibleTo(self) else ""

    def problem(self) -> str:
        if not self.checkpoint.isVisibleTo(self):
            return ""
        issue = path_problem(self.checkpoint.text(), "file")
        if issue == "empty":
            return self.tr("Fine-tuning starts from pre-trained weights: choose a checkpoint "
                           "file (a finished classification trial's checkpoint.pt).")
        if issue is not None:
            return self.tr("%1 is not a file.").replace("%1", self.checkpoint.text())
        return ""
