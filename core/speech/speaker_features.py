"""Speaker features in numpy: frame MFCCs, pooled turn embeddings, constrained clustering.

A local speaker of one segmentation window is described by the mean and spread of its MFCCs
over the frames where it speaks alone, and the median of its pitch (core.speech.diarization
adds GE2E voice embeddings from core.speech.voice_encoder to these). Runs in the worker process, on the caller's thread; pure numpy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

_N_FFT = 512
_N_MELS = 40
_N_CEPS = 20
_BLOCK = 4096  # frames per FFT block, so long files need little memory


def _mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 60.0, fmax: float = 7600.0) -> F64:
    def hz_to_mel(f: F64 | float) -> F64:
        return np.asarray(2595.0 * np.log10(1.0 + np.asarray(f) / 700.0), dtype=np.float64)

    mels = np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    bank = np.zeros((n_mels, len(bins)))
    for m in range(n_mels):
        lo, mid, hi = hz[m], hz[m + 1], hz[m + 2]
        up = (bins - lo) / (mid - lo)
        down = (hi - bins) / (hi - mid)
        bank[m] = np.maximum(0.0, np.minimum(up, down))
    return bank


def _dct_matrix(n_in: int, n_out: int) -> F64:
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    return np.asarray(np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)), dtype=np.float64)


def mfcc_frames(samples: F32, hop: int, n_frames: int, sample_rate: int = 16000, center_offset: int = 0) -> F32:
    """MFCCs c1..c19 and log2 pitch for frames centred at `center_offset + i * hop`, shape (n_frames, 20).

    The last column is log2 of the fundamental frequency (60-400 Hz, from the normalized
    autocorrelation), NaN where the frame is not voiced.
    """
    window = np.hanning(_N_FFT).astype(np.float32)
    bank = _mel_filterbank(sample_rate, _N_FFT, _N_MELS).T.astype(np.float32)
    dct = _dct_matrix(_N_MELS, _N_CEPS)[1:].T.astype(np.float32)
    pad = _N_FFT // 2
    n_y = min(len(samples), center_offset + n_frames * hop + _N_FFT)  # samples used
    out = np.empty((n_frames, _N_CEPS), dtype=np.float32)
    lags = np.arange(sample_rate // 400, sample_rate // 60 + 1)
    for b in range(0, n_frames, _BLOCK):
        idx = center_offset + np.arange(b, min(n_frames, b + _BLOCK)) * hop
        # Pre-emphasized samples for this block only (frame i starts `pad` samples before its centre).
        lo, hi = int(idx[0]) - pad, int(idx[-1]) - pad + _N_FFT
        x = np.zeros(hi - lo, dtype=np.float32)
        a, e = max(lo, 0), min(hi, n_y)
        if e > a:
            part = samples[a:e].astype(np.float32)
            if a > 0:
                part -= 0.97 * samples[a - 1: e - 1]
            else:
                part[1:] -= 0.97 * samples[: e - 1]
            x[a - lo: e - lo] = part
        frames = x[(idx - pad - lo)[:, None] + np.arange(_N_FFT)[None, :]] * window
        power = np.abs(np.fft.rfft(frames, axis=1)).astype(np.float32) ** 2
        logmel = np.log(power @ bank + 1e-8)
        out[b: b + len(idx), :-1] = logmel @ dct
        acf = np.fft.irfft(np.abs(np.fft.rfft(frames, 2 * _N_FFT, axis=1)) ** 2, axis=1)
        peak = acf[:, lags]
        best = np.argmax(peak, axis=1)
        strength = peak[np.arange(len(idx)), best] / np.maximum(acf[:, 0], 1e-9)
        f0 = np.log2(sample_rate / lags[best]).astype(np.float32)
        out[b: b + len(idx), -1] = np.where((strength > 0.45) & (acf[:, 0] > 1e-4), f0, np.nan)
    return out


def pooled_embedding(feats: F32) -> F64:
    """Mean and standard deviation of MFCCs, then median and spread of voiced log2 pitch (NaN if none)."""
    f = feats[:, :-1].astype(np.float64)
    pitch = feats[:, -1][np.isfinite(feats[:, -1])].astype(np.float64)
    if len(pitch) >= 5:
        lo, med, hi = np.percentile(pitch, [25, 50, 75])
        tone = np.array([med, hi - lo])
    else:
        tone = np.array([np.nan, np.nan])
    return np.concatenate([f.mean(axis=0), f.std(axis=0), tone])


def agglomerate(dist: F64, cannot_link: npt.NDArray[np.bool_], threshold: float, max_clusters: int = 8) -> npt.NDArray[np.int64]:
    """Average-linkage clustering from a distance matrix, labels 0..k-1.

    Rows marked in `cannot_link` (two voices heard at once) never share a cluster.
    Merging stops when the closest pair is farther than `threshold`, and goes on past it
    while more than `max_clusters` clusters remain (and a merge is allowed).
    """
    n = len(dist)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    dist = dist.astype(np.float64, copy=True)
    dist[cannot_link] = np.inf
    np.fill_diagonal(dist, np.inf)
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    label = np.arange(n)
    clusters = n
    while clusters > 1:
        flat = int(np.argmin(dist))
        i, j = divmod(flat, n)
        d = dist[i, j]
        if not np.isfinite(d) or (d > threshold and clusters <= max_clusters):
            break
        # Lance-Williams update for average linkage; inf (cannot-link) propagates.
        merged = (size[i] * dist[i] + size[j] * dist[j]) / (size[i] + size[j])
        merged[~alive] = np.inf
        merged[i] = np.inf
        merged[j] = np.inf
        dist[i] = merged
        dist[:, i] = merged
        dist[j] = np.inf
        dist[:, j] = np.inf
        size[i] += size[j]
        alive[j] = False
        label[label == j] = i
        clusters -= 1
    _, relabelled = np.unique(label, return_inverse=True)
    return np.asarray(relabelled, dtype=np.int64)
