"""Generate spoken dialogues with known speaker turns (espeak-ng voices), for diarization tests.

`make_dialogue(seed, ...)` is deterministic for a seed: the same voices, words, gaps and
overlaps, so the reference turns it returns can be scored against. Each speaker is one
espeak-ng voice variant with its own pitch and speed; a turn is one synthesized sentence,
and its reference extent is the voiced part of the clip (leading/trailing silence trimmed).
Some turns start before the previous one ends (overlapped speech), some are short
back-channels ("yeah", "right") spoken over the other speaker.

Needs /usr/bin/espeak-ng; ffmpeg only for the optional mp4 (a still picture + the audio).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
ESPEAK = shutil.which("espeak-ng") or "/usr/bin/espeak-ng"

# (voice+variant, pitch 0..99, words per minute): male and female variants, spread in pitch.
VOICES: tuple[tuple[str, int, int], ...] = (
    ("en+m3", 30, 150),
    ("en+f2", 70, 170),
    ("en+m7", 48, 135),
    ("en+f4", 88, 160),
    ("en-us+m1", 20, 165),
    ("en+f1", 60, 145),
    ("en-us+m5", 40, 175),
    ("en+f5", 78, 155),
)

_WORDS = ("the project report shows that our team finished the first stage of the work last week and "
          "we still need more time for testing the new system before the market opens again people "
          "asked about the budget numbers and the meeting next month where the board will decide "
          "what happens with the old building near the river station our customers want better "
          "service faster delivery and lower prices so we should talk about training planning "
          "weather music travel history science cooking football gardening").split()
_BACKCHANNELS = ("yeah", "right", "okay", "I see", "sure", "really", "uh huh", "exactly")


@dataclass(frozen=True)
class Turn:
    """One reference speech turn: seconds from the start, speaker numbered from 1."""

    start_s: float
    end_s: float
    speaker: int


@dataclass(frozen=True)
class Dialogue:
    samples: np.ndarray  # float32 mono, 16 kHz
    turns: list[Turn]  # sorted by start; turns may overlap
    n_speakers: int
    wav: Path | None = None
    video: Path | None = None

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling of a short clip through the FFT."""
    n = len(x)
    m = int(round(n * rate_out / rate_in))
    spec = np.fft.rfft(x)
    out = np.fft.irfft(spec[: m // 2 + 1], m) * (m / n)
    return out.astype(np.float32)


@functools.lru_cache(maxsize=512)
def speak(text: str, voice: str, pitch: int, wpm: int) -> np.ndarray:
    """Synthesize `text` with espeak-ng: 16 kHz mono float32, silence trimmed at both ends."""
    raw = subprocess.run([ESPEAK, "-v", voice, "-p", str(pitch), "-s", str(wpm), "--stdout", text],
                         check=True, capture_output=True).stdout
    pcm = np.frombuffer(raw[44:], dtype="<i2").astype(np.float32) / 32768.0  # 22050 Hz WAV
    x = _resample(pcm, 22050, SAMPLE_RATE)
    frame = 160
    n = len(x) // frame
    energy = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1)) if n else np.zeros(0)
    voiced = np.nonzero(energy > 0.01)[0]
    if len(voiced) == 0:
        return np.zeros(0, dtype=np.float32)
    return x[voiced[0] * frame: (voiced[-1] + 1) * frame].copy()


def _sentence(rng: np.random.Generator, lo: int, hi: int) -> str:
    n = int(rng.integers(lo, hi + 1))
    return " ".join(str(w) for w in rng.choice(_WORDS, size=n))


def make_dialogue(seed: int, n_speakers: int = 2, duration_s: float = 60.0, overlap_rate: float = 0.15,
                  backchannel_rate: float = 0.1, noise_db: float = -50.0, out_dir: Path | None = None,
                  video: bool = False) -> Dialogue:
    """Build a dialogue of about `duration_s` seconds between `n_speakers` (1..8) voices.

    Writes `<out_dir>/dialogue-<seed>.wav` (16 kHz, 16-bit) when `out_dir` is given, and an mp4
    with a still picture beside it when `video` is true.
    """
    if not 1 <= n_speakers <= len(VOICES):
        raise ValueError(f"n_speakers must be 1..{len(VOICES)}")
    rng = np.random.default_rng(seed)
    voice_ids = rng.choice(len(VOICES), size=n_speakers, replace=False)
    # Speaker numbers follow order of first appearance: speaker 1 speaks first, then 2, ...
    clips: list[tuple[int, np.ndarray]] = []  # (start sample, clip)
    turns: list[Turn] = []
    t = float(rng.uniform(0.3, 1.0))
    current = 0
    seen = 1
    last_end = t
    while t < duration_s - 1.0:
        if n_speakers > 1 and turns:
            if seen < n_speakers:
                current = seen
                seen += 1
            else:
                others = [s for s in range(n_speakers) if s != current]
                current = int(rng.choice(others))
        voice, pitch, wpm = VOICES[int(voice_ids[current])]
        clip = speak(_sentence(rng, 4, 16), voice, pitch, wpm)
        start = int(t * SAMPLE_RATE)
        clips.append((start, clip))
        end_s = (start + len(clip)) / SAMPLE_RATE
        turns.append(Turn(start / SAMPLE_RATE, end_s, current + 1))
        last_end = max(last_end, end_s)
        # A back-channel from another speaker over the middle of this turn.
        if n_speakers > 1 and rng.random() < backchannel_rate and end_s - t > 2.5:
            other = int(rng.choice([s for s in range(seen) if s != current] or [current]))
            if other != current:
                v2, p2, w2 = VOICES[int(voice_ids[other])]
                bc = speak(str(rng.choice(_BACKCHANNELS)), v2, p2, w2)
                bstart = int(rng.uniform(t + 0.8, end_s - 1.2) * SAMPLE_RATE)
                clips.append((bstart, bc))
                turns.append(Turn(bstart / SAMPLE_RATE, (bstart + len(bc)) / SAMPLE_RATE, other + 1))
        if n_speakers > 1 and rng.random() < overlap_rate:
            t = end_s - float(rng.uniform(0.4, 1.5))  # the next speaker cuts in
        else:
            t = last_end + float(rng.uniform(0.15, 0.9))
    total = int((last_end + float(rng.uniform(0.5, 1.0))) * SAMPLE_RATE)
    mix = np.zeros(total, dtype=np.float32)
    for start, clip in clips:
        mix[start: start + len(clip)] += clip[: total - start]
    mix += (10 ** (noise_db / 20) * rng.standard_normal(total)).astype(np.float32)
    peak = float(np.max(np.abs(mix))) or 1.0
    mix *= 0.9 / peak
    turns.sort(key=lambda x: (x.start_s, x.speaker))
    wav_path = video_path = None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        wav_path = out_dir / f"dialogue-{seed}.wav"
        write_wav(wav_path, mix)
        if video:
            video_path = out_dir / f"dialogue-{seed}.mp4"
            write_still_video(wav_path, video_path)
    return Dialogue(mix, turns, n_speakers, wav_path, video_path)


