"""The default stdout reader on what real training scripts print: PyTorch's examples, Keras 2 and
3, Lightning, Hugging Face's Trainer, the SDK's JSON lines, logging and plain prints. Each
capture goes through a pipe, in pieces, into a LogPipe as the scheduler reads a trial's output
(logged, parsed block by block), and the exact points (names, steps, values, epochs) are
checked; the same bytes scanned as one large block (stdout_scan) give the same points."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hpdesk.runner.capped_log import CappedLog
from hpdesk.runner.log_pipe import LogPipe, open_pipe
from hpdesk.runner.stdout_metrics import Point, StdoutParser

RULE = "-" * 89
DOUBLE = "=" * 89


def read(tmp_path: Path, output: str) -> list[Point]:
    """The points of `output` as the scheduler gets them: written to a pipe in pieces (the last
    line may lack its newline), logged and parsed by a LogPipe."""
    data = output.encode()
    log = tmp_path / "trial.log"
    log.unlink(missing_ok=True)
    read_end, write_end = open_pipe()
    pipe = LogPipe(read_end, CappedLog(log), StdoutParser())
    for at in range(0, len(data), 997):  # pieces that end inside lines
        os.write(write_end, data[at:at + 997])
    os.close(write_end)
    assert pipe.join(10), "the output was not read to its end"
    points = [point for _, point in pipe.take()]
    assert log.read_bytes() == data
    assert StdoutParser().parse_block(data, scan=True) == points
    return points


def series(points: list[Point], name: str) -> list[tuple[int, float | None]]:
    return [(step, value) for n, step, value in points if n == name]


def names(points: list[Point]) -> set[str]:
    return {n for n, _, _ in points}


def assert_steps_increase(points: list[Point]) -> None:
    """Every metric's steps strictly increase (no point is replaced) and all points of a step
    come from one line (they are adjacent)."""
    seen: dict[str, int] = {}
    order: list[int] = []
    for name, step, _ in points:
        assert step > seen.get(name, -1), (name, step)
        seen[name] = step
        if not order or order[-1] != step:
            assert step not in order, step
            order.append(step)
    assert order == sorted(order)


# PyTorch examples, word_language_model/main.py: Namespace print, the LSTM dropout warning,
# five batch lines in epoch 1 and four in epoch 2, the end-of-epoch and end-of-training tables.
WORD_LANGUAGE_MODEL = "\n".join([
    "Namespace(data='./data/wikitext-2', model='LSTM', emsize=200, nhid=200, nlayers=1, lr=20, "
    "clip=0.25, epochs=2, batch_size=20, bptt=35, dropout=0.2, tied=False, seed=1111, "
    "cuda=False, mps=False, log_interval=200, save='model.pt', onnx_export='', nhead=2, "
    "dry_run=False)",
    "/usr/lib/python3.11/site-packages/torch/nn/modules/rnn.py:83: UserWarning: dropout option "
    "adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers "
    "greater than 1, but got dropout=0.2 and num_layers=1",
    '  warnings.warn("dropout option adds dropout after all but last "',
    "| epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch 45.67 | loss  7.63 | ppl  2064.80",
    "| epoch   1 |   400/ 2983 batches | lr 20.00 | ms/batch 44.12 | loss  6.86 | ppl   949.15",
    "| epoch   1 |   600/ 2983 batches | lr 20.00 | ms/batch 44.50 | loss  6.49 | ppl   657.71",
    "| epoch   1 |   800/ 2983 batches | lr 20.00 | ms/batch 44.31 | loss  6.30 | ppl   544.19",
    "| epoch   1 |  1000/ 2983 batches | lr 20.00 | ms/batch 44.02 | loss  6.15 | ppl   470.43",
    RULE,
    "| end of epoch   1 | time: 143.78s | valid loss  5.84 | valid ppl   344.47",
    RULE,
    "| epoch   2 |   200/ 2983 batches | lr 20.00 | ms/batch 44.80 | loss  5.87 | ppl   354.07",
    "| epoch   2 |   400/ 2983 batches | lr 20.00 | ms/batch 44.77 | loss  5.79 | ppl   327.11",
    "| epoch   2 |   600/ 2983 batches | lr 20.00 | ms/batch 44.92 | loss  5.61 | ppl   272.31",
    "| epoch   2 |   800/ 2983 batches | lr 20.00 | ms/batch 45.01 | loss  5.58 | ppl   264.93",
    RULE,
    "| end of epoch   2 | time: 142.10s | valid loss  5.72 | valid ppl   305.64",
    RULE,
    DOUBLE,
    "| End of training | test loss  5.65 | test ppl   284.29",
    DOUBLE,
    "",
])


def test_word_language_model(tmp_path: Path) -> None:
    points = read(tmp_path, WORD_LANGUAGE_MODEL)
    assert series(points, "loss") == [(1, 7.63), (2, 6.86), (3, 6.49), (4, 6.30), (5, 6.15),
                                      (7, 5.87), (8, 5.79), (9, 5.61), (10, 5.58)]
    assert series(points, "valid loss") == [(6, 5.84), (11, 5.72)]
    assert series(points, "valid ppl") == [(6, 344.47), (11, 305.64)]
    assert series(points, "time") == [(6, 143.78), (11, 142.10)]
    assert series(points, "test loss") == [(12, 5.65)]
    assert series(points, "ms/batch")[0] == (1, 45.67)
    assert series(points, "lr") == [(s, 20.0) for s in (1, 2, 3, 4, 5, 7, 8, 9, 10)]
    assert series(points, "epoch") == [(s, 1.0) for s in range(1, 7)] + [
        (s, 2.0) for s in range(7, 13)]
    # nothing from the Namespace print, the warning or the batch counters
    assert names(points) == {"lr", "ms/batch", "loss", "ppl", "time", "valid loss",
                             "valid ppl", "test loss", "test ppl", "epoch"}
    assert_steps_increase(points)


def test_the_own_script_example_prints_the_same_shape(tmp_path: Path) -> None:
    """resources/examples/own-script prints word_language_model's lines (with the `--tied`
    Namespace); the reader gives its valid loss without the example plan's pattern too."""
    out = ("Namespace(lr=5.0, dropout=0.2, tied=True, epochs=1, save='model.pt')\n"
           "| epoch   1 |    20/   60 batches | lr 5.00 | ms/batch 12.30 | loss  3.10 | "
           "ppl    22.20\n" + RULE + "\n"
           "| end of epoch   1 | time:  1.05s | valid loss  2.66 | valid ppl    14.30\n" + RULE)
    points = read(tmp_path, out)
    assert series(points, "valid loss") == [(2, 2.66)]
    assert series(points, "time") == [(2, 1.05)]


