"""StdoutParser's rules one by one (steps, epochs, fields, values, noise, dict lines, custom
patterns), its properties under hypothesis, where a resumed trial's steps continue, LineBuffer
and LogTail. Whole captured outputs of real scripts are in test_stdout_formats.py; the block
scan in test_stdout_scan.py."""

from __future__ import annotations

import math
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpdesk.plan import loads_plan
from hpdesk.plan.script import MetricPattern as PlanMetricPattern
from hpdesk.runner.stdout_metrics import (
    MAX_LINE,
    LineBuffer,
    LogTail,
    MetricPattern,
    Point,
    StdoutParser,
    split_lines,
)
from hpdesk.runner.trial_output import stdout_parser
from hpdesk.store import Store


def parse(*lines: str, patterns: tuple[str | MetricPattern, ...] = ()) -> list[Point]:
    parser = StdoutParser(patterns)
    return [point for line in lines for point in parser.parse_line(line)]


# -- steps ------------------------------------------------------------------------------------

def test_one_counter_numbers_lines_without_a_step() -> None:
    assert parse("loss: 0.25", "loss: 0.20", "acc: 0.5", "loss: 0.1 acc: 0.6") == [
        ("loss", 1, 0.25), ("loss", 2, 0.2), ("acc", 3, 0.5), ("loss", 4, 0.1), ("acc", 4, 0.6)]


def test_an_explicit_step_is_used_when_it_is_new() -> None:
    assert parse("step 10 loss 0.5", "step 20 loss 0.4", "loss 0.3", "step 25 loss 0.2") == [
        ("loss", 10, 0.5), ("loss", 20, 0.4), ("loss", 21, 0.3), ("loss", 25, 0.2)]


def test_a_step_that_repeats_or_goes_back_gets_the_next_number() -> None:
    """A per-epoch batch counter restarts: its points are kept, at new steps."""
    lines = ["epoch 1 step 100 loss 0.9", "epoch 1 step 200 loss 0.8",
             "epoch 2 step 100 loss 0.7", "epoch 2 step 200 loss 0.6", "step 200 loss 0.5"]
    assert [(s, v) for n, s, v in parse(*lines) if n == "loss"] == [
        (100, 0.9), (200, 0.8), (201, 0.7), (202, 0.6), (203, 0.5)]


def test_the_first_explicit_step_may_be_zero() -> None:
    assert parse('{"step": 0, "loss": 1.0}', "loss: 0.5") == [("loss", 0, 1.0), ("loss", 1, 0.5)]


@pytest.mark.parametrize("line", ["step: 500", "STEP:  0", "global_step=7", "Iteration 3",
                                  '{"step": 9}', "iter 12"])
def test_a_step_alone_gives_nothing_and_changes_nothing(line: str) -> None:
    parser = StdoutParser()
    parser.parse_line("loss: 1")
    assert parser.parse_line(line) == []
    assert parser.last_step == 1
    assert parser.parse_line("loss: 2") == [("loss", 2, 2.0)]


@pytest.mark.parametrize("line, step", [
    ("step: 10, loss=nan", 10), ("global_step=10 loss=0.5", 10), ("global step: 10 | loss 0.5", 10),
    ("iter 10 loss 0.5", 10), ("Iteration 10 | loss 0.5", 10), ("ITER: 10, loss: 0.5", 10),
    ('{"global_step": 10, "loss": 0.5}', 10), ("step: 10.0 loss: 0.5", 10),
    ("step: 10.5 loss: 0.5", 1), ("step: -3 loss: 0.5", 1),
])
def test_step_names(line: str, step: int) -> None:
    ((name, got, _),) = parse(line)
    assert (name, got) == ("loss", step)


def test_all_metrics_of_a_line_share_its_step() -> None:
    assert {s for _, s, _ in parse("a1: 1, a2: 2, a3: 3 | b1 4 b2 5 - c1=6")} == {1}


def test_a_name_twice_on_a_line_keeps_its_first_value() -> None:
    assert parse("loss: 0.5 | loss: 0.6") == [("loss", 1, 0.5)]


# -- epochs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "epoch 3 loss 0.5", "Epoch: 3, loss: 0.5", "| epoch   3 | loss  0.5",
    "Train Epoch: 3 loss: 0.5",
    "| end of epoch   3 | loss  0.5", "Epoch 3: loss=0.5", "Epoch 3/10 - loss: 0.5",
    "[Epoch 3/10] loss: 0.5", "Epoch [3/10], loss: 0.5", "EPOCH=3 loss=0.5",
    '{"epoch": 3, "loss": 0.5}', "{'epoch': 3.0, 'loss': 0.5}",
])
def test_epoch_forms(line: str) -> None:
    assert parse(line) == [("loss", 1, 0.5), ("epoch", 1, 3.0)]


