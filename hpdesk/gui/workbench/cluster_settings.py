"""Where trials run: on this computer, or as jobs of a Ray cluster (hpdesk.plan.cluster).

`ClusterSettings` is the run settings' "Where trials run" group: the executor choice and,
for Ray, the cluster's address, the CPUs and GPUs each trial asks for and a folded "Runtime
env and access" part (pip requirements or a conda env, the auth token and CA files). It reads
and writes the Ray keys of the plan's `executor:` section; the keys it does not show
(memory_mb, local_cpus, runtime_env's working_dir and env_vars) come back from the plan it was
given, so an edit never drops them. Run settings keeps the rest of the section (devices,
timeouts) and disables its local-only controls (`restrict`) while Ray is chosen: a Ray
cluster places trials by what they ask for, not by this computer's GPUs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hpdesk.gui.base.common import named
from hpdesk.gui.base.inputs import INVALID_STYLE, combo_box, fill, guard_wheel
from hpdesk.plan.cluster import LOCAL, RAY_FIELDS
from hpdesk.plan.model import Executor

# Commas that start a new requirement: outside [extras] and before a name (a comma before
# `<`, `=`, `!`... continues a version specifier: `torch>=2.2,<3` is one requirement).
_NEW_REQUIREMENT = re.compile(r"\s*[A-Za-z0-9]")


def split_requirements(text: str) -> list[str]:
    """`torch>=2.2,<3, numpy, pkg[a,b]` -> [`torch>=2.2,<3`, `numpy`, `pkg[a,b]`]."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char in ",，" and depth <= 0 and _NEW_REQUIREMENT.match(text, i + 1):
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip(" ,，") for p in parts if p.strip(" ,，")]