# PyTorch examples, time_sequence_prediction/train.py: LBFGS prints its loss at every closure
# call, then the test loss, once per STEP.
TIME_SEQUENCE = """STEP:  0
loss: 0.5017276406288147
loss: 0.4961066246032715
loss: 0.4720153212547302
test loss: 0.014834201335906982
STEP:  1
loss: 0.013719417154788971
loss: 0.012925335764884949
test loss: 0.00848531164228916
"""


def test_time_sequence_prediction(tmp_path: Path) -> None:
    points = read(tmp_path, TIME_SEQUENCE)
    assert series(points, "loss") == [(1, 0.5017276406288147), (2, 0.4961066246032715),
                                      (3, 0.4720153212547302), (5, 0.013719417154788971),
                                      (6, 0.012925335764884949)]
    assert series(points, "test loss") == [(4, 0.014834201335906982), (7, 0.00848531164228916)]
    assert names(points) == {"loss", "test loss"}  # STEP: 0 is no metric and no step
    assert_steps_increase(points)


# PyTorch examples, mnist/main.py (log-interval 10 over 60000 images, two epochs).
MNIST = """Train Epoch: 1 [0/60000 (0%)]\tLoss: 2.305400
Train Epoch: 1 [640/60000 (1%)]\tLoss: 1.359780
Train Epoch: 1 [1280/60000 (2%)]\tLoss: 0.843192

Test set: Average loss: 0.0512, Accuracy: 9837/10000 (98%)

Train Epoch: 2 [0/60000 (0%)]\tLoss: 0.127503
Train Epoch: 2 [640/60000 (1%)]\tLoss: 0.088106

Test set: Average loss: 0.0391, Accuracy: 9871/10000 (99%)

"""