def test_the_epoch_is_sticky_and_fractional() -> None:
    assert parse("Epoch 2/10", "loss: 0.5", "{'loss': 0.4, 'epoch': 2.5}", "acc: 0.9") == [
        ("loss", 1, 0.5), ("epoch", 1, 2.0), ("loss", 2, 0.4), ("epoch", 2, 2.5),
        ("acc", 3, 0.9), ("epoch", 3, 2.5)]


def test_no_epoch_point_before_an_epoch_is_known() -> None:
    parser = StdoutParser()
    assert parser.parse_line("loss: 1") == [("loss", 1, 1.0)]
    assert parser.epoch is None
    assert parser.parse_line("Epoch 0:") == []
    assert parser.epoch == 0.0
    assert parser.parse_line("loss: 2") == [("loss", 2, 2.0), ("epoch", 2, 0.0)]


def test_noise_does_not_reset_the_epoch() -> None:
    assert parse("Epoch 4/5", "Traceback (most recent call last):", '  File "x.py", line 1',
                 "KeyError: 'x'", "WARNING:root:slow", "loss: 1")[-1] == ("epoch", 1, 4.0)


def test_epochs_is_a_metric_and_epoch_is_never_one() -> None:
    assert parse("epochs: 10, epoch: 2, best epoch: 1, loss: 3") == [
        ("epochs", 1, 10.0), ("loss", 1, 3.0), ("epoch", 1, 2.0)]


# -- fields and values ------------------------------------------------------------------------

@pytest.mark.parametrize("line, points", [
    ("loss: 0.25", [("loss", 0.25)]),
    ("loss:0.25", [("loss", 0.25)]),
    ("loss = 0.25", [("loss", 0.25)]),
    ("loss=0.25 acc=0.5", [("loss", 0.25), ("acc", 0.5)]),
    ("loss 0.25 acc 0.5", [("loss", 0.25), ("acc", 0.5)]),
    ("train/loss: 1e-3, lr-Adam: 5E-05", [("train/loss", 0.001), ("lr-Adam", 5e-05)]),
    ("val_acc: +0.9; grad: -1.5e+2", [("val_acc", 0.9), ("grad", -150.0)]),
    ("learning rate = 0.1", [("learning rate", 0.1)]),
    ("Test set: Average loss: 0.0512", [("Average loss", 0.0512)]),
    ("Val: loss 0.5 acc 0.9", [("loss", 0.5), ("acc", 0.9)]),
    ("| valid loss  6.62 | valid  ppl 750.1 |", [("valid loss", 6.62), ("valid ppl", 750.1)]),
    ("valid loss  6.62\tvalid ppl 750.1", [("valid loss", 6.62), ("valid ppl", 750.1)]),
    ("损失: 0.5", [("损失", 0.5)]),
    ("loss: .5", [("loss", 0.5)]),
    ("Loss: 0.5, loss: 0.6", [("Loss", 0.5), ("loss", 0.6)]),
])
def test_field_forms(line: str, points: list[tuple[str, float]]) -> None:
    assert [(n, v) for n, _, v in parse(line)] == points


@pytest.mark.parametrize("text, value", [
    ("5.68s", 5.68), ("12%", 12.0), ("12 %", 12.0), ("3.2GB", 3.2), ("3.2 GiB", 3.2),
    ("45.67ms", 45.67), ("7us", 7.0), ("7µs", 7.0), ("8ns", 8.0), ("2sec", 2.0), ("3min", 3.0),
    ("1.5h", 1.5), ("512B", 512.0), ("64KB", 64.0), ("64KiB", 64.0), ("1.2MB", 1.2),
    ("1.2MiB", 1.2), ("20.31it/s", 20.31), ("1.5s/it", 1.5), ("5e-05", 5e-05),
    ("1E+3", 1000.0), ("inf", math.inf), ("-inf", -math.inf), ("Infinity", math.inf),
    ("1,234", 1234.0), ("1,234,567.5", 1234567.5), ("0", 0.0), ("-0.0", 0.0),
])
def test_values_are_stored_as_printed(text: str, value: float) -> None:
    assert parse(f"metric: {text}") == [("metric", 1, value)]


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan", "NAN"])
def test_nan_is_none(text: str) -> None:
    assert parse(f"loss: {text}") == [("loss", 1, None)]


