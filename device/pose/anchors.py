"""SSD anchor centres of BlazePose's detector, as MediaPipe's pose detection config generates them:
5 layers over a 224×224 input, strides 8, 16, 32, 32, 32, one aspect ratio plus the interpolated
scale, fixed anchor size (so only the centres matter) → 2254 anchors."""
from __future__ import annotations

import math

import numpy as np

INPUT_SIZE = 224
STRIDES = (8, 16, 32, 32, 32)
ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 and the interpolated scale between layers
OFFSET = 0.5


def ssd_anchor_centres(size: int = INPUT_SIZE, strides: tuple[int, ...] = STRIDES) -> np.ndarray:
    """(N, 2) anchor centres (x, y) in [0, 1]; consecutive layers with the same stride share a grid,
    their anchors interleaved per cell as in MediaPipe's generator."""
    centres = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        same = next((i for i in range(layer, len(strides)) if strides[i] != stride), len(strides)) - layer
        cells = math.ceil(size / stride)
        grid = (np.arange(cells, dtype=np.float32) + OFFSET) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cell_centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell_centres, same * ANCHORS_PER_LAYER, axis=0))
        layer += same
    return np.concatenate(centres)
