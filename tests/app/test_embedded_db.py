"""The embedded FerretDB: shared by local processes, crash-safe, stopped by the last user."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo import MongoClient

from app.embedded_db import EmbeddedDatabase, EmbeddedDatabaseError, _is_ferretdb


def _pid(data_dir: Path) -> int:
    return int(json.loads((data_dir / "db" / "server.json").read_text())["pid"])


def _ping(uri: str) -> bool:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=3000)
    try:
        return client.admin.command("ping")["ok"] == 1.0
    finally:
        client.close()


def test_second_user_reuses_the_server_and_last_user_stops_it(tmp_path: Path) -> None:
    first = EmbeddedDatabase(tmp_path, tmp_path / "logs")
    second = EmbeddedDatabase(tmp_path, tmp_path / "logs")
    uri = first.acquire()
    pid = _pid(tmp_path)
    assert second.acquire() == uri and _pid(tmp_path) == pid
    assert _ping(uri)
    first.release()
    assert _is_ferretdb(pid) and _ping(uri)  # still used by `second`
    second.release()
    assert not _is_ferretdb(pid)
    assert not (tmp_path / "db" / "server.json").exists()


def test_data_survives_a_restart(tmp_path: Path) -> None:
    with EmbeddedDatabase(tmp_path, tmp_path / "logs") as uri:
        client: MongoClient = MongoClient(uri)
        client.vip.things.insert_one({"_id": "kept"})
        client.close()
    with EmbeddedDatabase(tmp_path, tmp_path / "logs") as uri:
        client = MongoClient(uri)
        assert client.vip.things.find_one({"_id": "kept"}) == {"_id": "kept"}
        client.close()


def test_stale_state_from_a_crash_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "db" / "server.json").write_text(json.dumps({"pid": dead.pid, "port": 1}))
    with EmbeddedDatabase(tmp_path, tmp_path / "logs") as uri:
        assert _ping(uri) and _pid(tmp_path) != dead.pid


def test_crashed_user_does_not_keep_the_server_alive(tmp_path: Path) -> None:
    """A user process killed with SIGKILL leaves no lock: the next user's exit stops the server."""
    code = ("import sys, time; from pathlib import Path; from app.embedded_db import EmbeddedDatabase;"
            f"EmbeddedDatabase(Path({str(tmp_path)!r}), Path({str(tmp_path / 'logs')!r})).acquire();"
            "print('up', flush=True); time.sleep(60)")
    crashing = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                cwd=Path(__file__).resolve().parents[2])
    survivor = EmbeddedDatabase(tmp_path, tmp_path / "logs")
    try:
        assert crashing.stdout
        for line in crashing.stdout:  # unconfigured structlog also prints here
            if line.strip() == "up":
                break
        pid = _pid(tmp_path)
        os.kill(crashing.pid, signal.SIGKILL)
        crashing.wait()
        survivor.acquire()
        assert _pid(tmp_path) == pid  # the orphaned server is reused, not duplicated
    finally:
        crashing.kill()
        survivor.acquire()  # joins whatever server there is, so release() stops it
        survivor.release()
    assert not _is_ferretdb(pid)


def test_missing_binary_explains_how_to_install(tmp_path: Path) -> None:
    db = EmbeddedDatabase(tmp_path, tmp_path / "logs", ferretdb=str(tmp_path / "no-ferretdb"))
    with pytest.raises(EmbeddedDatabaseError) as caught:
        db.acquire()
    assert "scripts/setup.sh" in str(caught.value) and "VIP_MONGO_URI" in str(caught.value)


def test_the_library_is_private_to_its_user(tmp_path: Path) -> None:
    """No TCP port; the socket and the files sit in folders only their owner can enter."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    with EmbeddedDatabase(data, data / "logs") as uri:
        pid = _pid(data)
        state = json.loads((data / "db" / "server.json").read_text())
        assert uri.startswith("mongodb://%2F") and state["socket"].endswith(".sock")
        assert (data.stat().st_mode & 0o777, (data / "db").stat().st_mode & 0o777) == (0o700, 0o700)
        inodes = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                  + Path("/proc/net/tcp6").read_text().splitlines()[1:] if line.split()[3] == "0A"}
        sockets = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        assert not {f"socket:[{inode}]" for inode in inodes} & sockets, "the server listens on TCP"
        if os.getuid() == 0:  # another local user (nobody) can neither connect nor read the files
            probe = ("import socket, sys, os; os.setgid(65534); os.setuid(65534)\n"
                     "s = socket.socket(socket.AF_UNIX)\n"
                     "try:\n    s.connect(sys.argv[1]); print('connected')\n"
                     "except PermissionError: print('refused')\n"
                     "try:\n    open(sys.argv[2], 'rb'); print('read')\n"
                     "except PermissionError: print('refused')\n")
            sqlite = next((data / "db" / "sqlite").glob("*.sqlite"), data / "db" / "sqlite")
            out = subprocess.run([sys.executable, "-c", probe, state["socket"], str(sqlite)],
                                 capture_output=True, text=True, timeout=30).stdout.split()
            assert out == ["refused", "refused"]
        assert _ping(uri)


def test_a_data_dir_too_deep_for_a_socket_path_still_works(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    with EmbeddedDatabase(deep, deep / "logs") as uri:
        assert _ping(uri)
        socket_file = Path(json.loads((deep / "db" / "server.json").read_text())["socket"])
        assert socket_file.parent.name == f"vip-{os.getuid()}" and socket_file.parent.stat().st_mode & 0o777 == 0o700
