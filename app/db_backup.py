"""Back up the embedded database's SQLite files, list the backups, and spot damaged files.

Runs in: `vip db backup|backups|restore|check` (app/db_cli.py); the process that starts the
embedded server (app/embedded_db.py, under start.lock, before FerretDB runs: the damaged-file
check and the automatic daily backup); the migration step (app/migrate.py calls
`make_backup(settings, "pre-migration")` from a thread while the server runs).

Each `*.sqlite` file is copied with SQLite's online backup API in one step: a consistent
snapshot even while FerretDB writes. A backup is written into a hidden temp folder and renamed
into `<data dir>/backups/<UTC time>-<reason>/` only when complete, so a half backup never looks
whole. Only the standard library at import time.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import structlog

if TYPE_CHECKING:
    from app.settings import Settings

log = structlog.get_logger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
MANIFEST = "manifest.json"
AUTO = "auto"
KEEP_AUTO = 3
AUTO_EVERY = timedelta(hours=24)
_STAMP = "%Y%m%dT%H%M%SZ"
_CORRUPTION_MARKS = {"malformed": "database disk image is malformed", "not a database": "file is not a database"}


class BackupError(RuntimeError):
    """A backup cannot be made or read; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class BackupFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Backup:
    """One complete backup folder, as its manifest describes it."""

    path: Path
    created_at: datetime
    reason: str
    files: list[BackupFile]
    counts: dict[str, dict[str, int]]  # database -> collection -> documents
    app_version: str

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def documents(self) -> int:
        return sum(n for colls in self.counts.values() for n in colls.values())

    @classmethod
    def load(cls, path: Path) -> Backup:
        """Read `path/manifest.json`; BackupError when it is missing or unreadable."""
        try:
            data = json.loads((path / MANIFEST).read_text())
            return cls(
                path=path, created_at=datetime.fromisoformat(data["created_at"]), reason=str(data["reason"]),
                files=[BackupFile(str(f["name"]), int(f["size"]), str(f["sha256"])) for f in data["files"]],
                counts={db: {c: int(n) for c, n in colls.items()} for db, colls in data["counts"].items()},
                app_version=str(data.get("app_version", "?")),
            )
        except FileNotFoundError:
            raise BackupError(f"{path} is not a VIP backup (no {MANIFEST}); `vip db backups` lists them") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{path / MANIFEST} cannot be read ({exc}); pick another backup "
                              "(`vip db backups`)") from None


def sqlite_dir(data_dir: Path) -> Path:
    """Where FerretDB keeps one SQLite file per database."""
    return data_dir / "db" / "sqlite"


def backups_dir(data_dir: Path) -> Path:
    return data_dir / "backups"


def database_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.sqlite") if p.is_file())


# -- making backups ------------------------------------------------------------------------

def make_backup(settings: Settings, reason: str) -> Path:
    """Back up the embedded database now (online; safe while the server runs); return the folder."""
    return backup_data_dir(settings.data_dir, reason)


def latest_backup(settings: Settings, reason: str | None = None) -> Path | None:
    """The newest complete backup in `<data dir>/backups` (of `reason`, if given), or None."""
    found = [b for b in list_backups(settings.data_dir) if reason is None or b.reason == reason]
    return found[0].path if found else None


