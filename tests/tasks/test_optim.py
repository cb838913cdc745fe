"""Optimisers and LARS on tiny hand-made problems: each key moves its optimiser, the maths holds."""
from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

from hpdesk.tasks import common
from hpdesk.tasks.common import ParamError
from hpdesk.tasks.optim import (
    LARS,
    OPTIMIZER_DEFAULTS,
    OPTIMIZERS,
    apply_hyperparameters,
    make_optimizer,
    trust_ratio,
    validate_optimizer_params,
)
from hpdesk.tasks.schedules import LRSchedule


def tiny_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))


def trajectory(p: dict[str, Any], steps: int = 3) -> torch.Tensor:
    """The weights of a tiny net after ``steps`` full-batch updates with optimiser ``p``."""
    model = tiny_model()
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(16, 4, generator=gen), torch.randint(0, 3, (16,), generator=gen)
    opt = make_optimizer(model.parameters(), {"lr": 0.05, **p})
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return torch.cat([w.detach().flatten() for w in model.parameters()])


def test_nine_optimizers_in_the_guides_order_plus_adamw() -> None:
    assert OPTIMIZERS == ("sgd", "sgd_momentum", "adagrad", "adadelta", "rmsprop", "adam",
                          "adamw", "adamax", "nadam")
    assert common.OPTIMIZERS == OPTIMIZERS                   # the old import path still works
    assert set(OPTIMIZER_DEFAULTS) == {"optimizer", "momentum", "nesterov", "beta1", "beta2",
                                       "eps", "rho", "alpha", "weight_decay", "lars", "lars_eta"}


def test_every_optimizer_builds_its_torch_class_and_moves_differently() -> None:
    classes = {"sgd": torch.optim.SGD, "sgd_momentum": torch.optim.SGD,
               "adagrad": torch.optim.Adagrad, "adadelta": torch.optim.Adadelta,
               "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
               "adamw": torch.optim.AdamW, "adamax": torch.optim.Adamax,
               "nadam": torch.optim.NAdam}
    finals = {}
    for name in OPTIMIZERS:
        opt = make_optimizer(tiny_model().parameters(), {"optimizer": name, "lr": 0.1})
        assert type(opt) is classes[name]
        # some weight decay: without it AdamW is Adam
        finals[name] = tuple(trajectory({"optimizer": name, "weight_decay": 0.01}).tolist())
    assert len(set(finals.values())) == len(OPTIMIZERS)


@pytest.mark.parametrize(("optimizer", "key", "value"), [
    ("sgd_momentum", "momentum", 0.5),
    ("sgd_momentum", "nesterov", True),
    ("adagrad", "eps", 1e-2),
    ("adadelta", "rho", 0.5),
    ("adadelta", "eps", 1e-3),
    ("rmsprop", "alpha", 0.5),
    ("rmsprop", "eps", 1e-2),
    ("adam", "beta1", 0.5),
    ("adam", "beta2", 0.9),
    ("adam", "eps", 1e-1),
    ("adamw", "beta1", 0.5),
    ("adamax", "beta2", 0.9),
    ("nadam", "beta1", 0.5),
    ("sgd", "weight_decay", 0.1),
    ("adam", "weight_decay", 0.1),
    ("adamw", "weight_decay", 0.1),
    ("sgd", "lars", True),
    ("adam", "lars", True),
])
def test_each_key_changes_the_optimizer_that_reads_it(optimizer: str, key: str, value: Any) -> None:
    base = trajectory({"optimizer": optimizer})
    assert not torch.equal(trajectory({"optimizer": optimizer, key: value}), base)


@pytest.mark.parametrize(("optimizer", "key", "value"), [
    ("adam", "momentum", 0.5), ("sgd", "beta1", 0.5), ("sgd_momentum", "rho", 0.5),
])
def test_keys_an_optimizer_does_not_read_change_nothing(optimizer: str, key: str,
                                                        value: Any) -> None:
    base = trajectory({"optimizer": optimizer})
    assert torch.equal(trajectory({"optimizer": optimizer, key: value}), base)


