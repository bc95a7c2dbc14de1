"""Models manager: pinned model files from the user models dir or installed packages."""

from core.errors import ModelError
from core.modelstore.registry import MODELS, WHISPER_BASE, ModelFile, ModelSpec, PackagePart
from core.modelstore.store import ModelStatus, ModelStore

__all__ = ["MODELS", "WHISPER_BASE", "ModelError", "ModelFile", "ModelSpec", "ModelStatus", "ModelStore",
           "PackagePart"]
