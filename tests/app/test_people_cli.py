"""People and speakers from a terminal: `vip analyze --json`, `vip people`, `vip search --person`.

One generated clip shows Obama, Biden, then Obama again (face photos, tests/data) over a
two-voice espeak-ng dialogue; real workers run every stage of the default analysis profile.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import run_vip
from tests.core.test_people import BIDEN, OBAMA, OBAMA2, compose
from tests.dialogues import make_dialogue, write_wav


def _clip(tmp_path: Path) -> Path:
    faces = compose(tmp_path / "faces.mp4", [OBAMA, BIDEN, OBAMA2], each_s=4.0)
    wav = tmp_path / "dialogue.wav"
    write_wav(wav, make_dialogue(seed=21, n_speakers=2, duration_s=12.0, overlap_rate=0.0,
                                 backchannel_rate=0.0).samples)
    clip = tmp_path / "interview.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(faces), "-i", str(wav), "-map", "0:v",
                    "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", str(clip)], check=True)
    return clip


def test_people_and_speakers_from_the_command_line(tmp_path: Path, vip_env: dict[str, str]) -> None:
    clip = _clip(tmp_path)
    analysed = run_vip(["analyze", "--json", "--project", "Interviews", str(clip)], vip_env, timeout=400)
    assert analysed.returncode == 0, analysed.stderr
    record = json.loads(analysed.stdout.splitlines()[-1])
    assert record["stages"]["people"] == "succeeded" and record["stages"]["speakers"] == "succeeded"
    people = {p["name"] for p in record["people"]}
    assert people == {"Person 1", "Person 2"}, record["people"]
    assert [p["start_s"] < 4.0 or p["start_s"] >= 8.0 for p in record["people"]].count(True) == 2
    assert {s["label"] for s in record["speakers"]} == {"S1", "S2"}
    assert {line["speaker_name"] for line in record["transcript"]} == {"Speaker 1", "Speaker 2"}

    listed = run_vip(["people", "--json"], vip_env)
    assert listed.returncode == 0, listed.stderr
    cards = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(c["display_name"], c["appearances"]) for c in cards] == [("Person 1", 2), ("Person 2", 1)]

    renamed = run_vip(["people", "rename", "Person 1", "Barack Obama"], vip_env)
    assert renamed.returncode == 0 and "Person 1 is now Barack Obama" in renamed.stdout, renamed.stderr
    found = run_vip(["search", "--person", "obama", "--json"], vip_env)
    assert found.returncode == 0, found.stderr
    hits = [h for line in found.stdout.splitlines() for h in json.loads(line)["hits"]]
    assert [h["start_s"] < 4.0 or h["start_s"] >= 8.0 for h in hits] == [True, True], hits
    nobody = run_vip(["search", "--person", "nobody at all"], vip_env)
    assert nobody.returncode == 1 and "No results" in nobody.stdout

    shot_list = run_vip(["export", str(clip), "--format", "json"], vip_env)
    assert shot_list.returncode == 0, shot_list.stderr
    exported = json.loads(shot_list.stdout)
    assert {p["name"] for p in exported["people"]} == {"Barack Obama", "Person 2"}

    subtitles = run_vip(["export", str(clip), "--format", "srt"], vip_env)
    assert subtitles.returncode == 0, subtitles.stderr
    spoken = [line for line in subtitles.stdout.splitlines() if ": " in line and "-->" not in line]
    assert spoken and all(line.startswith(("Speaker 1: ", "Speaker 2: ")) for line in spoken), subtitles.stdout
    plain = run_vip(["export", str(clip), "--format", "srt", "--no-speakers"], vip_env)
    assert plain.returncode == 0 and "Speaker 1:" not in plain.stdout
    untranslated = run_vip(["export", str(clip), "--format", "vtt", "--track", "both"], vip_env)
    assert untranslated.returncode == 1 and "has no translation" in untranslated.stderr
