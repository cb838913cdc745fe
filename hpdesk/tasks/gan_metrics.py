"""How good a GAN's samples are: Fréchet distance for digits, mode coverage for the ring.

A GAN's losses say little about its samples (both players can sit at a stable loss while the
generator collapses to one mode), so the GAN task reports sample-quality metrics at each
epoch's end. Both are computed on a fixed number of samples from a fixed noise seed (chosen by
the caller) so that values are comparable across trials.

Digits — ``fid``: the Fréchet distance between Gaussians fitted to features of generated and of
real validation digits (Heusel et al. 2017, "GANs trained by a two time-scale update rule
converge to a local Nash equilibrium"). Inception features make no sense for 8x8 digits, so the
features are the penultimate layer of a small digits classifier. That classifier is part of the
metric's definition: it is trained once, from a fixed seed and the fixed digits split, and cached
at ``platformdirs.user_cache_dir("hpdesk")/gan-digits-features-v1.pt``. The file name carries a
version; change :data:`FEATURE_VERSION` whenever the classifier or its training changes, or old
caches would silently give different numbers.

Cache concurrency: several trials may start at once and find no cache. Each then trains the
(identical, deterministic) classifier itself — about a second — and writes it to a private
temporary file in the cache folder before ``os.replace`` moves it into place. The replace is
atomic, so a reader sees either no file or a whole file, never a torn one; the last writer wins
and all writers wrote the same weights. A file that cannot be read (truncated by a crash from
before this scheme, hand-edited, another torch) is treated as missing and rebuilt. A cache
folder that cannot be written is not an error: the trial keeps its freshly trained classifier
in memory.

Ring — ``modes_covered`` and ``high_quality``, the usual measures of the 2-D mixture-of-Gaussians
study (Metz et al. 2017, "Unrolled GANs"; Srivastava et al. 2017, "VEEGAN"): a sample is of
high quality when it lies within three standard deviations of some mode's centre; a mode is
covered when its high-quality samples are at least a quarter of its fair share (n / modes).
"""
from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

log = logging.getLogger(__name__)

FEATURE_VERSION = 1
FEATURE_FILE = f"gan-digits-features-v{FEATURE_VERSION}.pt"
FEATURE_DIM = 64
FEATURE_SEED = 1234
FEATURE_EPOCHS = 20
#: A mode counts as covered when it holds this fraction of its fair share of the samples.
MODE_SHARE = 0.25


# --- Fréchet distance ---------------------------------------------------------------------------

def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of ``features`` (n, d), in float64 for a stable sqrt."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"need at least two feature rows of shape (n, d), got {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative round-off clipped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance_from_stats(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
) -> float:
    """``||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))`` between two Gaussians.

    ``tr((S1 S2)^(1/2))`` is computed as ``tr((A S2 A)^(1/2))`` with ``A = S1^(1/2)``: the two
    share eigenvalues, and the second matrix is symmetric PSD, so an ``eigh`` gives it without
    the complex round-off of a general matrix square root (and without scipy).
    """
    a = _psd_sqrt(sigma1)
    inner = np.linalg.eigvalsh((a @ sigma2 @ a + (a @ sigma2 @ a).T) / 2)
    trace_sqrt = float(np.sqrt(np.clip(inner, 0.0, None)).sum())
    diff = np.asarray(mu1, dtype=np.float64) - np.asarray(mu2, dtype=np.float64)
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)
    return max(value, 0.0)


