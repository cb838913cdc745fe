"""Convolution building blocks shared by the classifier, the detector and the GAN.

Why shared: the network-family hyperparameters of KNOWLEDGE.md section 2 (width, depth, kernel
size, activation) and the normalisation choices of section 8 (BatchNorm, GroupNorm, frozen
BatchNorm, none) must build the same layers in every task, and the detector loads the
classifier's backbone weights by name, so both must build the backbone with this one class.

Kernel sizes are the guide's list (section 5): 1x1, 3x3, 5x5, 7x7 and the factorised pair
``7x1+1x7`` (a 7x1 convolution then a 1x7 one, as in Inception-v3: 14 weights per channel pair
instead of 49, the same 7x7 receptive field). Every convolution pads to keep the size ("same"),
so only the stride shrinks feature maps.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from hpdesk.tasks.common import (
    ACTIVATIONS,
    ParamError,
    make_activation,
    require,
    require_choice,
)

__all__ = [
    "ACTIVATIONS", "KERNEL_SIZES", "NORMALIZATIONS", "ConvBackbone", "FrozenBatchNorm2d",
    "conv_block", "freeze_batchnorm", "make_activation", "norm2d",
]

NORMALIZATIONS: tuple[str, ...] = ("batchnorm", "groupnorm", "frozen_batchnorm", "none")
KERNEL_SIZES: tuple[str, ...] = ("1x1", "3x3", "5x5", "7x7", "7x1+1x7")


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d with statistics and affine fixed: ``y = (x - mean) / sqrt(var + eps) * w + b``.

    Section 8: with batches of 1 or 2 the batch statistics are noise, so a pre-trained
    backbone's statistics and affine parameters are frozen. All four are buffers, not
    parameters: no optimiser can move them, train mode does not update them, and they still
    travel in the state dict under BatchNorm2d's names (``num_batches_tracked`` is dropped on
    load), so a BatchNorm checkpoint loads into a frozen copy.
    """

    weight: torch.Tensor
    bias: torch.Tensor
    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    @classmethod
    def from_batchnorm(cls, bn: nn.BatchNorm2d) -> FrozenBatchNorm2d:
        """A frozen copy of ``bn``'s current statistics and affine parameters."""
        frozen = cls(bn.num_features, bn.eps)
        with torch.no_grad():
            if bn.affine:
                frozen.weight.copy_(bn.weight)
                frozen.bias.copy_(bn.bias)
            if bn.running_mean is not None and bn.running_var is not None:
                frozen.running_mean.copy_(bn.running_mean)
                frozen.running_var.copy_(bn.running_var)
        return frozen.to(bn.running_mean.device if bn.running_mean is not None else "cpu")

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str,
                              *args: Any, **kwargs: Any) -> None:
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * torch.rsqrt(self.running_var + self.eps)
        shift = self.bias - self.running_mean * scale
        return x * scale.view(1, -1, 1, 1).to(x.dtype) + shift.view(1, -1, 1, 1).to(x.dtype)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"


def norm2d(kind: str, channels: int, *, groups: int = 8) -> nn.Module:
    """The normalisation layer ``kind`` names for ``channels`` feature maps.

    ``groupnorm`` needs ``groups`` to divide ``channels`` and raises :class:`ParamError`
    otherwise rather than silently using another count: a trial labelled ``gn_groups: 8``
    must have run with 8 groups. (Section 8 advises neither 1 group nor one per channel;
    both are allowed here, since they are LayerNorm and InstanceNorm, legitimate baselines.)
    """
    require_choice("normalization", kind, NORMALIZATIONS)
    if kind == "batchnorm":
        return nn.BatchNorm2d(channels)
    if kind == "frozen_batchnorm":
        return FrozenBatchNorm2d(channels)
    if kind == "groupnorm":
        require(groups >= 1, f"gn_groups must be >= 1, got {groups}")
        require(channels % groups == 0,
                f"gn_groups {groups} does not divide {channels} channels; pick a divisor")
        return nn.GroupNorm(groups, channels)
    return nn.Identity()


