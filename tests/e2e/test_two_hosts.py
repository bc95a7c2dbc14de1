"""Scale-out on two hosts, for real (#12 item 5).

Two "hosts" are two network namespaces with their own addresses and hostnames
(tests/e2e/netns.py); the shared database (the project's FerretDB) and Redis run in the root
namespace on a private address both reach, as they would on a third machine. Each host runs
`vip worker --workers 2` with its own data dir. 200 short generated videos go in the queue;
when 30 % have succeeded, every process of host B is SIGKILLed at once (a power cut): every
process in its namespace, not a process group, since the worker pool starts each worker in a
session of its own. Host A must finish the rest: every video succeeds exactly once, with no
duplicated segments, shots, summaries or ledger rows, and each host's search index, synced
from the database, finds videos analysed on the other host.

The clips are 1 s, 96x96, without audio: OCR scales every frame up to 736 px on its short
side, so a square frame costs least; OCR is still most of the ~1 s of work per clip.
Quiet, the test takes about 2 minutes on 2 cores; workers run at idle CPU priority, so on a
busy machine it takes up to 4.

Skipped when network namespaces cannot be made (not root, no CAP_NET_ADMIN); fails when
redis-server or FerretDB is missing (`bash scripts/setup.sh` installs them).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from tests.e2e.netns import Host, NetnsUnavailable, TwoHosts
from tests.e2e.waiting import wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
VIDEOS = 200
KILL_AFTER = VIDEOS * 30 // 100  # succeeded jobs when host B dies
WORKERS_PER_HOST = 2
RUN_TIMEOUT_S = 255.0  # all analysed: ~115 s on 2 quiet cores, 180-230 s on busy ones
SETUP_SCRIPT = "run `bash scripts/setup.sh`"


# -- the network, the servers, the media ------------------------------------------------------

@pytest.fixture
def hosts() -> Iterator[TwoHosts]:
    try:
        network = TwoHosts.create()
    except NetnsUnavailable as exc:
        pytest.skip(f"the two-host test needs network namespaces: {exc}")
    try:
        yield network
    finally:
        network.close()


@dataclass
class Servers:
    mongo_uri: str
    redis_url: str
    db_name: str = "vip_two_hosts"


def _die_with_test() -> None:
    """In a child we start: SIGKILL it if this test process dies (no server outlives a killed run)."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def _wait_port(address: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    def listening() -> bool:
        if process.poll() is not None:
            pytest.fail(f"{log.stem} exited at start with code {process.returncode}:\n{_tail(log)}")
        socket.create_connection((address, port), timeout=0.5).close()
        return True

    wait_for(listening, 30, f"{log.stem} to listen on {address}:{port} ({log})", interval=0.05,
             tolerate=(OSError,))


@pytest.fixture
def servers(hosts: TwoHosts, tmp_path: Path) -> Iterator[Servers]:
    """FerretDB and Redis in the root namespace, on the address both hosts reach."""
    from app.embedded_db import EmbeddedDatabaseError, find_ferretdb

    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.fail(f"redis-server is required for the two-host test: {SETUP_SCRIPT}")
    try:
        import redis  # noqa: F401 - RedisHuey needs it in the workers
    except ImportError:
        pytest.fail(f"the Python package redis (the `redis` extra) is required: {SETUP_SCRIPT}")
    try:
        ferretdb = find_ferretdb(os.environ.get("VIP_FERRETDB"))
    except EmbeddedDatabaseError as exc:
        pytest.fail(str(exc))
    address = hosts.server_address
    folder = tmp_path / "servers"
    (folder / "sqlite").mkdir(parents=True)
    (folder / "state").mkdir()
    mongo_port, redis_port = _free_port(address), _free_port(address)
    commands = {
        "ferretdb": [ferretdb, "--handler=sqlite", f"--sqlite-url=file:{folder / 'sqlite'}/",
                     f"--listen-addr={address}:{mongo_port}", f"--state-dir={folder / 'state'}",
                     "--telemetry=disable", "--debug-addr=-", "--log-level=warn"],
        "redis": [redis_server, "--bind", address, "--port", str(redis_port), "--protected-mode", "no",
                  "--save", "", "--appendonly", "no", "--dir", str(folder)],
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            with (folder / f"{name}.log").open("wb") as log:
                processes.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                                  stderr=subprocess.STDOUT, start_new_session=True,
                                                  preexec_fn=_die_with_test))
        _wait_port(address, mongo_port, processes[0], folder / "ferretdb.log")
        _wait_port(address, redis_port, processes[1], folder / "redis.log")
        yield Servers(f"mongodb://{address}:{mongo_port}/", f"redis://{address}:{redis_port}/0")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def make_clips(folder: Path, count: int) -> list[Path]:
    """`count` 1 s clips, 96x96, no audio, each showing "ZEBRA <n>": one ffmpeg run cut into
    1 s segments, so every clip has its own content (and fingerprint)."""
    if shutil.which("ffmpeg") is None:
        pytest.fail(f"ffmpeg is required for the tests: {SETUP_SCRIPT}")
    folder.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"color=c=0x203040:size=96x96:rate=10:duration={count},"
         "drawtext=text='ZEBRA %{eif\\:floor(t)\\:d}':fontsize=14:fontcolor=white:x=6:y=40",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-force_key_frames", "expr:gte(t,n_forced)", "-f", "segment", "-segment_time", "1",
         "-reset_timestamps", "1", str(folder / "clip%03d.mp4")],
        check=True, timeout=120)
    clips = sorted(folder.glob("clip*.mp4"))
    assert len(clips) == count, f"ffmpeg made {len(clips)} clips, not {count}"
    return clips


