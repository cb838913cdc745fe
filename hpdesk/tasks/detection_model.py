"""The detector of the detection task: network, backbone loading, targets, losses, decoding.

Why this detector: it must train to a meaningful mAP in seconds on a laptop CPU, yet expose the
detection hyperparameters the guide names (loss-term weights, a pre-trained backbone versus
scratch with GroupNorm or frozen BatchNorm; KNOWLEDGE.md §4, §8, §9). So it is a one-stage,
anchor-free detector in the style of FCOS (Tian et al. 2019) on the last feature map of a
:class:`~hpdesk.tasks.layers.ConvBackbone`, the classifier's backbone, so that a classification
checkpoint's ``backbone.*`` weights initialise it:

* head: one 3x3 conv, then per cell ``K`` class logits and 4 distances to the box sides
  (``exp(t) * stride`` pixels from the cell centre);
* targets: a cell is positive for an object when its centre lies inside the box and within
  :data:`CENTER_RADIUS` cells of the object's centre (FCOS centre sampling); the cell holding
  the centre is always positive, so objects smaller than a cell still train; the smallest box
  wins a contested cell;
* losses: sigmoid focal loss over all cells (Lin et al. 2017; gamma 0 is plain BCE) and GIoU
  loss over positive cells (Rezatofighi et al. 2019), each divided by the positive-cell count;
* decoding: sigmoid scores above a threshold, the best :data:`MAX_CANDIDATES` per image,
  class-wise greedy NMS written in torch (batched over images).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from hpdesk.tasks.common import ParamError, require
from hpdesk.tasks.detection_data import DetectionSet
from hpdesk.tasks.detection_metrics import ImageDetections
from hpdesk.tasks.layers import ConvBackbone, conv_block
from hpdesk.tasks.weights import checkpoint_tensors

CENTER_RADIUS = 1.5             # cells around an object's centre that learn it (FCOS: 1.5)
PRIOR_PROB = 0.01               # initial foreground probability of every cell (RetinaNet)
MAX_CANDIDATES = 100            # per image, before NMS
MAX_DETECTIONS = 100            # per image, after NMS (as COCO)

Targets = tuple[torch.Tensor, torch.Tensor, torch.Tensor]    # class maps, boxes, positives


# --- network --------------------------------------------------------------------------------------

class Detector(nn.Module):
    """Backbone, a shared 3x3 conv, and 1x1 class and box predictors on the stride-s map."""

    def __init__(self, p: Mapping[str, Any], in_channels: int, num_classes: int) -> None:
        super().__init__()
        norm = "batchnorm" if p["normalization"] == "frozen_batchnorm" else p["normalization"]
        self.backbone = ConvBackbone(
            in_channels, width=p["width"], depth=p["depth"], kernel_size=p["kernel_size"],
            norm=norm, groups=p["gn_groups"], activation=p["activation"], dropout=p["dropout"])
        c = self.backbone.out_channels
        self.tower = conv_block(c, c, norm="none", activation=p["activation"])
        self.cls = nn.Conv2d(c, num_classes, 1)
        self.box = nn.Conv2d(c, 4, 1)
        assert self.cls.bias is not None and self.box.bias is not None
        nn.init.constant_(self.cls.bias, -math.log((1 - PRIOR_PROB) / PRIOR_PROB))
        nn.init.normal_(self.box.weight, std=0.01)
        nn.init.zeros_(self.box.bias)
        self.stride = self.backbone.stride

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class logits (B, K, G, G) and raw box outputs (B, 4, G, G)."""
        h = self.tower(self.backbone(x))
        return self.cls(h), self.box(h)