def frechet_distance(features1: np.ndarray, features2: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (n1, d) and (n2, d)."""
    return frechet_distance_from_stats(*gaussian_stats(features1), *gaussian_stats(features2))


# --- the digits feature classifier --------------------------------------------------------------

class DigitsFeatureNet(nn.Module):
    """64 pixels in [0, 1] -> 128 -> 64 (the features) -> 10 classes; ~97 % validation accuracy.

    An MLP, not a CNN: it trains in about a second on one core, and FID only needs features that
    separate the digit classes and notice broken strokes, which this does.
    """

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, FEATURE_DIM),
                                  nn.ReLU())
        self.head = nn.Linear(FEATURE_DIM, 10)

    def features(self, pixels: torch.Tensor) -> torch.Tensor:
        """Penultimate activations of (n, 64) or (n, 1, 8, 8) pixels in [0, 1]."""
        return self.body(pixels.reshape(len(pixels), 64))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(pixels))


def feature_cache_path() -> Path:
    """Where the feature classifier is cached (the platform's per-user cache folder)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("hpdesk")) / FEATURE_FILE


def train_feature_classifier() -> tuple[DigitsFeatureNet, float]:
    """Train the classifier from :data:`FEATURE_SEED`; return it (eval mode) and its val accuracy.

    Runs under a forked RNG so a trial that has to build the cache draws the same random numbers
    afterwards as one that found it: the metric must not change the training it measures.
    """
    from hpdesk.tasks.image_data import digits_split

    x_tr, y_tr, x_va, y_va = (torch.from_numpy(a) for a in digits_split())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(FEATURE_SEED)
        net = DigitsFeatureNet()
        optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
        shuffle = torch.Generator().manual_seed(FEATURE_SEED)
        for _ in range(FEATURE_EPOCHS):
            order = torch.randperm(len(x_tr), generator=shuffle)
            for start in range(0, len(x_tr), 64):
                idx = order[start:start + 64]
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(net(x_tr[idx]), y_tr[idx]).backward()
                optimizer.step()
    net.eval()
    with torch.no_grad():
        accuracy = (net(x_va).argmax(dim=1) == y_va).float().mean().item()
    return net, accuracy


def _read_cache(path: Path) -> DigitsFeatureNet | None:
    """The cached classifier, or None when the file is missing or unusable (then rebuilt)."""
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(saved, dict) or saved.get("version") != FEATURE_VERSION:
            raise ValueError("not a feature classifier of this version")
        net = DigitsFeatureNet()
        net.load_state_dict(saved["state_dict"])
    except Exception as exc:       # torch raises many kinds for a torn or foreign file
        log.warning("rebuilding the digits feature classifier cache %s: %s", path, exc)
        return None
    net.eval()
    return net


def _write_cache(path: Path, net: DigitsFeatureNet, accuracy: float) -> None:
    """Write atomically: a private temporary file, then ``os.replace`` (see module docstring)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"version": FEATURE_VERSION, "state_dict": net.state_dict(),
                    "val_acc": accuracy}, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not cache the digits feature classifier at %s: %s", path, exc)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass                   # the folder itself is unusable: nothing was written


def load_feature_classifier(path: Path | None = None) -> DigitsFeatureNet:
    """The cached feature classifier, trained and cached first when missing or unreadable."""
    path = feature_cache_path() if path is None else path
    net = _read_cache(path)
    if net is None:
        net, accuracy = train_feature_classifier()
        log.info("trained the digits feature classifier (val acc %.3f), caching it at %s",
                 accuracy, path)
        _write_cache(path, net, accuracy)
    return net


class DigitsFid:
    """FID of generated digits against the fixed real validation split, in classifier features.

    Build once per trial (loads the classifier and the real statistics), call once per epoch.
    """

    def __init__(self, path: Path | None = None, device: torch.device | None = None) -> None:
        from hpdesk.tasks.image_data import digits_split

        self.device = device or torch.device("cpu")
        self.net = load_feature_classifier(path).to(self.device)
        x_val = torch.from_numpy(digits_split()[2])
        self.real_mu, self.real_sigma = gaussian_stats(self.features(x_val * 2 - 1))

    def features(self, images: torch.Tensor) -> np.ndarray:
        """Features of images in the generator's range [-1, 1], any shape (n, ...64 pixels)."""
        with torch.no_grad():
            pixels = (images.to(self.device, torch.float32).reshape(len(images), 64) + 1) / 2
            return self.net.features(pixels).double().cpu().numpy()

    def __call__(self, images: torch.Tensor) -> float:
        return frechet_distance_from_stats(*gaussian_stats(self.features(images)),
                                           self.real_mu, self.real_sigma)


# --- the ring -----------------------------------------------------------------------------------

def ring_centers(modes: int, radius: float) -> np.ndarray:
    """The (modes, 2) centres, evenly spaced on a circle, the first at angle 0."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring_metrics(
    samples: np.ndarray | torch.Tensor, *, modes: int, radius: float, std: float,
    share: float = MODE_SHARE,
) -> dict[str, float]:
    """``modes_covered`` (count) and ``high_quality`` (share of samples) of (n, 2) samples.

    Each sample is assigned to its nearest centre; it is high quality when that distance is at
    most ``3 * std``. A mode is covered when its high-quality samples number at least
    ``share * n / modes``. NaN samples count as low quality.
    """
    if isinstance(samples, torch.Tensor):
        samples = samples.detach().cpu().numpy()
    points = np.asarray(samples, dtype=np.float64)
    centers = ring_centers(modes, radius)
    dist = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=2)
    dist = np.where(np.isnan(dist), np.inf, dist)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(points)), nearest] <= 3 * std
    counts = np.bincount(nearest[good], minlength=modes)
    covered = int((counts >= share * len(points) / modes).sum()) if len(points) else 0
    return {"modes_covered": float(covered),
            "high_quality": float(good.mean()) if len(points) else 0.0}
