"""`vip db backup|restore|check|backups`, the automatic backup, and a damaged database at start.

Each test has its own data dir and its own embedded FerretDB (real files, real server).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import structlog
from pymongo import MongoClient

from app.db_backup import auto_backup, list_backups, make_backup
from app.db_cli import run_db
from app.embedded_db import EmbeddedDatabase, EmbeddedDatabaseError
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _settings(data_dir: Path, **env: str) -> Settings:
    return Settings.load({"VIP_DATA_DIR": str(data_dir), **env})


def _vip(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIP_MONGO_URI", "VIP_DB_NAME")}
    env["VIP_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def _fill(data_dir: Path, ids: list[str]) -> None:
    """Start (or join) the data dir's server, store a video per id, leave."""
    with EmbeddedDatabase(data_dir, data_dir / "logs") as uri:
        client: MongoClient[dict[str, object]] = MongoClient(uri)
        client.vip.videos.insert_many([{"_id": i, "name": f"{i}.mp4"} for i in ids])
        client.close()


def _ids(data_dir: Path) -> set[str]:
    with EmbeddedDatabase(data_dir, data_dir / "logs", auto_backup=False) as uri:
        client: MongoClient[dict[str, object]] = MongoClient(uri)
        found = {str(d["_id"]) for d in client.vip.videos.find({}, {"_id": 1})}
        client.close()
    return found