def freeze_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every ``BatchNorm2d`` inside ``module`` by a :class:`FrozenBatchNorm2d` copy.

    Returns ``module`` (changed in place), or the frozen copy when ``module`` itself is a
    BatchNorm2d.
    """
    if isinstance(module, nn.BatchNorm2d):
        return FrozenBatchNorm2d.from_batchnorm(module)
    for name, child in module.named_children():
        replacement = freeze_batchnorm(child)
        if replacement is not child:
            setattr(module, name, replacement)
    return module


def _kernel(kernel_size: str) -> list[tuple[int, int]]:
    require_choice("kernel_size", kernel_size, KERNEL_SIZES)
    if kernel_size == "7x1+1x7":
        return [(7, 1), (1, 7)]
    k = int(kernel_size.split("x")[0])
    return [(k, k)]


def conv_block(
    cin: int,
    cout: int,
    *,
    kernel_size: str = "3x3",
    stride: int = 1,
    norm: str = "batchnorm",
    groups: int = 8,
    activation: str = "relu",
    dropout: float = 0.0,
    spectral_norm: bool = False,
) -> nn.Sequential:
    """Convolution(s), normalisation, activation, dropout: one layer of a conv net.

    ``"7x1+1x7"`` is a 7x1 conv (stride applied vertically) then a 1x7 conv (stride applied
    horizontally), both to ``cout`` channels. Convolutions carry a bias only when ``norm`` is
    ``none`` (a norm layer's shift makes it redundant). ``activation`` may also be ``"none"``
    (an output layer). ``spectral_norm`` wraps each convolution in
    ``torch.nn.utils.parametrizations.spectral_norm`` (Miyato et al. 2018; for GAN critics).
    ``dropout`` is element-wise (``nn.Dropout``): channel dropout would blank whole feature
    maps of the small nets these tasks train.
    """
    require(cin >= 1 and cout >= 1, f"channel counts must be >= 1, got {cin} -> {cout}")
    require(stride >= 1, f"stride must be >= 1, got {stride}")
    require(0 <= dropout < 1, f"dropout must be in [0, 1), got {dropout}")
    require_choice("normalization", norm, NORMALIZATIONS)
    if activation != "none":
        require_choice("activation", activation, ACTIVATIONS)
    kernels = _kernel(kernel_size)
    bias = norm == "none"
    layers: list[nn.Module] = []
    channels = cin
    for i, (kh, kw) in enumerate(kernels):
        if len(kernels) == 1:
            step: int | tuple[int, int] = stride
        else:
            step = (stride, 1) if i == 0 else (1, stride)
        conv: nn.Module = nn.Conv2d(channels, cout, (kh, kw), stride=step,
                                    padding=(kh // 2, kw // 2), bias=bias)
        if spectral_norm:
            conv = nn.utils.parametrizations.spectral_norm(conv)
        layers.append(conv)
        channels = cout
    layers.append(norm2d(norm, cout, groups=groups))
    if activation != "none":
        layers.append(make_activation(activation))
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class ConvBackbone(nn.Module):
    """``depth`` conv stages; the feature extractor the classifier trains and the detector reuses.

    Stage ``i`` (from 0) is one :func:`conv_block` to ``width * 2 ** min(i, 2)`` channels, with
    stride 2 on every stage after the first: on 8x8 digits depth 3 gives 8x8, 4x4, 2x2 maps.
    Attributes: ``out_channels`` (of the last stage), ``stride`` (``2 ** (depth - 1)``),
    ``stage_channels`` (each stage's). Weights live under ``stages.<i>.``; a model that holds
    the backbone as ``self.backbone`` therefore saves them under ``backbone.stages.<i>.``.
    """

    def __init__(
        self,
        in_channels: int,
        *,
        width: int,
        depth: int,
        kernel_size: str = "3x3",
        norm: str = "batchnorm",
        groups: int = 8,
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        require(depth >= 1, f"depth must be >= 1 for a convolutional model, got {depth}")
        require(width >= 1, f"width must be >= 1, got {width}")
        self.stage_channels: list[int] = [width * 2 ** min(i, 2) for i in range(depth)]
        stages = []
        channels = in_channels
        for i, cout in enumerate(self.stage_channels):
            stages.append(conv_block(channels, cout, kernel_size=kernel_size,
                                     stride=1 if i == 0 else 2, norm=norm, groups=groups,
                                     activation=activation, dropout=dropout))
            channels = cout
        self.stages = nn.ModuleList(stages)
        self.in_channels = in_channels
        self.out_channels: int = channels
        self.stride: int = 2 ** (depth - 1)

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every stage's output, finest first (for a detector that wants several levels)."""
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The last stage's feature map,
        ``(N, out_channels, ceil(H / stride), ceil(W / stride))``."""
        for stage in self.stages:
            x = stage(x)
        return x


def check_groupnorm(norm: str, channels: list[int], groups: int) -> None:
    """Fail early (before any data loads) when GroupNorm cannot split some stage's channels."""
    if norm == "groupnorm":
        bad = [c for c in channels if c % groups]
        if bad:
            raise ParamError(
                f"gn_groups {groups} does not divide {bad[0]} channels; pick a divisor of width")
