"""The embedded default database: a private FerretDB (SQLite backend) shared by local processes.

Every local `vip` process (GUI, CLI, worker) that has no VIP_MONGO_URI is a *user* of one
FerretDB server whose data lives in `<data dir>/db`. Users hold a shared flock on
`users.lock` for as long as they run; the process that leaves last (it can take the lock
exclusively) stops the server. `start.lock` serialises starting and stopping. The kernel
drops a crashed process's locks, so a crash leaves no stale lock behind, and a server
whose owner crashed is found (server.json) and reused, or replaced if it is dead.

The server is private to the user: it listens on a Unix socket only (no TCP port), in
`<data dir>/db` (or, when that path is too long for a socket, in a folder of the user's own
under the temp dir), and the data dir and `db` are made mode 0700, so no other local user can
connect to it or read its files.

Every user also keeps the server alive: a thread checks each second that it still runs and,
if it died (killed, crashed), starts it again on the same socket, under `start.lock`, so the
first user to notice restarts it and the others find it running. Clients keep their URI and
reconnect on their own (PyMongo); work in flight waits for it (see core.pipeline.runner).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

import structlog

from app.processes import bundle_dirs, is_frozen

if TYPE_CHECKING:
    from app.settings import Settings
    from core.repositories.database import DatabaseAddress

log = structlog.get_logger(__name__)

FERRETDB_VERSION = "v1.24.2"
INSTALL_HINT = (
    "Install it with `bash scripts/setup.sh` (builds FerretDB "
    f"{FERRETDB_VERSION}, patched to use SQLite's indexes, with Go into $(go env GOPATH)/bin), "
    "or set VIP_FERRETDB to its path, "
    "or set VIP_MONGO_URI to use an existing MongoDB server."
)
START_TIMEOUT_S = 30.0
KEEPER_INTERVAL_S = 1.0
PARENT_EXIT_WAIT_S = 3.0  # a dying parent's lock on the users file outlives its death signal this long at most


class EmbeddedDatabaseError(RuntimeError):
    """The embedded database cannot be started; the message says what to do."""


class DatabaseInUse(EmbeddedDatabaseError):
    """Other processes use the embedded database (restore needs it to itself); names them."""

    def __init__(self, users: list[str]) -> None:
        self.users = users
        listed = "; ".join(users) if users else "a VIP process (the app, `vip worker`, `vip analyze`, …)"
        super().__init__(f"The library database is in use by {listed}. Close it first, then try again")


FERRETDB_NAME = "ferretdb.exe" if os.name == "nt" else "ferretdb"
BUNDLE_HINT = ("This app bundle should carry it next to its executable (or in _internal/); "
               "rebuild the bundle, or set VIP_FERRETDB to its path, or set VIP_MONGO_URI to use an "
               "existing MongoDB server.")


def ferretdb_candidates() -> list[Path]:
    """Where the ferretdb binary is looked for, in order (VIP_FERRETDB aside): in a frozen
    bundle next to the executable, in `sys._MEIPASS` and `_internal/`; then PATH; then
    `$GOPATH/bin` (default `~/go/bin`), where `scripts/setup.sh` builds it."""
    candidates = [folder / FERRETDB_NAME for folder in bundle_dirs()]
    on_path = shutil.which(FERRETDB_NAME)
    if on_path:
        candidates.append(Path(on_path))
    gopath = os.environ.get("GOPATH") or str(Path.home() / "go")
    candidates += [Path(p) / "bin" / FERRETDB_NAME for p in gopath.split(os.pathsep) if p]
    return candidates


def find_ferretdb(explicit: str | None = None) -> str:
    """Return the ferretdb binary's path or raise EmbeddedDatabaseError with the install command."""
    hint = BUNDLE_HINT if is_frozen() else INSTALL_HINT
    if explicit:
        if Path(explicit).is_file() and os.access(explicit, os.X_OK):
            return explicit
        raise EmbeddedDatabaseError(f"VIP_FERRETDB points to {explicit}, which is not an executable. {hint}")
    for candidate in ferretdb_candidates():
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise EmbeddedDatabaseError(f"The embedded database server (ferretdb) was not found. {hint}")


SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes on Linux (104 on macOS)


@dataclass
class ServerInfo:
    pid: int
    socket: str  # the Unix socket it listens on

    @property
    def uri(self) -> str:
        return socket_uri(self.socket)


def socket_uri(path: str) -> str:
    """The MongoDB URI of a server listening on Unix socket `path` (PyMongo: percent-encoded)."""
    return f"mongodb://{quote(path, safe='')}/"


def private_dir(path: Path) -> Path:
    """Create `path` if needed and make it readable by its owner only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def socket_path(db_dir: Path) -> Path:
    """Where the server of `db_dir` listens: in it, or, when that path is too long for a Unix
    socket, in `<temp dir>/vip-<uid>/` (0700, checked to be ours) under a name from `db_dir`."""
    preferred = db_dir.absolute() / "ferretdb.sock"
    if len(os.fsencode(preferred)) <= SOCKET_PATH_MAX:
        return preferred
    import tempfile

    folder = private_dir(Path(tempfile.gettempdir()) / f"vip-{os.getuid()}")
    if folder.stat().st_uid != os.getuid():
        raise EmbeddedDatabaseError(f"{folder} belongs to another user; set TMPDIR to a folder of yours")
    digest = hashlib.sha256(os.fsencode(db_dir.absolute())).hexdigest()[:16]
    return folder / f"{digest}.sock"


class EmbeddedDatabase:
    """One process's membership in the shared embedded server: `acquire()`, later `release()`."""

    def __init__(self, data_dir: Path, log_dir: Path, ferretdb: str | None = None,
                 auto_backup: bool = True) -> None:
        self._dir = data_dir / "db"
        self._log_dir = log_dir
        self._explicit_binary = ferretdb
        self._auto_backup = auto_backup  # the daily backup at start (app.db_backup.auto_backup)
        self._users: IO[bytes] | None = None
        self._parent = os.getppid()  # the process that started this one, as acquire() last read it
        self.uri: str | None = None
        self._socket = socket_path(self._dir)
        self._keeper: threading.Thread | None = None
        self._keeper_stop = threading.Event()
        self.restarts = 0

    @property
    def _state_file(self) -> Path:
        return self._dir / "server.json"

    def acquire(self) -> str:
        """Join (or start) the shared server; return its URI. Idempotent."""
        if self.uri:
            return self.uri
        private_dir(self._dir.parent)  # the data dir: the library's media cache and logs too
        private_dir(self._dir)
        with self._start_lock():
            users = (self._dir / "users.lock").open("a+b")
            fcntl.flock(users, fcntl.LOCK_SH)
            try:
                server = self._running_server() or self._start_server()
            except BaseException:
                users.close()
                raise
            self._users = users
            self.uri = server.uri
            self._parent = os.getppid()  # read now: once the parent is gone, getppid() names init
        self._keeper_stop.clear()
        self._keeper = threading.Thread(target=self._keep_alive, name="embedded-db-keeper", daemon=True)
        self._keeper.start()
        return self.uri

    def _keep_alive(self) -> None:
        while not self._keeper_stop.wait(KEEPER_INTERVAL_S):
            try:
                server = self._read_state()
                if server is not None and _is_ferretdb(server.pid):
                    continue
                with self._start_lock():
                    if self._keeper_stop.is_set() or self._users is None:
                        return
                    server = self._read_state()
                    if server is not None and _is_ferretdb(server.pid):
                        continue  # another user restarted it
                    log.warning("embedded_db_died", pid=server.pid if server else None)
                    restarted = self._start_server(backup=False)  # on the same socket: clients' URI holds
                    self.restarts += 1
                    log.warning("embedded_db_restarted", pid=restarted.pid, socket=restarted.socket)
            except Exception:  # noqa: BLE001 - try again in a second; the clients are waiting
                log.error("embedded_db_restart_failed", exc_info=True)

    def release(self) -> None:
        """Leave; the last process to leave stops the server."""
        if self._users is None:
            return
        self._keeper_stop.set()
        if self._keeper is not None and self._keeper is not threading.current_thread():
            self._keeper.join(timeout=START_TIMEOUT_S)
        with self._start_lock():
            users, self._users, self.uri = self._users, None, None
            fcntl.flock(users, fcntl.LOCK_UN)
            if not self._last_user(users):
                users.close()
                log.info("embedded_db_left_running", users=_lock_holders(self._dir / "users.lock"))
                return  # others still use it
            try:
                self._stop_server()
            finally:
                users.close()

    def _last_user(self, users: IO[bytes]) -> bool:
        """Whether no one else holds the users lock (taking it exclusively). A parent that is
        dying still holds its lock for a moment after its death signal reached this process (the
        kernel sends it as the parent's threads exit, before the last one closes the files): while
        the only other holder is the parent and it is exiting, try again for up to
        PARENT_EXIT_WAIT_S, so that the last to leave still stops the server."""
        deadline = time.monotonic() + PARENT_EXIT_WAIT_S
        while True:
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                holders = _lock_holder_pids(self._dir / "users.lock") - {os.getpid()}
                parent = self._parent
                if time.monotonic() > deadline or not holders <= {parent} or not _exiting(parent):
                    return False
                time.sleep(0.05)

    def __enter__(self) -> str:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    @contextmanager
    def exclusive_use(self) -> Iterator[None]:
        """Hold the database with no other user and no server running (for a restore).

        Raises DatabaseInUse, naming the other users' processes, when anyone else uses it."""
        self._dir.mkdir(parents=True, exist_ok=True)
        with self._start_lock(), (self._dir / "users.lock").open("a+b") as users:
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DatabaseInUse(_lock_holders(self._dir / "users.lock")) from None
            try:
                self._stop_server()  # one left by a crashed user, if any
                yield
            finally:
                fcntl.flock(users, fcntl.LOCK_UN)

    # -- internals (called with start.lock held) --------------------------------------

    def _start_lock(self) -> _FileLock:
        return _FileLock(self._dir / "start.lock")

    def _read_state(self) -> ServerInfo | None:
        """The server this data dir's users share, from server.json; its `socket` is empty for a
        server an older release started on a TCP port (it is then replaced)."""
        try:
            data = json.loads(self._state_file.read_text())
            return ServerInfo(pid=int(data["pid"]), socket=str(data.get("socket", "")))
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def _running_server(self) -> ServerInfo | None:
        server = self._read_state()
        if server is None:
            return None
        if server.socket and _is_ferretdb(server.pid) and _socket_open(server.socket):
            log.info("embedded_db_reused", pid=server.pid, socket=server.socket)
            return server
        log.warning("embedded_db_stale_state", pid=server.pid, socket=server.socket or "a TCP port")
        if _is_ferretdb(server.pid):
            _terminate(server.pid)
        self._state_file.unlink(missing_ok=True)
        return None

    def _start_server(self, backup: bool = True) -> ServerInfo:
        """Start FerretDB on this data dir's socket; `backup`: the daily backup first."""
        binary = find_ferretdb(self._explicit_binary)
        sqlite_dir = self._dir / "sqlite"
        state_dir = self._dir / "state"
        sqlite_dir.mkdir(parents=True, exist_ok=True)
        state_dir.mkdir(parents=True, exist_ok=True)
        self._log_dir.mkdir(parents=True, exist_ok=True)
        from app import db_backup  # here: only the process that starts the server needs it

        damaged = db_backup.damaged_files(sqlite_dir)
        if damaged:
            log.error("embedded_db_damaged", files=[f"{p}: {problem}" for p, problem in damaged])
            raise EmbeddedDatabaseError(db_backup.damage_message(self._dir.parent, damaged))
        if self._auto_backup and backup:  # FerretDB is not running yet: the files are at rest
            db_backup.auto_backup(self._dir.parent)
        sock = self._socket
        sock.unlink(missing_ok=True)  # left by a server that was killed: nobody listens on it
        log_path = self._log_dir / "ferretdb.log"
        command = [
            binary,
            "--handler=sqlite",
            f"--sqlite-url=file:{sqlite_dir.absolute()}/",
            "--listen-addr=",  # no TCP port: only the socket, which only this user can reach
            f"--listen-unix={sock}",
            f"--state-dir={state_dir.absolute()}",
            "--telemetry=disable",
            "--debug-addr=-",
            "--log-level=warn",
        ]
        with log_path.open("ab") as log_file:
            # Own session: a Ctrl+C in the terminal reaches the app, which stops us in order.
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _socket_open(str(sock)):
            if process.poll() is not None:
                raise EmbeddedDatabaseError(
                    f"The embedded database (ferretdb) exited at start with code {process.returncode}. "
                    f"Its log: {log_path}\n{_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                process.kill()
                raise EmbeddedDatabaseError(f"The embedded database did not start in {START_TIMEOUT_S:.0f} s. Log: {log_path}")
            time.sleep(0.05)
        server = ServerInfo(pid=process.pid, socket=str(sock))
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": server.pid, "socket": server.socket, "started_at": time.time()}))
        tmp.replace(self._state_file)
        log.info("embedded_db_started", pid=server.pid, socket=server.socket, data=str(sqlite_dir))
        return server

    def _stop_server(self) -> None:
        server = self._read_state()
        if server and _is_ferretdb(server.pid):
            _terminate(server.pid)
            log.info("embedded_db_stopped", pid=server.pid)
        self._state_file.unlink(missing_ok=True)


class _FileLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    def __enter__(self) -> _FileLock:
        self._file = self._path.open("a+b")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._file is not None
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


def _lock_holder_pids(lock: Path) -> set[int]:
    """The pids holding a flock on `lock`, from /proc/locks (Linux; empty elsewhere)."""
    try:
        inode = lock.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return set()
    return {int(f[4]) for f in (line.split() for line in lines)
            if len(f) >= 6 and f[1] == "FLOCK" and f[5].rsplit(":", 1)[-1] == str(inode) and f[4].isdigit()}


def _exiting(pid: int) -> bool:
    """Whether process `pid` is gone or on its way out (its main thread a zombie, threads exiting)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X", "x")


def _lock_holders(lock: Path) -> list[str]:
    """The processes holding a flock on `lock` ("pid 123 (python -m app gui)"), from /proc/locks (Linux)."""
    try:
        inode = lock.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    holders = []
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or fields[5].rsplit(":", 1)[-1] != str(inode):
            continue
        pid = fields[4]
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            command = "?"
        holders.append(f"pid {pid} ({command.strip()[:120]})")
    return sorted(set(holders))


def _socket_open(path: str) -> bool:
    """True when a server accepts connections on Unix socket `path`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(path)
            return True
        except OSError:
            return False


def _is_ferretdb(pid: int) -> bool:
    """True if `pid` is alive and is a ferretdb process (guards against reused pids)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the pid
    if b"ferretdb" not in cmdline:
        return False
    try:  # a zombie (exited child not yet reaped) is not a server
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _terminate(pid: int, timeout_s: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            reaped, _ = os.waitpid(pid, os.WNOHANG)
            if reaped == pid:
                return
        except ChildProcessError:
            pass  # not our child: poll until it is gone
        if not _is_ferretdb(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class DatabaseLease:
    """The database this process uses: VIP_MONGO_URI, or a share of the embedded server."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._embedded: EmbeddedDatabase | None = None
        self.embedded = settings.mongo_uri is None

    def acquire(self) -> DatabaseAddress:
        """Blocking (may start FerretDB): call from a thread when on the GUI loop."""
        from core.repositories.database import DatabaseAddress  # here: keeps PyMongo out of the GUI's first paint

        if self._settings.mongo_uri:
            return DatabaseAddress(self._settings.mongo_uri, self._settings.db_name)
        self._embedded = EmbeddedDatabase(self._settings.data_dir, self._settings.log_dir,
                                          self._settings.ferretdb)
        return DatabaseAddress(self._embedded.acquire(), self._settings.db_name)

    def release(self) -> None:
        if self._embedded:
            self._embedded.release()
            self._embedded = None