def test_nesterov_changes_the_very_first_update_by_the_momentum_term() -> None:
    # torch's Nesterov SGD steps along g + momentum * buf, and buf = g on the first step.
    w = nn.Parameter(torch.tensor([1.0, -2.0]))
    w.grad = torch.tensor([0.5, 0.25])
    make_optimizer([w], {"optimizer": "sgd_momentum", "lr": 0.1, "momentum": 0.9,
                         "nesterov": True}).step()
    assert torch.allclose(w.detach(),
                          torch.tensor([1.0, -2.0]) - 0.1 * 1.9 * torch.tensor([0.5, 0.25]))


def test_adamw_decay_is_decoupled_adam_decay_is_l2() -> None:
    """With a zero loss gradient AdamW shrinks w by lr*wd; Adam normalises the L2 gradient."""
    results = {}
    for name in ("adam", "adamw"):
        w = nn.Parameter(torch.tensor([2.0]))
        w.grad = torch.zeros(1)
        make_optimizer([w], {"optimizer": name, "lr": 0.1, "weight_decay": 0.1}).step()
        results[name] = w.item()
    assert results["adamw"] == pytest.approx(2.0 * (1 - 0.1 * 0.1))
    assert results["adam"] == pytest.approx(2.0 - 0.1, rel=1e-5)     # a full lr-sized step


def test_lr_keyword_overrides_p_lr_as_the_gan_does() -> None:
    opt = make_optimizer(tiny_model().parameters(), {"optimizer": "adam", "lr_g": 2e-4},
                         lr=2e-4)
    assert opt.param_groups[0]["lr"] == 2e-4
    with pytest.raises(ParamError, match="needs an lr"):
        make_optimizer(tiny_model().parameters(), {"optimizer": "adam"})


def test_param_groups_are_accepted() -> None:
    model = tiny_model()
    groups = [{"params": model[0].parameters(), "lr": 0.01}, {"params": model[2].parameters()}]
    opt = make_optimizer(groups, {"optimizer": "sgd", "lr": 0.1})
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]


@pytest.mark.parametrize(("bad", "words"), [
    ({"optimizer": "lion"}, "unknown optimizer 'lion'"),
    ({"lr": 0}, "lr must be a positive number"),
    ({"lr": float("nan")}, "lr must be a positive number"),
    ({"momentum": 1.0}, "momentum"),
    ({"optimizer": "sgd_momentum", "momentum": 0.0, "nesterov": True}, "nesterov needs"),
    ({"beta1": -0.1}, "beta1"),
    ({"beta2": 1.0}, "beta2"),
    ({"eps": 0}, "eps"),
    ({"rho": 1.5}, "rho"),
    ({"alpha": 1.0}, "alpha"),
    ({"weight_decay": -1e-4}, "weight_decay"),
    ({"lars_eta": 0}, "lars_eta"),
    ({"lars": "maybe"}, "lars"),
])
def test_validation_gives_one_line(bad: dict[str, Any], words: str) -> None:
    with pytest.raises(ParamError, match=words) as info:
        validate_optimizer_params({"lr": 0.1, **bad})
    assert "\n" not in str(info.value)


def test_validation_without_lr_is_allowed_for_tasks_with_several_rates() -> None:
    validate_optimizer_params({"optimizer": "adam", "beta1": "0.5"})  # coerced, no lr checked


# --- LARS ------------------------------------------------------------------------------------

def lars_problem() -> tuple[nn.Parameter, nn.Parameter]:
    weight = nn.Parameter(torch.tensor([[3.0, 4.0]]))        # ||w|| = 5
    bias = nn.Parameter(torch.tensor([1.0]))
    weight.grad = torch.tensor([[0.6, 0.8]])                  # ||g|| = 1
    bias.grad = torch.tensor([2.0])
    return weight, bias