def test_pytorch_mnist(tmp_path: Path) -> None:
    points = read(tmp_path, MNIST)
    assert series(points, "Loss") == [(1, 2.3054), (2, 1.35978), (3, 0.843192),
                                      (5, 0.127503), (6, 0.088106)]
    assert series(points, "Average loss") == [(4, 0.0512), (7, 0.0391)]
    assert series(points, "epoch") == [(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0),
                                       (5, 2.0), (6, 2.0), (7, 2.0)]
    # 9837/10000 is a count and (98%) a bare number: no Accuracy point
    assert names(points) == {"Loss", "Average loss", "epoch"}


KERAS2 = """Epoch 1/2
1875/1875 [==============================] - 4s 2ms/step - loss: 0.4950 - accuracy: 0.8260 \
- val_loss: 0.4520 - val_accuracy: 0.8399
Epoch 2/2
1875/1875 [==============================] - 3s 2ms/step - loss: 0.3100 - accuracy: 0.9100 \
- val_loss: 0.4200 - val_accuracy: 0.8800
"""

KERAS3_BAR = ("\x1b[1m1875/1875\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m "
              "\x1b[1m3s\x1b[0m")
KERAS3 = (f"Epoch 1/2\n{KERAS3_BAR} 2ms/step - accuracy: 0.83 - loss: 0.49 - val_accuracy: 0.84"
          f" - val_loss: 0.45\nEpoch 2/2\n{KERAS3_BAR} 2ms/step - accuracy: 0.91 - loss: 0.31"
          " - val_accuracy: 0.88 - val_loss: 0.42\n")


def test_keras2_fit(tmp_path: Path) -> None:
    points = read(tmp_path, KERAS2)
    assert series(points, "loss") == [(1, 0.495), (2, 0.31)]
    assert series(points, "val_accuracy") == [(1, 0.8399), (2, 0.88)]
    assert series(points, "epoch") == [(1, 1.0), (2, 2.0)]  # from the `Epoch 2/2` line before
    assert names(points) == {"loss", "accuracy", "val_loss", "val_accuracy", "epoch"}


def test_keras3_fit_with_colours(tmp_path: Path) -> None:
    points = read(tmp_path, KERAS3)
    assert points == [
        ("accuracy", 1, 0.83), ("loss", 1, 0.49), ("val_accuracy", 1, 0.84),
        ("val_loss", 1, 0.45), ("epoch", 1, 1.0),
        ("accuracy", 2, 0.91), ("loss", 2, 0.31), ("val_accuracy", 2, 0.88),
        ("val_loss", 2, 0.42), ("epoch", 2, 2.0)]


def test_keras2_in_a_terminal_redraws_with_backspaces(tmp_path: Path) -> None:
    """In a tty Keras 2 erases its progress line with backspaces and `\\r`: one log line holds
    every redraw; the reader takes what the terminal finally shows."""
    first = ("   1/1875 [..............................] - ETA: 5:12 - loss: 2.3512 - "
             "accuracy: 0.0938")
    middle = ("  63/1875 [>.............................] - ETA: 1s - loss: 1.2000 - "
              "accuracy: 0.6000")
    last = ("1875/1875 [==============================] - 3s 2ms/step - loss: 0.3100 - "
            "accuracy: 0.9100 - val_loss: 0.4200 - val_accuracy: 0.8800")
    line = first + "\b" * len(first) + "\r" + middle + "\b" * len(middle) + "\r" + last
    points = read(tmp_path, "Epoch 3/10\n" + line + "\n")
    assert points == [("loss", 1, 0.31), ("accuracy", 1, 0.91), ("val_loss", 1, 0.42),
                      ("val_accuracy", 1, 0.88), ("epoch", 1, 3.0)]


