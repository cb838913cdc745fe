"""How an experiment runs: search strategy, early stopping, budget, concurrency, devices,
timeouts and retries.

`RunSettings` reads and writes the `strategy`, `pruner`, `budget`, `concurrency` and `executor`
sections of a plan and checks them with `parse_plan`, like the plan editor. Strategies and
pruners come with their explanation and their options
(`hpdesk.gui.workbench.method_options`); options a plan had are kept when it is edited. The
GPUs it offers are plain dicts (`available_devices()` asks `hpdesk.runner.devices`, which reads
NVML without torch).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import INVALID_STYLE, NOTE_STYLE, fill, guard_wheel
from hpdesk.gui.workbench.cluster_settings import ClusterSettings
from hpdesk.gui.workbench.method_options import ElidedCheckBox, MethodChooser, elided_combo
from hpdesk.knowledge.search_methods import pruners, strategies
from hpdesk.plan import Plan, PlanError, parse_plan
from hpdesk.plan.model import PRUNERS, STRATEGIES
from hpdesk.plan.schema import MAX_CONCURRENCY
from hpdesk.plan.search_options import PRUNER_OPTIONS, STRATEGY_OPTIONS

SECTIONS = ("strategy", "pruner", "budget", "concurrency", "executor")


def available_devices() -> list[dict[str, Any]]:
    """The GPUs of this machine as plain dicts (index, name, memory_mb); [] without one."""
    from hpdesk.runner.devices import discover_gpus

    return [{"index": g.index, "name": g.name, "memory_mb": g.memory_mb} for g in discover_gpus()]


def format_duration(seconds: float | None) -> str:
    """90 -> "90s", 1800 -> "30m", 7200 -> "2h": the text `parse_plan` reads back."""
    if seconds is None:
        return ""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


class RunSettings(QWidget):
    """Edits the run sections of a plan; `apply(plan)` returns the plan with them."""

    settingsChanged = Signal()
    validityChanged = Signal(bool, list)

    def __init__(self, language: str, devices: list[dict[str, Any]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runSettings")
        self._language = language
        self._devices = [dict(d) for d in devices]
        self._base: Plan | None = None
        self._valid = True
        self._problems: list[str] = []
        self._loading = False
        self._repeats = 1

        search, pruning = QFormLayout(), QFormLayout()
        self.strategy_chooser = MethodChooser(
            "strategy", strategies(), STRATEGY_OPTIONS, STRATEGIES, language, search,
            self.tr("Strategy"), self.tr("Search strategy"), self)
        self.strategy = self.strategy_chooser.combo
        self.pruner_chooser = MethodChooser(
            "pruner", pruners(), PRUNER_OPTIONS, PRUNERS, language, pruning,
            self.tr("Pruner"), self.tr("Pruner: which running trials to stop early"), self)
        self.pruner = self.pruner_chooser.combo
        self.seed = named(QSpinBox(), "strategySeed", self.tr("Random seed of the search"),
                          self.tr("The same seed draws the same trials again"))
        self.seed.setRange(-1, 2_147_483_647)
        self.seed.setSpecialValueText(self.tr("none (new draws each run)"))
        self.grid_points = named(QSpinBox(), "gridPoints", self.tr("Grid values per range"),
                                 self.tr("How many values of each searched range a grid tries"))
        self.grid_points.setRange(1, 100)
        self.trials = named(QSpinBox(), "budgetTrials", self.tr("Number of trials"))
        self.trials.setRange(1, 1_000_000)
        self.wall_time = named(QLineEdit(), "budgetWallTime",
                               self.tr("Time limit of the experiment"),
                               self.tr("Stop starting trials after this long: 90s, 30m, 2h, 1d"))
        self.wall_time.setPlaceholderText(self.tr("no limit (e.g. 30m, 2h)"))
        self.concurrency = named(QSpinBox(), "concurrency", self.tr("Trials at once"),
                                 self.tr("How many trials run at the same time"))
        self.concurrency.setRange(1, MAX_CONCURRENCY)
        self.budget_epochs = named(QSpinBox(), "budgetEpochs", self.tr("Epochs over all trials"),
                                   self.tr("Stop starting trials once the trials together have "
                                           "trained this many epochs"))
        self.budget_steps = named(QSpinBox(), "budgetSteps", self.tr("Steps over all trials"),
                                  self.tr("Stop starting trials once the trials together have "
                                          "trained this many steps"))
        for total in (self.budget_epochs, self.budget_steps):
            total.setRange(0, 2_147_483_647)
            total.setSpecialValueText(self.tr("no limit"))

        self.device_mode = elided_combo("deviceMode", self.tr("Devices"))
        self.device_mode.addItem(self.tr("Automatic (all GPUs, else CPU)"), "auto")
        self.device_mode.addItem(self.tr("CPU only"), "cpu")
        self.device_mode.addItem(self.tr("Chosen GPUs"), "gpus")
        self.gpu_box = QWidget()
        self.gpu_box.setObjectName("gpuList")
        self._gpu_layout = QVBoxLayout(self.gpu_box)
        self._gpu_layout.setContentsMargins(0, 0, 0, 0)
        self.gpu_checks: dict[int, QCheckBox] = {}
        for d in self._devices:
            self._add_gpu(int(d["index"]), self._gpu_label(d))
        self.no_gpu = QLabel(self.tr("No GPU found on this machine: trials run on the CPU."))
        self.no_gpu.setWordWrap(True)
        self.no_gpu.setStyleSheet(NOTE_STYLE)
        self.no_gpu.setVisible(not self._devices)
        self.per_gpu = named(QSpinBox(), "trialsPerGpu", self.tr("Trials per GPU"),
                             self.tr("Small models can share a GPU: up to this many trials each"))
        self.per_gpu.setRange(1, 64)
        self.capacity = QLabel()
        self.capacity.setObjectName("deviceCapacity")
        self.capacity.setWordWrap(True)
        self.capacity.setStyleSheet(NOTE_STYLE)

        self.timeout = named(QLineEdit(), "trialTimeout", self.tr("Time limit per trial"),
                             self.tr("A trial running longer is stopped and counted as failed"))
        self.timeout.setPlaceholderText(self.tr("no limit (e.g. 10m)"))
        self.retries = named(QSpinBox(), "retries", self.tr("Retries of a failed trial"),
                             self.tr("A failed trial is run again with the same values this "
                                     "many times"))
        self.retries.setRange(0, 10)
        self.warm = named(QCheckBox(self.tr("Warm start (built-in tasks)")),
                          "warmStart", self.tr("Start built-in tasks from a warm process"),
                          self.tr("Trials of built-in tasks start in milliseconds from a process "
                                  "that has already loaded PyTorch"))
        self.problem_label = QLabel()
        self.problem_label.setObjectName("runSettingsProblems")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #d62728;")
        self.problem_label.hide()
        self.cluster = ClusterSettings()  # the executor: this computer or a Ray cluster

        search.addRow(self.tr("Seed"), self.seed)
        search.addRow(self.tr("Values per range"), self.grid_points)
        budget = QFormLayout()
        budget.addRow(self.tr("Trials"), self.trials)
        budget.addRow(self.tr("Time limit"), self.wall_time)
        budget.addRow(self.tr("Epochs (all trials)"), self.budget_epochs)
        budget.addRow(self.tr("Steps (all trials)"), self.budget_steps)
        budget.addRow(self.tr("Trials at once"), self.concurrency)
        devices_form = QFormLayout()
        devices_form.addRow(self.tr("Run on"), self.device_mode)
        devices_form.addRow(self.gpu_box)  # rows across both columns: room to wrap
        devices_form.addRow(self.no_gpu)
        devices_form.addRow(self.tr("Trials per GPU"), self.per_gpu)
        devices_form.addRow(self.capacity)
        trial = QFormLayout()
        trial.addRow(self.tr("Time limit"), self.timeout)
        trial.addRow(self.tr("Retries"), self.retries)
        trial.addRow(self.warm)
        self._labels = self._field_labels()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._list_problems = True
        self.forms = [search, pruning, budget, devices_form, trial, *self.cluster.forms()]
        self._stacked: bool | None = None  # labels above their fields (a narrow panel)
        for title, form in ((self.tr("Search"), search),
                            (self.tr("Early stopping (pruning)"), pruning),
                            (self.tr("Budget"), budget), (self.tr("Devices"), devices_form),
                            (self.tr("Each trial"), trial)):
            if form is devices_form:
                layout.addWidget(self.cluster)
            box = QGroupBox(title)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: fields wrap
            box.setLayout(form)
            layout.addWidget(box)
        layout.addWidget(self.problem_label)
        layout.addStretch(1)

        for spin in (self.seed, self.grid_points, self.trials, self.concurrency, self.per_gpu,
                     self.retries, self.budget_epochs, self.budget_steps):
            spin.valueChanged.connect(self._changed)
            guard_wheel(spin)
        for edit in (self.wall_time, self.timeout):
            edit.textChanged.connect(self._changed)
        self.device_mode.currentIndexChanged.connect(self._changed)
        for chooser in (self.strategy_chooser, self.pruner_chooser):
            chooser.changed.connect(self._changed)
        self.warm.toggled.connect(self._changed)
        self.cluster.changed.connect(self._changed)
        self._sync_enabled()

    # ---- public ----------------------------------------------------------------------------

    def set_plan(self, plan: Plan) -> None:
        """Show `plan`'s run sections (emitting nothing)."""
        self._base = plan
        s, b, e = plan.strategy, plan.budget, plan.executor
        self._repeats = s.repeats
        self._loading = True
        try:
            self.strategy_chooser.set_method(s.name, s.options)
            self.pruner_chooser.set_method(plan.pruner.name, plan.pruner.options)
            self.seed.setValue(-1 if s.seed is None else s.seed)
            self.grid_points.setValue(s.grid_points)
            self.trials.setValue(b.trials)
            self.wall_time.setText(format_duration(b.wall_time))
            self.budget_epochs.setValue(b.epochs or 0)
            self.budget_steps.setValue(b.steps or 0)
            self.concurrency.setValue(plan.concurrency)
            mode = e.devices if isinstance(e.devices, str) else "gpus"
            self.device_mode.setCurrentIndex(max(0, self.device_mode.findData(mode)))
            chosen = set(e.devices) if not isinstance(e.devices, str) else set()
            for index in sorted(chosen - set(self.gpu_checks)):
                self._add_gpu(index, fill(self.tr("cuda:%1 (not on this machine)"), str(index)))
            for index, check in self.gpu_checks.items():
                check.setChecked(index in chosen)
            self.per_gpu.setValue(e.trials_per_gpu)
            self.timeout.setText(format_duration(e.trial_timeout))
            self.retries.setValue(e.retries)
            self.warm.setChecked(e.warm_start)
            self.warm.setVisible(plan.command is None)  # only built-in tasks start warm
            self.cluster.set_executor(e)
        finally:
            self._loading = False
        self._sync_enabled()
        self._check()

    def state(self) -> dict[str, Any]:
        """Every field as typed, invalid text included (by objectName), with the plan they are
        checked against, for `restore_state` in a rebuilt window (another language)."""
        return {"base": self._base, "repeats": self._repeats,
                "fields": {w.objectName(): _raw(w) for w in self._inputs()}}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Show `state()`'s fields and their problems (in this window's language), emitting
        nothing but validityChanged."""
        if state["base"] is None:
            return
        self.set_plan(state["base"])
        self._repeats = state["repeats"]
        fields = state["fields"]
        self._loading = True
        try:
            for widget in self._inputs():
                if widget.objectName() in fields:
                    _show_raw(widget, fields[widget.objectName()])
        finally:
            self._loading = False
        self._sync_enabled()
        self._check()

    def _inputs(self) -> list[QWidget]:
        """The fields a person types in or picks, each by its own objectName."""
        return [w for kind in (QSpinBox, QDoubleSpinBox, QLineEdit, QComboBox, QCheckBox)
                for w in self.findChildren(kind)
                if w.objectName() and not w.objectName().startswith("qt_")]

    def sections(self) -> dict[str, Any]:
        """The run sections as typed, in the exported form (durations as written)."""
        # Executor keys the form does not show (stall_timeout, Ray's memory_mb...) are kept.
        base = self._base.executor.to_dict() if self._base is not None else {}
        mode = self.device_mode.currentData()
        devices: Any = mode
        if mode == "gpus":
            devices = [i for i, c in sorted(self.gpu_checks.items()) if c.isChecked()]
        strategy: dict[str, Any] = {"name": self.strategy_chooser.name(),
                                    "grid_points": self.grid_points.value()}
        if self.seed.value() >= 0:
            strategy["seed"] = self.seed.value()
        if self._repeats != 1:
            strategy["repeats"] = self._repeats
        strategy.update(self.strategy_chooser.options())
        pruner = {"name": self.pruner_chooser.name(), **self.pruner_chooser.options()}
        budget: dict[str, Any] = {"trials": self.trials.value()}
        if self.wall_time.text().strip():
            budget["wall_time"] = self.wall_time.text().strip()
        for key, spin in (("epochs", self.budget_epochs), ("steps", self.budget_steps)):
            if spin.value() > 0:
                budget[key] = spin.value()
        executor: dict[str, Any] = {**base, "devices": devices,
                                    "trials_per_gpu": self.per_gpu.value(),
                                    "retries": self.retries.value(),
                                    "warm_start": self.warm.isChecked()}
        executor.pop("trial_timeout", None)
        if self.timeout.text().strip():
            executor["trial_timeout"] = self.timeout.text().strip()
        executor = self.cluster.update_section(executor)
        return {"strategy": strategy, "pruner": pruner, "budget": budget,
                "concurrency": self.concurrency.value(), "executor": executor}

    def apply(self, plan: Plan) -> Plan | None:
        """`plan` with these run settings, or None while they have problems."""
        data = plan.to_dict()
        data.update(self.sections())
        try:
            return parse_plan(data, source="run settings")
        except PlanError:
            return None

    def follow(self, plan: Plan) -> None:
        """Check these settings against `plan` from now on (the editor's latest valid plan:
        several objectives, the searched hyperparameters...) without changing what is shown."""
        if plan != self._base:
            self._base = plan
            self._check()

    def is_valid(self) -> bool:
        return self._valid

    def show_problem_list(self, shown: bool) -> None:
        """Whether the problems are listed under the settings (the workbench lists them once,
        in its advice panel; the fields are marked either way)."""
        self._list_problems = shown
        self.problem_label.setVisible(shown and bool(self._problems))

    def problems(self) -> list[str]:
        return list(self._problems)

    # ---- internals -------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        """Below `stack_below()` pixels each label goes above its field, so that the fields
        (and the long labels of the methods and devices) get the panel's whole width."""
        super().resizeEvent(event)
        self._stack(event.size().width() < self.stack_below())

    def stack_below(self) -> int:
        """The width under which labels go above their fields: the widest label beside a
        field of about 28 characters (from the font, so it follows the language and scale)."""
        widest = 0
        for form in self.forms:
            for row in range(form.rowCount()):
                item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                label = item.widget() if item is not None else None
                if label is not None:
                    widest = max(widest, label.sizeHint().width())
        return widest + self.fontMetrics().averageCharWidth() * 28 + 48

    def _stack(self, stacked: bool) -> None:
        if stacked == self._stacked:
            return
        self._stacked = stacked
        policy = (QFormLayout.RowWrapPolicy.WrapAllRows if stacked
                  else QFormLayout.RowWrapPolicy.WrapLongRows)
        for form in self.forms:
            form.setRowWrapPolicy(policy)

    def is_stacked(self) -> bool:
        return bool(self._stacked)

    def _field_labels(self) -> dict[str, str]:
        """Plan paths in the words of the form: `budget.wall_time` is "Time limit (Budget)"."""
        def at(label: str, group: str) -> str:
            return fill(self.tr("%1 (%2)"), label, group)

        search, pruning = self.tr("Search"), self.tr("Early stopping (pruning)")
        budget, devices, trial = self.tr("Budget"), self.tr("Devices"), self.tr("Each trial")
        labels = {
            "strategy": self.tr("Strategy"), "strategy.name": self.tr("Strategy"),
            "strategy.seed": at(self.tr("Seed"), search),
            "strategy.grid_points": at(self.tr("Values per range"), search),
            "pruner": self.tr("Pruner"), "pruner.name": self.tr("Pruner"),
            "budget.trials": at(self.tr("Trials"), budget),
            "budget.wall_time": at(self.tr("Time limit"), budget),
            "budget.epochs": at(self.tr("Epochs (all trials)"), budget),
            "budget.steps": at(self.tr("Steps (all trials)"), budget),
            "concurrency": at(self.tr("Trials at once"), budget),
            "executor.devices": at(self.tr("Run on"), devices),
            "executor.trials_per_gpu": at(self.tr("Trials per GPU"), devices),
            "executor.trial_timeout": at(self.tr("Time limit"), trial),
            "executor.retries": at(self.tr("Retries"), trial),
            "executor.warm_start": self.tr("Warm start (built-in tasks)"),
            **self.cluster.labels(at),
        }
        for chooser, group in ((self.strategy_chooser, search), (self.pruner_chooser, pruning)):
            for page in chooser.fields.values():
                for key in page:
                    labels[f"{chooser.section}.{key}"] = at(key, group)
        return labels

    def _subject(self, path: str) -> str:
        """What a problem at `path` is about, as the window names it (the longest known path
        that starts it; a hyperparameter by its name, as the editor shows it)."""
        if path.startswith("space."):
            return path[len("space."):].split(".")[0].split("[")[0]
        known = [k for k in self._labels
                 if path == k or path.startswith((k + ".", k + "["))]
        return self._labels[max(known, key=len)] if known else path

    def _gpu_label(self, d: dict[str, Any]) -> str:
        text = f"cuda:{d['index']} \u00b7 {d.get('name') or self.tr('GPU')}"
        if d.get("memory_mb"):
            text += " \u00b7 " + fill(self.tr("%1 GiB"), f"{float(d['memory_mb']) / 1024:.0f}")
        return text

    def _add_gpu(self, index: int, label: str) -> None:
        check = named(ElidedCheckBox(label), f"gpu{index}",
                      fill(self.tr("Use GPU %1"), str(index)), label)
        check.toggled.connect(self._changed)
        self._gpu_layout.addWidget(check)
        self.gpu_checks[index] = check

    def _sync_enabled(self) -> None:
        grid = self.strategy_chooser.name() == "grid"
        self.grid_points.setEnabled(grid)
        self.trials.setToolTip(self.tr("A grid stops after this many trials even when it has "
                                       "more combinations") if grid else
                               self.tr("How many trials the search runs"))
        mode = self.device_mode.currentData()
        self.device_mode.setToolTip(self.device_mode.currentText())  # when shown shortened
        for check in self.gpu_checks.values():
            check.setEnabled(mode == "gpus")
        self.gpu_box.setVisible(bool(self.gpu_checks))
        local = not self.cluster.is_ray()  # a Ray cluster places trials itself
        self.per_gpu.setEnabled(local and mode != "cpu" and bool(self.gpu_checks))
        for widget in (self.device_mode, self.gpu_box, self.warm):
            widget.setEnabled(local)
        self.cluster.restrict([self.device_mode, self.gpu_box, self.per_gpu, self.warm])
        if not local:
            self.capacity.setText(self.cluster.capacity(self.concurrency.value()))
            return
        gpus = {"auto": len(self._devices), "cpu": 0,
                "gpus": sum(c.isChecked() for c in self.gpu_checks.values())}[mode]
        if gpus:
            slots = gpus * self.per_gpu.value()
            if self.concurrency.value() < slots:
                text = fill(self.tr("%1 trial(s) at a time: %2 GPU(s) × %3 trial(s) each "
                                    "could run %4; raise “Trials at once” to use "
                                    "them all."), str(self.concurrency.value()), str(gpus),
                            str(self.per_gpu.value()), str(slots))
            else:
                text = fill(self.tr("%1 trial(s) at a time: %2 GPU(s) × %3 trial(s) each."),
                            str(slots), str(gpus), str(self.per_gpu.value()))
            self.capacity.setText(text)
        else:
            self.capacity.setText(fill(self.tr("%1 trial(s) at a time on the CPU, sharing its "
                                               "cores."), str(self.concurrency.value())))

    def _changed(self, *_args: Any) -> None:
        if self._loading:
            return
        self._sync_enabled()
        self._check()
        self.settingsChanged.emit()

    def _check(self) -> None:
        problems: dict[str, str] = {}
        if self._base is not None:
            data = self._base.to_dict()
            data.update(self.sections())
            try:
                parse_plan(data, source="run settings")
            except PlanError as exc:
                # The base plan is valid as it is: every problem comes from these settings,
                # including those found elsewhere (a stage naming a parameter not searched).
                for p in exc.problems:
                    problems.setdefault(p.path, fill(self.tr("%1: expected %2, found %3."),
                                                     self._subject(p.path), p.expected,
                                                     p.found))
        if "executor.devices" in problems:
            problems["executor.devices"] = self.tr(
                "Pick at least one GPU, or run on every GPU (automatic) or on the CPU.")
        fields: dict[str, QWidget] = {
            "budget.wall_time": self.wall_time, "executor.trial_timeout": self.timeout,
            "executor.devices": self.device_mode, "budget.epochs": self.budget_epochs,
            "budget.steps": self.budget_steps, "strategy.name": self.strategy,
            "pruner.name": self.pruner}
        for chooser in (self.strategy_chooser, self.pruner_chooser):
            for key in chooser.fields.get(chooser.name(), {}):
                widget = chooser.field(key)
                if widget is not None:
                    fields[f"{chooser.section}.{key}"] = widget
        for path, widget in fields.items():
            found = [text for where, text in problems.items()
                     if where == path or where.startswith((path + ".", path + "["))]
            widget.setStyleSheet(INVALID_STYLE if found else "")
            widget.setAccessibleDescription(" ".join(found))
        self.cluster.mark(problems)
        sentences = list(dict.fromkeys(problems.values()))  # each problem once
        self.problem_label.setText("\n".join(sentences))
        self.problem_label.setVisible(self._list_problems and bool(sentences))
        valid = not sentences
        changed = (valid, sentences) != (self._valid, self._problems)
        self._valid, self._problems = valid, sentences
        if changed:  # a state: reported after set_plan too
            self.validityChanged.emit(valid, list(sentences))


def _raw(widget: QWidget) -> Any:
    """What a field shows: a line's text as typed, a spin box's value, a list's row, a tick."""
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.value()
    if isinstance(widget, QComboBox):
        return widget.currentIndex()
    return widget.isChecked() if isinstance(widget, QCheckBox) else None


def _show_raw(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QLineEdit):
        widget.setText(str(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
    elif isinstance(widget, QComboBox):
        widget.setCurrentIndex(int(value))
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))


__all__ = ["RunSettings", "available_devices", "format_duration"]
