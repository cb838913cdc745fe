"""The advice's training-set sizes (hpdesk.knowledge.advice.TRAIN_SAMPLES) are the tasks' own:
knowledge may not import the tasks, so the numbers are restated there and checked here."""

from __future__ import annotations

from hpdesk.knowledge.advice import TRAIN_SAMPLES, train_samples
from hpdesk.tasks.detection_data import DATA_DEFAULTS
from hpdesk.tasks.gan import DATA_OPTIONS as GAN_DATA
from hpdesk.tasks.image_data import digits_split, harder, load_digits_data


def test_the_training_sizes_are_the_tasks_own() -> None:
    train = len(digits_split()[1])  # 1,797 digits less the 20 % held out for validation
    assert train == TRAIN_SAMPLES[("classification", "digits")][1] == 1438
    assert train == TRAIN_SAMPLES[("gan", "digits")][1]
    assert DATA_DEFAULTS["train_images"] == TRAIN_SAMPLES[("detection", "shapes")][1]
    assert GAN_DATA["ring"]["samples_per_epoch"] == TRAIN_SAMPLES[("gan", "ring")][1]


def test_a_smaller_training_split_is_read_as_the_task_reads_it() -> None:
    plan = {"task": "classification", "data": {"source": "digits", "train_size": 200}}
    assert train_samples(plan) == ("digits", len(harder(load_digits_data(),
                                                        train_size=200).y_train))
    plan = {"task": "detection", "data": {"source": "shapes", "train_images": 64}}
    assert train_samples(plan) == ("shapes", 64)
    assert train_samples({"task": "gan", "data": {"source": "ring"}}) == ("ring", 7680)
