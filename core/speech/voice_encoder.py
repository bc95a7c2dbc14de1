"""GE2E speaker encoder (Resemblyzer's pretrained.pt) run in numpy: 256-d voice embeddings, no torch.

Resemblyzer 0.1.4 (Apache-2.0) ships `pretrained.pt`, a speaker encoder trained with the
generalized end-to-end loss: a 40-channel mel power spectrogram (25 ms window, 10 ms step at
16 kHz, librosa's Slaney mel scale and norm) of a 1.6 s "partial utterance" (160 frames) goes
through a 3-layer LSTM (hidden 256); the last layer's final hidden state -> linear 256->256 ->
ReLU -> L2 norm is the embedding (non-negative, unit norm; cosine similarity compares voices).

The checkpoint is in torch's legacy serialization (a sequence of pickles, then the raw tensor
storages). `load_checkpoint` reads it with a restricted unpickler that builds numpy arrays and
refuses every other class, so neither torch nor arbitrary code is involved. Runs in the worker
process, on the caller's thread; numpy (BLAS) matmuls, one per LSTM layer and time step over
the whole batch of partials.
"""

from __future__ import annotations

import collections
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s per partial utterance
_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
                   "LongStorage": np.int64, "IntStorage": np.int32, "ByteStorage": np.uint8}


# -- checkpoint -----------------------------------------------------------------------------

class _StorageType:
    def __init__(self, name: str) -> None:
        self.name = name


def _rebuild_tensor(storage: str, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any) -> tuple[
        str, str, int, tuple[int, ...], tuple[int, ...]]:
    return ("tensor", storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    """Builds tensors as placeholders; storages are read after the pickle. Refuses any other class."""

    def __init__(self, f: BinaryIO) -> None:
        super().__init__(f)
        self.storages: dict[str, tuple[str, int]] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"not a plain tensor checkpoint: {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        kind, storage_type, key, _location, numel = pid[:5]
        if kind != "storage" or (len(pid) > 5 and pid[5] is not None):
            raise pickle.UnpicklingError(f"unsupported storage: {pid!r}")
        self.storages.setdefault(str(key), (storage_type.name, int(numel)))
        return str(key)


def load_checkpoint(path: Path) -> dict[str, F32]:
    """The `model_state` tensors of a torch legacy-format checkpoint, as float32 numpy arrays."""
    with open(path, "rb") as f:
        if pickle.load(f) != _MAGIC:
            raise ValueError(f"{path}: not a torch legacy checkpoint")
        pickle.load(f)  # protocol version
        info = pickle.load(f)
        if not info.get("little_endian", True):
            raise ValueError(f"{path}: big-endian checkpoint")
        unpickler = _Unpickler(f)
        obj = unpickler.load()
        data: dict[str, npt.NDArray[Any]] = {}
        for key in pickle.load(f):
            type_name, numel = unpickler.storages[key]
            dtype = np.dtype(_STORAGE_DTYPES[type_name]).newbyteorder("<")
            count = int(np.frombuffer(f.read(8), "<i8")[0])
            if count != numel:
                raise ValueError(f"{path}: storage {key} has {count} elements, expected {numel}")
            data[key] = np.frombuffer(f.read(count * dtype.itemsize), dtype)

    def build(t: tuple[str, str, int, tuple[int, ...], tuple[int, ...]]) -> F32:
        _, key, offset, size, stride = t
        buf = data[key]
        view = np.lib.stride_tricks.as_strided(buf[offset:], shape=size, strides=[s * buf.itemsize for s in stride])
        return np.ascontiguousarray(view, dtype=np.float32)

    state = obj["model_state"]
    return {k: build(v) for k, v in state.items() if isinstance(v, tuple) and v and v[0] == "tensor"}


# -- front end --------------------------------------------------------------------------------

def _hz_to_mel(f: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log, lin)


def _mel_to_hz(m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))


