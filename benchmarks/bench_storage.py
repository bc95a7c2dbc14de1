"""Which storage for the embedded database: the same library benchmark on each, in one run.

Runs benchmarks/bench_scale.py (fill a fresh data dir with a synthetic library through the
real repositories, then measure with the real services) once per storage, one after the
other, and prints the figures side by side:

- `sqlite`: FerretDB on SQLite as the app runs it (the `ferretdb` it finds: scripts/setup.sh
  builds v1.24.2 with packaging/ferretdb-sqlite-pushdown.patch);
- `sqlite-upstream`: the same with an unpatched FerretDB binary (`--upstream PATH`);
- `postgresql`: FerretDB's PostgreSQL backend on a per-user PostgreSQL (Debian's `postgresql`
  package: `initdb` into the run's folder, Unix socket only, started and stopped here), the
  same FerretDB binary with `--handler=postgresql`.

A storage whose binaries are missing is reported as skipped, with why. Each measurement of
bench_scale stops at its caps (`--cap`, `--call-cap`), so a slow storage still ends; a capped
figure is marked in its notes.

    .venv/bin/python benchmarks/bench_storage.py [--size 100] [--poll-jobs 50000]
        [--upstream /path/to/ferretdb-1.24.2] [--only sqlite,postgresql] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.embedded_db import find_ferretdb  # noqa: E402  (benchmarks run from a checkout)

STORAGES = ("sqlite", "sqlite-upstream", "postgresql")
ROWS = [  # (figure key, label, unit)
    ("fill_videos_per_s", "fill rate", "videos/s"),
    ("open_p50_ms", "open a video p50", "ms"),
    ("open_p95_ms", "open a video p95", "ms"),
    ("select_project_cold_ms", "select project (first page + 200 jobs)", "ms"),
    ("library_read_ms", "library read whole", "ms"),
    ("poll_cpu_ms", "job-poll tick CPU", "ms"),
    ("vip_jobs_ms", "vip jobs", "ms"),
    ("costs_ms", "Costs view load", "ms"),
    ("search_first_ms", "vip search: sync + first query", "ms"),
    ("new_video_ratio", "new video: library / empty", "×"),
    ("rebuild_videos_per_s", "index rebuild", "videos/s"),
    ("server_rss_mb", "server RSS", "MB"),
    ("db_disk_mb", "database on disk", "MB"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout_s:.0f} s")


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def postgresql_ferretdb(folder: Path, ferretdb: str) -> Iterator[tuple[str, list[int]]]:
    """A per-user PostgreSQL in `folder` (Unix socket only) and FerretDB on it; (uri, server pids)."""
    pg = postgres_bin()
    if pg is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "pgdata"
    subprocess.run(_as_postgres([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    subprocess.run(_as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-l", str(folder / "postgres.log"), "-w",
                                 "-o", f"-c listen_addresses='' -k {folder} -c shared_buffers=128MB", "start"]),
                   check=True, capture_output=True)
    ferret: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(_as_postgres([str(pg / "createdb"), "-h", str(folder), "-U", "postgres", "ferretdb"]),
                       check=True, capture_output=True)
        port = free_port()
        with (folder / "ferretdb.log").open("ab") as log:
            ferret = subprocess.Popen(
                [ferretdb, "--handler=postgresql", f"--postgresql-url=postgres://postgres@/ferretdb?host={folder}",
                 f"--listen-addr=127.0.0.1:{port}", f"--state-dir={folder}", "--telemetry=disable",
                 "--debug-addr=-", "--log-level=warn"], stdout=log, stderr=log)
        wait_port(port)
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        yield f"mongodb://127.0.0.1:{port}/", [ferret.pid, postmaster]
    finally:
        if ferret is not None:
            ferret.terminate()
            ferret.wait(30)
        subprocess.run(_as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), capture_output=True)


def run_scale(args: argparse.Namespace, data_dir: Path, env: dict[str, str], extra: list[str]) -> dict[str, Any]:
    argv = [sys.executable, str(ROOT / "benchmarks" / "bench_scale.py"), "--sizes", str(args.size),
            "--data-dir", str(data_dir), "--poll-jobs", str(args.poll_jobs), "--open-samples", str(args.open_samples),
            "--cap", str(args.cap), "--call-cap", str(args.call_cap), *extra]
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    sys.stderr.write(done.stderr[-2000:])
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench_scale exited {done.returncode}: {done.stderr[-500:]}")
    print(done.stdout, flush=True)
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measure(storage: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("VIP_MONGO_URI", None)
    ours = find_ferretdb(os.environ.get("VIP_FERRETDB"))
    if storage == "sqlite":
        env["VIP_FERRETDB"] = ours
        return run_scale(args, folder / storage, env, [])
    if storage == "sqlite-upstream":
        if not args.upstream:
            raise RuntimeError("no unpatched FerretDB given (--upstream PATH)")
        env["VIP_FERRETDB"] = args.upstream
        return run_scale(args, folder / storage, env, [])
    with postgresql_ferretdb(folder / "pg", ours) as (uri, pids):
        return run_scale(args, folder / storage, env, ["--mongo-uri", uri, "--server-pids", ",".join(map(str, pids)),
                                                       "--db-folder", str(folder / "pg" / "pgdata")])


def table(results: dict[str, dict[str, Any]], size: int) -> str:
    names = list(results)
    lines = [f"{'figure':<40}" + "".join(f"{n:>18}" for n in names) + "  unit"]
    for key, label, unit in ROWS:
        cells = []
        for name in names:
            fig = results[name].get("sizes", {}).get(str(size), {})
            value = fig.get(key)
            cells.append(f"{'—' if value is None else format(value, ',')!s:>18}")
        lines.append(f"{label:<40}" + "".join(cells) + f"  {unit}")
    for name in names:
        notes = results[name].get("sizes", {}).get(str(size), {}).get("notes") or results[name].get("skipped")
        if notes:
            lines.append(f"{name}: {notes}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100, help="videos in the library (default 100)")
    parser.add_argument("--poll-jobs", type=int, default=50_000)
    parser.add_argument("--open-samples", type=int, default=20)
    parser.add_argument("--cap", type=float, default=60.0)
    parser.add_argument("--call-cap", type=float, default=20.0)
    parser.add_argument("--upstream", default=None, help="an unpatched ferretdb v1.24.2 binary")
    parser.add_argument("--only", default=",".join(STORAGES))
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    if os.geteuid() == 0:
        folder.chmod(0o755)  # the postgres user walks into its folder
    results: dict[str, dict[str, Any]] = {}
    try:
        for storage in args.only.split(","):
            print(f"== {storage} ==", flush=True)
            try:
                results[storage] = measure(storage, args, folder)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                results[storage] = {"skipped": str(exc)}
                print(f"{storage}: skipped: {exc}", flush=True)
    finally:
        if args.keep:
            print(f"data dirs kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\n== the same library ({args.size} videos, {args.poll_jobs:,} jobs) on each storage ==")
    print(table(results, args.size))
    print(json.dumps({"bench": "storage", "size": args.size, "poll_jobs": args.poll_jobs,
                      "load_avg": os.getloadavg(), "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