def load_backbone(model: Detector, path: str | Path) -> int:
    """Copy ``backbone.*`` (or bare ``stages.*``) weights from ``path``; return tensors loaded.

    Every backbone tensor must be there with the same shape: width, depth, kernel size, input
    channels and normalisation must match the classifier's. Only BatchNorm running statistics
    may be absent (a GroupNorm checkpoint into a BatchNorm model keeps fresh statistics).
    """
    path = Path(path).expanduser()
    state = checkpoint_tensors(path)
    sub = {k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")}
    if not sub:
        sub = {k: v for k, v in state.items() if k.startswith("stages.")}
    require(bool(sub), f"init_checkpoint {path}: no backbone.* weights in it")
    own = model.backbone.state_dict()
    for key, tensor in own.items():
        if key not in sub:
            require(key.endswith(("running_mean", "running_var", "num_batches_tracked")),
                    f"init_checkpoint {path}: backbone.{key} is missing (normalization, depth "
                    f"and kernel_size must match the checkpoint)")
            sub[key] = tensor
        elif sub[key].shape != tensor.shape:
            raise ParamError(
                f"init_checkpoint {path}: backbone.{key} has shape {list(sub[key].shape)}, "
                f"this model needs {list(tensor.shape)} (width, depth, kernel_size and data "
                f"channels must match the checkpoint)")
    model.backbone.load_state_dict({k: sub[k] for k in own})
    return len(own)


# --- targets, losses, decoding ------------------------------------------------------------------

def cell_centres(grid: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel coordinates (x, y) of every cell centre of a ``grid`` x ``grid`` map, (G, G) each."""
    c = (torch.arange(grid, dtype=torch.float32) + 0.5) * stride
    cy, cx = torch.meshgrid(c, c, indexing="ij")
    return cx, cy


def build_targets(data: DetectionSet, grid: int, stride: int) -> Targets:
    """Dense targets of every image: class maps (N, K, G, G), boxes in pixels (N, 4, G, G) and
    the positive-cell mask (N, G, G). Built once per run: the data never changes."""
    n, size, k = len(data), data.images.shape[-1], len(data.class_names)
    m = max((len(b) for b in data.boxes), default=0)
    boxes = torch.zeros(n, max(m, 1), 4)
    labels = torch.zeros(n, max(m, 1), dtype=torch.long)
    valid = torch.zeros(n, max(m, 1), dtype=torch.bool)
    for i, (b, c) in enumerate(zip(data.boxes, data.labels)):
        boxes[i, :len(b)], labels[i, :len(c)], valid[i, :len(b)] = b * size, c, True
    cx, cy = cell_centres(grid, stride)
    x0, y0, x1, y1 = (boxes[..., j, None, None] for j in range(4))        # (N, M, 1, 1)
    ox, oy = (x0 + x1) / 2, (y0 + y1) / 2
    inside = (cx > x0) & (cx < x1) & (cy > y0) & (cy < y1)
    near = ((cx - ox).abs() < CENTER_RADIUS * stride) & ((cy - oy).abs() < CENTER_RADIUS * stride)
    home = ((ox / stride).floor().clamp(0, grid - 1) == (cx / stride - 0.5)) & (
        (oy / stride).floor().clamp(0, grid - 1) == (cy / stride - 0.5))
    claims = ((inside & near) | home) & valid[..., None, None]            # (N, M, G, G)
    area = ((x1 - x0) * (y1 - y0)).expand_as(claims).masked_fill(~claims, math.inf)
    owner = area.argmin(dim=1)                                            # (N, G, G)
    positive = claims.any(dim=1)
    box_t = torch.gather(boxes, 1, owner.flatten(1)[..., None].expand(-1, -1, 4))
    box_t = box_t.transpose(1, 2).reshape(n, 4, grid, grid)
    cls_idx = torch.gather(labels, 1, owner.flatten(1)).reshape(n, grid, grid)
    cls_t = F.one_hot(cls_idx, k).permute(0, 3, 1, 2).float() * positive[:, None]
    return cls_t, box_t, positive


def decode_boxes(raw: torch.Tensor, stride: int) -> torch.Tensor:
    """Raw box outputs (B, 4, G, G) to pixel boxes x0 y0 x1 y1 (B, 4, G, G)."""
    cx, cy = (c.to(raw.device) for c in cell_centres(raw.shape[-1], stride))
    d = torch.exp(raw.float().clamp(max=8.0)) * stride
    return torch.stack([cx - d[:, 0], cy - d[:, 1], cx + d[:, 2], cy + d[:, 3]], dim=1)


def giou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Generalised IoU of matching rows of two (n, 4) box tensors."""
    wh = (torch.min(a[:, 2:], b[:, 2:]) - torch.max(a[:, :2], b[:, :2])).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a + area_b - inter
    hull = (torch.max(a[:, 2:], b[:, 2:]) - torch.min(a[:, :2], b[:, :2])).prod(dim=1)
    return inter / union.clamp(min=1e-6) - (hull - union) / hull.clamp(min=1e-6)


def detection_losses(cls_out: torch.Tensor, box_out: torch.Tensor, targets: Targets, *,
                     stride: int, focal_alpha: float, focal_gamma: float,
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """(class loss, box loss), each a sum over cells divided by the number of positive cells."""
    cls_t, box_t, positive = targets
    logits = cls_out.float()
    ce = F.binary_cross_entropy_with_logits(logits, cls_t, reduction="none")
    prob = torch.sigmoid(logits)
    p_t = prob * cls_t + (1 - prob) * (1 - cls_t)
    alpha_t = focal_alpha * cls_t + (1 - focal_alpha) * (1 - cls_t)
    n_pos = positive.sum().clamp(min=1).float()
    cls_loss = (alpha_t * (1 - p_t) ** focal_gamma * ce).sum() / n_pos
    pred = decode_boxes(box_out, stride).permute(0, 2, 3, 1)[positive]
    target = box_t.permute(0, 2, 3, 1)[positive]
    box_loss = (1 - giou(pred, target)).sum() / n_pos
    return cls_loss, box_loss


def nms_keep(boxes: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor,
             iou_threshold: float) -> torch.Tensor:
    """Class-wise greedy non-maximum suppression for a batch, as a keep mask (B, n).

    ``boxes`` (B, n, 4) are sorted by score, best first, in every row; ``valid`` marks real
    candidates. Greedy NMS keeps box ``i`` exactly when no *kept* better box of its class
    overlaps it by more than ``iou_threshold``. That rule has one solution, found here by
    iterating it from "keep all" to its fixed point (index ``i`` is final after ``i + 1``
    rounds; in practice 2 to 4 rounds): whole-batch tensor operations instead of a Python loop
    per box, which keeps validation cheap on a CPU.
    """
    n = boxes.shape[1]
    span = float(boxes.max() - boxes.min()) + 1.0 if boxes.numel() else 1.0
    x0, y0, x1, y1 = (boxes + labels[..., None] * span).unbind(-1)   # classes never overlap
    area = (x1 - x0) * (y1 - y0)
    iw = torch.min(x1[:, :, None], x1[:, None, :]) - torch.max(x0[:, :, None], x0[:, None, :])
    ih = torch.min(y1[:, :, None], y1[:, None, :]) - torch.max(y0[:, :, None], y0[:, None, :])
    inter = iw.clamp_(min=0) * ih.clamp_(min=0)
    union = area[:, :, None] + area[:, None, :] - inter
    # row j suppresses column i: j ranks higher (j < i) and IoU > threshold
    suppresses = ((inter > iou_threshold * union).triu_(1) & valid[:, :, None]).float()
    keep = valid.clone()
    for _ in range(n + 1):
        new = valid & (torch.bmm(keep.float()[:, None, :], suppresses)[:, 0] == 0)
        if torch.equal(new, keep):
            break
        keep = new
    return keep


def detect(cls_out: torch.Tensor, box_out: torch.Tensor, stride: int, image_size: int,
           score_threshold: float, nms_iou: float) -> list[ImageDetections]:
    """Per image: boxes (normalised x0 y0 x1 y1), scores and labels after thresholding and NMS."""
    b, k, g, _ = cls_out.shape
    scores = torch.sigmoid(cls_out.float()).flatten(1)                    # (B, K*G*G)
    boxes = (decode_boxes(box_out, stride) / image_size).clamp(0, 1).flatten(2)
    top, idx = scores.topk(min(MAX_CANDIDATES, scores.shape[1]), dim=1)  # sorted, best first
    n = max(1, int((top > score_threshold).sum(dim=1).max()))           # drop columns no row uses
    top, idx = top[:, :n], idx[:, :n]
    label, cell = idx // (g * g), idx % (g * g)
    box = torch.gather(boxes, 2, cell[:, None].expand(-1, 4, -1)).transpose(1, 2)
    keep = nms_keep(box, label, top > score_threshold, nms_iou)
    keep &= keep.cumsum(dim=1) <= MAX_DETECTIONS
    box, top, label, keep = box.cpu(), top.cpu(), label.cpu(), keep.cpu()
    return [ImageDetections(box[i][keep[i]], top[i][keep[i]], label[i][keep[i]])
            for i in range(b)]