def _run(settings: Settings, action: str, **kwargs: object) -> tuple[int, str]:
    out = io.StringIO()
    code = run_db(settings, action, out=out, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue()


def _damage(path: Path) -> None:
    """Overwrite pages past the first: the header stays valid, the tables do not."""
    with path.open("r+b") as f:
        f.seek(2 * 4096)
        f.write(bytes(range(256)) * 16 * 6)


def test_backup_while_the_server_runs_and_writes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = [f"v{i}" for i in range(300)]
    server = EmbeddedDatabase(data, data / "logs")
    uri = server.acquire()
    stop, written, busy = threading.Event(), [0], threading.Event()

    def write() -> None:
        client: MongoClient[dict[str, object]] = MongoClient(uri)
        while not stop.is_set():
            client.vip.videos.insert_one({"_id": f"w{written[0]}"})
            written[0] += 1
            if written[0] == 20:
                busy.set()
        client.close()

    try:
        client: MongoClient[dict[str, object]] = MongoClient(uri)
        client.vip.videos.insert_many([{"_id": i} for i in before])
        client.close()
        writer = threading.Thread(target=write)
        writer.start()
        assert busy.wait(30)
        code, out = _run(_settings(data), "backup")
        stop.set()
        writer.join()
    finally:
        stop.set()
        server.release()

    assert code == 0
    (backup,) = list_backups(data)
    assert backup.reason == "manual" and not list((data / "backups").glob(".tmp-*"))
    first_line = out.splitlines()[0]
    assert first_line.startswith("Backed up 1 file(s), ")
    assert first_line.endswith(f", {backup.documents:,} documents to {backup.path}")
    copied = backup.counts["vip"]["videos"]
    assert 320 <= copied <= 300 + written[0]
    # The copy is a whole database: it restores, and holds the 300 and a run of the writes, no gaps.
    elsewhere = tmp_path / "elsewhere"
    assert _run(_settings(elsewhere), "restore", backup=backup.path)[0] == 0
    assert _ids(elsewhere) == set(before) | {f"w{i}" for i in range(copied - 300)}
    code, listing = _run(_settings(data), "backups")
    assert code == 0 and "manual" in listing.splitlines()[1] and str(backup.path) in listing.splitlines()[1]


def test_restore_brings_back_the_backup_and_keeps_the_current_files_aside(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data, ["kept-1", "kept-2"])
    backup = make_backup(_settings(data), "manual")
    _fill(data, ["written-after"])

    code, out = _run(_settings(data), "restore", backup=backup)

    assert code == 0, out
    assert _ids(data) == {"kept-1", "kept-2"}
    (aside,) = (data / "db").glob("sqlite.before-restore-*")
    assert f"The database as it was before is kept in {aside}" in out
    assert "checksums verified" in out and "The database answers: 2 documents" in out
    shutil.copytree(aside, data / "before" / "db" / "sqlite")  # what was there is still whole
    assert _ids(data / "before") == {"kept-1", "kept-2", "written-after"}


def test_restore_is_refused_while_another_process_uses_the_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data, ["v1"])
    backup = make_backup(_settings(data), "manual")
    code = ("import sys, time; from pathlib import Path; from app.embedded_db import EmbeddedDatabase;"
            f"held = EmbeddedDatabase(Path({str(data)!r}), Path({str(data / 'logs')!r})); held.acquire();"
            "print('up', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout
        for line in holder.stdout:
            if line.strip() == "up":
                break
        refused = _vip(["db", "restore", str(backup)], data)
    finally:
        holder.terminate()
        holder.wait()
        last = EmbeddedDatabase(data, data / "logs")
        last.acquire()  # joins the server the holder left, so that release() stops it
        last.release()

    assert refused.returncode == 1
    assert refused.stderr.startswith("vip: cannot restore: The library database is in use by ")
    assert f"pid {holder.pid} ({sys.executable} -c " in refused.stderr
    assert "Close it first, then try again" in refused.stderr
    assert not list((data / "db").glob("sqlite.before-restore-*"))


def test_check_passes_on_a_good_database_and_names_the_damaged_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data, [f"v{i}" for i in range(300)])
    backup = make_backup(_settings(data), "manual")
    good = data / "db" / "sqlite" / "vip.sqlite"

    code, out = _run(_settings(data), "check")
    assert code == 0, out
    assert out.splitlines() == [f"ok: {good} (integrity check passed)",
                                "ok: database 'vip' answers: 1 collections, 300 documents"]

    copy = tmp_path / "copy"
    shutil.copytree(data, copy, ignore=shutil.ignore_patterns("*.lock"))
    damaged = copy / "db" / "sqlite" / "vip.sqlite"
    _damage(damaged)
    code, out = _run(_settings(copy), "check")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"damaged: {damaged}: ")
    copied_backup = copy / "backups" / backup.name
    assert lines[-1].startswith(f"The library database {damaged} is damaged (")
    assert lines[-1].endswith(f"Restore the manual backup from {backup.name[:4]}-{backup.name[4:6]}-"
                              f"{backup.name[6:8]} {backup.name[9:11]}:{backup.name[11:13]} UTC: "
                              f"vip db restore {copied_backup}")


def test_the_automatic_backup_is_made_once_a_day_and_the_newest_three_are_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data, ["v1"])  # the first start, of an empty data dir: nothing to back up
    assert list_backups(data) == []
    with structlog.testing.capture_logs() as logs:
        _fill(data, ["v2"])  # the next start backs up what the first stored
    assert [e["event"] for e in logs if e["event"].startswith("db_")] == ["db_backup_made", "db_auto_backup"]
    _fill(data, ["v3"])  # the same day: no second one
    (first,) = list_backups(data)
    assert first.reason == "auto" and first.counts == {"vip": {"videos": 1}}
    manual = make_backup(_settings(data), "manual")
    migration = make_backup(_settings(data), "pre-migration")

    for day in (1, 2, 3):
        assert auto_backup(data, now=first.created_at + timedelta(days=day, minutes=1)) is not None
    assert auto_backup(data, now=first.created_at + timedelta(days=3, hours=5)) is None  # not due yet

    kept = list_backups(data)
    autos = [b for b in kept if b.reason == "auto"]
    assert [b.created_at - first.created_at for b in autos] == [
        timedelta(days=3, minutes=1), timedelta(days=2, minutes=1), timedelta(days=1, minutes=1)]
    assert not first.path.exists()
    assert {manual, migration} <= {b.path for b in kept}
    assert all(b.counts == {"vip": {"videos": 3}} for b in autos)


