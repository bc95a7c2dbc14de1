"""Shrink decoded frames to small RGB arrays without a full-frame conversion.

Runs once per decoded frame in the visual pass, so it must cost far less than decoding:
for 8-bit planar YUV (nearly every camera and web video) it samples a fixed grid straight
from the decoder's planes (four taps per cell, a cheap low-pass) and converts only those
samples to RGB; anything else goes through swscale.
"""

from __future__ import annotations

import av
import numpy as np
import numpy.typing as npt

SMALL_W, SMALL_H = 128, 72

# pixel format -> (log2 chroma subsampling in y, in x, full range)
_PLANAR_YUV = {
    "yuv420p": (1, 1, False), "yuvj420p": (1, 1, True),
    "yuv422p": (0, 1, False), "yuvj422p": (0, 1, True),
    "yuv444p": (0, 0, False), "yuvj444p": (0, 0, True),
}

Grid = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]


class FrameSampler:
    """Turn decoded frames into (SMALL_H, SMALL_W, 3) uint8 RGB arrays (one instance per video)."""

    def __init__(self, width: int = SMALL_W, height: int = SMALL_H) -> None:
        self.width = width
        self.height = height
        self._grids: dict[tuple[int, int, int, int], Grid] = {}

    def rgb(self, frame: av.VideoFrame) -> npt.NDArray[np.uint8]:
        layout = _PLANAR_YUV.get(frame.format.name)
        if layout is None:
            small = frame.reformat(width=self.width, height=self.height, format="rgb24",
                                   interpolation="AREA").to_ndarray()
            return np.asarray(small, dtype=np.uint8)
        sub_y, sub_x, full_range = layout
        ys, xs, cys, cxs = self._grid(frame.height, frame.width, sub_y, sub_x)
        y = _taps(_plane(frame, 0), ys, xs)
        u = _taps(_plane(frame, 1), cys, cxs) - 128.0
        v = _taps(_plane(frame, 2), cys, cxs) - 128.0
        if not full_range:
            y = (y - 16.0) * 1.164
            u *= 1.138
            v *= 1.138
        out = np.empty((self.height, self.width, 3), np.float32)
        out[..., 0] = y + 1.402 * v
        out[..., 1] = y - 0.344 * u - 0.714 * v
        out[..., 2] = y + 1.772 * u
        return np.clip(out, 0, 255, out=out).astype(np.uint8)

    def _grid(self, h: int, w: int, sub_y: int, sub_x: int) -> Grid:
        key = (h, w, sub_y, sub_x)
        grid = self._grids.get(key)
        if grid is None:
            # Two taps per axis, a quarter cell either side of each cell's centre.
            cell_y, cell_x = h / self.height, w / self.width
            cy = (np.arange(self.height) + 0.5) * cell_y
            cx = (np.arange(self.width) + 0.5) * cell_x
            ys = np.stack([cy - cell_y / 4, cy + cell_y / 4]).clip(0, h - 1).astype(np.intp)
            xs = np.stack([cx - cell_x / 4, cx + cell_x / 4]).clip(0, w - 1).astype(np.intp)
            grid = (ys, xs, ys >> sub_y, xs >> sub_x)
            self._grids[key] = grid
        return grid


def _plane(frame: av.VideoFrame, index: int) -> npt.NDArray[np.uint8]:
    plane = frame.planes[index]
    data: npt.NDArray[np.uint8] = np.frombuffer(memoryview(plane), np.uint8)
    return data.reshape(-1, plane.line_size)


def _taps(plane: npt.NDArray[np.uint8], ys: npt.NDArray[np.intp], xs: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
    """Average the 2×2 taps around each cell centre."""
    total = np.zeros((ys.shape[1], xs.shape[1]), np.float32)
    for row in ys:
        band = plane[row]
        for col in xs:
            total += band[:, col]
    return total * 0.25