def test_trust_ratio_hand_checked() -> None:
    w, g = torch.tensor([[3.0, 4.0]]), torch.tensor([[0.6, 0.8]])
    assert trust_ratio(w, g, eta=0.01, weight_decay=0.0).item() == pytest.approx(0.05)
    # eta * ||w|| / (||g|| + wd * ||w||) = 0.01 * 5 / (1 + 0.2 * 5) = 0.025
    assert trust_ratio(w, g, eta=0.01, weight_decay=0.2).item() == pytest.approx(0.025)
    assert trust_ratio(torch.zeros(2, 2), g.view(1, 2), eta=0.01, weight_decay=0).item() == 1.0


def test_lars_sgd_step_hand_checked_and_skips_biases() -> None:
    weight, bias = lars_problem()
    opt = make_optimizer([weight, bias], {"optimizer": "sgd", "lr": 0.5, "lars": True,
                                          "lars_eta": 0.01})
    assert isinstance(opt, LARS)
    opt.step()
    # weight: w - lr * trust * g = [3, 4] - 0.5 * 0.05 * [0.6, 0.8]
    assert torch.allclose(weight.detach(), torch.tensor([[2.985, 3.98]]))
    assert bias.item() == pytest.approx(1.0 - 0.5 * 2.0)                    # plain SGD


def test_lars_with_weight_decay_and_momentum_is_algorithm_1() -> None:
    """You et al. 2017 Alg. 1: v = m v + lambda (g + wd w); w = w - lr v."""
    lr, m, wd, eta = 0.5, 0.9, 0.2, 0.01
    weight, _ = lars_problem()
    opt = make_optimizer([weight], {"optimizer": "sgd_momentum", "lr": lr, "momentum": m,
                                    "weight_decay": wd, "lars": True, "lars_eta": eta})
    w = torch.tensor([[3.0, 4.0]])
    v = torch.zeros_like(w)
    grads = [torch.tensor([[0.6, 0.8]]), torch.tensor([[-0.3, 0.1]])]
    for g in grads:
        weight.grad = g.clone()
        opt.step()
        local = eta * w.norm() / (g.norm() + wd * w.norm())
        v = m * v + local * (g + wd * w)
        w = w - lr * v
        assert torch.allclose(weight.detach(), w, atol=1e-7)
    assert opt.param_groups[0]["weight_decay"] == wd                  # restored after the step


def test_lars_around_adam_scales_adams_step() -> None:
    plain_w, _ = lars_problem()
    lars_w, _ = lars_problem()
    make_optimizer([plain_w], {"optimizer": "adam", "lr": 0.1}).step()
    make_optimizer([lars_w], {"optimizer": "adam", "lr": 0.1, "lars": True,
                              "lars_eta": 0.01}).step()
    start = torch.tensor([[3.0, 4.0]])
    assert torch.allclose(lars_w.detach() - start, 0.05 * (plain_w.detach() - start), atol=1e-6)


def test_lars_shares_groups_so_a_schedule_reaches_the_inner_step() -> None:
    weight, bias = lars_problem()
    opt = make_optimizer([weight, bias], {"optimizer": "sgd", "lr": 1.0, "lars": True})
    assert isinstance(opt, LARS)
    assert opt.param_groups is opt.optimizer.param_groups
    LRSchedule({"lr_schedule": "step", "lr_gamma": 0.5, "lr_step_epochs": 1},
               steps_per_epoch=1, epochs=3).apply(opt, 1)
    assert opt.optimizer.param_groups[0]["lr"] == 0.5
    opt.step()
    assert bias.item() == pytest.approx(1.0 - 0.5 * 2.0)


def test_lars_state_dict_round_trips() -> None:
    model = tiny_model()
    opt = make_optimizer(model.parameters(), {"optimizer": "sgd_momentum", "lr": 0.1,
                                              "lars": True})
    x = torch.randn(8, 4)
    model(x).sum().backward()
    opt.step()
    saved = opt.state_dict()
    again = make_optimizer(model.parameters(), {"optimizer": "sgd_momentum", "lr": 0.1,
                                                "lars": True})
    again.load_state_dict(saved)
    assert isinstance(again, LARS) and again.param_groups is again.optimizer.param_groups
    bufs = [again.state[p]["momentum_buffer"] for p in model.parameters()]
    assert all(torch.equal(a, opt.state[p]["momentum_buffer"])
               for a, p in zip(bufs, model.parameters()))