@pytest.mark.parametrize("line", [
    "Accuracy: 9837/10000", "| 200/ 2983 batches |", "step 3/10", "eta: 1:23:45",
    "loss: 0.5 * x", "loss: 0.5.", "loss: 0.5ms/step", "version: 2.1.0", "lr = 0.1 decayed",
    "x = 3", "y = 0.5", "y = 0.5 * x + 1", "y = tensor([0.1, 0.2])", "a: 1e", "v_num=3",
    "loss: 12kg", "Saving checkpoint 3", "Found 3 files", "Found 3 files, 2 folders",
    "learning rate 0.1", "Serving on localhost:8080", "GPU 0: NVIDIA H100 80GB HBM3",
    "Epoch 1: 100%", "Validation DataLoader 0: 100%|██████████| 8/8 [00:00<00:00, 90.0it/s]",
    "100%|##########| 30/30 [00:06<00:00,  4.61it/s]",
])
def test_not_metrics(line: str) -> None:
    assert parse(line) == []


def test_lightning_tqdm_postfix_without_v_num_and_rate() -> None:
    line = ("Epoch 1: 100%|██████████| 32/32 [00:01<00:00, 20.31it/s, v_num=3, train_loss=0.512, "
            "val_loss=0.430, val_acc=0.875]")
    assert parse(line) == [("train_loss", 1, 0.512), ("val_loss", 1, 0.43),
                           ("val_acc", 1, 0.875), ("epoch", 1, 1.0)]


def test_names_keep_case_and_spaces_and_are_never_merged() -> None:
    assert parse("loss: 1", "test loss: 2", "Loss: 3", "test  loss: 4") == [
        ("loss", 1, 1.0), ("test loss", 2, 2.0), ("Loss", 3, 3.0), ("test loss", 4, 4.0)]


def test_a_name_has_at_most_four_words() -> None:
    assert parse("a b c d: 1") == [("a b c d", 1, 1.0)]
    assert parse("a b c d e: 1") == []


# -- cleaning ---------------------------------------------------------------------------------

def test_ansi_colours_and_cursor_moves_are_dropped() -> None:
    assert parse("\x1b[32mloss\x1b[0m: \x1b[1m0.5\x1b[0m\x1b[K\x1b[2A") == [("loss", 1, 0.5)]
    assert parse("\x1b]8;;http://x\x1b\\acc\x1b]8;;\x1b\\: 0.9") == [("acc", 1, 0.9)]


def test_carriage_returns_keep_the_last_drawing() -> None:
    assert parse("loss: 0.9\rloss: 0.8\rloss: 0.7\r   \r") == [("loss", 1, 0.7)]
    assert parse("acc: 0.5\r\n") == [("acc", 1, 0.5)]


def test_backspaces_keep_what_follows_the_last_run() -> None:
    assert parse("loss: 0.9\b\b\b\b\b\b\b\b\bloss: 0.8") == [("loss", 1, 0.8)]


# -- noise ------------------------------------------------------------------------------------

