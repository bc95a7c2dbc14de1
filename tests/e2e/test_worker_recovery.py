"""A worker killed with SIGKILL mid-job: the job is re-queued and finishes on another worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from tests.e2e.waiting import wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def start_vip(args: list[str], env: dict[str, str], capture: bool = False) -> subprocess.Popen[str]:
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "app", *args], env=env, cwd=ROOT,
                            stdout=output, stderr=output, text=True)


def wait_running(db: Any) -> dict[str, Any]:
    found: dict[str, Any] = wait_for(lambda: db.jobs.find_one({"status": "running", "progress": {"$gt": 0.2}}),
                                  120, "the job to be running")
    return found


def test_sigkill_mid_job_is_recovered_by_another_worker(slow_video: Path, vip_env: dict[str, str]) -> None:
    client: MongoClient = MongoClient(vip_env["VIP_MONGO_URI"])
    db = client[vip_env["VIP_DB_NAME"]]
    workers = start_vip(["worker", "--workers", "2"], vip_env)
    analyze = None
    try:
        wait_for(lambda: db.workers.count_documents({}) >= 2, 60, "two workers to register")
        analyze = start_vip(["analyze", "--json", str(slow_video)], vip_env, capture=True)
        job = wait_running(db)
        victim = job["worker_id"]
        os.kill(int(victim.rsplit(":", 1)[1]), signal.SIGKILL)
        out, err = analyze.communicate(timeout=120)
        assert analyze.returncode == 0, err
        assert json.loads(out.splitlines()[0])["status"] == "succeeded"
        final = db.jobs.find_one({"_id": job["_id"]})
        assert final["status"] == "succeeded" and final["progress"] == 1.0
        assert final["attempts"] == 2
        assert final["worker_id"] != victim
        assert db.videos.find_one({"_id": job["video_id"]})["media"]["height"] == 1080
        pids = [w["pid"] for w in db.workers.find({})]
        assert len(pids) == 3  # two started, one killed (its record stays), one restarted
    finally:
        if analyze and analyze.poll() is None:
            analyze.kill()
        workers.send_signal(signal.SIGTERM)
        assert workers.wait(timeout=30) == 0
    # The supervisor stopped its (restarted) children too, and they deregistered.
    assert db.workers.count_documents({}) == 1  # only the killed worker's stale record
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    client.close()


def test_ctrl_c_on_a_worker_hands_its_job_back_and_it_resumes(slow_video: Path, vip_env: dict[str, str]) -> None:
    client: MongoClient = MongoClient(vip_env["VIP_MONGO_URI"])
    db = client[vip_env["VIP_DB_NAME"]]
    first = start_vip(["worker", "--workers", "1"], vip_env)
    second = analyze = None
    try:
        wait_for(lambda: db.workers.count_documents({}) >= 1, 60, "the worker to register")
        analyze = start_vip(["analyze", "--json", str(slow_video)], vip_env, capture=True)
        job = wait_running(db)
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=20) == 0
        released = db.jobs.find_one({"_id": job["_id"]})
        assert released["status"] == "queued" and released["worker_id"] is None
        assert released["message"].startswith("Interrupted")
        second = start_vip(["worker", "--workers", "1"], vip_env)
        out, err = analyze.communicate(timeout=120)
        assert analyze.returncode == 0, err
        final = db.jobs.find_one({"_id": job["_id"]})
        assert final["status"] == "succeeded" and final["attempts"] == 2
    finally:
        for process in (first, second, analyze):
            if process and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        client.close()