def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write 16 kHz mono 16-bit PCM."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())


def write_still_video(wav: Path, out: Path) -> None:
    """Mux `wav` with a still 320x240 picture into an mp4 (H.264 + AAC)."""
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=navy:s=320x240:r=1", "-i", str(wav), "-shortest", "-c:v", "libx264",
                    "-tune", "stillimage", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", str(out)],
                   check=True)


def make_music(seed: int, duration_s: float = 20.0) -> np.ndarray:
    """A few bars of synthetic music (chords of harmonic tones with a beat), no speech."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * SAMPLE_RATE)
    out = np.zeros(n, dtype=np.float32)
    beat = int(0.5 * SAMPLE_RATE)
    t = np.arange(beat) / SAMPLE_RATE
    env = np.exp(-3.0 * t).astype(np.float32)
    for b in range(n // beat):
        root = 220.0 * 2 ** (int(rng.integers(0, 12)) / 12)
        note = np.zeros(beat, dtype=np.float32)
        for ratio in (1.0, 1.26, 1.5):
            for h in range(1, 5):
                note += (np.sin(2 * np.pi * root * ratio * h * t) / h).astype(np.float32)
        out[b * beat:(b + 1) * beat] = note * env
    out += 0.01 * rng.standard_normal(n).astype(np.float32)
    return (0.5 * out / float(np.max(np.abs(out)))).astype(np.float32)


@dataclass(frozen=True)
class DerResult:
    der: float  # (missed + false_alarm + confusion) / reference speech
    missed: float
    false_alarm: float
    confusion: float
    speech_s: float  # reference speech scored, seconds (speaker-weighted)


def diarization_error(reference: list[Turn], hypothesis: list[tuple[float, float, int]], duration_s: float,
                      collar_s: float = 0.0, step_s: float = 0.01) -> DerResult:
    """DER on a 10 ms grid with the speaker mapping that maximizes agreement (overlaps scored).

    With `collar_s`, frames within that distance of a reference turn boundary are not scored.
    `hypothesis` holds (start_s, end_s, speaker) triples.
    """
    import itertools

    n = int(np.ceil(duration_s / step_s)) + 1
    ref_ids = sorted({t.speaker for t in reference})
    hyp_ids = sorted({h[2] for h in hypothesis})
    ref = np.zeros((len(ref_ids), n), dtype=bool)
    hyp = np.zeros((len(hyp_ids), n), dtype=bool)
    scored = np.ones(n, dtype=bool)
    for t in reference:
        ref[ref_ids.index(t.speaker), int(round(t.start_s / step_s)): int(round(t.end_s / step_s))] = True
        if collar_s > 0:
            for edge in (t.start_s, t.end_s):
                scored[max(0, int(round((edge - collar_s) / step_s))): int(round((edge + collar_s) / step_s))] = False
    for s, e, spk in hypothesis:
        hyp[hyp_ids.index(spk), int(round(s / step_s)): int(round(e / step_s))] = True
    ref, hyp = ref[:, scored], hyp[:, scored]
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    total = float(n_ref.sum())
    size = max(len(ref_ids), len(hyp_ids), 1)
    co = np.zeros((size, size))
    co[: len(ref_ids), : len(hyp_ids)] = ref.astype(np.float64) @ hyp.T.astype(np.float64)
    best = 0.0
    if size <= 8:
        for perm in itertools.permutations(range(size)):
            best = max(best, float(co[np.arange(size), list(perm)].sum()))
    else:  # greedy for many speakers
        c = co.copy()
        for _ in range(size):
            i, j = divmod(int(np.argmax(c)), size)
            best += c[i, j]
            c[i, :] = -1
            c[:, j] = -1
    missed = float(np.maximum(n_ref - n_hyp, 0).sum())
    false_alarm = float(np.maximum(n_hyp - n_ref, 0).sum())
    confusion = float(np.minimum(n_ref, n_hyp).sum()) - best
    denom = max(total, 1.0)
    return DerResult((missed + false_alarm + confusion) / denom, missed / denom, false_alarm / denom,
                     confusion / denom, total * step_s)
