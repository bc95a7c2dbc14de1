"""`vip analyze` and `vip jobs` as a user runs them: real processes, real workers, real database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_vip
from tests.core.test_speech import speech_clip  # noqa: F401 (fixture)
from tests.media import MediaSet

pytestmark = pytest.mark.slow


def test_analyze_batch_with_bad_inputs(media: MediaSet, vip_env: dict[str, str]) -> None:
    bad = [media.missing, media.empty, media.text, media.truncated, media.audio_only]
    paths = [media.good, *bad, media.mkv]
    result = run_vip(["analyze", "--json", "--project", "Batch", *map(str, paths)], vip_env)
    assert result.returncode == 1, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    by_path = {Path(r["path"]).name: r for r in records}
    assert [Path(r["path"]) for r in records] == paths
    assert by_path["good.mp4"]["status"] == "succeeded"
    assert by_path["good.mp4"]["media"]["duration_s"] == pytest.approx(4.0, abs=0.1)
    assert by_path["good.mp4"]["media"]["width"] == 320
    assert Path(by_path["good.mp4"]["poster"]).is_file()
    assert by_path["clip.mkv"]["status"] == "succeeded"
    expected = {
        media.missing.name: "file not found",
        media.empty.name: "the file is empty (0 bytes)",
        media.text.name: "not a readable video",
        media.truncated.name: "not a readable video",
        media.audio_only.name: "contains no video stream",
    }
    for name, problem in expected.items():
        record = by_path[name]
        assert record["status"] == "failed", record
        assert record["error"]["type"] == "MediaError"
        assert problem in record["error"]["message"] and name in record["error"]["message"]


def test_analyze_human_output_and_reimport(media: MediaSet, vip_env: dict[str, str], tmp_path: Path) -> None:
    copy = tmp_path / "copy of good.mp4"
    copy.write_bytes(media.good.read_bytes())
    first = run_vip(["analyze", str(media.good)], vip_env)
    assert first.returncode == 0, first.stderr
    assert "ok      " in first.stdout and "0:04  320×240  25 fps  h264+aac" in first.stdout
    assert "1 of 1 videos analysed" in first.stdout
    again = run_vip(["analyze", "--json", str(copy)], vip_env)
    record = json.loads(again.stdout.splitlines()[0])
    assert record["status"] == "succeeded"
    jobs = run_vip(["jobs", "--json"], vip_env)
    listed = [json.loads(line) for line in jobs.stdout.splitlines()]
    assert len(listed) == 2 and {j["video_id"] for j in listed} == {record["video_id"]}
    assert listed[0]["stages"][0]["status"] == "skipped"  # same content, stage up to date
    assert {"id", "status", "stages", "progress", "eta_s", "attempts", "heartbeat_at", "error"} <= set(listed[0])


def test_analyze_with_no_videos_in_folder(tmp_path: Path, vip_env: dict[str, str]) -> None:
    (tmp_path / "empty-folder").mkdir()
    result = run_vip(["analyze", str(tmp_path / "empty-folder")], vip_env)
    assert result.returncode == 2
    assert "no video files found" in result.stderr


def test_embedded_database_is_started_and_stopped_without_orphans(media: MediaSet, tmp_path: Path,
                                                                  vip_env: dict[str, str]) -> None:
    env = dict(vip_env)
    env.pop("VIP_MONGO_URI")
    env["VIP_DATA_DIR"] = str(tmp_path / "embedded")
    env["VIP_WORKERS"] = "1"
    result = run_vip(["analyze", "--json", str(media.good)], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "succeeded"
    assert not (tmp_path / "embedded" / "db" / "server.json").exists()
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "embedded")], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "processes left behind: " + leftovers.stdout
    logs = list((tmp_path / "embedded" / "logs").glob("*.log"))
    assert any(p.name.startswith("analyze-") for p in logs) and any(p.name.startswith("worker-") for p in logs)
    worker_lines = [json.loads(line) for p in logs if p.name.startswith("worker-")
                    for line in p.read_text().splitlines()]
    started = [e for e in worker_lines if e["event"] == "job_started"]
    assert started and started[0]["job_id"] and started[0]["video_id"]  # bound inside the task
    assert any(e["logger"].startswith("huey") for e in worker_lines)  # library logs, same file


def test_missing_ferretdb_gives_install_command(media: MediaSet, tmp_path: Path, vip_env: dict[str, str]) -> None:
    env = dict(vip_env)
    env.pop("VIP_MONGO_URI")
    env["VIP_FERRETDB"] = str(tmp_path / "nowhere" / "ferretdb")
    result = run_vip(["analyze", str(media.good)], env)
    assert result.returncode == 3
    assert "scripts/setup.sh" in result.stderr and "VIP_MONGO_URI" in result.stderr


def test_analyze_json_includes_shots_and_export_formats(tmp_path: Path, vip_env: dict[str, str]) -> None:
    from core.export import parse_edl
    from tests.media import make_cut_video

    clip = make_cut_video(tmp_path / "three shots.mp4", (2.0, 1.5, 2.5))
    result = run_vip(["analyze", "--json", str(clip)], vip_env)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert [s["start_frame"] for s in record["shots"]] == [0, 50, 88]
    assert record["timeline"]["interval_s"] == 1.0 and record["stages"] == {
        "probe": "succeeded", "visual": "succeeded", "speech": "succeeded", "ocr": "succeeded",
        "captions": "succeeded", "embed": "succeeded", "summary": "succeeded", "faces": "succeeded",
        "speakers": "succeeded", "people": "succeeded"}
    assert all(set(t) == {"start_s", "end_s", "text"} and t["text"] for t in record["on_screen_text"])

    edl = run_vip(["export", str(clip), "--format", "edl"], vip_env)
    assert edl.returncode == 0, edl.stderr
    assert [event[1] for event in parse_edl(edl.stdout)] == ["00:00:00:00", "00:00:02:00", "00:00:03:13"]
    csv_out = run_vip(["export", record["video_id"], "--format", "csv", "-o", str(tmp_path / "shots.csv")], vip_env)
    assert csv_out.returncode == 0 and (tmp_path / "shots.csv").read_text().count("\n") == 4
    sheet = run_vip(["export", "three shots.mp4", "--format", "contact-sheet", "-o", str(tmp_path / "s.jpg")],
                    vip_env)
    assert sheet.returncode == 0, sheet.stderr
    assert (tmp_path / "s.jpg").stat().st_size > 1000
    missing = run_vip(["export", "no-such-video.mp4", "--format", "csv"], vip_env)
    assert missing.returncode == 2 and "No video matches" in missing.stderr
    assert record["transcript"] == []
    srt = run_vip(["export", str(clip), "--format", "srt"], vip_env)
    assert srt.returncode == 1 and "no subtitles" in srt.stderr and "no speech" in srt.stderr
    summary = run_vip(["export", str(clip), "--format", "summary-md"], vip_env)
    assert summary.returncode == 0, summary.stderr
    assert "*Local extractive summary" in summary.stdout and "- **0:00** Shots 1–3" in summary.stdout
    as_json = json.loads(run_vip(["export", str(clip), "--format", "summary-json"], vip_env).stdout)
    assert as_json["source"] == "local-extractive" and as_json["chapters"][0]["title"] == "Shots 1–3"

    # Editing software: the cuts as blue markers on the whole clip; selects as subclips with handles.
    import opentimelineio as otio

    timeline = otio.adapters.read_from_string(run_vip(["export", str(clip), "--format", "otio"], vip_env).stdout,
                                              "otio_json")
    (whole,) = list(timeline.find_clips())
    assert whole.media_reference.target_url == clip.absolute().as_uri()
    cuts = [round(m.marked_range.start_time.value) for m in whole.markers if m.color == otio.schema.MarkerColor.BLUE]
    assert cuts == [0, 50, 88]
    assert [m.name for m in whole.markers if m.color == otio.schema.MarkerColor.RED] == ["Shots 1–3"]  # the chapter
    picked = run_vip(["selects", f"{clip}@2.0-3.0=middle", "three shots.mp4@0-0.5", "--format", "xmeml",
                      "--handles", "5", "-o", str(tmp_path / "selects.xml")], vip_env)
    assert picked.returncode == 0, picked.stderr
    back = otio.adapters.read_from_file(str(tmp_path / "selects.xml"), "fcp_xml")
    assert [(c.name, round(c.source_range.start_time.value), round(c.source_range.duration.value))
            for c in back.find_clips()] == [("middle", 45, 35), ("three shots.mp4 0-0.5", 0, 17)]
    assert run_vip(["selects", "clip.mp4:1-2", "--format", "otio"], vip_env).returncode == 2
    youtube = run_vip(["export", str(clip), "--format", "youtube-chapters"], vip_env)
    assert youtube.returncode == 1 and "YouTube needs at least 3 chapters" in youtube.stderr


def test_the_cli_offers_every_export_format() -> None:
    from app.cli import EXPORT_FORMATS
    from core.export import FORMATS

    assert EXPORT_FORMATS == list(FORMATS)


def test_summary_says_a_failure_shared_by_many_videos_once() -> None:
    import io

    from app.analyze_cli import _print_summary
    from core.models import Job, JobStatus, Video
    from core.models.job import JobError

    missing = "Model 'whisper-base': not installed — run `bash scripts/setup.sh`"
    rows = []
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        video = Video(project_id="p", path=f"/v/{name}", fingerprint=name, size_bytes=1)
        job = Job(kind="analyze", video_id=video.id, project_id="p", stages=[], status=JobStatus.FAILED,
                  error=JobError("ModelError", missing))
        rows.append((f"/v/{name}", video, job))
    broken = Video(project_id="p", path="/v/d.mp4", fingerprint="d", size_bytes=1)
    rows.append(("/v/d.mp4", broken, Job(kind="analyze", video_id=broken.id, project_id="p", stages=[],
                                         status=JobStatus.FAILED, error=JobError("MediaError", "/v/d.mp4: truncated"))))
    out = io.StringIO()
    _print_summary(rows, out)
    text = out.getvalue()
    assert text.count(missing) == 1
    assert "3 videos, all for the same reason" in text and all(f"/v/{n}" in text for n in "abc")
    assert "/v/d.mp4: truncated" in text
    assert text.rstrip().endswith("0 of 4 videos analysed, 4 failed")


def test_the_summary_says_when_two_files_are_one_video() -> None:
    import io

    from app.analyze_cli import _print_summary
    from core.models import Job, JobStatus, Video
    from core.models.job import JobError

    video = Video(project_id="p", path="/v/clip.mp4", fingerprint="f", size_bytes=1)
    job = Job(kind="analyze", video_id=video.id, project_id="p", stages=[], status=JobStatus.FAILED,
              error=JobError("MediaError", "/v/clip.mp4: not a readable video"))
    out = io.StringIO()
    _print_summary([("/v/clip.mp4", video, job), ("/v/copy.txt", video, job)], out)
    text = out.getvalue()
    assert "failed  /v/clip.mp4\n" in text and "all for the same reason" not in text
    assert "same    /v/copy.txt\n        the same content as /v/clip.mp4: analysed once" in text
    assert text.rstrip().endswith("0 of 1 videos analysed, 1 failed; 1 file with the same content as another")


def test_search_finds_what_was_said_and_rebuild_gives_the_same(
        vip_env: dict[str, str], tmp_path: Path, speech_clip: tuple[Path, float]) -> None:
    clip, onset = speech_clip
    analysed = run_vip(["analyze", "--json", "--project", "Talks", str(clip)], vip_env)
    assert analysed.returncode == 0, analysed.stderr
    assert json.loads(analysed.stdout)["stages"]["embed"] == "succeeded"

    def search(*args: str) -> tuple[int, list[dict[str, object]]]:
        result = run_vip(["search", "--json", *args], vip_env)
        return result.returncode, [json.loads(line) for line in result.stdout.splitlines()]

    code, found = search("sunshine or rain tomorrow", "--project", "Talks")  # meaning alone: none of its words is said
    assert code == 0 and len(found) == 1 and Path(str(found[0]["path"])) == clip
    hits = found[0]["hits"]
    assert isinstance(hits, list)
    weather = next(h for h in hits if "weather" in h["text"])
    assert weather["modality"] == "speech" and abs(weather["start_s"] - onset) < 2.5
    assert weather["seek_s"] == max(0.0, weather["start_s"] - 1.0)
    assert search("weather", "--kind", "text") == (1, [])  # it was said, not shown
    assert search("weather", "--min-duration", "60") == (1, [])  # the clip is 7 s long
    assert search("weather", "--max-duration", "60")[0] == 0
    assert search("weather", "--since", "2999-01-01") == (1, [])  # imported today
    assert search("weather", "--until", "2999-01-01")[0] == 0
    plain = run_vip(["search", "weather", "--project", "Talks"], vip_env)  # each moment says why it matched
    assert plain.returncode == 0 and any("spoken" in line and "[words: weather" in line
                                         for line in plain.stdout.splitlines()), plain.stdout
    nothing = run_vip(["search", "submarine volcano", "--project", "Talks"], vip_env)
    assert nothing.returncode == 1 and nothing.stdout == "No results for “submarine volcano”\n"
    unknown = run_vip(["search", "weather", "--project", "Nope"], vip_env)
    assert unknown.returncode == 2 and "no project named 'Nope'" in unknown.stderr

    rebuilt = run_vip(["index", "rebuild", "--json"], vip_env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["videos_written"] == 1
    assert search("sunshine or rain tomorrow", "--project", "Talks") == (code, found)


def test_api_keys_never_reach_the_log_files(tmp_path: Path) -> None:
    script = ("import sys, structlog; from pathlib import Path; from app.logs import configure_logging; "
              "configure_logging('keys', Path(sys.argv[1])); "
              "structlog.get_logger('t').warning('provider_call_failed', api_key='sk-proj-SECRET1234567890', "
              "error='401 for Bearer sk-proj-SECRET1234567890 at https://x/v1?key=AIzaSECRETSECRETSECRET0')")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    (log_file,) = tmp_path.glob("keys-*.log")
    text = log_file.read_text()
    assert "provider_call_failed" in text and "SECRET" not in text
    assert "SECRET" not in done.stderr and "provider_call_failed" in done.stderr


def test_routing_budget_estimate_and_costs_from_the_command_line(media: MediaSet, vip_env: dict[str, str]) -> None:
    # A project that routes its summaries to a paid model, with a budget too small for the batch.
    assert run_vip(["analyze", "--project", "Paid", str(media.good)], vip_env).returncode == 0
    routed = run_vip(["route", "Paid", "summarizer", "openai/gpt-4o-mini"], vip_env)
    assert routed.returncode == 0, routed.stderr
    assert "summarizer   openai/gpt-4o-mini" in routed.stdout and "transcriber  local" in routed.stdout
    refused = run_vip(["route", "Paid", "embedder", "openai/text-embedding-3-small"], vip_env)
    assert refused.returncode == 1 and "runs locally only" in refused.stderr
    no_model = run_vip(["route", "Paid", "summarizer", "openai"], vip_env)
    assert no_model.returncode == 1 and "choose a model" in no_model.stderr and "Traceback" not in no_model.stderr
    budget = run_vip(["budget", "Paid", "0.000001"], vip_env)
    assert budget.returncode == 0 and "budget $0.00, spent $0.0000" in budget.stdout
    batch = run_vip(["analyze", "--project", "Paid", str(media.mkv)], vip_env)
    assert batch.returncode == 3, batch.stderr
    assert "Estimated cloud cost for 1 video" in batch.stderr and "summarizer $" in batch.stderr
    assert "not queued" in batch.stderr and "--yes" in batch.stderr
    jobs = run_vip(["jobs", "--project", "Paid", "--json"], vip_env)
    assert len(jobs.stdout.splitlines()) == 1  # only the first video's job: the second was not queued
    costs = run_vip(["costs", "--json"], vip_env)
    assert costs.returncode == 0 and costs.stdout == ""  # no provider was called
    providers = run_vip(["providers", "--json"], vip_env)
    assert [json.loads(line)["name"] for line in providers.stdout.splitlines()] == ["openai", "gemini"]


def test_analyze_no_wait_then_jobs_shows_waits_for_and_filters_them(media: MediaSet, vip_env: dict[str, str]) -> None:
    queued = run_vip(["analyze", "--no-wait", "--json", "--project", "Later", str(media.good), str(media.text)],
                     vip_env, timeout=60)
    assert queued.returncode == 0, queued.stderr
    records = [json.loads(line) for line in queued.stdout.splitlines()]
    assert [(Path(r["path"]).name, r["status"]) for r in records] == [("good.mp4", "queued"), (media.text.name, "queued")]
    assert "no worker is running" in queued.stderr and "vip jobs wait" in queued.stderr
    good, bad = records[0]["job_id"], records[1]["job_id"]
    shown = run_vip(["jobs", good[:8]], vip_env)  # the 8 characters `vip jobs` lists
    assert shown.returncode == 0, shown.stderr
    assert f"job      {good}\n" in shown.stdout and "status   queued  0%  Queued" in shown.stdout
    assert "  probe      pending" in shown.stdout and "video    good.mp4" in shown.stdout
    worker = subprocess.Popen([sys.executable, "-m", "app", "worker", "--workers", "1"], env=vip_env,
                              cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        waited = run_vip(["jobs", "wait", good, bad[:8]], vip_env, timeout=300)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert waited.returncode == 1, waited.stderr  # one of the two failed
    first, second = waited.stdout.split("job      ")[1:]
    assert first.startswith(good) and "status   succeeded  100%  Done" in first
    assert second.startswith(bad) and "status   failed" in second
    assert "error    MediaError:" in second and media.text.name in second
    failed = run_vip(["jobs", "--status", "failed", "--json"], vip_env)
    assert [j["id"] for j in map(json.loads, failed.stdout.splitlines())] == [bad]
    assert run_vip(["jobs", "--status", "canceled"], vip_env).stdout.strip() == "No canceled jobs."
    one = run_vip(["jobs", "--json", bad], vip_env)
    assert json.loads(one.stdout)["error"]["type"] == "MediaError"
    unknown = run_vip(["jobs", "0000abcd"], vip_env)
    assert unknown.returncode == 2 and "No job with id 0000abcd" in unknown.stderr
    assert run_vip(["jobs", "wait"], vip_env).returncode == 2
    assert "is not a job id" in run_vip(["jobs", "clip.mp4"], vip_env).stderr