def backup_data_dir(data_dir: Path, reason: str, to: Path | None = None, now: datetime | None = None) -> Path:
    """Copy every `*.sqlite` file of `data_dir`'s embedded database into a new backup folder
    under `to` (default `<data dir>/backups`), with its manifest; return the folder.

    Raises BackupError when there is nothing to back up; OSError/sqlite3.Error when copying
    fails (then nothing is left behind)."""
    sources = database_files(sqlite_dir(data_dir))
    if not sources:
        raise BackupError(f"There is no embedded database in {sqlite_dir(data_dir)} to back up")
    parent = to or backups_dir(data_dir)
    parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_temp_folders(parent)
    started = time.monotonic()
    created = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    tmp = parent / f".tmp-{created.strftime(_STAMP)}-{reason}-{os.getpid()}"
    tmp.mkdir()
    try:
        files: list[dict[str, str | int]] = []
        counts: dict[str, dict[str, int]] = {}
        size = 0
        for source in sources:
            target = tmp / source.name
            counts[source.stem] = _copy_online(source, target)
            files.append({"name": source.name, "size": target.stat().st_size, "sha256": sha256_of(target)})
            size += target.stat().st_size
        manifest = {"format": 1, "created_at": created.isoformat(), "reason": reason,
                    "app_version": _app_version(), "source": str(sqlite_dir(data_dir)),
                    "files": files, "counts": counts, "counts_from": "the copied files"}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        final = _free_name(parent, f"{created.strftime(_STAMP)}-{reason}")
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("db_backup_made", path=str(final), reason=reason, files=len(files),
             bytes=size, took_s=round(time.monotonic() - started, 2))
    return final


def _copy_online(source: Path, target: Path) -> dict[str, int]:
    """One `sqlite3` backup step over the whole file: a consistent snapshot while others write.

    Returns the copy's documents per collection."""
    src = sqlite3.connect(f"file:{quote(str(source.absolute()))}?mode=rw", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            counts = collection_counts(dst)
        finally:
            dst.close()
    finally:
        src.close()
    for extra in ("-wal", "-shm", "-journal"):  # closing the copy folds its WAL in
        Path(f"{target}{extra}").unlink(missing_ok=True)
    return counts


def collection_counts(con: sqlite3.Connection) -> dict[str, int]:
    """Documents per collection in one of FerretDB's SQLite files."""
    try:
        tables = con.execute("SELECT name, table_name FROM _ferretdb_collections ORDER BY name").fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return {}  # a database FerretDB has not put a collection into yet
        raise
    return {str(name): int(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]) for name, table in tables}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _free_name(parent: Path, name: str) -> Path:
    candidate, n = parent / name, 2
    while candidate.exists():
        candidate, n = parent / f"{name}-{n}", n + 1
    return candidate


def _remove_abandoned_temp_folders(parent: Path) -> None:
    """Half backups of processes that died while copying (their pid is gone)."""
    for folder in parent.glob(".tmp-*"):
        try:
            pid = int(folder.name.rsplit("-", 1)[1])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # alive, someone else's


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vip-desktop")
    except PackageNotFoundError:
        return "unknown"


# -- listing and pruning -------------------------------------------------------------------

def list_backups(data_dir: Path, where: Path | None = None) -> list[Backup]:
    """The complete backups in `where` (default `<data dir>/backups`), newest first."""
    folder = where or backups_dir(data_dir)
    found = []
    for path in folder.glob("*") if folder.is_dir() else []:
        if path.is_dir() and not path.name.startswith(".") and (path / MANIFEST).is_file():
            try:
                found.append(Backup.load(path))
            except BackupError as exc:
                log.warning("db_backup_unreadable", path=str(path), error=str(exc))
    return sorted(found, key=lambda b: (b.created_at, b.path.name), reverse=True)


def auto_backup(data_dir: Path, now: datetime | None = None) -> Path | None:
    """Make the automatic backup if the newest is older than 24 h, keep the newest 3; return it.

    Called by the process that starts the embedded server, before FerretDB runs. Skips an
    empty library; never raises (a failed backup is logged and the start goes on)."""
    now = now or datetime.now(timezone.utc)
    if not any(f.stat().st_size > 0 for f in database_files(sqlite_dir(data_dir))):
        return None
    autos = [b for b in list_backups(data_dir) if b.reason == AUTO]
    if autos and now - autos[0].created_at < AUTO_EVERY:
        return None
    try:
        path = backup_data_dir(data_dir, AUTO, now=now)
    except (OSError, sqlite3.Error, BackupError) as exc:
        full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
        log.warning("db_auto_backup_failed", error=str(exc), disk_full=full, data=str(data_dir))
        return None
    pruned = prune_auto(data_dir)
    log.info("db_auto_backup", path=str(path), pruned=[str(p) for p in pruned])
    return path


