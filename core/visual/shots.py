"""Detect shot boundaries (cuts, fades, dissolves) in a stream of small RGB frames.

The detector sees each frame once and keeps about 3 s of per-frame features (never whole
frames): 32x18 and 16x9 block-mean colour pictures, per-channel colour histograms of the
block means (so aliased fine detail does not move them), mean luma, spread and edges.
Consecutive frames are scored by mean block difference plus histogram earth-mover
distance, which is robust to noise and forgiving of motion.

- Cut: a score spike that stands out from the mean score on *both* sides (so motion and
  the onset of motion do not count), unless the picture returns within a few frames (a
  flash: a frame before the jump matches one after it).
- Fade: the picture goes black and comes back to stay; the boundary is the last darkest
  frame (the first frame of the new shot). A fade-out followed by a fade-in is one
  boundary; darkness at the start or end of the video, and a flash in the dark, are none.
- Dissolve: over a window of 0.6-2.2 s every frame lies near the straight line between
  the window's end frames in colour space (a cross-fade is a linear mix), the change just
  before and after the window is slower (a transition is an event, motion goes on), the
  ends differ in structure (1 - correlation), not just brightness, and one end has edges
  (smooth colour drifts are not dissolves); the boundary is where the mix passes 50 %.
Boundaries closer than MIN_SHOT_S are merged (fade beats cut beats dissolve), and the
first shot is no shorter than that either.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.visual.sampler import SMALL_H, SMALL_W

_F32 = np.float32


@dataclass(frozen=True)
class Boundary:
    """The start of a new shot."""

    frame: int  # index of the first frame of the new shot
    time_s: float  # PTS time of that frame
    kind: str  # "cut" | "fade" | "dissolve"


@dataclass
class _Feat:
    index: int
    time: float
    v32: np.ndarray  # (1728,) 18x32x3 block means, 0..1
    v16: np.ndarray  # (432,) 9x16x3 block means, 0..1
    cdf: np.ndarray  # (3, 32) per-channel cumulative histograms, 0..1
    luma: float  # mean luma, 0..255
    spread: float  # luma standard deviation, 0..255
    edges: float  # mean luma step between neighbouring 18x32 blocks, 0..255
    score: float = 0.0  # difference to the previous frame
    far: float = 0.0  # difference to the frame `_reach` frames earlier


@dataclass(frozen=True)
class _Candidate:
    frame: int
    time_s: float
    kind: str
    strength: float
    brightening: float = 1.0  # dissolves: mean luma after / before


_PRIORITY = ("dissolve", "cut", "fade")  # which kind wins when two are too close


def _distance(a: _Feat, b: _Feat) -> float:
    """Mean block difference plus mean per-channel histogram EMD (x4), both 0..~1."""
    pixel = float(np.abs(a.v32 - b.v32).mean())
    colour = float(np.abs(a.cdf - b.cdf).sum()) * (4.0 / 96.0)
    return pixel + colour


class ShotDetector:
    """Find shot boundaries in frames pushed one at a time, in order.

    push() takes the (72, 128, 3) uint8 frames of core.visual.sampler.FrameSampler; finish() flushes the
    delayed decisions and returns the boundaries in frame order.
    """

    version: int = 1

    CUT_MIN = 0.08  # smallest score that can be a cut
    CUT_RATIO = 3.0  # a cut's score / the mean score beside it
    SIDE = 5  # frames on each side for that mean
    FLASH_RETURN = 0.4  # before/after a flash differ by less than this x the spike
    FLASH_MAX = 5  # frames from the last frame before a flash to the first after it
    DARK = 14.0  # mean luma below this (and spread below DARK_SPREAD) is black
    DARK_SPREAD = 18.0
    DARK_EPS = 1.0  # luma within this of a dark run's minimum counts as its darkest
    DISSOLVE_S = (0.6, 1.0, 1.5, 2.2)  # dissolve windows, seconds
    DISSOLVE_MIN = 0.08  # smallest mean block change over a dissolve window
    DISSOLVE_RESIDUAL = 0.3  # largest distance of a frame from the mixing line (relative)
    DISSOLVE_STRUCTURE = 0.55  # smallest 1 - correlation of the two ends
    DISSOLVE_EDGES = 10.0  # one end must have edges at least this strong
    FADE_GUARD_S = 2.0  # a brightening "dissolve" this soon after a fade is its fade-in
    DISSOLVE_FLANK = 0.5  # change just before or after a dissolve, relative to inside it
    DISSOLVE_FLANK_MAX = 1.0  # ... on the busier side
    REACH_S = 0.3  # span of the "far" difference used for that comparison
    MIN_SHOT_S = 0.4

    def __init__(self, fps: float) -> None:
        self._fps = fps if fps and fps > 0 else 25.0
        self._windows = sorted({max(4, round(s * self._fps)) for s in self.DISSOLVE_S})
        self._lag = self.SIDE + 1
        self._reach = max(3, round(self.REACH_S * self._fps))
        self._buf: deque[_Feat] = deque(maxlen=self._windows[-1] + 2 * self._reach + self.FLASH_MAX + 2)
        self._group: list[_Candidate] = []  # windows seeing one dissolve, best first
        self._gap = max(1, round(self.MIN_SHOT_S * self._fps))
        self._candidates: list[_Candidate] = []
        self._pending = 0  # index in _buf of the next frame to judge as a cut
        self._seen_content = False
        self._dark: _Candidate | None = None  # darkest frame of the current dark run
        self._dark_min = 0.0
        self._dark_start: _Feat | None = None
        self._before_dark: _Feat | None = None
        self._after_dark: _Feat | None = None  # first frame back from the dark run
        # Block-mean pooling as two matrix products (much faster than reshape + mean).
        rows = np.kron(np.eye(SMALL_H // 4, dtype=_F32), np.full((1, 4), 0.25 / 255, _F32))
        cols = np.kron(np.eye(SMALL_W // 4, dtype=_F32), np.full((4, 1), 0.25, _F32))
        self._pool_rows = rows  # (18, 72)
        self._pool_cols = np.kron(cols, np.eye(3, dtype=_F32))  # (384, 96)
        self._hist_offset = np.array([0, 32, 64], dtype=np.uint8)
        self._luma_w = np.array([0.299, 0.587, 0.114], dtype=_F32) * 255

    # ------------------------------------------------------------------ input

    def push(self, index: int, time_s: float, rgb: np.ndarray) -> None:
        """Add the next frame (frames must come in decoding order)."""
        feat = self._features(index, time_s, rgb)
        if self._buf:
            feat.score = _distance(self._buf[-1], feat)
        if len(self._buf) >= self._reach:
            feat.far = _distance(self._buf[-self._reach], feat)
        if len(self._buf) == self._buf.maxlen:
            self._pending -= 1
        self._buf.append(feat)
        self._track_dark(feat)
        self._find_dissolve()
        while self._pending < len(self._buf) - self._lag:
            self._judge_cut(self._pending)
            self._pending += 1

    def finish(self) -> list[Boundary]:
        """Decide the frames still waiting and return all boundaries in order."""
        while self._pending < len(self._buf):
            self._judge_cut(self._pending)
            self._pending += 1
        self._flush_group()
        return self._merge()

    def _features(self, index: int, time_s: float, rgb: np.ndarray) -> _Feat:
        img = rgb.reshape(SMALL_H, SMALL_W * 3).astype(_F32)
        small = (self._pool_rows @ img) @ self._pool_cols  # (18, 96): 18x32 RGB, 0..1
        v32 = small.ravel()
        v16 = small.reshape(9, 2, 16, 2, 3).mean(axis=(1, 3)).ravel()
        luma = (small.reshape(-1, 3) @ self._luma_w).reshape(SMALL_H // 4, SMALL_W // 4)
        edges = float(np.abs(np.diff(luma, axis=0)).mean() + np.abs(np.diff(luma, axis=1)).mean())
        # Histograms of the block means, not of pixels: point-sampled fine detail aliases.
        quant = (small * 31.999).astype(np.uint8).reshape(-1, 3) + self._hist_offset
        hist = np.bincount(quant.ravel(), minlength=96).reshape(3, 32).astype(_F32)
        cdf = np.cumsum(hist, axis=1) / hist[0].sum()
        return _Feat(index, time_s, v32, v16, cdf, float(luma.mean()), float(luma.std()), edges)

    # ------------------------------------------------------------------ cuts

    def _judge_cut(self, i: int) -> None:
        buf = self._buf
        f = buf[i]
        if i == 0 or f.index == 0 or f.score < self.CUT_MIN:
            return
        before = [buf[j].score for j in range(max(1, i - self.SIDE), i) if buf[j].index > 0]
        after = [buf[j].score for j in range(i + 1, min(len(buf), i + 1 + self.SIDE))]
        near = [buf[j].score for j in range(max(1, i - 2), min(len(buf), i + 3))]
        if f.score < max(near):
            return
        base = max(float(np.mean(before)) if before else 0.0, float(np.mean(after)) if after else 0.0)
        ratio = f.score / (base + 0.02)
        if ratio < self.CUT_RATIO or self._is_flash(i):
            return
        self._candidates.append(_Candidate(f.index, f.time, "cut", ratio))

    def _is_flash(self, i: int) -> bool:
        """Whether frame i's jump is the start, inside or end of a flash: the picture before
        (frame p < i) comes back after it (frame q >= i), q - p <= FLASH_MAX."""
        buf = self._buf
        limit = self.FLASH_RETURN * buf[i].score
        for p in range(max(0, i - self.FLASH_MAX), i):
            for q in range(max(i, p + 2), min(len(buf), p + self.FLASH_MAX + 1)):
                if _distance(buf[p], buf[q]) < limit:
                    return True
        return False

    # ------------------------------------------------------------------ fades

    def _is_dark(self, f: _Feat) -> bool:
        return f.luma < self.DARK and f.spread < self.DARK_SPREAD

    def _is_dim(self, f: _Feat) -> bool:
        return f.luma < 2 * self.DARK and f.spread < self.DARK_SPREAD

    def _track_dark(self, f: _Feat) -> None:
        """Follow dark runs; a run counts once the picture has stayed back for a while
        (a flash in the dark is not the end of the darkness)."""
        if self._is_dark(f):
            if self._dark is None:
                self._dark = _Candidate(f.index, f.time, "fade", 1.0)
                self._dark_min = f.luma
                self._dark_start = f
                self._before_dark = self._buf[-2] if len(self._buf) > 1 else None
            elif f.luma <= self._dark_min + self.DARK_EPS:
                self._dark = _Candidate(f.index, f.time, "fade", 1.0)
                self._dark_min = min(self._dark_min, f.luma)
            self._after_dark = None
            return
        if self._dark is None:
            self._seen_content = True
            return
        if self._after_dark is None:
            self._after_dark = f
        if f.index - self._after_dark.index < self.FLASH_MAX:
            return
        if self._seen_content and not self._is_blink(self._after_dark):
            self._candidates.append(self._dark)
        self._dark = self._after_dark = None
        self._seen_content = True

    def _is_blink(self, after: _Feat) -> bool:
        """A few black frames cut into one shot: same picture before and after them."""
        start, before = self._dark_start, self._before_dark
        if start is None or before is None or after.index - start.index > self.FLASH_MAX:
            return False
        abrupt = start.score >= self.CUT_MIN and after.score >= self.CUT_MIN
        return abrupt and _distance(before, after) < self.FLASH_RETURN * after.score

    # ------------------------------------------------------------------ dissolves

    def _find_dissolve(self) -> None:
        """Test the windows that end `_reach` frames back (so the change after is known)."""
        buf, k = self._buf, self._reach
        e = len(buf) - 1 - k
        for w in self._windows:
            a = e - w
            if a - k < 0:
                break
            if float(np.abs(buf[e].v16 - buf[a].v16).mean()) < self.DISSOLVE_MIN:
                continue
            found = self._dissolve_in([buf[j] for j in range(a, e + 1)], buf[a].far, buf[-1].far)
            if found is not None:
                self._add_dissolve(found)

    def _add_dissolve(self, c: _Candidate) -> None:
        """Gather the windows that see the same dissolve (mid-points close together)."""
        group = self._group
        if group and abs(c.frame - group[0].frame) > self._gap:
            if c.frame < group[0].frame:
                self._candidates.append(c)  # a long window reaching back: merged later
                return
            self._flush_group()
        group.append(c)
        group.sort(key=lambda g: -g.strength)

    def _flush_group(self) -> None:
        """Keep the best window of the current dissolve."""
        if self._group:
            self._candidates.append(self._group[0])
            self._group = []

    def _dissolve_in(self, frames: Sequence[_Feat], before: float, after: float) -> _Candidate | None:
        """A dissolve spanning `frames` (first and last outside or at its ends), if any.

        before/after: the change over `_reach` frames up to the first / from the last frame.
        """
        first, last = frames[0], frames[-1]
        if any(self._is_dark(f) for f in frames) or self._is_dim(first) or self._is_dim(last):
            return None  # a fade through black, not a dissolve
        if max(first.edges, last.edges) < self.DISSOLVE_EDGES:
            return None  # smooth pictures: a colour drift is not told from a dissolve
        total = _distance(frames[0], frames[-1])
        if max(f.score for f in frames) > 0.4 * total:
            return None  # a jump inside or into the window: a cut or a flash
        rate = total * self._reach / (len(frames) - 1)
        if not self._flanks_ok(before / rate, after / rate):
            return None  # the picture changes as fast outside: motion, not a transition
        if self._structure_change(frames[0].v32, frames[-1].v32) < self.DISSOLVE_STRUCTURE:
            return None  # only brightness / contrast changed
        a, b = frames[0].v16, frames[-1].v16
        m = np.stack([f.v16 for f in frames]) - a
        d = b - a
        dd = float(d @ d)
        alpha = (m @ d) / dd
        resid = np.sqrt(np.maximum(((m * m).sum(axis=1) - alpha * alpha * dd), 0.0) / dd)
        worst = float(resid.max())
        if worst > self.DISSOLVE_RESIDUAL:
            return None
        if float(np.max(np.diff(alpha))) > 0.45 or int(((alpha > 0.2) & (alpha < 0.8)).sum()) < 2:
            return None
        mid = int(np.argmax(alpha >= 0.5))
        f = frames[mid]
        strength = total * (1.0 - worst / self.DISSOLVE_RESIDUAL)
        return _Candidate(f.index, f.time, "dissolve", strength, last.luma / max(first.luma, 1.0))

    def _flanks_ok(self, before: float, after: float) -> bool:
        return min(before, after) <= self.DISSOLVE_FLANK and max(before, after) <= self.DISSOLVE_FLANK_MAX

    @staticmethod
    def _structure_change(a: np.ndarray, b: np.ndarray) -> float:
        """1 - the mean per-channel correlation of two pictures (0 for gain/offset changes)."""
        za = a.reshape(-1, 3)
        zb = b.reshape(-1, 3)
        za = za - za.mean(axis=0)
        zb = zb - zb.mean(axis=0)
        corr = (za * zb).sum(axis=0) / (np.sqrt((za * za).sum(axis=0) * (zb * zb).sum(axis=0)) + 1e-6)
        return 1.0 - float(corr.mean())

    # ------------------------------------------------------------------ output

    def _merge(self) -> list[Boundary]:
        """Drop fade ramps taken for dissolves, then collapse candidates closer than
        MIN_SHOT_S, keeping the most trusted one."""
        cands = sorted(self._candidates, key=lambda c: c.frame)
        fades = [c.frame for c in cands if c.kind == "fade"]
        guard = self.FADE_GUARD_S * self._fps
        kept: list[_Candidate] = []
        for c in cands:
            if c.frame < self._gap or (c.kind == "dissolve" and self._is_fade_ramp(c, fades, guard)):
                continue  # the first shot is no shorter than the others
            if kept and c.frame - kept[-1].frame < self._gap:
                k = kept[-1]
                if (_PRIORITY.index(c.kind), c.strength) > (_PRIORITY.index(k.kind), k.strength):
                    kept[-1] = c
                continue
            kept.append(c)
        return [Boundary(c.frame, c.time_s, c.kind) for c in kept]

    @staticmethod
    def _is_fade_ramp(c: _Candidate, fades: Sequence[int], guard: float) -> bool:
        """A brightening just after a fade or a darkening just before one."""
        for f in fades:
            if 0 <= c.frame - f <= guard and c.brightening > 1.3:
                return True
            if 0 <= f - c.frame <= guard and c.brightening < 1 / 1.3:
                return True
        return False
