"""The GE2E voice encoder (Resemblyzer's pretrained.pt) loaded and run in numpy, without torch."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from core.modelstore import RESEMBLYZER_ENCODER, ModelStore
from core.speech.voice_encoder import PARTIAL_FRAMES, VoiceEncoder, load_checkpoint, mel_filterbank, mel_frames
from tests.dialogues import VOICES, speak

_TEXTS = ("the project report shows that our team finished the first stage of the work last week",
          "people asked about the budget numbers and the meeting next month where the board will decide",
          "our customers want better service faster delivery and lower prices so we should talk about training")


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ModelStore(tmp_path_factory.mktemp("data")).files(RESEMBLYZER_ENCODER.name)["pretrained.pt"]


@pytest.fixture(scope="module")
def encoder(weights_file: Path) -> VoiceEncoder:
    return VoiceEncoder.from_file(weights_file)


def _voice(encoder: VoiceEncoder, text: str, voice: tuple[str, int, int]) -> np.ndarray:
    mel = mel_frames(speak(text, *voice))
    partials = encoder.embed_partials(mel, np.arange(0, max(1, len(mel) - PARTIAL_FRAMES + 1), 130))
    mean = partials.mean(axis=0)
    return np.asarray(mean / np.linalg.norm(mean))


def test_checkpoint_loads_without_torch(weights_file: Path) -> None:
    state = load_checkpoint(weights_file)

    assert "torch" not in sys.modules
    assert state["lstm.weight_ih_l0"].shape == (1024, 40) and state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256) and state["lstm.bias_ih_l1"].dtype == np.float32


def test_checkpoint_refuses_other_classes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    with open(bad, "wb") as f:
        for part in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(part, f, protocol=2)
        f.write(b"\x80\x02cos\nsystem\nq\x00.")  # a global other than tensors and storages

    with pytest.raises(pickle.UnpicklingError, match="os.system"):
        load_checkpoint(bad)


def test_mel_filterbank_is_librosas_slaney_bank() -> None:
    bank = mel_filterbank()  # librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney scale and norm
    # Slaney scale: 200/3 Hz per mel up to 1 kHz (15 mel), then a factor 6.4 every 27 mel.
    top = 15 + np.log(8000 / 1000) / (np.log(6.4) / 27)
    mels = np.linspace(0, top, 42)
    hz = np.where(mels < 15, mels * 200 / 3, 1000 * np.exp((mels - 15) * np.log(6.4) / 27))
    bins = np.linspace(0, 8000, 201)

    assert bank.shape == (40, 201) and (bank >= 0).all()
    # each triangle peaks at the bin nearest its centre frequency, with height 2 / (its width in Hz)
    for m in range(40):
        inside = (bins > hz[m]) & (bins < hz[m + 2])
        assert bank[m, ~inside].max(initial=0.0) == 0.0
        assert abs(bins[np.argmax(bank[m])] - hz[m + 1]) <= 40.0
        assert bank[m].max() <= 2 / (hz[m + 2] - hz[m]) + 1e-6
    # a 1 kHz tone lands in the filters around 1 kHz
    tone = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32)
    assert abs(hz[1 + int(np.argmax(mel_frames(tone)[50]))] - 1000) < 80


def test_embeddings_are_unit_norm_and_tell_similar_voices_apart(encoder: VoiceEncoder) -> None:
    # en+m7 (pitch 48) and en-us+m5 (pitch 40): two male voices close in pitch.
    a, b = VOICES[2], VOICES[6]
    ea = [_voice(encoder, t, a) for t in _TEXTS]
    eb = [_voice(encoder, t, b) for t in _TEXTS]
    raw = encoder.embed(np.abs(np.random.default_rng(0).standard_normal((3, 160, 40))).astype(np.float32))

    assert (raw >= 0).all() and np.allclose(np.linalg.norm(raw, axis=1), 1.0, atol=1e-5)
    same = min(float(x @ y) for group in (ea, eb) for i, x in enumerate(group) for y in group[i + 1:])
    cross = max(float(x @ y) for x in ea for y in eb)
    assert same > 0.85 and cross < same - 0.1


def test_partials_from_audio_match_the_whole_spectrogram(encoder: VoiceEncoder) -> None:
    samples = speak(_TEXTS[0], *VOICES[1])
    starts = np.array([0, 40, len(samples) // 160 - 60])  # the last one runs past the end

    whole = encoder.embed_partials(mel_frames(samples), starts)
    direct = encoder.embed_audio(samples, starts)

    assert np.allclose(whole, direct, atol=1e-4)