NOISE = [
    "Traceback (most recent call last):",
    '  File "/home/me/train.py", line 3, in f',
    'File "x.py", line 12, in <module>',
    "ValueError: lr=0.5 must be positive",
    "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.1 "
    "GiB total capacity; 75.3 GiB already allocated)",
    "RuntimeError: Expected all tensors to be on the same device, lr=0.1",
    "AssertionError",
    "KeyboardInterrupt",
    "optuna.exceptions.TrialPruned: Trial was pruned at step=3",
    "/path/to/x.py:83: UserWarning: dropout option adds dropout after all but last recurrent "
    "layer, so non-zero dropout expects num_layers greater than 1, but got dropout=0.2 and "
    "num_layers=1",
    "C:\\Users\\me\\train.py:12: FutureWarning: `lr=0.1` is deprecated",
    "/usr/lib/python3/site-packages/x.py:5: DeprecationWarning: size=3 is deprecated",
    "UserWarning: batch_size=64 is larger than the dataset",
    '  warnings.warn("dropout=0.2")',
    "WARNING:root:lr=0.1 is high",
    "ERROR:__main__:loss=nan at step 3",
    "CRITICAL:root:memory=99%",
    "WARNING: lr=0.1 is high",
    "2026-12-05 17:00:01,123 - WARNING - lr=0.1 is high",
    "[2026-12-05 17:00:01,123][train][ERROR] - loss=nan",
    "2026-12-05 17:00:04.000 | WARNING  | train:fit:42 - grad_norm=12.5",
    "Namespace(lr=20, epochs=6, tied=False)",
    "TrainingArguments(output_dir='out', learning_rate=5e-05, num_train_epochs=3)",
    "Linear(in_features=10, out_features=1, bias=True)",
    "usage: main.py [-h] [--lr LR] [--epochs EPOCHS]",
    "main.py: error: argument --lr: invalid float value: 'x'",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
    "    ^^^^^^^^^^^^^^^^^^",
    "[W socket.cpp:663] [c10d] The client socket has failed to connect to port=29500",
    "[rank0]:[W1205 17:00:01.123 ProcessGroupNCCL.cpp:1234] Warning: timeout=600",
    "W1205 17:00:01.123456 140234 gpu.cc:42] memory_fraction=0.9",
    "I0000 00:00:1700000000.123456  1234 cuda_executor.cc:1015] compute capability: 7.5",
    "2026-12-05 17:00:01.123456: I tensorflow/core/platform/cpu_feature_guard.cc:182] AVX2=1",
    "wandb:   train_loss 0.12345",
    "wandb: Run summary:",
    "LOCAL_RANK: 0 - CUDA_VISIBLE_DEVICES: [0]",
    "Total params: 55,050 (215.04 KB)",
    "Trainable params: 55,050",
    "Non-trainable params: 0 (0.00 B)",
]

# Not noise, but nothing in them is a metric field.
PROSE = [
    "Saving checkpoint to ckpt_3.pt",
    "/tmp/run_3/model.pt",
    "https://wandb.ai/me/proj/runs/3x7?step=5",
    "View run at http://localhost:6006/#scalars&step=3",
    "2026-12-05",
    "2026-12-05 17:00:01",
    "Date: 2026-12-05 17:00:01",
    "Found 3 files",
    "torch 2.1.0",
    "torch==2.1.0, numpy==1.26.4",
    "Python 3.11.7 (main, Dec  5 2026, 17:00:01) [GCC 11.4.0] on linux",
    "Downloading data: 100%|██████████| 9.91M/9.91M [00:00<00:00, 29.5MB/s]",
    "Model: \"sequential\"",
    "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃",
    "│ dense (Dense)                   │ (None, 64)             │        50,240 │",
    "0 | model | Linear | 7.9 K  | train",
    "Epoch 5: early stopping",
    "Epoch 1: val_loss improved from inf to 0.42, saving model to model.h5",
    "`Trainer.fit` stopped: `max_epochs=2` reached.",
    "GPU available: True (cuda), used: True",
    "Seed set to 42",
    "python train.py --lr 0.1 --epochs 3",
    "=" * 89,
    "",
    "   ",
]


@pytest.mark.parametrize("line", NOISE + PROSE)
def test_noise_and_prose_give_nothing(line: str) -> None:
    assert parse(line) == []


@pytest.mark.parametrize("line", NOISE)
def test_noise_gives_nothing_to_custom_patterns_either(line: str) -> None:
    assert parse(line, patterns=(r"(?P<name>[A-Za-z_]+)\W{1,3}(?P<value>\d[\d.]*)",)) == []


def test_a_traceback_hides_its_source_lines_and_exception_line() -> None:
    lines = ["loss: 1", "Traceback (most recent call last):",
             '  File "train.py", line 88, in <module>', "    lr = 0.5",
             "    ^^^^^^^^", "MyOwnProblem: x=3", "", "loss: 2"]
    assert parse(*lines) == [("loss", 1, 1.0), ("loss", 2, 2.0)]


def test_chained_tracebacks_are_hidden_whole() -> None:
    lines = ["Traceback (most recent call last):", '  File "a.py", line 1, in <module>',
             "KeyError: 'lr'", "", "During handling of the above exception, another exception "
             "occurred:", "", "Traceback (most recent call last):", "    lr = 0.5",
             "Traceback (most recent call last):", "    momentum = 0.9", "SystemExit: 2",
             "acc: 0.5"]
    assert parse(*lines) == [("acc", 1, 0.5)]


def test_a_warning_hides_the_source_line_under_it() -> None:
    lines = ["/x/y.py:7: UserWarning: careful", "  self.lr = 0.1", "lr = 0.2"]
    assert parse(*lines) == [("lr", 1, 0.2)]


