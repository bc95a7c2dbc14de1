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


class FrameSampler:
    """Turn decoded frames into (SMALL_H, SMALL_W, 3) uint8 RGB arrays (one instance per video)."""

    def __init__(self, width: int = SMALL_W, height: int = SMALL_H) -> None:
        self.width = width
        self.height = height
        self._grids: dict[tuple[int, int, int, int, int], npt.NDArray[np.intp]] = {}

    def rgb(self, frame: av.VideoFrame) -> npt.NDArray[np.uint8]:
        layout = _PLANAR_YUV.get(frame.format.name)
        if layout is None:
            small = frame.reformat(width=self.width, height=self.height, format="rgb24",
                                   interpolation="AREA").to_ndarray()
            return np.asarray(small, dtype=np.uint8)
        sub_y, sub_x, full_range = layout
        y = self._taps(frame, 0, 0, 0)
        u = self._taps(frame, 1, sub_y, sub_x) - 128.0
        v = self._taps(frame, 2, sub_y, sub_x) - 128.0
        if not full_range:
            y = (y - 16.0) * 1.164
            u *= 1.138
            v *= 1.138
        out = np.empty((self.height, self.width, 3), np.float32)
        out[..., 0] = y + 1.402 * v
        out[..., 1] = y - 0.344 * u - 0.714 * v
        out[..., 2] = y + 1.772 * u
        return np.clip(out, 0, 255, out=out).astype(np.uint8)

    def _taps(self, frame: av.VideoFrame, index: int, sub_y: int, sub_x: int) -> npt.NDArray[np.float32]:
        """Average the 2×2 taps around each cell centre of one plane (one gather for all)."""
        plane = frame.planes[index]
        key = (frame.height, frame.width, sub_y, sub_x, plane.line_size)
        flat = self._grids.get(key)
        if flat is None:
            flat = self._tap_indices(frame.height, frame.width, sub_y, sub_x, plane.line_size)
            self._grids[key] = flat
        data: npt.NDArray[np.uint8] = np.frombuffer(memoryview(plane), np.uint8)
        taps = np.take(data, flat)  # (4, height * width)
        total = taps.sum(axis=0, dtype=np.uint16).reshape(self.height, self.width)
        result: npt.NDArray[np.float32] = total.astype(np.float32) * np.float32(0.25)
        return result

    def _tap_indices(self, h: int, w: int, sub_y: int, sub_x: int, stride: int) -> npt.NDArray[np.intp]:
        # Two taps per axis, a quarter cell either side of each cell's centre.
        cell_y, cell_x = h / self.height, w / self.width
        cy = (np.arange(self.height) + 0.5) * cell_y
        cx = (np.arange(self.width) + 0.5) * cell_x
        ys = np.stack([cy - cell_y / 4, cy + cell_y / 4]).clip(0, h - 1).astype(np.intp) >> sub_y
        xs = np.stack([cx - cell_x / 4, cx + cell_x / 4]).clip(0, w - 1).astype(np.intp) >> sub_x
        return np.stack([(row[:, None] * stride + col[None, :]).ravel() for row in ys for col in xs])
