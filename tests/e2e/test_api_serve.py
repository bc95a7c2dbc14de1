"""`vip serve` end to end: uvicorn on a free port, a real worker, progress as Server-Sent Events."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import run_vip
from tests.media import MediaSet

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_queues_over_http_and_streams_the_jobs_progress(media: MediaSet, vip_env: dict[str, str]) -> None:
    token = run_vip(["serve", "--show-token"], vip_env).stdout.strip()
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "1"],
                              env=vip_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/projects", headers=headers, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "vip serve did not start"
            time.sleep(0.3)
        assert httpx.get(f"{base}/projects", timeout=5).status_code == 401
        started = time.monotonic()
        queued = httpx.post(f"{base}/jobs", json={"paths": [str(media.good)]}, headers=headers, timeout=30)
        assert queued.status_code == 202 and time.monotonic() - started < 20  # returns once queued
        job_id = queued.json()["items"][0]["job_id"]
        events: list[tuple[str, dict[str, object]]] = []
        with httpx.stream("GET", f"{base}/jobs/{job_id}/events", headers=headers, timeout=180) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            name = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[6:])))
        kinds = [kind for kind, _ in events]
        assert kinds[-1] == "end" and kinds.count("end") == 1 and "progress" in kinds
        final = events[-1][1]
        assert final["id"] == job_id and final["status"] == "succeeded" and final["progress"] == 1.0
        progress = [float(str(record["progress"])) for kind, record in events if kind == "progress"]
        assert progress == sorted(progress)  # the job moves forward, as the GUI shows it
        record = httpx.get(f"{base}/jobs/{job_id}", headers=headers, timeout=10).json()
        assert record["status"] == "succeeded" and all(s["status"] in ("succeeded", "skipped") for s in record["stages"])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