def test_old_common_signature_still_builds() -> None:
    opt = common.make_optimizer("sgd_momentum", tiny_model().parameters(), lr=0.1, momentum=0.5)
    assert type(opt) is torch.optim.SGD and opt.param_groups[0]["momentum"] == 0.5
    assert not math.isnan(opt.param_groups[0]["lr"])


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Any:
    """Tiny tensors: one intra-op thread is fastest, and fair to parallel test runs."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- changed hyperparameters on resume (population-based training) -----------------------------

OLD = {"lr": 0.1, "momentum": 0.9, "nesterov": False, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
       "rho": 0.9, "alpha": 0.99, "weight_decay": 0.0, "lars_eta": 0.001}
NEW = {"lr": 0.05, "momentum": 0.5, "nesterov": True, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
       "rho": 0.8, "alpha": 0.9, "weight_decay": 0.01, "lars_eta": 0.01}


def settings(opt: torch.optim.Optimizer) -> list[dict[str, Any]]:
    return [{k: v for k, v in g.items() if k not in ("params", "initial_lr")}
            for g in opt.param_groups]


@pytest.mark.parametrize("lars", [False, True], ids=["plain", "lars"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_apply_hyperparameters_puts_the_new_settings_over_a_loaded_state(
        name: str, lars: bool) -> None:
    model = tiny_model()
    old = make_optimizer(model.parameters(), {**OLD, "optimizer": name, "lars": lars})
    model(torch.randn(8, 4)).square().mean().backward()
    old.step()
    saved = old.state_dict()
    new_p = {**NEW, "optimizer": name, "lars": lars}
    resumed = make_optimizer(model.parameters(), new_p)
    resumed.load_state_dict(saved)                     # the groups hold the old settings again
    assert settings(resumed) == settings(old)
    apply_hyperparameters(resumed, new_p)
    assert settings(resumed) == settings(make_optimizer(tiny_model().parameters(), new_p))
    assert all(g["initial_lr"] == g["lr"] == 0.05 for g in resumed.param_groups)
    kept = resumed.state_dict()["state"]                # moments, buffers: the checkpoint's
    assert kept.keys() == saved["state"].keys()
    for index, state in kept.items():
        for key, value in state.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(saved["state"][index][key]))
    if lars:
        assert isinstance(resumed, LARS) and resumed.eta == 0.01


def test_apply_hyperparameters_keeps_adamw_decoupled_and_adam_l2() -> None:
    for name, decoupled in (("adamw", True), ("adam", False)):
        opt = make_optimizer(tiny_model().parameters(), {"optimizer": name, "lr": 0.1})
        for group in opt.param_groups:                  # as if loaded from another kind
            group["weight_decay"] = 0.5
            if "decoupled_weight_decay" in group:
                group["decoupled_weight_decay"] = not decoupled
        apply_hyperparameters(opt, {"optimizer": name, "lr": 0.1, "weight_decay": 0.02})
        group = opt.param_groups[0]
        assert group["weight_decay"] == 0.02
        assert group.get("decoupled_weight_decay", decoupled) is decoupled


def test_apply_hyperparameters_takes_a_given_rate_and_refuses_another_kind() -> None:
    opt = make_optimizer(tiny_model().parameters(), {"optimizer": "adam", "lr": 0.1})
    apply_hyperparameters(opt, {"optimizer": "adam", "beta1": 0.5}, lr=0.003)    # the GAN's way
    assert opt.param_groups[0]["lr"] == opt.param_groups[0]["initial_lr"] == 0.003
    assert tuple(opt.param_groups[0]["betas"]) == (0.5, 0.999)
    with pytest.raises(ParamError, match="cannot apply optimizer 'sgd'") as info:
        apply_hyperparameters(opt, {"optimizer": "sgd", "lr": 0.1})
    assert "\n" not in str(info.value)
    with pytest.raises(ParamError, match="momentum must be in"):
        apply_hyperparameters(opt, {"optimizer": "adam", "lr": 0.1, "momentum": 1.5})
