"""The classification task's networks: a small CNN (a ConvBackbone and a pooled linear head) or
an MLP on the flattened pixels, sized for the data they train on.

Kept apart from the training loop (classification.py) so the network's shape, which the
hyperparameters of the network family set (width, depth, kernel size, activation,
normalisation), reads on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from hpdesk.tasks.common import make_activation, require, require_choice
from hpdesk.tasks.image_data import ImageData
from hpdesk.tasks.layers import ConvBackbone


class ConvClassifier(nn.Module):
    """``backbone`` (a ConvBackbone), then ``head``: global average pool, dropout, linear.

    The dropout layer is there at rate 0 too (an identity then), so the weights' names do not
    depend on the rate and a resume may change it.
    """

    def __init__(self, backbone: ConvBackbone, n_classes: int, dropout: float) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(backbone.out_channels, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def backbone_kwargs(p: Mapping[str, Any], in_channels: int) -> dict[str, Any]:
    """The :class:`ConvBackbone` arguments a (coerced) parameter set describes."""
    return {"in_channels": in_channels, "width": p["width"], "depth": p["depth"],
            "kernel_size": p["kernel_size"], "norm": p["normalization"],
            "groups": p["gn_groups"], "activation": p["activation"]}


def build_cnn(p: Mapping[str, Any], data: ImageData) -> nn.Module:
    require(data.is_image, f"model 'cnn' needs images shaped (C, H, W); the data's samples "
                           f"are {data.sample_shape}: use model 'mlp'")
    backbone = ConvBackbone(**backbone_kwargs(p, data.sample_shape[0]))
    return ConvClassifier(backbone, data.n_classes, p["dropout"])


def build_mlp(p: Mapping[str, Any], data: ImageData) -> nn.Module:
    """``depth`` hidden layers of ``width`` units, each followed by the activation and dropout
    (a layer at rate 0 too, so the weights' names do not depend on the rate).

    ``depth`` 0 gives a linear (softmax-regression) classifier.
    """
    layers: list[nn.Module] = [nn.Flatten()]
    fan_in = math.prod(data.sample_shape)
    for _ in range(p["depth"]):
        layers += [nn.Linear(fan_in, p["width"]), make_activation(p["activation"]),
                   nn.Dropout(p["dropout"])]
        fan_in = p["width"]
    layers.append(nn.Linear(fan_in, data.n_classes))
    return nn.Sequential(*layers)


#: Model builders by the ``model`` parameter: (params, data) -> module giving logits.
MODELS: dict[str, Callable[[Mapping[str, Any], ImageData], nn.Module]] = {
    "cnn": build_cnn,
    "mlp": build_mlp,
}


def build_model(p: Mapping[str, Any], data: ImageData) -> nn.Module:
    """The network the ``model`` parameter names, sized for ``data``."""
    require_choice("model", p["model"], MODELS)
    return MODELS[p["model"]](p, data)