def test_keras3_in_a_terminal_redraws_with_carriage_returns(tmp_path: Path) -> None:
    redraws = "".join(
        f"\r\x1b[1m{n:>4}/1875\x1b[0m \x1b[32m━━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━\x1b[0m "
        f"\x1b[1m1s\x1b[0m 2ms/step - accuracy: 0.{n % 90 + 10} - loss: 1.{n % 90 + 10}"
        for n in (1, 500, 1000))
    final = ("\r\x1b[1m1875/1875\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m "
             "\x1b[1m3s\x1b[0m 2ms/step - accuracy: 0.91 - loss: 0.31 - val_accuracy: 0.88 "
             "- val_loss: 0.42")
    points = read(tmp_path, "Epoch 1/10\n" + redraws + final + "\n")
    assert points == [("accuracy", 1, 0.91), ("loss", 1, 0.31), ("val_accuracy", 1, 0.88),
                      ("val_loss", 1, 0.42), ("epoch", 1, 1.0)]


# PyTorch Lightning 2.x: device lines, the model summary, then one log line per epoch holding
# every `\r` redraw of the tqdm bar, the validation bar's cursor moves and colours.
LIGHTNING = (
    "GPU available: False, used: False\n"
    "TPU available: False, using: 0 TPU cores\n"
    "HPU available: False, using: 0 HPUs\n"
    "\n"
    "  | Name  | Type   | Params | Mode \n"
    "-----------------------------------------\n"
    "0 | layer | Linear | 66     | train\n"
    "-----------------------------------------\n"
    "66        Trainable params\n"
    "0         Non-trainable params\n"
    "66        Total params\n"
    "0.000     Total estimated model params size (MB)\n"
    "\rSanity Checking: |          | 0/? [00:00<?, ?it/s]"
    "\rSanity Checking DataLoader 0: 100%|██████████| 2/2 [00:00<00:00, 250.12it/s]"
    "\r                                                                           \r\n"
    "\rTraining: |          | 0/? [00:00<?, ?it/s]"
    "\rEpoch 0:  50%|█████     | 16/32 [00:00<00:00, 40.00it/s, v_num=3, train_loss=0.700]"
    "\rEpoch 0: 100%|██████████| 32/32 [00:00<00:00, 41.00it/s, v_num=3, train_loss=0.612]"
    "\n\x1b[A\rValidation: |          | 0/? [00:00<?, ?it/s]\x1b[A"
    "\rValidation DataLoader 0: 100%|██████████| 8/8 [00:00<00:00, 90.0it/s]\x1b[A"
    "\r\x1b[32mEpoch 0: 100%|██████████| 32/32 [00:01<00:00, 20.31it/s, v_num=3, "
    "train_loss=0.612, val_loss=0.530, val_acc=0.750]\x1b[0m\n"
    "\rEpoch 1: 100%|██████████| 32/32 [00:01<00:00, 20.31it/s, v_num=3, train_loss=0.512, "
    "val_loss=0.430, val_acc=0.875]\n"
    "`Trainer.fit` stopped: `max_epochs=2` reached.\n"
)


def test_lightning_progress_bars(tmp_path: Path) -> None:
    points = read(tmp_path, LIGHTNING)
    assert points == [
        ("train_loss", 1, 0.612), ("epoch", 1, 0.0),
        ("train_loss", 2, 0.612), ("val_loss", 2, 0.53), ("val_acc", 2, 0.75), ("epoch", 2, 0.0),
        ("train_loss", 3, 0.512), ("val_loss", 3, 0.43), ("val_acc", 3, 0.875),
        ("epoch", 3, 1.0)]


