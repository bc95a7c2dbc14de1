"""Diarization on generated espeak-ng dialogues: who spoke when, and transcript lines labelled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.modelstore import PYANNOTE_SEGMENTATION, RESEMBLYZER_ENCODER, ModelStore
from core.speech import diarization
from core.speech.diarization import Diarizer, SpeakerTurn, assign_speakers
from core.speech.voice_encoder import VoiceEncoder
from tests.dialogues import Dialogue, diarization_error, make_dialogue, make_music


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    return ModelStore(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def diarizer(store: ModelStore) -> Diarizer:
    """The shipped design: GE2E voice embeddings + MFCC/pitch linking."""
    encoder = VoiceEncoder.from_file(store.files(RESEMBLYZER_ENCODER.name)["pretrained.pt"])
    return Diarizer(store.files(PYANNOTE_SEGMENTATION.name)["segmentation-3.0.onnx"], threads=2,
                    voice_encoder=encoder)


@pytest.fixture(scope="module")
def two_voices() -> Dialogue:
    return make_dialogue(seed=21, n_speakers=2, duration_s=45)


def _hyp(turns: list[SpeakerTurn]) -> list[tuple[float, float, int]]:
    return [(t.start_s, t.end_s, t.speaker) for t in turns]


def test_two_speakers_found_with_low_error(diarizer: Diarizer, two_voices: Dialogue) -> None:
    progress: list[float] = []
    turns = diarizer.diarize(two_voices.samples, progress.append)

    assert {t.speaker for t in turns} == {1, 2}
    assert turns[0].speaker == 1 and turns == sorted(turns, key=lambda t: t.start_s)
    result = diarization_error(two_voices.turns, _hyp(turns), two_voices.duration_s)
    assert result.der < 0.12, result
    # Without speaker linking (all speech one speaker) the error is about half the speech.
    one = diarization_error(two_voices.turns, [(s, e, 1) for s, e, _ in _hyp(turns)], two_voices.duration_s)
    assert one.der > 0.4
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_three_speakers_counted(diarizer: Diarizer) -> None:
    dialogue = make_dialogue(seed=15, n_speakers=3, duration_s=60)

    turns = diarizer.diarize(dialogue.samples)

    assert len({t.speaker for t in turns}) == 3
    assert diarization_error(dialogue.turns, _hyp(turns), dialogue.duration_s).der < 0.15


def test_voice_embeddings_count_voices_mfcc_merges(diarizer: Diarizer, store: ModelStore) -> None:
    # Tuning dialogue 29 (4 voices, 120 s): MFCC + pitch linking alone finds 3 speakers (DER ~38 %);
    # with the GE2E voice embeddings all 4 are found (~11 %). Fails if the embedding network is dropped.
    dialogue = make_dialogue(seed=29, n_speakers=4, duration_s=120)
    mfcc = Diarizer(store.files(PYANNOTE_SEGMENTATION.name)["segmentation-3.0.onnx"], threads=2, linking="mfcc")

    turns = diarizer.diarize(dialogue.samples)
    mfcc_turns = mfcc.diarize(dialogue.samples)

    assert len({t.speaker for t in turns}) == 4 and len({t.speaker for t in mfcc_turns}) == 3
    der = diarization_error(dialogue.turns, _hyp(turns), dialogue.duration_s).der
    assert der < 0.2
    assert der < diarization_error(dialogue.turns, _hyp(mfcc_turns), dialogue.duration_s).der - 0.1


def test_ge2e_linking_needs_an_encoder(store: ModelStore) -> None:
    with pytest.raises(ValueError, match="voice_encoder"):
        Diarizer(store.files(PYANNOTE_SEGMENTATION.name)["segmentation-3.0.onnx"], threads=1)


def test_transcript_lines_get_the_speaker_who_talks(diarizer: Diarizer, two_voices: Dialogue) -> None:
    turns = diarizer.diarize(two_voices.samples)
    lines = [(t.start_s, t.end_s) for t in two_voices.turns if t.end_s - t.start_s > 1.0]
    truth = [t.speaker for t in two_voices.turns if t.end_s - t.start_s > 1.0]

    labels = assign_speakers(lines, turns)

    # Speakers are numbered by first appearance in both, so they match without a mapping.
    agree = sum(a == b for a, b in zip(labels, truth))
    assert agree >= 0.9 * len(lines)
    assert assign_speakers([(two_voices.duration_s + 5, two_voices.duration_s + 6)], turns) == [None]


def test_assign_speakers_takes_the_longest_overlap() -> None:
    turns = [SpeakerTurn(0.0, 4.0, 1), SpeakerTurn(3.0, 9.0, 2), SpeakerTurn(8.5, 10.0, 1)]

    labels = assign_speakers([(0.5, 3.5), (2.5, 6.0), (8.0, 10.0), (12.0, 13.0)], turns)

    assert labels == [1, 2, 1, None]


@pytest.mark.parametrize("kind", ["silence", "noise", "music"])
def test_no_speech_gives_no_turns(diarizer: Diarizer, kind: str) -> None:
    rng = np.random.default_rng(5)
    samples = {
        "silence": np.zeros(20 * 16000, dtype=np.float32),
        "noise": (0.05 * rng.standard_normal(20 * 16000)).astype(np.float32),
        "music": make_music(seed=3, duration_s=20),
    }[kind]

    assert diarizer.diarize(samples) == []


def test_one_speaker_stays_one_speaker(diarizer: Diarizer) -> None:
    dialogue = make_dialogue(seed=201, n_speakers=1, duration_s=40)

    turns = diarizer.diarize(dialogue.samples)

    assert turns and {t.speaker for t in turns} == {1}


def test_dialogue_files_are_written(tmp_path: Path) -> None:
    dialogue = make_dialogue(seed=3, n_speakers=2, duration_s=8, out_dir=tmp_path, video=True)

    assert dialogue.wav is not None and dialogue.wav.stat().st_size == 44 + 2 * len(dialogue.samples)
    assert dialogue.video is not None and dialogue.video.stat().st_size > 0
    again = make_dialogue(seed=3, n_speakers=2, duration_s=8)
    assert again.turns == dialogue.turns and np.array_equal(again.samples, dialogue.samples)
    assert {t.speaker for t in dialogue.turns} == {1, 2}


def test_clustering_is_capped_for_long_files(diarizer: Diarizer, two_voices: Dialogue,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # Long files cluster at most _MAX_CLUSTERED runs and attach the rest; with a tiny cap the
    # dialogue still comes out right.
    monkeypatch.setattr(diarization, "_MAX_CLUSTERED", 12)

    turns = diarizer.diarize(two_voices.samples)

    assert {t.speaker for t in turns} == {1, 2}
    assert diarization_error(two_voices.turns, _hyp(turns), two_voices.duration_s).der < 0.2


def test_resegmentation_moves_frames_to_the_voice_they_sound_like() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    truth = (np.arange(n) // 500) % 2  # speaker 0, 1, 0, 1 in blocks of 500 frames
    feats = rng.standard_normal((n, 20)).astype(np.float32)
    feats[:, :-1] += np.where(truth[:, None] == 1, 1.5, -1.5).astype(np.float32)
    feats[:, -1] = np.where(truth == 1, 7.5, 6.8)  # log2 pitch: ~180 Hz and ~110 Hz
    activity = np.zeros((2, n), dtype=bool)
    activity[0, :] = truth == 0
    activity[1, :] = truth == 1
    activity[:, 400:600] = activity[::-1, 400:600]  # a wrong boundary: 100 frames each way
    out, _ = diarization._resegment(feats, activity, 60.0, 4, 1.0)

    assert (out[1] == (truth == 1)).mean() > 0.98
