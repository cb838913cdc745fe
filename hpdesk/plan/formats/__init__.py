"""Search spaces in and out of other tools: W&B sweeps, Optuna distributions (and a runnable
Optuna study), NNI search spaces, Ray Tune source; `convert` is the dispatcher."""

from hpdesk.plan.formats.convert import (
    FORMATS,
    LABELS,
    Conversion,
    convert,
    detect,
    read_space,
    target_format,
    write_space,
)

__all__ = ["FORMATS", "LABELS", "Conversion", "convert", "detect", "read_space",
           "target_format", "write_space"]
