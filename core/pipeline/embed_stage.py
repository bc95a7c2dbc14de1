"""Stage: embed — cut transcript and on-screen text into passages and embed them for search."""

from __future__ import annotations

from pathlib import Path

from core.modelstore import MINILM, ModelLoader
from core.pipeline.stage import StageContext
from core.search.embedder import TextEmbedder
from core.search.passage_builder import build_passages

NOTHING = "Nothing to embed (no transcript or on-screen text)"
BATCH = 64


class EmbedStage:
    name = "embed"
    title = "Search embeddings"
    version = 1
    # ~150-250 passages/s on 2 cores; a minute of speech is ~10-20 passages (weight: small).
    weight = 2.0
    requires: tuple[str, ...] = ("probe",)
    uses: tuple[str, ...] = ("speech", "ocr", "captions")  # reads their output where there is any

    def __init__(self, data_dir: Path | None = None, cpu_threads: int = 2) -> None:
        """`data_dir` holds `models/`; by default the folder above the media cache."""
        self.data_dir = data_dir
        self.loader = ModelLoader(lambda store: TextEmbedder(store.files(MINILM.name), cpu_threads))

    def run(self, ctx: StageContext) -> None:
        video = ctx.video
        passages = build_passages(video.id, ctx.segments.for_video(video.id, "speech"),
                                  ctx.segments.for_video(video.id, "ocr"), ctx.segments.for_video(video.id, "caption"))
        store = ctx.segments.passages
        if not passages:
            store.replace_for_video(video.id, [], self.name, self.version)
            ctx.summary = NOTHING
            return
        ctx.report(0.0, "Loading the embedding model")
        embedder = self.loader.get(self.data_dir or ctx.data_dir)
        for first in range(0, len(passages), BATCH):
            batch = passages[first:first + BATCH]
            for passage, vector in zip(batch, embedder.embed([p.text for p in batch])):
                passage.vector = vector
            ctx.report((first + len(batch)) / len(passages), f"Embedded {first + len(batch)} of {len(passages)}")
        store.replace_for_video(video.id, passages, self.name, self.version)
        ctx.summary = f"{len(passages)} passages"
        ctx.report(1.0, ctx.summary)