def test_a_multi_line_repr_is_hidden_up_to_its_parenthesis() -> None:
    lines = ["Net(", "  (conv1): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))",
             "  (layers): Sequential(", "    (0): Linear(in_features=9216, out_features=128)",
             "    (dropout): Dropout(p=0.25, inplace=False)", "  )", "  (fc2): Linear(128, 10)",
             ")", "TrainingArguments(", "_n_gpu=1,", "learning_rate=5e-05,", "seed=42,", ")",
             "loss: 0.5"]
    assert parse(*lines) == [("loss", 1, 0.5)]


def test_hugging_face_banners_hide_settings_but_not_metrics() -> None:
    lines = ["***** Running training *****", "  Num examples = 60000", "  Num Epochs = 3",
             "{'loss': 0.5}", "***** train metrics *****", "  train_loss = 0.45",
             "  train_runtime = 0:01:40.52"]
    assert parse(*lines) == [("loss", 1, 0.5), ("train_loss", 2, 0.45)]


def test_error_like_metric_names_are_metrics() -> None:
    assert parse("ValError: 0.12", "Error: 0.1", "error rate: 3%", "usage: 45%") == [
        ("ValError", 1, 0.12), ("Error", 2, 0.1), ("error rate", 3, 3.0), ("usage", 4, 45.0)]


# -- dict lines -------------------------------------------------------------------------------

def test_json_and_python_dicts() -> None:
    assert parse('{"step": 5, "loss": 0.5, "acc": 1, "ok": true, "tag": "a", "sub": {"x": 1}}',
                 "{'loss': None, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 0.1}",
                 '{"event": "diverged", "step": 5}', "{'event': 'x', 'loss': 3}") == [
        ("loss", 5, 0.5), ("acc", 5, 1.0),
        ("loss", 6, None), ("grad_norm", 6, 1.2), ("learning_rate", 6, 5e-05), ("epoch", 6, 0.1)]


def test_python_dicts_with_nan_inf_tensors_and_numpy_scalars() -> None:
    """What Python prints that ast.literal_eval refuses: the dict is parsed, never evaluated."""
    line = ("{'loss': nan, 'grad_norm': inf, 'low': -inf, 'acc': tensor(0.5, device='cuda:0'), "
            "'f1': np.float64(0.25), 'n': -3, 'sub': {'a': 1}, 'f': open('x'), 'no': -None}")
    assert parse(line) == [("loss", 1, None), ("grad_norm", 1, math.inf), ("low", 1, -math.inf),
                           ("acc", 1, 0.5), ("f1", 1, 0.25), ("n", 1, -3.0)]


def test_lines_that_only_look_like_dicts_are_read_as_fields() -> None:
    assert parse("{loss: 0.5, acc: 0.9}") == [("loss", 1, 0.5), ("acc", 1, 0.9)]
    assert parse("{1, 2, 3}", "{}", "{'a': [1, 2]}", "{" * 500 + "}" * 500) == []


def test_a_long_python_dict_is_not_evaluated() -> None:
    """ast.literal_eval only reads lines under 100,000 characters; JSON has no such limit."""
    items = ", ".join(f"'m{i}': {i}" for i in range(12_000))
    assert len(items) > 100_000
    started = time.perf_counter()
    points = parse("{" + items + "}")
    assert time.perf_counter() - started < 2.0
    assert ("m0", 1, 0.0) not in points  # read as fields: `'m0': 0` is no name
    many = ", ".join(f'"m{i}": {i}' for i in range(12_000))
    assert len(parse("{" + many + "}")) == 12_000


# -- custom patterns --------------------------------------------------------------------------

def test_a_fixed_name_pattern() -> None:
    pattern = MetricPattern(r"valid loss\s+(?P<value>\S+)", name="valid_loss")
    assert parse("| end of epoch   1 | time: 143.78s | valid loss  5.84 | valid ppl   344.47",
                 patterns=(pattern,)) == [("valid_loss", 1, 5.84), ("epoch", 1, 1.0)]


def test_step_and_epoch_groups() -> None:
    pattern = r"ep (?P<epoch>[\d.]+) it (?P<step>\d+) (?P<name>\w+)=(?P<value>\S+)"
    assert parse("ep 1 it 7 score=0.5", "ep 1.5 it 7 score=0.6", "ep 2 it 3 score=0.7",
                 "ep 2 it 9 score=0.8", patterns=(pattern,)) == [
        ("score", 7, 0.5), ("epoch", 7, 1.0), ("score", 8, 0.6), ("epoch", 8, 1.5),
        ("score", 9, 0.7), ("epoch", 9, 2.0), ("score", 10, 0.8), ("epoch", 10, 2.0)]