# Hugging Face Trainer: its ProgressCallback writes the logs dict above the tqdm bar (tqdm.write
# erases the bar with `\r` first), then the final summary; `trainer.log_metrics` prints a block.
HUGGING_FACE = (
    "\r  0%|          | 0/30 [00:00<?, ?it/s]"
    "\r 33%|███▎      | 10/30 [00:02<00:04,  4.51it/s]\r                                    \r"
    "{'loss': 0.6931, 'grad_norm': 1.2345, 'learning_rate': 3.3333e-05, 'epoch': 0.33}\n"
    "\r 33%|███▎      | 10/30 [00:02<00:04,  4.51it/s]\r 67%|██████▋   | 20/30 [00:04<00:02,"
    "  4.49it/s]\r                                    \r"
    "{'loss': 0.5012, 'grad_norm': 2.0, 'learning_rate': 1.6667e-05, 'epoch': 0.67}\n"
    "{'eval_loss': 0.45, 'eval_accuracy': 0.85, 'eval_runtime': 1.234, "
    "'eval_samples_per_second': 810.2, 'eval_steps_per_second': 101.3, 'epoch': 1.0}\n"
    "{'train_runtime': 6.512, 'train_samples_per_second': 36.85, 'train_steps_per_second': "
    "4.607, 'train_loss': 0.5521, 'epoch': 1.0}\n"
    "\r100%|██████████| 30/30 [00:06<00:00,  4.61it/s]\n"
    "***** eval metrics *****\n"
    "  epoch                   =        1.0\n"
    "  eval_accuracy           =     0.8512\n"
    "  eval_loss               =     0.4012\n"
    "  eval_runtime            = 0:00:01.23\n"
)


def test_hugging_face_trainer(tmp_path: Path) -> None:
    points = read(tmp_path, HUGGING_FACE)
    assert points[:5] == [("loss", 1, 0.6931), ("grad_norm", 1, 1.2345),
                          ("learning_rate", 1, 3.3333e-05), ("epoch", 1, 0.33),
                          ("loss", 2, 0.5012)]
    assert series(points, "epoch") == [(1, 0.33), (2, 0.67), (3, 1.0), (4, 1.0), (5, 1.0),
                                       (6, 1.0)]
    assert series(points, "eval_loss") == [(3, 0.45), (6, 0.4012)]
    assert series(points, "eval_accuracy") == [(3, 0.85), (5, 0.8512)]
    assert series(points, "train_loss") == [(4, 0.5521)]
    assert "eval_runtime" in names(points) and series(points, "eval_runtime") == [(3, 1.234)]


def test_hugging_face_settings_banner_is_not_read(tmp_path: Path) -> None:
    out = ("***** Running training *****\n"
           "  Num examples = 60,000\n"
           "  Num Epochs = 3\n"
           "  Instantaneous batch size per device = 8\n"
           "  Total optimization steps = 22,500\n"
           "  Number of trainable parameters = 109,483,778\n"
           "{'loss': 0.5, 'learning_rate': 5e-05, 'epoch': 0.1}\n")
    assert read(tmp_path, out) == [("loss", 1, 0.5), ("learning_rate", 1, 5e-05),
                                   ("epoch", 1, 0.1)]


def test_sdk_json_lines(tmp_path: Path) -> None:
    out = ('{"step": 5, "loss": 0.5, "acc": 1}\n'
           '{"epoch": 2, "val_loss": 0.3}\n'
           '{"event": "diverged", "level": "warning", "message": "loss is NaN", "step": 5}\n'
           '{"step": 7, "loss": NaN, "lr": null, "note": "text", "nested": {"a": 1}}\n'
           '{"step": 7, "loss": 0.4}\n')
    assert read(tmp_path, out) == [
        ("loss", 5, 0.5), ("acc", 5, 1.0),
        ("val_loss", 6, 0.3), ("epoch", 6, 2.0),
        ("loss", 7, None), ("lr", 7, None), ("epoch", 7, 2.0),
        ("loss", 8, 0.4), ("epoch", 8, 2.0)]  # step 7 again: the next step, nothing replaced