# -- the hosts' processes ---------------------------------------------------------------------

def host_env(servers: Servers, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIP_")}
    env.update(VIP_DATA_DIR=str(data_dir), VIP_MONGO_URI=servers.mongo_uri, VIP_DB_NAME=servers.db_name,
               VIP_REDIS_URL=servers.redis_url, VIP_HEARTBEAT_S="0.5", VIP_STALE_AFTER_S="3",
               VIP_WORKERS=str(WORKERS_PER_HOST))
    return env


def start_workers(host: Host, env: dict[str, str], output: Path) -> subprocess.Popen[bytes]:
    """`vip worker --workers 2` on `host` (its own session: a supervisor and its children)."""
    with output.open("wb") as log:
        return subprocess.Popen(host.command([sys.executable, "-m", "app", "worker", "--workers",
                                              str(WORKERS_PER_HOST)]),
                                env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_test)


def run_on(host: Host, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(host.command([sys.executable, "-m", "app", *args]), env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def queue_analysis(servers: Servers, clips: Path, client_dir: Path) -> list[Any]:
    """What the GUI or `vip analyze` does, in this process: import the clips into a project
    and queue one analysis job per video, through Redis."""
    from core.pipeline import default_stages
    from core.repositories import DatabaseAddress, connect, connect_async, ensure_indexes
    from app.wiring import client_services
    from tasks import AnalysisTasks, HueyLauncher, make_huey

    database = DatabaseAddress(servers.mongo_uri, servers.db_name)
    client, db = connect(database)
    ensure_indexes(db)
    client.close()

    async def main() -> list[Any]:
        aclient, adb = connect_async(database)
        try:
            launcher = HueyLauncher(AnalysisTasks(make_huey(client_dir, servers.redis_url)))
            services = client_services(adb, launcher, [s.name for s in default_stages()], client_dir)
            project = await services.projects.ensure("two hosts")
            imported = await services.imports.import_paths(project.id, [clips])
            return await services.jobs.analyze([item.video for item in imported.items])
        finally:
            await aclient.close()

    return asyncio.run(main())


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"({path}: {exc})"


def worker_ids(db: Any, host: Host) -> set[str]:
    """The worker ids (`host:pid`) registered by processes running on `host` now."""
    pids = host.pids()
    return {w["_id"] for w in db.workers.find({"pid": {"$in": pids}}, {"_id": 1})}


def kill_host(db: Any, host: Host) -> tuple[list[dict[str, Any]], set[str]]:
    """SIGKILL every process of `host` while it runs at least one job; return the jobs it was
    running (read while the host was frozen, so none can finish in between) and its workers."""
    running: list[dict[str, Any]] = []
    for _ in range(40):
        host.freeze()
        time.sleep(0.3)  # writes already on their way land
        workers = worker_ids(db, host)
        running = db.jobs.find({"status": "running", "worker_id": {"$in": sorted(workers)}},
                               {"_id": 1, "worker_id": 1, "attempts": 1}).to_list(None)
        if running:
            break
        host.thaw()  # between two jobs: try again in a moment
        time.sleep(0.2)
    host.kill_all()
    return running, workers


def log_events(data_dirs: list[Path], event: str) -> Counter[str]:
    """How often each job id logged `event` in the worker logs of these data dirs."""
    counts: Counter[str] = Counter()
    for data_dir in data_dirs:
        for log in (data_dir / "logs").glob("worker-*.log"):
            for line in log.read_text(errors="replace").splitlines():
                if f'"{event}"' not in line:
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # the last line of a killed worker's log may be cut
                if record.get("event") == event and record.get("job_id"):
                    counts[record["job_id"]] += 1
    return counts


def status_counts(db: Any) -> dict[str, int]:
    return {s: db.jobs.count_documents({"status": s}) for s in ("succeeded", "failed", "canceled")}


# -- the test ---------------------------------------------------------------------------------

@pytest.mark.timeout(300)
def test_two_hosts_share_the_queue_and_survive_one_host_dying(
        hosts: TwoHosts, servers: Servers, tmp_path: Path) -> None:
    began = time.monotonic()
    clips = make_clips(tmp_path / "media", VIDEOS)  # on storage both hosts see at the same path
    data_a, data_b = tmp_path / "hostA", tmp_path / "hostB"
    env_a, env_b = host_env(servers, data_a), host_env(servers, data_b)
    data_a.mkdir()
    data_b.mkdir()
    client: MongoClient[dict[str, Any]] = MongoClient(servers.mongo_uri, tz_aware=True)
    db = client[servers.db_name]
    supervisor_a = start_workers(hosts.a, env_a, data_a / "worker-console.txt")
    start_workers(hosts.b, env_b, data_b / "worker-console.txt")

    def diagnosis() -> str:
        counts = {s: db.jobs.count_documents({"status": s}) for s in ("queued", "running", "succeeded", "failed")}
        return (f"jobs by status: {counts}\n"
                f"host A console:\n{_tail(data_a / 'worker-console.txt')}\n"
                f"host B console:\n{_tail(data_b / 'worker-console.txt')}")

    try:
        jobs = queue_analysis(servers, clips[0].parent, tmp_path / "client")
        assert len(jobs) == VIDEOS and len({j.video_id for j in jobs}) == VIDEOS

        # Both hosts take work from the one queue until host B loses power.
        deadline = time.monotonic() + RUN_TIMEOUT_S
        victims: list[dict[str, Any]] | None = None
        workers_b: set[str] = set()
        while True:
            counts = status_counts(db)
            assert counts["failed"] == counts["canceled"] == 0, diagnosis()
            if victims is None and counts["succeeded"] >= KILL_AFTER:
                done_by = Counter(j["worker_id"].rsplit(":", 1)[0] for j in
                                  db.jobs.find({"status": "succeeded"}, {"worker_id": 1}))
                victims, workers_b = kill_host(db, hosts.b)
                killed_at = time.monotonic()
            if counts["succeeded"] == VIDEOS:
                break
            assert time.monotonic() < deadline, f"not all analysed within {RUN_TIMEOUT_S:.0f} s\n{diagnosis()}"
            time.sleep(1.0)
        run_s = time.monotonic() - began
        assert victims, f"host B ran no job when it was killed (workers {sorted(workers_b)})\n{diagnosis()}"
        assert len(workers_b) == WORKERS_PER_HOST, workers_b
        assert not hosts.b.pids()
        workers_a = worker_ids(db, hosts.a)
        assert len(workers_a) == WORKERS_PER_HOST, workers_a
        if hosts.a.uts:
            assert all(w.startswith("hostA:") for w in workers_a) and all(w.startswith("hostB:") for w in workers_b)
            assert set(done_by) == {"hostA", "hostB"}, f"both hosts took jobs before the kill: {done_by}"

        # Every video succeeded, through exactly one job that ran to the end once.
        videos = db.videos.find({}, {"status": 1, "path": 1, "poster_path": 1}).to_list(None)
        assert len(videos) == VIDEOS and {v["status"] for v in videos} == {"ready"}
        final = db.jobs.find({}, {"video_id": 1, "status": 1, "attempts": 1, "worker_id": 1,
                                  "progress": 1}).to_list(None)
        assert sorted(Counter(j["video_id"] for j in final).values()) == [1] * VIDEOS
        assert {(j["status"], j["progress"]) for j in final} == {("succeeded", 1.0)}
        by_id = {j["_id"]: j for j in final}
        for victim in victims:  # the jobs host B died in: re-queued by host A's reaper, run there
            job = by_id[victim["_id"]]
            assert job["attempts"] == victim["attempts"] + 1, (victim, job)
            assert job["worker_id"] in workers_a, (victim, job)
        rerun = {j["_id"] for j in final if j["attempts"] != 1}
        assert rerun == {v["_id"] for v in victims}, "only the killed host's running jobs ran twice"
        # The workers' logs agree (a line is logged just after its write, so a killed worker
        # may miss one): no job finished twice, none started more often than its attempts.
        finished = log_events([data_a, data_b], "job_finished")
        started = log_events([data_a, data_b], "job_started")
        assert set(finished) <= set(by_id) and max(finished.values()) == 1, finished.most_common(3)
        assert all(finished[job_id] == 1 for job_id, j in by_id.items() if j["worker_id"] in workers_a)
        assert all(started[job_id] <= j["attempts"] for job_id, j in by_id.items()), started.most_common(3)
        assert {j["worker_id"] for j in final} <= workers_a | workers_b

        # No duplicated output: segment sets, segments, shots, summaries, ledger rows.
        video_ids = {v["_id"] for v in videos}
        sets = db.segment_sets.find({}, {"video_id": 1, "stage": 1, "kind": 1, "chunk": 1, "chunks": 1,
                                         "count": 1}).to_list(None)
        set_keys = Counter((s["video_id"], s["stage"], s["kind"], s["chunk"]) for s in sets)
        assert max(set_keys.values()) == 1 and all(s["chunks"] == 1 for s in sets)
        kinds = Counter((s["stage"], s["kind"]) for s in sets)  # every clip has text: the same sets each
        assert kinds[("ocr", "ocr")] == kinds[("embed", "passage")] == VIDEOS and set(kinds.values()) == {VIDEOS}, kinds
        from core.repositories import DatabaseAddress, SegmentRepository, connect
        seg_client, seg_db = connect(DatabaseAddress(servers.mongo_uri, servers.db_name))
        segments = SegmentRepository(seg_db)
        for video_id in video_ids:
            texts = [(s.kind, s.start_s, s.end_s, s.text) for s in segments.for_video(video_id)]
            assert texts and len(texts) == len(set(texts)), (video_id, texts)
        seg_client.close()
        summaries = db.segments.find({}, {"video_id": 1, "kind": 1, "unit": 1, "start_s": 1, "text": 1}).to_list(None)
        assert {d["kind"] for d in summaries} <= {"summary", "commentary"}
        overviews = Counter(d["video_id"] for d in summaries if d.get("unit") == "overview")
        assert overviews == Counter({v: 1 for v in video_ids}), "one summary overview per video"
        rows = Counter((d["video_id"], d["kind"], d.get("unit"), d["start_s"], d["text"]) for d in summaries)
        assert max(rows.values()) == 1, [r for r, n in rows.items() if n > 1][:5]
        shots = Counter((s["video_id"], s["index"]) for s in db.shots.find({}, {"video_id": 1, "index": 1}))
        assert max(shots.values()) == 1 and {v for v, _ in shots} == video_ids
        # Every stage's route is local (no project routes a stage to a cloud provider), so the
        # gateway is never called: the cost ledger must stay empty, not one row per attempt.
        assert db.provider_calls.count_documents({}) == 0
        assert db.budget_holds.count_documents({}) == 0

        # Each host's own search index is brought up to date from the database (all 200
        # videos, whichever host analysed them), and finds on screen text that the other host read.
        by_host = {"A": [j["video_id"] for j in final if j["worker_id"] in workers_a],
                   "B": [j["video_id"] for j in final if j["worker_id"] in workers_b]}
        number = {v["_id"]: int(Path(v["path"]).stem.removeprefix("clip")) for v in videos}
        wanted = {name: max(ids, key=number.__getitem__) for name, ids in by_host.items()}  # 2+ digits
        for host, env, other in ((hosts.a, env_a, "B"), (hosts.b, env_b, "A")):
            status = run_on(host, ["index", "status", "--json"], env)
            assert status.returncode == 0, status.stderr
            report = json.loads(status.stdout)
            assert report["videos_written"] == VIDEOS and report["index"]["videos"] == VIDEOS, report
            assert Path(report["index"]["folder"]).is_relative_to(Path(env["VIP_DATA_DIR"]))
            video_id = wanted[other]
            search = run_on(host, ["search", f"ZEBRA {number[video_id]}", "--json", "--limit", "1"], env)
            assert search.returncode == 0, search.stderr
            top = json.loads(search.stdout.splitlines()[0])
            assert top["video_id"] == video_id, (host.hostname, number[video_id], top)
        print(f"\n{VIDEOS} videos in {run_s:.0f} s; host B killed {killed_at - began:.0f} s in, "
              f"running {len(victims)} jobs; done before that: {dict(done_by)}; "
              f"in all by A {len(by_host['A'])}, by B {len(by_host['B'])}; test {time.monotonic() - began:.0f} s")
    finally:
        supervisor_a.terminate()  # SIGTERM: its workers stop gracefully (the fixture kills what is left)
        try:
            supervisor_a.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        client.close()