def test_several_patterns_and_matches_on_one_line() -> None:
    patterns = (r"(?P<name>loss|acc)=(?P<value>\S+)",
                MetricPattern(r"lr (?P<value>[\d.e-]+)", name="learning rate"),
                r"(?P<metric>\w+)@(?P<value>\d+)")
    assert parse("loss=0.5 acc=0.9 lr 0.01 top@5 ignored=3 loss=0.4", patterns=patterns) == [
        ("loss", 1, 0.5), ("acc", 1, 0.9), ("learning rate", 1, 0.01), ("top", 1, 5.0)]


def test_custom_patterns_replace_the_default_reader_but_not_steps_and_dicts() -> None:
    patterns = (r"(?P<name>\w+)=(?P<value>[\d.]+)",)
    assert parse("step 3 acc=0.5", patterns=patterns) == [("acc", 3, 0.5)]
    assert parse("score: 0.6", patterns=patterns) == []
    assert parse('{"step": 4, "loss": 0.5}', patterns=patterns) == [("loss", 4, 0.5)]
    assert parse("Epoch 2/3", "acc=0.5", patterns=patterns) == [("acc", 1, 0.5),
                                                                ("epoch", 1, 2.0)]


def test_custom_values_take_units_and_skip_non_numbers() -> None:
    patterns = (r"(?P<name>\w+)=(?P<value>\S+)",)
    assert parse("t=5.68s mem=3.2GB x=abc loss=nan n=1,024", patterns=patterns) == [
        ("t", 1, 5.68), ("mem", 1, 3.2), ("loss", 1, None), ("n", 1, 1024.0)]


def test_a_pattern_naming_the_step_or_epoch_sets_them() -> None:
    patterns = (r"(?P<name>\w+)=(?P<value>[\d.]+)",)
    assert parse("epoch=2 step=40 loss=0.5", patterns=patterns) == [("loss", 40, 0.5),
                                                                    ("epoch", 40, 2.0)]


def test_the_reader_takes_the_plans_own_pattern_class() -> None:
    assert MetricPattern is PlanMetricPattern  # one class: the plan's
    assert parse("| valid loss  5.84 |", patterns=(
        PlanMetricPattern(r"valid loss\s+(?P<value>\S+)", "valid_loss"),)) == [
        ("valid_loss", 1, 5.84)]


@pytest.mark.parametrize("pattern, problem", [
    (r"(?P<name>\w+)=(?P<val>\d+)", "value"),
    (r"(?P<name>\w+)=(?P<value>\d+", "regular expression"),
    (r"loss=(?P<value>\d+)", "name"),
])
def test_unusable_patterns_are_refused(pattern: str, problem: str) -> None:
    assert problem in (MetricPattern(pattern).problem() or "")
    with pytest.raises(ValueError, match=problem):
        StdoutParser([pattern])


def test_usable_patterns_have_no_problem() -> None:
    assert MetricPattern(r"loss=(?P<value>\d+)", name="loss").problem() is None
    assert MetricPattern(r"(?P<metric>\w+)=(?P<value>\d+)").problem() is None


# -- properties -------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_the_parser_never_raises(line: str) -> None:
    for name, step, value in StdoutParser().parse_line(line):
        assert isinstance(name, str) and name and isinstance(step, int)
        assert value is None or isinstance(value, float)


SEPARATORS = ["|", ",", ";", "\t", " - ", "[", "]", "(", ")", "{", "}", ":", "=", " ", "  ",
              "\r", "\b", "\x1b[0m", "%|█|", "\n"]
PIECES = ["loss", "val loss", "step", "epoch", "Epoch 3/10", "0.5", "nan", "-inf", "1e-3", "12%",
          "3s", "200/ 2983", "Traceback (most recent call last):", "  File", "Error:", "x",
          "v_num", "'a': 1", '"b": 2', "Namespace(", "WARNING", "***** a *****", "global step"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES + SEPARATORS), max_size=16).map("".join),
                max_size=20),
       st.lists(st.sampled_from([r"(?P<name>\w+)=(?P<value>\S+)",
                                 r"(?P<step>\d+) (?P<name>\w+) (?P<value>\S+)",
                                 r"ep(?P<epoch>\S+) (?P<metric>\w+):(?P<value>\S+)"]),
                max_size=2))
