"""Generate the labelled shot-boundary benchmark set with ffmpeg.

Every clip is one ffmpeg filter graph built from lavfi sources (testsrc2, smptebars,
mandelbrot, life, cellauto, gradients, sierpinski, colorchart, colorspectrum, testsrc),
each scene recoloured and overlaid with light temporal noise, joined by:

- cuts: ``concat``;
- dissolves: ``xfade`` with transition ``fade`` (a linear cross-dissolve) or ``dissolve``
  (ffmpeg's dithered pixel dissolve);
- fades: ``fade=out`` on the end of one scene, an optional black hold, ``fade=in`` on the
  next, or ``xfade`` with transition ``fadeblack``.

Distractors that must not count as boundaries: flashes (1-3 white, over-exposed or
decaying frames), fast pans, zooms, rotation, shake, a fast moving box, slow brightness
ramps, and the noise on every frame.

Ground truth comes from how a clip is built (frame counts), not from analysing it:
- cut: the first frame of the new scene;
- fade out/in: the first frame of the new scene (its fade-in starts fully black);
  span = first fade-out frame .. last fade-in frame;
- xfade at offset o for d frames (frame o is still all old scene, o + d all new scene):
  a dissolve at o + d // 2; a fadeblack at its darkest frame, computed from ffmpeg's
  formula (about o + d / 5); span = o .. o + d.
``verify_clip`` decodes a clip and checks that the frames agree with that (cuts are the
largest frame difference nearby, fades are dark there, dissolves have no jump).

Run ``python benchmarks/shotset.py [FOLDER [VARIANT]]`` to build and verify the set
(about 30 s on 2 cores; existing files are kept).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

W, H = 640, 360
CATEGORIES = ("cuts", "fades", "dissolves", "flashes", "motion", "mixed")
CLIPS_PER_CATEGORY = 4
#: Bump when the generated clips change, so stale cached files are not reused.
SET_VERSION = 1


@dataclass(frozen=True)
class Truth:
    """One true boundary: `frame` is the first frame of the new shot (or mid-transition)."""

    frame: int
    kind: str  # "cut" | "fade" | "dissolve"
    lo: int  # first frame of the transition (== frame for cuts)
    hi: int  # last frame of the transition (== frame for cuts)


@dataclass(frozen=True)
class Clip:
    """A generated benchmark video and its ground truth."""

    path: Path
    category: str
    fps: int
    n_frames: int
    boundaries: tuple[Truth, ...]
    distractors: tuple[tuple[int, str], ...] = ()


@dataclass
class _Scene:
    chain: str  # filter chain producing W x H frames (before trimming)
    n: int
    effects: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # (frame in scene, what)


# ---------------------------------------------------------------- scene sources


def _source(rng: random.Random, name: str, fps: int, w: int = W, h: int = H) -> str:
    s = f"s={w}x{h}:r={fps}"
    seed = rng.randrange(1, 10_000)

    def col() -> str:
        return "0x%02X%02X%02X" % tuple(rng.randrange(256) for _ in range(3))

    if name == "testsrc2":
        return f"testsrc2={s}"
    if name == "testsrc":
        return f"testsrc={s}"
    if name == "bars":
        return f"smptebars={s}"
    if name == "mandelbrot":
        x, y = rng.choice([(-0.743643887, 0.131825904), (-1.25066, 0.02012), (-0.16, 1.0405)])
        return f"mandelbrot={s}:start_x={x}:start_y={y}:start_scale={rng.uniform(0.5, 3):.3f}"
    if name == "life":
        return (f"life={s}:mold=10:ratio=0.1:seed={seed}:life_color={col()}"
                f":death_color={col()}:mold_color={col()}")
    if name == "cellauto":
        rule = rng.choice([30, 90, 110, 150])
        return f"cellauto={s}:rule={rule}:random_fill_ratio=0.5:seed={seed},lutrgb=r=val*{rng.uniform(0.3, 1):.2f}:g=val*{rng.uniform(0.3, 1):.2f}:b=val*{rng.uniform(0.3, 1):.2f}"
    if name == "gradients":
        return f"gradients={s}:c0={col()}:c1={col()}:c2={col()}:nb_colors=3:seed={seed}:speed=0.02"
    if name == "sierpinski":
        return f"sierpinski={s}:seed={seed}:type={rng.choice(['carpet', 'triangle'])}"
    if name == "chart":
        return f"colorchart=r={fps}:preset={rng.choice(['reference', 'skintones'])},scale={w}:{h}"
    if name == "spectrum":
        return f"colorspectrum={s}:type={rng.choice(['black', 'white', 'all'])}"
    raise ValueError(name)


SOURCES = ("testsrc2", "testsrc", "bars", "mandelbrot", "life", "cellauto", "gradients",
           "sierpinski", "chart", "spectrum")
# Sources that stay textured when seen through a moving crop.
PANNABLE = ("testsrc2", "testsrc", "bars", "chart", "spectrum", "gradients")


def _scene(rng: random.Random, fps: int, n: int, prev: str | None) -> tuple[_Scene, str]:
    """A static-camera scene from a source different from `prev`."""
    name = rng.choice([s for s in SOURCES if s != prev])
    chain = _source(rng, name, fps) + f",hue=h={rng.randrange(0, 360, 30)}"
    return _Scene(chain, n), name


def _motion_scene(rng: random.Random, fps: int, n: int, prev: str | None, how: str) -> tuple[_Scene, str]:
    """A scene with fast camera-like motion (`how`: pan, zoom, rotate, shake, box)."""
    name = rng.choice([s for s in PANNABLE if s != prev])
    # Periods chosen so the fastest motion is about 20-45 px per frame at 640 px wide.
    p1, p2 = rng.uniform(2.0, 3.5), rng.uniform(1.6, 3.0)
    if how == "pan":
        src = _source(rng, name, fps, 2 * W, 2 * H)
        chain = f"{src},crop={W}:{H}:x='{W // 2}+{W // 2 - 20}*sin(2*PI*t/{p1:.2f})':y='{H // 2}+{H // 2 - 10}*sin(2*PI*t/{p2:.2f})'"
    elif how == "zoom":
        src = _source(rng, name, fps, 2 * W, 2 * H)
        chain = f"{src},scale=w='trunc({W}*(1.6+0.55*sin(2*PI*t/{p1:.2f}))/2)*2':h=-2:eval=frame,crop={W}:{H}"
    elif how == "rotate":
        src = _source(rng, name, fps, 800, 800)
        chain = f"{src},rotate=a='{rng.choice([-1, 1]) * rng.uniform(0.6, 1.2):.2f}*t',crop={W}:{H}"
    elif how == "shake":
        src = _source(rng, name, fps, W + 240, H + 140)
        chain = f"{src},crop={W}:{H}:x='120+35*sin(t*19)+20*sin(t*31)':y='70+25*sin(t*23)+12*sin(t*37)'"
    elif how == "box":
        src = _source(rng, name, fps)
        chain = (f"{src},drawbox=x='260+250*sin(2*PI*t/{p2:.2f})':y='120+100*sin(2*PI*t/{p1:.2f})'"
                 f":w=200:h=150:color=0x{rng.randrange(1 << 24):06X}@1:t=fill")
    else:
        raise ValueError(how)
    chain += f",hue=h={rng.randrange(0, 360, 30)}"
    return _Scene(chain, n, notes=[(0, how)]), name


def _add_flash(rng: random.Random, sc: _Scene, at: int) -> None:
    """Overlay a 1-3 frame flash starting at scene frame `at`."""
    kind = rng.choice(["white", "bright", "decay", "partial"])
    k = rng.randint(1, 3)
    b = at + k - 1
    if kind == "white":
        sc.effects.append(f"drawbox=x=0:y=0:w=iw:h=ih:color=white@1:t=fill:enable='between(n,{at},{b})'")
    elif kind == "bright":
        sc.effects.append(f"eq=brightness='if(between(n,{at},{b}),0.6,0)':eval=frame")
    elif kind == "decay":
        k = 3
        sc.effects.append(f"eq=brightness='if(between(n,{at},{at + 2}),0.8*pow(0.45,n-{at}),0)':eval=frame")
    else:
        sc.effects.append(f"drawbox=x=0:y=0:w=iw*0.7:h=ih:color=white@0.85:t=fill:enable='between(n,{at},{b})'")
    sc.notes.append((at, f"flash-{kind}x{k}"))


def _add_ramp(rng: random.Random, sc: _Scene) -> None:
    """Slowly change brightness/contrast over the whole scene (never near black)."""
    d = rng.choice([-0.3, -0.25, 0.25])
    sc.effects.append(f"eq=brightness='{d}*n/{sc.n}':contrast='1+{d}*n/{sc.n}':eval=frame")
    sc.notes.append((0, "brightness-ramp"))


# ---------------------------------------------------------------- plans


def _transition(rng: random.Random, category: str, fps: int) -> tuple[str, int, int, int]:
    """A transition (kind, a, b, c) typical of `category`, lengths in frames."""

    def sec(lo: float, hi: float) -> int:
        return int(round(rng.uniform(lo, hi) * fps))

    cut = ("cut", 0, 0, 0)
    if category in ("cuts", "flashes", "motion"):
        return cut
    if category == "fades":
        return rng.choice([("fade", sec(0.4, 1.2), sec(0, 0.6), sec(0.4, 1.2)),
                           ("fade", sec(0.4, 1.0), 0, sec(0.4, 1.0)),
                           ("fadeblack", sec(0.6, 1.6), 0, 0), cut])
    if category == "dissolves":
        return rng.choice([("fade_x", sec(0.5, 2.0), 0, 0), ("fade_x", sec(0.5, 2.0), 0, 0),
                           ("dissolve_x", sec(0.5, 1.5), 0, 0), cut])
    return rng.choice([cut, cut, ("fade", sec(0.4, 1.0), sec(0, 0.4), sec(0.4, 1.0)),
                       ("fadeblack", sec(0.6, 1.4), 0, 0),
                       ("fade_x", sec(0.5, 1.6), 0, 0), ("dissolve_x", sec(0.5, 1.2), 0, 0)])


def _frames_in(t: tuple[str, int, int, int]) -> int:
    """Frames at the start of the new scene that the transition covers."""
    return {"cut": 0, "none": 0, "fade": t[3]}.get(t[0], t[1])


def _frames_out(t: tuple[str, int, int, int]) -> int:
    """Frames at the end of the old scene that the transition covers."""
    return 0 if t[0] in ("cut", "none") else t[1]


def _plan(category: str, idx: int, variant: str = "") -> tuple[int, list[_Scene], list[tuple[str, int, int, int]]]:
    """Scenes and transitions (kind, a, b, c) for one clip; deterministic per
    (category, idx, variant).

    Every scene keeps at least 0.8 s that no transition touches; flashes go only there.
    """
    rng = random.Random(f"shotset-{SET_VERSION}-{category}-{idx}{variant}")
    fps = rng.choice([24, 25, 30])

    def sec(lo: float, hi: float) -> int:
        return int(round(rng.uniform(lo, hi) * fps))

    target = int(rng.uniform(9, 18) * fps)
    held = int(0.8 * fps)
    trans: list[tuple[str, int, int, int]] = [("none", 0, 0, 0)]
    lengths: list[int] = []
    while sum(lengths) < target:
        if category == "motion":
            n = sec(2.5, 5.0)
        elif category in ("flashes", "mixed"):
            n = sec(1.5, 3.5)
        else:
            n = sec(0.6, 2.5)
        lengths.append(max(n, _frames_in(trans[-1]) + held))
        trans.append(_transition(rng, category, fps))
    trans.pop()  # the last scene has no successor
    for i in range(len(lengths) - 1):
        lengths[i] = max(lengths[i], _frames_in(trans[i]) + held + _frames_out(trans[i + 1]))
    scenes: list[_Scene] = []
    prev: str | None = None
    for i, n in enumerate(lengths):
        motion = category == "motion" or (category == "mixed" and rng.random() < 0.3)
        if motion:
            how = rng.choice(["pan", "zoom", "rotate", "shake", "box"])
            sc, prev = _motion_scene(rng, fps, n, prev, how)
        else:
            sc, prev = _scene(rng, fps, n, prev)
        lo = _frames_in(trans[i]) + 6
        hi = n - (_frames_out(trans[i + 1]) if i + 1 < len(lengths) else 0) - 12
        if category == "flashes" or (category in ("motion", "mixed") and rng.random() < 0.35):
            at = rng.randint(lo, max(lo, (lo + hi) // 2))
            while at <= hi:
                _add_flash(rng, sc, at)
                at += rng.randint(int(0.6 * fps), int(1.6 * fps))
                if category != "flashes":
                    break
        if (category == "motion" and rng.random() < 0.5) or (category == "flashes" and rng.random() < 0.2):
            _add_ramp(rng, sc)
        scenes.append(sc)
    return fps, scenes, trans


def _fadeblack_darkest(d: int) -> int:
    """Frame (from the xfade offset) where ffmpeg's fadeblack is darkest.

    xfade's fadeblack mixes mix(A, black, smoothstep(0.8, 1, p)) and
    mix(black, B, smoothstep(0.2, 1, p)) by progress p = 1 - k/d (ffmpeg's vf_xfade.c),
    so for A = B = 1 the brightness is p*s(0.8, 1, p) + (1-p)*(1 - s(0.2, 1, p)).
    """
    def s(e0: float, e1: float, x: float) -> float:
        t = min(max((x - e0) / (e1 - e0), 0.0), 1.0)
        return t * t * (3 - 2 * t)

    def level(k: int) -> float:
        p = 1 - k / d
        return p * s(0.8, 1, p) + (1 - p) * (1 - s(0.2, 1, p))

    return min(range(d + 1), key=level)


def _graph(fps: int, scenes: Sequence[_Scene], trans: Sequence[tuple[str, int, int, int]]
           ) -> tuple[str, list[Truth], list[tuple[int, str]], int]:
    """The filter graph, ground truth, distractors and frame count of a planned clip."""
    parts: list[str] = []
    truth: list[Truth] = []
    notes: list[tuple[int, str]] = []
    tail = f"settb=1/{fps},setpts=N"
    for i, sc in enumerate(scenes):
        eff = "".join("," + e for e in sc.effects)
        parts.append(f"{sc.chain},scale={W}:{H},setsar=1,format=yuv420p{eff},"
                     f"noise=alls=4:allf=t,trim=end_frame={sc.n},{tail}[s{i}]")
    cur, length = "s0", scenes[0].n
    notes += scenes[0].notes
    for i in range(1, len(scenes)):
        kind, a, b, c = trans[i]
        sc, out = scenes[i], f"c{i}"
        start = length  # where scene i's own frame 0 lands (for cut / fade)
        if kind == "cut":
            parts.append(f"[{cur}][s{i}]concat=n=2:v=1:a=0,{tail}[{out}]")
            truth.append(Truth(length, "cut", length, length))
            length += sc.n
        elif kind == "fade":
            parts.append(f"[{cur}]fade=t=out:start_frame={length - a}:nb_frames={a}[o{i}]")
            parts.append(f"[s{i}]fade=t=in:start_frame=0:nb_frames={c}[f{i}]")
            if b:
                parts.append(f"color=c=black:s={W}x{H}:r={fps},format=yuv420p,"
                             f"trim=end_frame={b},{tail}[k{i}]")
                parts.append(f"[o{i}][k{i}][f{i}]concat=n=3:v=1:a=0,{tail}[{out}]")
            else:
                parts.append(f"[o{i}][f{i}]concat=n=2:v=1:a=0,{tail}[{out}]")
            start = length + b
            truth.append(Truth(start, "fade", length - a, start + c))
            length = start + sc.n
        else:  # xfade: fadeblack / fade_x / dissolve_x
            transition = {"fadeblack": "fadeblack", "fade_x": "fade", "dissolve_x": "dissolve"}[kind]
            o = length - a
            parts.append(f"[{cur}][s{i}]xfade=transition={transition}:duration={a / fps:.6f}"
                         f":offset={o / fps:.6f},{tail}[{out}]")
            if kind == "fadeblack":
                truth.append(Truth(o + _fadeblack_darkest(a), "fade", o, o + a))
            else:
                truth.append(Truth(o + a // 2, "dissolve", o, o + a))
            start = o
            length = o + sc.n
        notes += [(start + f, what) for f, what in sc.notes]
        cur = out
    return ";".join(parts), truth, sorted(notes), length


# ---------------------------------------------------------------- build and verify


def clip_specs(folder: Path, variant: str = "") -> list[tuple[Clip, str]]:
    """Every clip of the set with its filter graph (nothing is generated).

    `variant` reseeds the random plan: the same kinds of clips, different ones (a
    held-out set for checking that the detector was not tuned to the default one).
    """
    specs = []
    prefix = f"v{SET_VERSION}{'-' + variant if variant else ''}"
    for category in CATEGORIES:
        for idx in range(CLIPS_PER_CATEGORY):
            fps, scenes, trans = _plan(category, idx, variant)
            graph, truth, notes, length = _graph(fps, scenes, trans)
            path = folder / f"{prefix}-{category}-{idx:02d}.mp4"
            specs.append((Clip(path, category, fps, length, tuple(truth), tuple(notes)), graph))
    return specs


def _render(clip: Clip, graph: str) -> None:
    last = graph.rsplit("[", 1)[1].rstrip("]")
    tmp = clip.path.with_suffix(".part.mp4")
    cmd = ["ffmpeg", "-v", "error", "-y", "-filter_complex", graph, "-map", f"[{last}]",
           "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
           "-threads", "1", "-movflags", "+faststart", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed for {clip.path.name}: {proc.stderr.strip()[-2000:]}")
    tmp.replace(clip.path)


def build_shotset(folder: Path, jobs: int = 2, variant: str = "") -> list[Clip]:
    """Generate the clips missing from `folder` and return the whole labelled set.

    Existing files are reused (their names carry SET_VERSION and `variant`); a manifest
    with the ground truth is written beside them for people.
    """
    folder.mkdir(parents=True, exist_ok=True)
    specs = clip_specs(folder, variant)
    todo = [(c, g) for c, g in specs if not c.path.exists()]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(lambda cg: _render(*cg), todo))
    clips = [c for c, _ in specs]
    manifest = [{"file": c.path.name, "category": c.category, "fps": c.fps, "frames": c.n_frames,
                 "boundaries": [[t.frame, t.kind, t.lo, t.hi] for t in c.boundaries],
                 "distractors": [list(d) for d in c.distractors]} for c in clips]
    name = f"manifest-v{SET_VERSION}{'-' + variant if variant else ''}.json"
    (folder / name).write_text(json.dumps(manifest, indent=1))
    return clips


def sampled_frames(path: Path) -> Iterator[tuple[int, float, Any]]:
    """(index, time, 72x128 RGB) of every frame, as the visual pass samples them
    (core.visual.sampler.FrameSampler)."""
    import av

    from core.visual.sampler import FrameSampler

    sampler = FrameSampler()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in enumerate(container.decode(stream)):
            yield index, float(frame.time or 0.0), sampler.rgb(frame)


def verify_clip(clip: Clip) -> list[str]:
    """Decode `clip` and return the ways its frames disagree with its ground truth."""
    import numpy as np

    lum = np.stack([rgb.astype(np.float32).mean(axis=2) for _, _, rgb in sampled_frames(clip.path)])
    problems = []
    if len(lum) != clip.n_frames:
        problems.append(f"{len(lum)} frames decoded, {clip.n_frames} planned")
    diff = np.r_[0.0, np.abs(np.diff(lum, axis=0)).mean(axis=(1, 2))]
    for t in clip.boundaries:
        if t.kind == "cut":
            near = diff[max(0, t.frame - 3): t.frame + 4]
            if diff[t.frame] < near.max() or diff[t.frame] < 1.5 * np.median(near):
                problems.append(f"cut at {t.frame}: frame diffs nearby {np.round(near, 1).tolist()}")
        else:
            jump = np.abs(lum[t.hi] - lum[t.lo]).mean()
            steps = diff[t.lo + 1: t.hi + 1]
            if t.kind == "fade" and lum[t.frame - 1: t.frame + 2].mean(axis=(1, 2)).min() > 20:
                problems.append(f"fade at {t.frame}: not dark")
            if t.kind == "dissolve" and steps.max() > 0.5 * jump:
                problems.append(f"dissolve at {t.frame}: a jump inside {t.lo}..{t.hi}")
    return problems


def main(argv: Sequence[str]) -> int:
    """Build the set into argv[0] (default: ~/.cache/vip-shotset) and verify every clip;
    argv[1], if given, is the variant."""
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    folder = Path(argv[0]) if argv else Path.home() / ".cache" / "vip-shotset"
    t0 = time.monotonic()
    clips = build_shotset(folder, variant=argv[1] if len(argv) > 1 else "")
    print(f"{len(clips)} clips in {folder} ({time.monotonic() - t0:.1f} s)")
    bad = 0
    for clip in clips:
        problems = verify_clip(clip)
        bad += bool(problems)
        print(f"{clip.path.name}: {clip.fps} fps, {clip.n_frames} frames, "
              f"{len(clip.boundaries)} boundaries, {len(clip.distractors)} distractors"
              + ("".join("\n  " + p for p in problems) if problems else " - ok"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
