"""How the parameters reach a person's own script, a step of the new-experiment dialog: the
style (placeholders, flags, Hydra, a JSON file, the environment), how flag names and true/false
values are written, and a table with each parameter's own way (passed or not, its flag, its
true/false style), with the command of one example trial as it will run."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from hpdesk.analysis.progress import unused_placeholders
from hpdesk.gui.base.command_confirm import shown_command
from hpdesk.gui.base.common import named
from hpdesk.gui.wizard.pages import (
    Page,
    hint_label,
    monospace_box,
    named_combo,
    page_form,
)
from hpdesk.plan import Plan
from hpdesk.plan.script import (
    BOOLEAN_STYLES,
    FLAG_NAMES,
    FLAG_ONLY_BOOLEANS,
    PARAMS_STYLES,
    Argument,
)
from hpdesk.plan.space import Distribution, example_params, possible_values
from hpdesk.runner.launch import PREVIEW_CONTEXT, placeholders, preview_argv

# Styles that append the parameters to the command, so each one's flag (or Hydra key) counts.
APPENDING = ("flags", "equals", "hydra")
# Styles whose true/false values are written out as text (the others pass JSON).
WRITTEN = ("template", "flags", "equals", "hydra")
FLAG_STYLES = ("flags", "equals")
PASSED, FLAG, BOOLEAN = 1, 2, 3


def command_preview(plan: Plan) -> str:
    """The command one trial of `plan` runs, shell-quoted so it can be pasted, where it runs
    (its own trial folder or the project folder), what a true/false flag written alone gives
    for the other value, and the parameters every trial also gets in its environment."""
    lines = []
    if plan.command is not None and plan.trial_folder == "own":
        project = plan.workdir or QCoreApplication.translate("CommandPreview",
                                                             "the project folder")
        lines.append(QCoreApplication.translate(
            "CommandPreview", "# in %1, a folder of its own filled from %2")
            .replace("%1", PREVIEW_CONTEXT["trial_dir"]).replace("%2", project))
    elif plan.workdir:
        lines.append(QCoreApplication.translate("CommandPreview", "# in %1")
                     .replace("%1", plan.workdir))
    lines.append(shown_command(plan))  # as the confirmation and Launch show it
    lines += switch_lines(plan)
    if plan.command is None or plan.params_style == "env":
        lines.append(QCoreApplication.translate("CommandPreview",
                                                "# with the parameters in the environment:"))
        given = example_params(plan.space)
        if plan.command is None and plan.data is not None:
            given["data"] = dict(plan.data)  # as the runner's trial_env adds it
        lines.append("HPDESK_PARAMS=" + shlex.quote(json.dumps(given)))
    return "\n".join(lines)


def switch_lines(plan: Plan) -> list[str]:
    """`# tied: --tied when true, nothing when false` for each passed true/false parameter
    written as a flag alone (switch, negatable): the example shows only one of its values."""
    if plan.command is None or plan.params_style not in FLAG_STYLES:
        return []
    placed = set(placeholders(plan.command))
    example = example_params(plan.space)
    lines = []
    for name, dist in plan.space.items():
        arg = plan.argument(name)
        if (not arg.passed or name in placed or name not in example or not is_boolean(dist)
                or (arg.boolean or plan.booleans) not in FLAG_ONLY_BOOLEANS):
            continue
        on = preview_argv(plan, {**example, name: True})
        off = preview_argv(plan, {**example, name: False})
        shown = [shlex.join([a for a in mine if a not in other])
                 or QCoreApplication.translate("CommandPreview", "nothing")
                 for mine, other in ((on, off), (off, on))]
        lines.append(QCoreApplication.translate(
            "CommandPreview", "# %1: %2 when true, %3 when false").replace("%1", name)
            .replace("%2", shown[0]).replace("%3", shown[1]))
    return lines


def is_boolean(dist: Distribution) -> bool:
    values = possible_values(dist)
    return bool(values) and all(isinstance(v, bool) for v in values)


def fill_booleans(box: QComboBox, names: Mapping[str, str], flags: bool,
                  first: tuple[str, str | None] | None = None) -> None:
    """The true/false styles `box` offers (switch and negatable only with flags). The person's
    last choice (kept in the box's "chosen" property) comes back when it is offered again."""
    chosen = box.property("chosen") if box.count() else box.currentData()
    box.blockSignals(True)
    box.clear()
    if first is not None:
        box.addItem(*first)
    for style in BOOLEAN_STYLES:
        if flags or style not in FLAG_ONLY_BOOLEANS:
            box.addItem(names[style], style)
    box.setCurrentIndex(max(box.findData(chosen), 0))
    box.blockSignals(False)
    box.setProperty("chosen", chosen)


def remember_choice(box: QComboBox) -> None:
    """Keep what the person picks in `box` for fill_booleans."""
    box.currentIndexChanged.connect(lambda *_: box.setProperty("chosen", box.currentData()))


class ArgumentsTable(QTableWidget):
    """One row per parameter: its name, passed or not, its flag (empty: the default, shown as
    the placeholder) and, for true/false parameters, its style ("plan default" first)."""

    edited = Signal()

    def __init__(self, boolean_names: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(0, 4, parent)
        named(self, "scriptArguments", self.tr("How each parameter is passed"))
        self.boolean_names = boolean_names
        self.setHorizontalHeaderLabels([self.tr("Parameter"), self.tr("Passed"), self.tr("Flag"),
                                        self.tr("True/false")])
        self.verticalHeader().hide()
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(FLAG, QHeaderView.ResizeMode.Stretch)
        self.passed: dict[str, QCheckBox] = {}
        self.flags: dict[str, QLineEdit] = {}
        self.booleans: dict[str, QComboBox] = {}
        self._kept: dict[str, Argument] = {}

    def show_parameters(self, space: Mapping[str, Distribution]) -> None:
        """One row per parameter of `space` (what was set for a name stays set)."""
        names = list(space)
        if names == list(self.passed):
            return
        self._kept.update(self.arguments(everything=True))
        self.setRowCount(0)
        self.passed, self.flags, self.booleans = {}, {}, {}
        self.setRowCount(len(names))
        for row, name in enumerate(names):
            kept = self._kept.get(name, Argument())
            item = QTableWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.setItem(row, 0, item)
            box = named(QCheckBox(), f"argPassed_{name}",
                        self.tr("%1 is passed to the script").replace("%1", name))
            box.setChecked(kept.passed)
            box.toggled.connect(lambda *_: self._changed())
            holder = QWidget()
            layout = QHBoxLayout(holder)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(box)
            self.setCellWidget(row, PASSED, holder)
            flag = named(QLineEdit(kept.flag or ""), f"argFlag_{name}",
                         self.tr("Flag of %1").replace("%1", name))
            flag.setFrame(False)
            flag.textChanged.connect(lambda *_: self.edited.emit())
            self.setCellWidget(row, FLAG, flag)
            self.passed[name], self.flags[name] = box, flag
            if is_boolean(space[name]):
                combo = named(QComboBox(), f"argBoolean_{name}",
                              self.tr("True/false style of %1").replace("%1", name))
                combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
                remember_choice(combo)
                fill_booleans(combo, self.boolean_names, True, (self.tr("plan default"), None))
                combo.setCurrentIndex(max(combo.findData(kept.boolean), 0))
                combo.currentIndexChanged.connect(lambda *_: self.edited.emit())
                self.setCellWidget(row, BOOLEAN, combo)
                self.booleans[name] = combo
        self.setColumnHidden(BOOLEAN, not self.booleans)
        self.resizeRowsToContents()
        self._changed(emit=False)
        self.fit_height()

    def fit_height(self, most: int = 10) -> None:
        """Tall enough for `most` rows (then it scrolls)."""
        rows = min(self.rowCount(), most)
        height = sum(self.rowHeight(r) for r in range(rows))
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + height
                            + 2 * self.frameWidth())

    def set_style(self, default_flag: Callable[[str], str], flags: bool) -> None:
        """Each flag's placeholder is its default; switch and negatable only with flags."""
        for name, edit in self.flags.items():
            edit.setPlaceholderText(default_flag(name))
        for combo in self.booleans.values():
            fill_booleans(combo, self.boolean_names, flags, (self.tr("plan default"), None))

    def _changed(self, emit: bool = True) -> None:
        for name, box in self.passed.items():
            self.flags[name].setEnabled(box.isChecked())
            if name in self.booleans:
                self.booleans[name].setEnabled(box.isChecked())
        if emit:
            self.edited.emit()

    def arguments(self, everything: bool = False) -> dict[str, Argument]:
        """Each parameter's argument where it differs from the plan's defaults (all with
        `everything`)."""
        out = {}
        for name, box in self.passed.items():
            combo = self.booleans.get(name)
            arg = Argument(box.isChecked(), self.flags[name].text().strip() or None,
                           combo.currentData() if combo is not None else None)
            if everything or arg != Argument():
                out[name] = arg
        return out


class ArgumentsPage(Page):
    """How the parameters reach the script, and the command of one example trial."""

    def __init__(self, language: str, parameters: Callable[[], Mapping[str, Distribution]],
                 build: Callable[[], Plan], parent: QWidget | None = None) -> None:
        super().__init__(language, parent)
        self.parameters = parameters
        self.build = build
        self.setTitle(self.tr("How your script gets the parameters"))
        self.setSubTitle(self.tr("Match what your script reads, such as its argparse flags. "
                                 "The command below is what one trial will run."))
        self.style_descriptions = {
            "template": self.tr("Only the {name} placeholders you write in the command are "
                                "replaced, e.g. python train.py --lr {lr}."),
            "flags": self.tr("Every parameter is added at the end as two arguments: "
                             "--name value."),
            "equals": self.tr("Every parameter is added at the end as one argument: "
                              "--name=value."),
            "hydra": self.tr("Every parameter is added at the end as name=value, the override "
                             "syntax of Hydra."),
            "json": self.tr("The parameters are written to a JSON file and --params FILE is "
                            "added (or write {params_file} where the path should go)."),
            "env": self.tr("Nothing is added: the script reads the parameters as JSON from the "
                           "HPDESK_PARAMS environment variable (hpdesk.sdk.params() does "
                           "this)."),
        }
        style_names = {
            "template": self.tr("Placeholders in the command"),
            "flags": self.tr("Flags: --name value"),
            "equals": self.tr("Flags: --name=value"),
            "hydra": self.tr("Hydra overrides: name=value"),
            "json": self.tr("A JSON file: --params FILE"),
            "env": self.tr("Environment variable HPDESK_PARAMS"),
        }
        self.boolean_names = {
            "value": "--tied true", "capitalized": "--tied True", "number": "--tied 1",
            "switch": self.tr("--tied or nothing (argparse store_true)"),
            "negatable": self.tr("--tied or --no-tied (argparse BooleanOptionalAction)"),
        }
        self.style_box = named_combo("paramsStyle", self.tr("How parameters are passed"))
        for style in PARAMS_STYLES:
            self.style_box.addItem(style_names.get(style, style), style)
        self.style_note = hint_label()
        self.flag_names = named_combo("flagNames", self.tr("How flag names are written"))
        names = {"as_written": self.tr("As the parameter is named: --batch_size"),
                 "dashes": self.tr("With dashes: --batch-size")}
        for style in FLAG_NAMES:
            self.flag_names.addItem(names[style], style)
        self.booleans = named_combo("booleanStyle", self.tr("How true/false values are written"))
        remember_choice(self.booleans)
        fill_booleans(self.booleans, self.boolean_names, False)
        self.table = ArgumentsTable(self.boolean_names)
        self.table_note = hint_label(self.tr(
            "Uncheck a parameter your script does not take: it still informs the advice (such "
            "as an optimiser the script hard-codes). Type a flag where the script's differs."))
        self.preview = monospace_box("commandPreview", self.tr("Command of one example trial"))
        self.preview.setFixedHeight(self.preview.fontMetrics().lineSpacing() * 5 + 12)
        self.note = hint_label()
        self.form = form = page_form(self)
        form.addRow(self.tr("&Parameters:"), self.style_box)
        form.addRow("", self.style_note)
        form.addRow(self.tr("Flag &names:"), self.flag_names)
        form.addRow(self.tr("&True/false values:"), self.booleans)
        form.addRow(self.tr("Each parameter:"), self.table)
        form.addRow("", self.table_note)
        form.addRow(QLabel(self.tr("One trial will run (example values):")))
        form.addRow(self.preview)
        form.addRow(self.note)
        form.addRow(self.problem_line)
        self.style_box.currentIndexChanged.connect(lambda *_: self.changed())
        self.flag_names.currentIndexChanged.connect(lambda *_: self.changed())
        self.booleans.currentIndexChanged.connect(lambda *_: self.changed())
        self.table.edited.connect(self.changed)

    def params_style(self) -> str:
        return str(self.style_box.currentData())

    def flag_style(self) -> str:
        return str(self.flag_names.currentData()) if self.params_style() in FLAG_STYLES \
            else "as_written"

    def boolean_style(self) -> str:
        return str(self.booleans.currentData()) if self.params_style() in WRITTEN else "value"

    def arguments(self) -> dict[str, Argument]:
        """The table's arguments, for the styles that append parameters (the others place,
        write or export every parameter as it is)."""
        return self.table.arguments() if self.params_style() in APPENDING else {}

    def select(self, style: str | None = None, *, flag_names: str | None = None,
               booleans: str | None = None) -> None:
        """Choose the style, flag names and true/false values (by their plan names)."""
        for box, value in ((self.style_box, style), (self.flag_names, flag_names),
                           (self.booleans, booleans)):
            if value is not None:
                box.setCurrentIndex(box.findData(value))

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        self.table.show_parameters(self.parameters())
        self.changed()

    def changed(self) -> None:
        style = self.params_style()
        flags = style in FLAG_STYLES
        self.style_note.setText(self.style_descriptions.get(style, ""))
        fill_booleans(self.booleans, self.boolean_names, flags)
        self.form.setRowVisible(self.flag_names, flags)
        self.form.setRowVisible(self.booleans, style in WRITTEN)
        self.form.setRowVisible(self.table, style in APPENDING)
        self.form.setRowVisible(self.table_note, style in APPENDING)
        self.table.horizontalHeaderItem(FLAG).setText(  # type: ignore[union-attr]
            self.tr("Flag") if flags else self.tr("Name"))
        self.table.set_style(self._default_flag, flags)
        plan = None
        if not self.problem():
            try:
                plan = self.build()
            except ValueError:  # PlanError too: a later page's problem; this one is fine
                plan = None
        self.preview.setPlainText(command_preview(plan) if plan is not None else "")
        self.note.setText(self._note(plan))
        super().changed()

    def _default_flag(self, name: str) -> str:
        if self.params_style() not in FLAG_STYLES:
            return name
        return "--" + (name.replace("_", "-") if self.flag_style() == "dashes" else name)

    def _note(self, plan: Plan | None) -> str:
        if plan is None:
            return ""
        unknown = unused_placeholders(plan)
        if unknown:
            return self.tr("{%1} names no parameter of the plan: the script gets it as written.") \
                .replace("%1", unknown[0])
        if self.params_style() == "template" and "{" not in " ".join(plan.command or ()):
            return self.tr("The command has no {name} placeholders, so the script gets its "
                           "parameters only from the HPDESK_PARAMS environment variable.")
        return ""

    def problem(self) -> str:
        for name, edit in self.table.flags.items():
            text = edit.text().strip()
            if self.params_style() in APPENDING and re.search(r"[\s=]", text):
                return self.tr("The flag of %1 cannot contain spaces or =.").replace("%1", name)
        return ""