def test_steps_strictly_increase_line_after_line(lines: list[str], patterns: list[str]) -> None:
    parser = StdoutParser(patterns)
    last = -1
    for line in lines:
        points = parser.parse_line(line)
        steps = {step for _, step, _ in points}
        assert len(steps) <= 1
        if points:
            (step,) = steps
            assert step > last
            last = step
            names = [name for name, _, _ in points]
            assert len(names) == len(set(names))
            assert not {"step", "v_num"} & set(names)


NAME = st.from_regex(r"[a-z][a-z0-9_]{1,8}", fullmatch=True).filter(
    lambda n: n not in {"step", "iter", "iteration", "epoch", "global_step", "v_num", "wandb"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(NAME, min_size=1, max_size=4).map(" ".join),
                          st.floats(width=64)), min_size=1, max_size=30))
def test_printed_values_round_trip_exactly(rows: list[tuple[str, float]]) -> None:
    parser = StdoutParser()
    for i, (name, value) in enumerate(rows, start=1):
        assert parser.parse_line(f"{name}: {value!r}") == [
            (name, i, None if math.isnan(value) else value)]


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(NAME, st.floats(width=64) | st.integers(-10**6, 10**6), min_size=1,
                       max_size=8))
def test_printed_dicts_round_trip(data: dict[str, float | int]) -> None:
    for line in (repr(data), __import__("json").dumps(data)):
        got = StdoutParser().parse_line(line)
        assert [(n, v) for n, _, v in got] == [
            (n, None if math.isnan(v) else float(v)) for n, v in data.items()]


LINEAR_SHAPES = [  # (head, repeated unit, tail): the regular shapes and the known traps
    ("", "a", ""), ("", "a ", ""), ("", "1", ""), ("", "a: ", ""), ("", "a 1 ", "x"),
    ("", "x: a 1 ", "c"), ("", "{", ""), ("", "(", ""), ("", "|", ""), ("", ",", ""),
    ("", "epoch ", ""), ("", "loss: 0.5 | ", ""), ("", "a=", "1"), ("", "\x1b[", ""),
    ("", "1,000,", ""), ("", "%|", ""), ("", "1", "%|"), ("%| ", "1", ""), ("", "AError", ": 1"),
    (":1: ", "a", " Warning"), ("", "a:1: ", "Warning"), ("*** ", " ", "x"), ("", "a 1s ", ""),
    ("", "\x1b]aaaa", ""), ("", "a:    ", ""), ("epoch ", "1", ""), ("", "WARNING", ""),
    ('File "', "a", ""), ("{", "'a': 1, ", "}"), ("", "\r ", "loss: 1"), ("", "\t", ""),
    ("Namespace(", "a", ""), ("", "a b c d e ", "= 1"), ("", "1 ", ""), ("", "a.b/c-", " 1"),
]


@pytest.mark.parametrize("head, unit, tail", LINEAR_SHAPES)
def test_long_lines_take_linear_time(head: str, unit: str, tail: str) -> None:
    """A 30x longer line takes about 30x as long (quadratic would be 900x): the check allows
    150x, and the long line itself stays far under a second."""
    def timed(n: int) -> float:
        line = head + (unit * (n // len(unit) + 1))[:n] + tail
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            StdoutParser().parse_line(line)
            best = min(best, time.perf_counter() - started)
        return best
    small, large = timed(2_000), timed(60_000)
    assert large < 1.0
    assert large < 150 * max(small, 20e-6)


# -- LogTail ----------------------------------------------------------------------------------

def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def test_log_tail_returns_only_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"old line\n")
    tail = LogTail(path, offset=path.stat().st_size)
    assert tail.new_lines() == []
    append(path, b"loss: 1\nloss: 2")
    assert tail.new_lines() == ["loss: 1"]
    append(path, b"5\n")
    assert tail.new_lines() == ["loss: 25"]
    assert tail.offset == path.stat().st_size


def test_drain_returns_the_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"a\nb\r\nlast")
    tail = LogTail(path)
    assert tail.drain() == ["a", "b\r", "last"]
    assert tail.drain() == []
    append(path, b"more\n")
    assert tail.drain() == ["more"]


def test_a_missing_log_gives_nothing(tmp_path: Path) -> None:
    tail = LogTail(tmp_path / "not-yet")
    assert tail.new_lines() == [] and tail.drain() == [] and tail.offset == 0


def test_new_lines_reads_at_most_max_bytes_per_call(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"".join(b"loss: %d\n" % i for i in range(1000)))  # 8 to 10 bytes a line
    tail = LogTail(path)
    got: list[str] = []
    calls = 0
    while len(got) < 1000:
        before = tail.offset
        got += tail.new_lines(max_bytes=100)
        assert tail.offset - before <= 100
        calls += 1
    assert got == [f"loss: {i}" for i in range(1000)] and calls > 80