def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> F32:
    """(n_mels, 1 + n_fft // 2) triangles on the Slaney mel scale with Slaney area norm, as librosa.filters.mel."""
    fft_hz = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(sr / 2.0)), n_mels + 2))
    fdiff = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_frames(samples: F32, block: int = 8192) -> F32:
    """(frames, 40) mel power spectrogram, frame i centred on sample i * 160 (reflect-padded, periodic Hann)."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) <= N_FFT // 2:
        samples = np.pad(samples, (0, N_FFT // 2 + 1 - len(samples)))
    n = 1 + len(samples) // HOP
    out = np.empty((n, N_MELS), dtype=np.float32)
    for b in range(0, n, block):
        out[b: b + block] = mel_at(samples, np.arange(b, min(n, b + block)))
    return out


def mel_at(samples: F32, frames: npt.NDArray[np.int64]) -> F32:
    """Rows `frames` of mel_frames(samples), computed from those frames' samples only.

    Frames past the end (index > len(samples) // 160) are zeros. `samples` must be longer than 200.
    """
    n = len(samples)
    valid = frames <= n // HOP
    idx = np.clip(frames, 0, n // HOP)[:, None] * HOP - N_FFT // 2 + np.arange(N_FFT)[None, :]
    idx = np.abs(idx)  # reflect padding, as numpy's "reflect" (and librosa's centred STFT)
    idx = np.where(idx >= n, 2 * (n - 1) - idx, idx)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    spec = np.fft.rfft(samples[idx] * window, axis=1)
    power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
    out = np.asarray(power @ mel_filterbank().T, dtype=np.float32)
    out[~valid] = 0.0
    return out


# -- network ----------------------------------------------------------------------------------

class VoiceEncoder:
    """embed(mels) -> (batch, 256) unit-norm embeddings of (batch, frames, 40) mel partials."""

    def __init__(self, weights: dict[str, F32]) -> None:
        self.layers: list[tuple[F32, F32, F32]] = []
        hsz = weights["lstm.weight_hh_l0"].shape[1]
        # torch's gate order is i, f, g, o; reorder to i, f, o, g so one sigmoid covers three gates.
        order = np.concatenate([np.arange(0, 2 * hsz), np.arange(3 * hsz, 4 * hsz), np.arange(2 * hsz, 3 * hsz)])
        for layer in range(3):
            w_ih = weights[f"lstm.weight_ih_l{layer}"][order]
            w_hh = weights[f"lstm.weight_hh_l{layer}"][order]
            bias = (weights[f"lstm.bias_ih_l{layer}"] + weights[f"lstm.bias_hh_l{layer}"])[order]
            self.layers.append((np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), bias.astype(np.float32)))
        self.w_out = np.ascontiguousarray(weights["linear.weight"].T)
        self.b_out = weights["linear.bias"].astype(np.float32)
        self.hidden = self.layers[0][1].shape[0]

    @classmethod
    def from_file(cls, path: Path) -> VoiceEncoder:
        return cls(load_checkpoint(path))

    def embed(self, mels: F32) -> F32:
        """Embeddings (batch, 256) of partials (batch, frames, 40); gate order i, f, g, o as in torch.nn.LSTM."""
        x = np.asarray(mels, dtype=np.float32)
        batch, steps, _ = x.shape
        hsz = self.hidden
        h = np.zeros((batch, hsz), dtype=np.float32)
        for n, (w_ih, w_hh, bias) in enumerate(self.layers):
            pre = (x.reshape(batch * steps, -1) @ w_ih + bias).reshape(batch, steps, 4 * hsz)
            last = n == len(self.layers) - 1
            seq = None if last else np.empty((batch, steps, hsz), dtype=np.float32)
            h = np.zeros((batch, hsz), dtype=np.float32)
            c = np.zeros((batch, hsz), dtype=np.float32)
            for t in range(steps):
                gates = h @ w_hh
                gates += pre[:, t]
                sig = gates[:, : 3 * hsz]
                np.multiply(sig, 0.5, out=sig)
                np.tanh(sig, out=sig)
                np.multiply(sig, 0.5, out=sig)
                np.add(sig, 0.5, out=sig)  # sigmoid(x) = 0.5 + 0.5 tanh(x / 2)
                g = np.tanh(gates[:, 3 * hsz:])
                c *= sig[:, hsz: 2 * hsz]
                c += sig[:, :hsz] * g
                h = sig[:, 2 * hsz: 3 * hsz] * np.tanh(c)
                if seq is not None:
                    seq[:, t] = h
            if seq is not None:
                x = seq
        raw = np.maximum(h @ self.w_out + self.b_out, 0.0)
        norm = np.linalg.norm(raw, axis=1, keepdims=True)
        return np.asarray(raw / np.maximum(norm, 1e-9), dtype=np.float32)

    def embed_partials(self, mel: F32, starts: npt.NDArray[np.int64], chunk: int = 64,
                       progress: Callable[[float], None] | None = None) -> F32:
        """Embeddings of the partials mel[s: s + 160] for each start s (zero-padded past the end)."""
        out = np.zeros((len(starts), self.w_out.shape[1]), dtype=np.float32)
        if len(starts) == 0:
            return out
        for b in range(0, len(starts), chunk):
            idx = starts[b: b + chunk][:, None] + np.arange(PARTIAL_FRAMES)[None, :]
            batch = mel[np.minimum(idx, len(mel) - 1)]
            batch[idx >= len(mel)] = 0.0
            out[b: b + len(idx)] = self.embed(batch)
            if progress:
                progress(min(1.0, (b + chunk) / len(starts)))
        return out


    def embed_audio(self, samples: F32, starts: npt.NDArray[np.int64], chunk: int = 64,
                    progress: Callable[[float], None] | None = None) -> F32:
        """embed_partials(mel_frames(samples), starts), computing only those partials' spectrograms."""
        out = np.zeros((len(starts), self.w_out.shape[1]), dtype=np.float32)
        for b in range(0, len(starts), chunk):
            idx = starts[b: b + chunk][:, None] + np.arange(PARTIAL_FRAMES)[None, :]
            mels = mel_at(samples, idx.ravel()).reshape(len(idx), PARTIAL_FRAMES, N_MELS)
            out[b: b + len(idx)] = self.embed(mels)
            if progress:
                progress(min(1.0, (b + chunk) / len(starts)))
        return out