def test_logging_prefixed_lines(tmp_path: Path) -> None:
    out = ("2026-12-05 17:00:01,123 - INFO - epoch 2 loss: 0.30\n"
           "2026-12-05 17:00:02,456 - WARNING - lr=0.1 is high\n"
           "INFO:__main__:step 40 val_acc=0.91\n"
           "WARNING:root:grad_norm=12.5 clipped\n"
           "[2026-12-05 17:00:03,789][__main__][INFO] - epoch 3 loss: 0.25\n"
           "2026-12-05 17:00:04.000 | ERROR    | train:fit:42 - loss=nan\n"
           "I1205 17:00:05.123456 140234 train.py:88] compute capability: 7.5\n")
    assert read(tmp_path, out) == [("loss", 1, 0.3), ("epoch", 1, 2.0),
                                   ("val_acc", 40, 0.91), ("epoch", 40, 2.0),
                                   ("loss", 41, 0.25), ("epoch", 41, 3.0)]


def test_plain_prints(tmp_path: Path) -> None:
    out = ("iter 100: loss 4.2341, time 512.33ms, mfu 12.5%\n"  # nanoGPT
           "step 200: train loss 3.1200, val loss 3.2500\n"  # two-word names in a list
           "step 200: train_loss 3.1200, val_loss 3.2500\n"
           "Epoch [1/5], Step [100/600], Loss: 0.2154\n"  # pytorch-tutorial
           "epoch: 3, step: 10, loss=nan, lr: 5e-05, mem: 3.2GB, util: 12 %\n"
           "Iteration 300 | loss: 1.0e-3 | grad norm: inf | throughput: 1,234.5 it/s\n")
    points = read(tmp_path, out)
    assert points == [
        ("loss", 100, 4.2341), ("time", 100, 512.33), ("mfu", 100, 12.5),
        ("train loss", 200, 3.12), ("val loss", 200, 3.25),  # nanoGPT
        ("train_loss", 201, 3.12), ("val_loss", 201, 3.25),  # step 200 again: the next one
        ("Loss", 202, 0.2154), ("epoch", 202, 1.0),
        ("loss", 203, None), ("lr", 203, 5e-05), ("mem", 203, 3.2), ("util", 203, 12.0),
        ("epoch", 203, 3.0),
        ("loss", 300, 0.001), ("grad norm", 300, float("inf")), ("throughput", 300, 1234.5),
        ("epoch", 300, 3.0)]


@pytest.mark.parametrize("output", [
    WORD_LANGUAGE_MODEL, TIME_SEQUENCE, MNIST, KERAS2, KERAS3, LIGHTNING, HUGGING_FACE])
def test_steps_strictly_increase_in_every_capture(tmp_path: Path, output: str) -> None:
    points = read(tmp_path, output)
    assert points
    assert_steps_increase(points)
    for name, step, value in points:
        assert isinstance(step, int) and (value is None or isinstance(value, float)), name


def test_a_crash_at_the_end_adds_nothing(tmp_path: Path) -> None:
    out = (KERAS2 + "Traceback (most recent call last):\n"
           '  File "train.py", line 88, in <module>\n'
           "    loss = train(model, lr=0.5)\n"
           "           ^^^^^^^^^^^^^^^^^^^^\n"
           '  File "train.py", line 40, in train\n'
           "    raise ValueError(f\"lr={lr} must be positive\")\n"
           "ValueError: lr=0.5 must be positive\n")
    assert read(tmp_path, out) == read(tmp_path, KERAS2)


def test_torchvision_reference_lines_and_their_final_accuracy(tmp_path: Path) -> None:
    out = ("Epoch: [0]  [ 10/782]  eta: 0:01:02  lr: 0.000100  loss: 6.9012 (6.9100)  "
           "time: 0.0800  data: 0.0010  max mem: 120\n"
           "Test:  Total time: 0:00:05\n"
           "* Acc@1 75.123 Acc@5 92.456\n")
    assert read(tmp_path, out) == [
        ("lr", 1, 0.0001), ("loss", 1, 6.9012), ("time", 1, 0.08), ("data", 1, 0.001),
        ("max mem", 1, 120.0), ("epoch", 1, 0.0),
        ("Acc@1", 2, 75.123), ("Acc@5", 2, 92.456), ("epoch", 2, 0.0)]