def test_a_huge_line_is_cut_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "log"
    size = 5_000_000
    path.write_bytes(b"x" * size)  # no newline at all
    tail = LogTail(path)
    tracemalloc.start()
    try:
        lines: list[str] = []
        while tail.offset < size:
            lines += tail.new_lines(max_bytes=1_000_000)
        assert lines == [] and tail.offset == size
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_LINE  # the held partial line, one block read and its copy
    append(path, b"yyy\nloss: 1\n")
    (cut, after) = tail.new_lines()
    assert cut == "x" * MAX_LINE and after == "loss: 1"


def test_a_cut_never_splits_a_character_and_bad_bytes_are_replaced(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"a" * (MAX_LINE - 1) + "é".encode() + b"tail\n\xff\xfeloss: 1\n")
    lines = LogTail(path).new_lines()
    assert lines[0] == "a" * (MAX_LINE - 1)
    assert lines[1] == "\ufffd\ufffdloss: 1"


def test_the_parser_cuts_long_lines_too() -> None:
    line = "loss: 1 " + "a" * MAX_LINE + " acc: 2"
    assert parse(line) == []  # the cut field ends in `aaa...`: no pair
    assert parse("loss: 1 | " + "x" * (2 * MAX_LINE)) == [("loss", 1, 1.0)]


# -- LineBuffer ---------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"loss: 1", b"\n", b"\r\n", b"\xc3\xa9", b"\xc3", b"ab",
                                 b"\n\n", b"x" * 50]), max_size=40),
       st.lists(st.integers(1, 64), min_size=1, max_size=8))
def test_lines_come_out_the_same_whatever_the_pieces(parts: list[bytes], cuts: list[int]) -> None:
    data = b"".join(parts)
    buffer, blocks, at, i = LineBuffer(), [], 0, 0
    while at < len(data):
        size = cuts[i % len(cuts)]
        blocks.append(buffer.feed(data[at:at + size]))
        at, i = at + size, i + 1
    blocks.append(buffer.flush())
    assert all(b == b"" or b.endswith(b"\n") for b in blocks[:-1])
    assert b"".join(blocks) == data
    assert split_lines(b"".join(blocks)) == split_lines(data)


def test_a_line_longer_than_max_line_is_cut_as_it_arrives() -> None:
    buffer = LineBuffer()
    assert buffer.feed(b"y" * MAX_LINE) == b""
    assert buffer.feed(b"z" * MAX_LINE) == b""  # dropped: no more memory held
    assert buffer.feed(b"zz\nloss: 1\nnext") == b"y" * MAX_LINE + b"\nloss: 1\n"
    assert buffer.flush() == b"next" and buffer.flush() == b""


# -- a resumed trial ----------------------------------------------------------------------------

def test_a_seeded_parser_continues_after_the_stored_step_and_epoch() -> None:
    parser = StdoutParser(step=41, epoch=2.0)
    assert parser.parse_line("loss: 1") == [("loss", 42, 1.0), ("epoch", 42, 2.0)]
    assert parser.parse_line("step 10 loss 2") == [("loss", 43, 2.0), ("epoch", 43, 2.0)]
    assert parser.parse_line("step 50 loss 3") == [("loss", 50, 3.0), ("epoch", 50, 2.0)]


def test_a_resumed_trials_parser_starts_after_its_stored_points(tmp_path: Path) -> None:
    plan = loads_plan("hpdesk: 1\ntask: script\ncommand: python x.py\n"
                      "objective: {metric: loss, direction: minimize}\n"
                      "space: {x: {type: fixed, value: 1}}\n")
    with Store(tmp_path / "x.db") as store:
        exp = store.create_experiment("x", "script", plan.to_dict())
        trial = store.add_trial(exp.id, {"x": 1})
        assert stdout_parser(plan, store, trial.id).parse_line("loss: 1") == [("loss", 1, 1.0)]
        store.write_metrics([(trial.id, "loss", 7, 0.5, 0.0), (trial.id, "epoch", 7, 3.0, 0.0),
                             (trial.id, "acc", 9, 0.1, 0.0)])  # acc: the SDK's, further on
        assert stdout_parser(plan, store, trial.id).parse_line("loss: 0.4") == [
            ("loss", 10, 0.4), ("epoch", 10, 3.0)]