def test_a_damaged_database_file_stops_the_start_with_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data, ["v1"])
    _fill(data, ["v2"])  # makes the automatic backup
    (auto,) = list_backups(data)
    target = data / "db" / "sqlite" / "vip.sqlite"
    target.write_bytes(b"overwritten by something else\n" * 200)
    expected = (f"The library database {target} is damaged (file is not a database). Restore the automatic "
                f"backup from {auto.created_at:%Y-%m-%d %H:%M} UTC: vip db restore {auto.path}  "
                "(or check it with vip db check)")

    with pytest.raises(EmbeddedDatabaseError) as caught:
        EmbeddedDatabase(data, data / "logs").acquire()
    assert str(caught.value) == expected
    jobs = _vip(["jobs"], data)
    assert (jobs.returncode, jobs.stderr.strip().splitlines()[-1]) == (3, f"vip: {expected}")
    assert list_backups(data) == [auto]  # the damaged file was not backed up

    restored = _vip(["db", "restore", str(auto.path)], data)
    assert restored.returncode == 0, restored.stderr
    assert _ids(data) == {"v1"}


def test_damage_found_after_start_is_said_once_with_what_to_do(tmp_path: Path) -> None:
    """Pages damaged behind a valid header pass the start check; FerretDB's error is translated."""
    data = tmp_path / "data"
    _fill(data, [f"v{i}" for i in range(300)])
    _damage(data / "db" / "sqlite" / "vip.sqlite")
    jobs = _vip(["jobs"], data)
    assert not (data / "db" / "server.json").exists()  # it stopped the server it started
    assert jobs.returncode == 3
    assert jobs.stderr.strip().splitlines()[-1] == (
        f"vip: The library database {data / 'db' / 'sqlite'} is damaged (database disk image is malformed), "
        f"and there is no backup of it in {data / 'backups'}. Check it with vip db check; move "
        f"{data / 'db' / 'sqlite'} aside to start an empty library")


def test_with_a_mongodb_server_the_servers_own_tools_are_the_way(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    settings = _settings(tmp_path, VIP_MONGO_URI="mongodb://db.example:27017/")
    assert run_db(settings, "backup") == 1
    assert "mongodump and mongorestore" in capsys.readouterr().err
    assert not (tmp_path / "backups").exists()


def test_a_backup_that_does_not_match_its_checksums_is_not_restored(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    _fill(data, ["v1"])
    backup = make_backup(_settings(data), "manual")
    with (backup / "vip.sqlite").open("r+b") as f:
        f.seek(100)
        f.write(b"x")
    assert run_db(_settings(data), "restore", backup=backup) == 1
    assert "does not match its checksum" in capsys.readouterr().err
    assert _ids(data) == {"v1"} and not list((data / "db").glob("sqlite.before-restore-*"))


def test_the_vip_db_commands_back_up_to_another_folder_and_list_the_backups(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data, ["v1", "v2"])
    made = _vip(["db", "backup", "--to", str(tmp_path / "usb")], data)
    assert made.returncode == 0, made.stderr
    (folder,) = (tmp_path / "usb").iterdir()
    assert folder.name.endswith("-manual") and sorted(p.name for p in folder.iterdir()) == ["manifest.json",
                                                                                          "vip.sqlite"]
    assert made.stdout.splitlines()[-1] == f"Restore it with: vip db restore {folder}"
    assert _vip(["db", "backups"], data).stdout.startswith("No backups yet in ")  # --to DIR: not in the data dir
    assert _vip(["db", "backup"], data).returncode == 0
    listed = _vip(["db", "backups", "--json"], data)
    (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (entry["reason"], entry["documents"], entry["counts"]) == ("manual", 2, {"vip": {"videos": 2}})
