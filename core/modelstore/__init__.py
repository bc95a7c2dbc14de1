"""Models manager: pinned model files from the user models dir or installed packages."""

from core.errors import ModelError
from core.modelstore.loader import ModelLoader
from core.modelstore.registry import (
    DLIB_FACES,
    HAAR_FRONTAL_FACE,
    MINILM,
    MODELS,
    PP_OCR,
    PYANNOTE_SEGMENTATION,
    RESEMBLYZER_ENCODER,
    WHISPER_BASE,
    ModelFile,
    ModelSpec,
    PackagePart,
)
from core.modelstore.store import ModelStatus, ModelStore

__all__ = ["DLIB_FACES", "HAAR_FRONTAL_FACE", "PYANNOTE_SEGMENTATION", "MINILM", "MODELS", "PP_OCR", "RESEMBLYZER_ENCODER", "WHISPER_BASE", "ModelError", "ModelFile", "ModelLoader", "ModelSpec",
           "ModelStatus", "ModelStore", "PackagePart"]
