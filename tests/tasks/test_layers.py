"""Conv blocks, normalisation choices and the shared backbone: the right modules, sizes and
counts."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn

from hpdesk.tasks.common import ParamError, count_parameters
from hpdesk.tasks.layers import (
    KERNEL_SIZES,
    NORMALIZATIONS,
    ConvBackbone,
    FrozenBatchNorm2d,
    conv_block,
    freeze_batchnorm,
    norm2d,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_choices() -> None:
    assert NORMALIZATIONS == ("batchnorm", "groupnorm", "frozen_batchnorm", "none")
    assert KERNEL_SIZES == ("1x1", "3x3", "5x5", "7x7", "7x1+1x7")


@pytest.mark.parametrize(("kind", "cls"), [
    ("batchnorm", nn.BatchNorm2d), ("groupnorm", nn.GroupNorm),
    ("frozen_batchnorm", FrozenBatchNorm2d), ("none", nn.Identity),
])
def test_norm2d_builds_the_named_layer(kind: str, cls: type[nn.Module]) -> None:
    layer = norm2d(kind, 16, groups=4)
    assert type(layer) is cls
    if kind == "groupnorm":
        assert layer.num_groups == 4 and layer.num_channels == 16


def test_groupnorm_groups_must_divide_the_channels() -> None:
    with pytest.raises(ParamError, match="gn_groups 8 does not divide 12 channels"):
        norm2d("groupnorm", 12, groups=8)
    with pytest.raises(ParamError, match="unknown normalization 'layernorm'"):
        norm2d("layernorm", 12)


def trained_batchnorm() -> nn.BatchNorm2d:
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(3)
    bn(torch.randn(8, 3, 4, 4) * 3 + 1)                       # moves the running statistics
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
        bn.bias.copy_(torch.tensor([0.1, 0.0, 0.3]))
    return bn


def test_frozen_batchnorm_is_fixed_and_matches_batchnorm_in_eval() -> None:
    bn = trained_batchnorm()
    frozen = FrozenBatchNorm2d.from_batchnorm(bn)
    assert list(frozen.parameters()) == []                    # nothing to train
    x = torch.randn(2, 3, 4, 4)
    frozen.train()
    before = {k: v.clone() for k, v in frozen.state_dict().items()}
    out = frozen(x * 5 + 2)                                   # train mode: stats must not move
    assert all(torch.equal(before[k], v) for k, v in frozen.state_dict().items())
    bn.eval()
    assert torch.allclose(frozen(x), bn(x), atol=1e-6)
    assert out.shape == x.shape


def test_freeze_batchnorm_replaces_every_batchnorm_and_loads_their_checkpoints() -> None:
    net = ConvBackbone(1, width=8, depth=3)
    state = net.state_dict()
    frozen = freeze_batchnorm(net)
    assert frozen is net
    kinds = [type(m) for m in net.modules()]
    assert nn.BatchNorm2d not in kinds and kinds.count(FrozenBatchNorm2d) == 3
    assert count_parameters(net) == sum(w.numel() for k, w in state.items()
                                        if k.endswith("0.weight") and w.ndim == 4)
    fresh = freeze_batchnorm(ConvBackbone(1, width=8, depth=3))
    fresh.load_state_dict(state)                              # num_batches_tracked dropped
    assert isinstance(freeze_batchnorm(nn.BatchNorm2d(4)), FrozenBatchNorm2d)


def conv_weights(cin: int, cout: int, kernel: str) -> int:
    """Weights plus biases of the conv(s) ``conv_block(norm='none')`` builds."""
    if kernel == "7x1+1x7":
        return (cin * cout * 7 + cout) + (cout * cout * 7 + cout)
    k = int(kernel[0])
    return cin * cout * k * k + cout


@pytest.mark.parametrize("kernel", KERNEL_SIZES)
def test_kernel_size_sets_the_parameter_count_and_keeps_the_size(kernel: str) -> None:
    block = conv_block(4, 8, kernel_size=kernel, norm="none")
    assert count_parameters(block) == conv_weights(4, 8, kernel)
    assert block(torch.randn(2, 4, 9, 9)).shape == (2, 8, 9, 9)
    strided = conv_block(4, 8, kernel_size=kernel, stride=2, norm="none")
    assert strided(torch.randn(2, 4, 9, 9)).shape == (2, 8, 5, 5)


def test_factorised_kernel_is_a_7x1_then_a_1x7_conv() -> None:
    convs = [m for m in conv_block(3, 6, kernel_size="7x1+1x7") if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(7, 1), (1, 7)]
    assert [c.bias is None for c in convs] == [True, True]    # batchnorm makes biases redundant
    counts = {k: count_parameters(conv_block(16, 16, kernel_size=k, norm="none"))
              for k in KERNEL_SIZES}
    assert counts["1x1"] < counts["3x3"] < counts["7x1+1x7"] < counts["5x5"] < counts["7x7"]


def test_conv_block_layers_in_order() -> None:
    block = conv_block(3, 8, norm="groupnorm", groups=4, activation="gelu", dropout=0.2)
    assert [type(m) for m in block] == [nn.Conv2d, nn.GroupNorm, nn.GELU, nn.Dropout]
    bare = conv_block(3, 8, norm="none", activation="none")
    assert [type(m) for m in bare] == [nn.Conv2d, nn.Identity]
    assert bare[0].bias is not None


def test_spectral_norm_wraps_every_conv() -> None:
    block = conv_block(3, 8, kernel_size="7x1+1x7", spectral_norm=True)
    convs = [m for m in block if isinstance(m, nn.Conv2d)]
    assert len(convs) == 2
    assert all(nn.utils.parametrize.is_parametrized(c, "weight") for c in convs)


@pytest.mark.parametrize("bad", [
    {"kernel_size": "9x9"}, {"activation": "swish"}, {"dropout": 1.0}, {"stride": 0},
    {"norm": "instancenorm"},
])
def test_conv_block_rejects(bad: dict[str, object]) -> None:
    with pytest.raises(ParamError):
        conv_block(3, 8, **bad)  # type: ignore[arg-type]


def test_backbone_stages_channels_and_stride() -> None:
    net = ConvBackbone(3, width=8, depth=4, kernel_size="5x5", norm="groupnorm", groups=4)
    assert net.stage_channels == [8, 16, 32, 32]
    assert (net.out_channels, net.stride) == (32, 8)
    x = torch.randn(2, 3, 16, 16)
    assert net(x).shape == (2, 32, 2, 2)
    assert [f.shape[-1] for f in net.forward_features(x)] == [16, 8, 4, 2]
    strides = [m.stride for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert strides == [(1, 1), (2, 2), (2, 2), (2, 2)]
    assert all(k.startswith("stages.") for k in net.state_dict())
    with pytest.raises(ParamError, match="depth must be >= 1"):
        ConvBackbone(3, width=8, depth=0)


def test_backbone_width_depth_and_kernel_change_the_parameter_count() -> None:
    base = count_parameters(ConvBackbone(1, width=8, depth=2))
    assert count_parameters(ConvBackbone(1, width=16, depth=2)) > base
    assert count_parameters(ConvBackbone(1, width=8, depth=3)) > base
    assert count_parameters(ConvBackbone(1, width=8, depth=2, kernel_size="7x1+1x7")) > base
    assert count_parameters(ConvBackbone(1, width=8, depth=2, kernel_size="1x1")) < base