def prune_auto(data_dir: Path, keep: int = KEEP_AUTO) -> list[Path]:
    """Delete all but the newest `keep` automatic backups; manual and pre-migration ones stay."""
    autos = [b for b in list_backups(data_dir) if b.reason == AUTO]
    removed = []
    for old in autos[keep:]:
        shutil.rmtree(old.path, ignore_errors=True)
        removed.append(old.path)
    return removed


# -- damage ----------------------------------------------------------------------------------

def damaged_files(folder: Path) -> list[tuple[Path, str]]:
    """Cheap start-up check of each `*.sqlite` file: readable, and SQLite's header. (path, problem)."""
    if folder.is_dir() and not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
        return [(folder, "the folder cannot be read or written (permission denied)")]
    problems = []
    for path in sorted(folder.glob("*.sqlite")):
        try:
            with path.open("rb") as f:
                head = f.read(len(SQLITE_HEADER))
            if not os.access(path, os.W_OK):
                problems.append((path, "it cannot be written (permission denied)"))
            elif head and head != SQLITE_HEADER:
                problems.append((path, "file is not a database"))
        except PermissionError:
            problems.append((path, "it cannot be read (permission denied)"))
        except OSError as exc:
            problems.append((path, f"it cannot be read: {exc.strerror or exc}"))
    return problems


def damage_message(data_dir: Path, damaged: list[tuple[Path, str]], from_check: bool = False) -> str:
    """One message for the operator: which files, what is wrong, and what to do (`from_check`:
    said by `vip db check`, which it then does not suggest)."""
    what = ", ".join(f"{path} ({problem})" for path, problem in damaged)
    if all("permission denied" in problem for _, problem in damaged):
        return (f"The library database cannot be opened: {what}. Give your user read and write access "
                f"to it (ls -l {damaged[0][0].parent})" + ("" if from_check else ", or check it with vip db check"))
    if len(damaged) == 1:
        subject = f"The library database {damaged[0][0]} is damaged ({damaged[0][1]})"
    else:
        subject = f"The library database files {what} are damaged"
    backups = list_backups(data_dir)
    autos = [b for b in backups if b.reason == AUTO]
    best = autos[0] if autos else (backups[0] if backups else None)
    if best is None:
        check = "" if from_check else "Check it with vip db check; "
        return (f"{subject}, and there is no backup of it in {backups_dir(data_dir)}. "
                f"{check}move {sqlite_dir(data_dir)} aside to start an empty library")
    kind = "automatic backup" if best.reason == AUTO else f"{best.reason} backup"
    when = best.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return (f"{subject}. Restore the {kind} from {when}: vip db restore {best.path}"
            + ("" if from_check else "  (or check it with vip db check)"))


def corruption_kind(exc: BaseException) -> str | None:
    """SQLite's words for the damage ("database disk image is malformed") when `exc`, or an
    exception it was raised from, is SQLite corruption surfacing through FerretDB; else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current).lower()
        for mark, words in _CORRUPTION_MARKS.items():
            if mark in text:
                return words
        current = current.__cause__ or current.__context__
    return None


def is_corruption_error(exc: BaseException) -> bool:
    return corruption_kind(exc) is not None


def corruption_message(data_dir: Path, exc: BaseException) -> str:
    """The message for a corruption error found after start: the damaged files if the cheap
    check sees them, else the database folder (`vip db check` finds the file)."""
    damaged = damaged_files(sqlite_dir(data_dir)) or [(sqlite_dir(data_dir), corruption_kind(exc) or "damaged")]
    return damage_message(data_dir, damaged)
