"""GAN sample-quality metrics: Fréchet distance maths, the cached feature classifier, the ring.

The feature classifier trains in about a second; tests that only need *a* cache share one folder
for the session (``shared_cache``), and the cache tests use their own empty folder.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from hpdesk.tasks import gan_metrics as gm
from hpdesk.tasks.image_data import digits_split


@pytest.fixture
def shared_cache(_isolated_user_dirs: None, tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """One XDG cache folder for the whole session, so the classifier trains once."""
    folder = tmp_path_factory.getbasetemp() / "gan-shared-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


# --- Fréchet distance ---------------------------------------------------------------------------

def test_identical_sets_are_at_distance_zero() -> None:
    x = np.random.default_rng(0).normal(size=(500, 6))
    assert gm.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_shifted_sets_with_equal_covariance_give_the_squared_mean_difference() -> None:
    x = np.random.default_rng(1).normal(size=(400, 5)) @ np.diag([1.0, 2.0, 0.5, 3.0, 1.0])
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert gm.frechet_distance(x, x + shift) == pytest.approx(shift @ shift, rel=1e-8)


def test_closed_form_for_diagonal_covariances_and_symmetry() -> None:
    mu1, mu2 = np.zeros(3), np.array([1.0, 0.0, 2.0])
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = 5.0 + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    forward = gm.frechet_distance_from_stats(mu1, np.diag(v1), mu2, np.diag(v2))
    backward = gm.frechet_distance_from_stats(mu2, np.diag(v2), mu1, np.diag(v1))
    assert forward == pytest.approx(expected, rel=1e-9) and backward == pytest.approx(forward)


def test_symmetric_and_finite_for_rank_deficient_features() -> None:
    rng = np.random.default_rng(2)
    a = np.concatenate([rng.normal(size=(300, 4)), np.zeros((300, 2))], axis=1)  # dead units
    b = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6))
    d_ab, d_ba = gm.frechet_distance(a, b), gm.frechet_distance(b, a)
    assert np.isfinite(d_ab) and d_ab > 0 and d_ab == pytest.approx(d_ba, rel=1e-7)


def test_stats_need_two_rows() -> None:
    with pytest.raises(ValueError):
        gm.gaussian_stats(np.zeros((1, 3)))


# --- the feature classifier cache ---------------------------------------------------------------

def test_cache_is_created_once_then_reused(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = gm.feature_cache_path()
    assert path.name == "gan-digits-features-v1.pt" and tmp_path in path.parents
    before = torch.get_rng_state()
    first = gm.load_feature_classifier()
    assert torch.equal(torch.get_rng_state(), before)        # the metric draws no trial numbers
    assert path.is_file() and [p.name for p in path.parent.iterdir()] == [path.name]  # no tmp

    def no_training() -> None:
        raise AssertionError("the cached classifier was trained again")

    monkeypatch.setattr(gm, "train_feature_classifier", no_training)
    second = gm.load_feature_classifier()
    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        assert torch.equal(a, b), name


@pytest.mark.parametrize("content", [b"not a torch file", b""])
def test_corrupt_cache_is_rebuilt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "features.pt"
    path.write_bytes(content)
    net = gm.load_feature_classifier(path)
    assert isinstance(net, gm.DigitsFeatureNet)
    assert torch.load(path, weights_only=True)["version"] == gm.FEATURE_VERSION


def test_other_version_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "features.pt"
    torch.save({"version": 0, "state_dict": {}}, path)
    gm.load_feature_classifier(path)
    assert torch.load(path, weights_only=True)["version"] == gm.FEATURE_VERSION


def test_unwritable_cache_folder_still_gives_a_classifier(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    net = gm.load_feature_classifier(blocker / "features.pt")     # parent is a file
    assert isinstance(net, gm.DigitsFeatureNet) and blocker.read_text() == "x"


def test_classifier_is_accurate_and_fid_ranks_samples(shared_cache: Path) -> None:
    fid = gm.DigitsFid()
    x_train, y_train, x_val, y_val = digits_split()
    with torch.no_grad():
        pred = fid.net(torch.from_numpy(x_val)).argmax(dim=1).numpy()
    assert (pred == y_val).mean() >= 0.95
    real = torch.from_numpy(x_train) * 2 - 1                    # the generator's range
    noise = torch.rand(2000, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    one_class = real[torch.from_numpy(y_train == 3)]
    assert fid(real) < 5 and fid(one_class) > 100 and fid(noise) > 100
    assert fid(real.view(-1, 1, 8, 8)) == pytest.approx(fid(real))  # any image shape


# --- the ring -----------------------------------------------------------------------------------

def ring_samples(modes: list[int], per_mode: int = 250, spread: float = 0.02,
                 seed: int = 0) -> np.ndarray:
    centers = gm.ring_centers(8, 2.0)
    rng = np.random.default_rng(seed)
    return np.concatenate([centers[m] + spread * rng.normal(size=(per_mode, 2)) for m in modes])


def test_ring_centers_lie_on_the_circle() -> None:
    centers = gm.ring_centers(8, 2.0)
    assert np.allclose(np.linalg.norm(centers, axis=1), 2.0)
    assert np.allclose(centers[0], [2.0, 0.0]) and np.allclose(centers[2], [0.0, 2.0])


def test_all_modes_covered_with_high_quality() -> None:
    m = gm.ring_metrics(ring_samples(list(range(8))), modes=8, radius=2.0, std=0.02)
    assert m["modes_covered"] == 8 and m["high_quality"] > 0.98


def test_collapse_to_one_mode() -> None:
    m = gm.ring_metrics(ring_samples([3], per_mode=2000), modes=8, radius=2.0, std=0.02)
    assert m == {"modes_covered": 1.0, "high_quality": pytest.approx(1.0, abs=0.01)}


def test_far_off_samples_are_low_quality_and_cover_nothing() -> None:
    far = ring_samples(list(range(8)), spread=0.5)               # 25 std wide
    m = gm.ring_metrics(far, modes=8, radius=2.0, std=0.02)
    assert m["high_quality"] < 0.05 and m["modes_covered"] == 0
    origin = np.zeros((100, 2))
    assert gm.ring_metrics(origin, modes=8, radius=2.0, std=0.02)["high_quality"] == 0.0


def test_a_mode_needs_a_quarter_of_its_fair_share() -> None:
    # 2000 samples: fair share 250, so a mode needs >= 62.5 good samples.
    tight = 0.005                                                # every sample within 3 std
    samples = np.concatenate([ring_samples([0], per_mode=1900, spread=tight),
                              ring_samples([1], per_mode=63, spread=tight),
                              ring_samples([2], per_mode=37, spread=tight)])
    m = gm.ring_metrics(samples, modes=8, radius=2.0, std=0.02)
    assert m["modes_covered"] == 2


def test_nan_samples_count_as_low_quality_and_tensors_are_accepted() -> None:
    samples = torch.from_numpy(ring_samples(list(range(8)), per_mode=100)).float()
    samples[:400] = float("nan")
    m = gm.ring_metrics(samples, modes=8, radius=2.0, std=0.02)
    assert m["high_quality"] == pytest.approx(0.5, abs=0.01) and m["modes_covered"] == 4
