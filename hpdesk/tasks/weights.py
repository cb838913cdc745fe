"""Pre-trained weights for the built-in tasks: reading a checkpoint file and loading what fits.

Fine-tuning (KNOWLEDGE.md §5) starts a network from weights trained before. hpdesk's tasks take
them from a checkpoint file a plan names (``init_checkpoint``): hpdesk's own trial checkpoint
(``checkpoint.pt``), a ``{"model": state_dict}`` dict or a bare state dict. The detector loads a
classifier's backbone (:func:`hpdesk.tasks.detection_model.load_backbone`); the classifier loads
every tensor whose name and shape match (:func:`load_matching`), so a head sized for another
class count starts afresh while the rest of the network keeps what it learnt.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from hpdesk.tasks.common import ParamError, require


def checkpoint_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint file: hpdesk's own, a ``{"model": state}`` dict or a bare one.

    ParamError with one line when the file is missing, unreadable or holds no state dict.
    """
    path = Path(path).expanduser()
    require(path.is_file(), f"init_checkpoint {str(path)!r} is not a file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ParamError(f"init_checkpoint {path}: cannot read it ({first})") from None
    if isinstance(state, dict) and isinstance(state.get("modules"), dict):
        state = state["modules"].get("model", state)
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    require(isinstance(state, dict), f"init_checkpoint {path}: not a state dict")
    return {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}


@dataclass(frozen=True)
class Loaded:
    """What :func:`load_matching` did: the network's tensors it filled and those it left fresh."""

    loaded: tuple[str, ...]
    #: The network's tensors kept at their fresh values, with why ("shape 10 -> 3", "absent").
    skipped: Mapping[str, str]

    def summary(self) -> str:
        """One log line: how many tensors were loaded and which were skipped."""
        text = f"{len(self.loaded)} of {len(self.loaded) + len(self.skipped)} tensors loaded"
        if self.skipped:
            text += "; re-initialised: " + ", ".join(
                f"{name} ({why})" for name, why in self.skipped.items())
        return text


def _shape(t: torch.Tensor) -> str:
    return "x".join(str(n) for n in t.shape) or "scalar"


def load_matching(module: nn.Module, state: Mapping[str, torch.Tensor], *,
                  where: str = "init_checkpoint") -> Loaded:
    """Copy into ``module`` every tensor of ``state`` with its name and shape; return what was
    loaded and what was skipped.

    ParamError when the network's first layer does not fit (a network of another model, width,
    kernel size or input channels): a bias that happens to match would be no pre-trained start,
    and fine-tuning from nothing is training from scratch."""
    own = module.state_dict()
    fits = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    first = next((name for name, _ in module.named_parameters()), None)
    if first is not None and first not in fits:
        found = (f"is {_shape(state[first])} there, {_shape(own[first])} here" if first in state
                 else "is not there")
        raise ParamError(f"{where}: none of its {len(state)} tensors fits this network (its "
                         f"first layer {first} {found}; model, width, kernel_size and data "
                         f"channels must match the checkpoint's)")
    skipped = {k: ("absent" if k not in state else f"shape {_shape(state[k])} -> {_shape(v)}")
               for k, v in own.items() if k not in fits}
    module.load_state_dict({**own, **fits})
    return Loaded(loaded=tuple(fits), skipped=skipped)
