"""The visual pass: decode a video once and feed every frame analyzer from that decode.

Runs in a worker process. Per frame: PyAV decodes (threaded); the sampler shrinks the
frame to 128×72 straight from its planes; the shot detector, the frame log (features,
black segments), the sprite sheet and the keyframe candidates take what they need. At each
keyframe candidate the frame is also kept at ≤ 960 px for the OCR and faces stages
(core.visual.sampled_frames), so they need no decode of their own. Only the decoder's few
frames are ever alive at full size, so memory stays flat for any length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np
from threadpoolctl import threadpool_limits

from core.errors import MediaError
from core.media.probe import _reason, open_container, probe
from core.models import MediaInfo, Segment, Shot, Timeline
from core.visual.framelog import FrameLog
from core.visual.keyframes import KEYFRAME_WIDTH, KeyframeCandidates
from core.visual.sampled_frames import FOLDER as SAMPLED_FOLDER
from core.visual.sampled_frames import SampledFrameWriter
from core.visual.sampler import FrameSampler
from core.visual.shots import Boundary, ShotDetector
from core.visual.sprite import SpriteSheet

Progress = Callable[[float, str], None]
REPORT_EVERY = 15  # frames between progress reports (the reporter throttles writes)


@dataclass
class VisualResult:
    shots: list[Shot]
    boundaries: list[Boundary]
    timeline: Timeline | None
    black_segments: list[Segment]
    frames: int


def run_visual_pass(path: Path, video_id: str, media: MediaInfo, out_dir: Path,
                    progress: Progress) -> VisualResult:
    """Decode `path` once; write keyframes and the sprite into `out_dir`; return the results."""
    log = FrameLog(capacity=max(1024, (media.frame_count or 0) + 64))
    detector = ShotDetector(media.fps or 25.0)
    sampler = FrameSampler()
    sprite = SpriteSheet(media.duration_s, media.start_s, media.display_width, media.display_height,
                         media.rotation)
    candidates = KeyframeCandidates(out_dir / "keyframes", media.rotation)
    sampled = SampledFrameWriter(out_dir / SAMPLED_FOLDER, media)
    expected = media.frame_count or 0
    # The analyzers' small matrix products gain nothing from BLAS threads, and spinning
    # BLAS threads fight the decoder's threads for the cores (measured: 1.4× slower).
    try:
        with threadpool_limits(limits=1, user_api="blas"), open_container(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            key_w = min(KEYFRAME_WIDTH, media.width)
            key_h = max(2, round(media.height * key_w / max(1, media.width) / 2) * 2)
            step = 1.0 / media.fps if media.fps else 0.04
            time_s = media.start_s - step
            index = -1
            try:
                for index, frame in enumerate(container.decode(stream)):
                    time_s = float(frame.time) if frame.time is not None else time_s + step
                    rgb = sampler.rgb(frame)
                    motion = log.add(time_s, rgb)
                    detector.push(index, time_s, rgb)
                    want_tile, want_key = sprite.wants(time_s), candidates.wants(index, time_s, motion)
                    if want_tile or want_key:  # one downscale serves both
                        picture = np.asarray(frame.reformat(width=key_w, height=key_h, format="rgb24",
                                                            interpolation="BILINEAR").to_ndarray(), np.uint8)
                        if want_key:
                            candidates.add(index, time_s, picture)
                            sampled.add(time_s, frame)
                        if want_tile:
                            sprite.add(picture)
                    if index % REPORT_EVERY == 0:
                        total = f"{expected:,}" if expected else "?"
                        progress(min(media.fraction_at(time_s), 0.99), f"Frame {index + 1:,} of {total}")
            except av.error.FFmpegError as exc:
                if index < 0:
                    raise MediaError(str(path), f"the video stream cannot be decoded ({_reason(exc)})",
                                     "the file is probably damaged; copy or export it again") from exc
                # A damaged tail: keep what was decoded, like a player would.
        if log.count == 0:
            raise MediaError(str(path), "the video stream has no decodable frames",
                             "the file is probably truncated; copy or export it again")
        boundaries = detector.finish()
        shots = _shots(video_id, boundaries, log)
        candidates.choose(shots)
        timeline = sprite.save(out_dir / "timeline.jpg")
        sampled.finish()
        return VisualResult(shots, boundaries, timeline, log.black_segments(), log.count)
    except BaseException:
        candidates.discard()
        sampled.discard()
        raise


def detect_shots(path: Path, work_dir: Path) -> list[Boundary]:
    """The shot boundaries the visual stage finds in `path`: the whole visual pass, as a job
    runs it (its keyframes, sprite and sampled frames land in `work_dir`)."""
    return run_visual_pass(path, "", probe(path), work_dir, lambda _f, _m: None).boundaries


def _shots(video_id: str, boundaries: list[Boundary], log: FrameLog) -> list[Shot]:
    starts = [(0, "start")] + [(b.frame, b.kind) for b in boundaries if 0 < b.frame < log.count]
    shots = []
    for i, (start, kind) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else log.count
        end_s = float(log.time[stop]) if stop < log.count else log.end_time()
        rgb, brightness, motion = log.span_features(start, stop)
        shots.append(Shot(video_id=video_id, index=i, start_s=round(float(log.time[start]), 3),
                          end_s=round(end_s, 3), start_frame=start, end_frame=stop, transition=kind,
                          mean_rgb=rgb, brightness=brightness, motion=motion))
    return shots