class ClusterSettings(QGroupBox):
    """The executor choice and the Ray cluster's settings of a plan's `executor:` section."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Where trials run"))
        self.setObjectName("clusterSettings")
        self._base: dict[str, Any] = {}  # the Ray keys of the plan last shown
        self._local_tips: dict[QWidget, str] = {}
        self.kind = combo_box("executorKind", self.tr("Executor"),
                              self.tr("Run trials as processes of this computer, or as jobs "
                                      "of a Ray cluster"))
        self.kind.addItem(self.tr("This computer"), "local")
        self.kind.addItem(self.tr("Ray cluster"), "ray")
        where = self.tr("local starts a private Ray head on this computer for the run; or the "
                        "cluster's job server, e.g. http://head:8265")
        self.address = named(QLineEdit(LOCAL), "rayAddress", self.tr("Ray cluster address"),
                             where)
        self.address.setPlaceholderText(self.tr("local, or http://head:8265"))
        self.cpus = named(QDoubleSpinBox(), "rayCpusPerTrial", self.tr("CPUs per trial"),
                          self.tr("The CPUs the cluster sets aside for each trial"))
        self.cpus.setRange(0.01, 1024)
        self.cpus.setDecimals(2)
        self.cpus.setValue(1)
        self.gpus = named(QDoubleSpinBox(), "rayGpusPerTrial", self.tr("GPUs per trial"),
                          self.tr("The GPUs each trial asks for: 0.5 lets two trials share "
                                  "one GPU"))
        self.gpus.setRange(0, 64)
        self.gpus.setSingleStep(0.25)
        self.gpus.setDecimals(2)
        self.more = named(QToolButton(), "rayMoreToggle", self.tr("Runtime env and access"),
                          self.tr("Packages the trials need on the cluster, and the files "
                                  "that let hpdesk in"))
        self.more.setText(self.tr("Runtime env and access"))
        self.more.setCheckable(True)
        self.more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more.setArrowType(Qt.ArrowType.RightArrow)
        self.more.setAutoRaise(True)
        self.pip = named(QLineEdit(), "rayPip", self.tr("pip requirements"),
                         self.tr("Installed for the trials by Ray, comma-separated: "
                                 "torch>=2.2, timm (or a conda env, not both)"))
        self.pip.setPlaceholderText(self.tr("none (e.g. torch>=2.2, timm)"))
        self.conda = named(QLineEdit(), "rayConda", self.tr("conda env"),
                           self.tr("The name of a conda env on the cluster's machines"))
        self.conda.setPlaceholderText(self.tr("none"))
        self.token, token_row = self._file_row("rayAuthTokenFile", self.tr("Auth token file"),
                                               self.tr("A file holding the cluster's token "
                                                       "(else Ray's RAY_AUTH_TOKEN or "
                                                       "~/.ray/auth_token)"))
        self.ca, ca_row = self._file_row("rayCaFile", self.tr("CA file"),
                                         self.tr("The certificate authority of a cluster "
                                                 "whose certificate no system authority signed"))

        self.form = QFormLayout()
        self.form.addRow(self.tr("Executor"), self.kind)
        self.ray_form = QFormLayout()
        self.ray_form.addRow(self.tr("Address"), self.address)
        self.ray_form.addRow(self.tr("CPUs per trial"), self.cpus)
        self.ray_form.addRow(self.tr("GPUs per trial"), self.gpus)
        self.ray_form.addRow(self.more)
        self.more_form = QFormLayout()
        self.more_form.addRow(self.tr("pip"), self.pip)
        self.more_form.addRow(self.tr("conda env"), self.conda)
        self.more_form.addRow(self.tr("Auth token"), token_row)
        self.more_form.addRow(self.tr("CA file"), ca_row)
        self.ray_box = QWidget()
        self.ray_box.setObjectName("rayBox")
        self.more_box = QWidget()
        self.more_box.setObjectName("rayMoreBox")
        self.ray_box.setLayout(self.ray_form)
        self.more_box.setLayout(self.more_form)
        for form in self.forms():
            form.setContentsMargins(0, 0, 0, 0)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.ray_form.addRow(self.more_box)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.ray_box)

        self.kind.currentIndexChanged.connect(self._emit)
        for spin in (self.cpus, self.gpus):
            guard_wheel(spin)
            spin.valueChanged.connect(self._emit)
        for edit in (self.address, self.pip, self.conda, self.token, self.ca):
            edit.textChanged.connect(self._emit)
        self.more.toggled.connect(self._fold)
        self._fold(False)
        self.sync()

    # ---- public ----------------------------------------------------------------------------

    def forms(self) -> list[QFormLayout]:
        """The group's forms, for the run settings' label stacking in a narrow column."""
        return [self.form, self.ray_form, self.more_form]

    def is_ray(self) -> bool:
        return self.kind.currentData() == "ray"

    def set_executor(self, executor: Executor) -> None:
        """Show `executor`'s kind and Ray settings (their signals are the caller's to mute)."""
        ray = executor.ray.to_dict() if executor.kind == "ray" and executor.ray else {}
        self._base = ray
        self.kind.setCurrentIndex(max(0, self.kind.findData(executor.kind)))
        self.address.setText(str(ray.get("address", LOCAL)))
        self.cpus.setValue(float(ray.get("cpus_per_trial", 1.0)))
        self.gpus.setValue(float(ray.get("gpus_per_trial", 0.0)))
        runtime = ray.get("runtime_env", {})
        self.pip.setText(", ".join(runtime.get("pip", [])))
        self.conda.setText(str(runtime.get("conda", "")))
        self.token.setText(str(ray.get("auth_token_file") or ""))
        self.ca.setText(str(ray.get("ca_file") or ""))
        self.more.setChecked(bool(self.pip.text() or self.conda.text() or self.token.text()
                                  or self.ca.text()))
        self.sync()

    def update_section(self, executor: dict[str, Any]) -> dict[str, Any]:
        """`executor` (the exported section) with this group's kind and Ray keys: a Ray key
        the form does not show comes from the plan last shown; local drops every Ray key."""
        out = {k: v for k, v in executor.items() if k not in RAY_FIELDS}
        out["kind"] = self.kind.currentData()
        if not self.is_ray():
            return out
        ray = {k: v for k, v in self._base.items() if k not in ("ca_file", "auth_token_file")}
        address = self.address.text().strip()
        ray["address"] = address or LOCAL
        ray["cpus_per_trial"] = self.cpus.value()
        ray["gpus_per_trial"] = self.gpus.value()
        runtime = {k: v for k, v in dict(self._base.get("runtime_env", {})).items()
                   if k not in ("pip", "conda")}
        if split_requirements(self.pip.text()):
            runtime["pip"] = split_requirements(self.pip.text())
        if self.conda.text().strip():
            runtime["conda"] = self.conda.text().strip()
        ray.pop("runtime_env", None)
        if runtime:
            ray["runtime_env"] = runtime
        for key, edit in (("auth_token_file", self.token), ("ca_file", self.ca)):
            if edit.text().strip():
                ray[key] = edit.text().strip()
        out.update(ray)
        return out

    def labels(self, at: Callable[[str, str], str]) -> dict[str, str]:
        """Plan paths in the words of the form (`at(label, group)` joins them)."""
        group = self.title()
        return {
            "executor.kind": at(self.tr("Executor"), group),
            "executor.address": at(self.tr("Address"), group),
            "executor.cpus_per_trial": at(self.tr("CPUs per trial"), group),
            "executor.gpus_per_trial": at(self.tr("GPUs per trial"), group),
            "executor.runtime_env": at(self.tr("Runtime env and access"), group),
            "executor.runtime_env.pip": at(self.tr("pip"), group),
            "executor.runtime_env.conda": at(self.tr("conda env"), group),
            "executor.auth_token_file": at(self.tr("Auth token"), group),
            "executor.ca_file": at(self.tr("CA file"), group),
        }

    def mark(self, problems: Mapping[str, str]) -> None:
        """Mark each field a problem is about (a problem of `executor.runtime_env` as a whole,
        pip and conda both, marks both) and unfold the part that holds a marked field."""
        fields: dict[str, QWidget] = {
            "executor.kind": self.kind, "executor.address": self.address,
            "executor.cpus_per_trial": self.cpus, "executor.gpus_per_trial": self.gpus,
            "executor.runtime_env.pip": self.pip, "executor.runtime_env.conda": self.conda,
            "executor.auth_token_file": self.token, "executor.ca_file": self.ca}
        for path, widget in fields.items():
            found = [text for where, text in problems.items()
                     if where == path or where.startswith((path + ".", path + "["))
                     or (path.startswith("executor.runtime_env.")
                         and where == "executor.runtime_env")]
            widget.setStyleSheet(INVALID_STYLE if found else "")
            widget.setAccessibleDescription(" ".join(found))
            if found and widget in (self.pip, self.conda, self.token, self.ca):
                self.more.setChecked(True)

    def restrict(self, local_only: list[QWidget]) -> None:
        """Say in the tooltip of each local-only control why it is off under Ray (the run
        settings disable them); give them their own tooltip back on this computer."""
        why = self.tr("Not used on a Ray cluster: the cluster places each trial by its CPUs "
                      "and GPUs per trial (Where trials run).")
        for widget in local_only:
            if self.is_ray():
                self._local_tips.setdefault(widget, widget.toolTip())
                widget.setToolTip(why)
            elif widget in self._local_tips:
                widget.setToolTip(self._local_tips.pop(widget))

    def capacity(self, concurrency: int) -> str:
        """What the run asks of the cluster, for the devices' note under Ray."""
        return fill(self.tr("%1 trial(s) at a time, each asking the Ray cluster for %2 CPU(s) "
                            "and %3 GPU(s)."), str(concurrency), f"{self.cpus.value():g}",
                    f"{self.gpus.value():g}")

    def sync(self) -> None:
        """Show the Ray settings only when Ray is chosen."""
        self.ray_box.setVisible(self.is_ray())

    # ---- internals -------------------------------------------------------------------------

    def _file_row(self, name: str, accessible: str, tip: str) -> tuple[QLineEdit, QWidget]:
        edit = named(QLineEdit(), name, accessible, tip)
        edit.setPlaceholderText(self.tr("none"))
        browse = named(QToolButton(), f"{name}Browse", self.tr("Choose a file"))
        browse.setText("…")
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        layout.addWidget(browse)
        browse.clicked.connect(lambda: self._browse(edit, accessible))
        return edit, row

    def _browse(self, edit: QLineEdit, title: str) -> None:
        from hpdesk.gui.base import file_dialogs

        here = Path(edit.text().strip()).expanduser() if edit.text().strip() else None
        chosen = file_dialogs.open_file(self, "cluster", title, here=here)
        if chosen:
            edit.setText(str(chosen))

    def _fold(self, unfolded: bool) -> None:
        self.more_box.setVisible(unfolded)
        self.more.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)

    def _emit(self, *_args: Any) -> None:
        self.sync()
        self.changed.emit()


__all__ = ["ClusterSettings", "split_requirements"]
