"""Views wired to a real poller on a real file, as the main window wires them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpdesk.gui.base.poller import ExperimentPoller
from hpdesk.gui.curves.view import CurvesView


def start_poller(view: Any, path: Path, experiment_id: int) -> ExperimentPoller:
    """A started poller feeding `view` (its on_poll, on_curves_loaded and curvesRequested);
    stop it when done."""
    poller = ExperimentPoller(path, experiment_id, interval_ms=30)
    poller.polled.connect(view.on_poll)
    poller.curvesLoaded.connect(view.on_curves_loaded)
    view.curvesRequested.connect(poller.request_curves)
    poller.start()
    return poller


def live_curves(qtbot: Any, path: Path, experiment_id: int, plan: dict[str, Any]
                ) -> tuple[CurvesView, ExperimentPoller]:
    """The curves view (shown, 900x500) and its started poller."""
    view = CurvesView("en")
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    view.set_experiment(plan)
    return view, start_poller(view, path, experiment_id)
