"""`vip db backup|restore|check|backups`: the embedded database's backups and repair.

Runs in the `vip db …` CLI process (sync; no event loop). Backups are made online (the
server may run and other processes write); a restore needs the database to itself and says
which processes to close. With VIP_MONGO_URI the server's own tools are the way.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

import structlog

from app.db_backup import (
    Backup,
    BackupError,
    backup_data_dir,
    backups_dir,
    damage_message,
    damaged_files,
    database_files,
    list_backups,
    sha256_of,
    sqlite_dir,
)
from app.embedded_db import EmbeddedDatabase, EmbeddedDatabaseError
from app.settings import Settings

log = structlog.get_logger(__name__)

Say = Callable[[str], None]
REMOTE = ("The database is a MongoDB server (VIP_MONGO_URI is set): back it up and restore it with the "
          "server's own tools, mongodump and mongorestore; `vip db` handles only the embedded database.")


def run_db(settings: Settings, action: str, *, backup: Path | None = None, to: Path | None = None,
           as_json: bool = False, out: TextIO = sys.stdout) -> int:
    """Run one `vip db` action; return the exit code (0 ok, 1 failed or found a problem)."""
    def say(line: str) -> None:
        print(line, file=out, flush=True)

    if settings.mongo_uri:
        print(f"vip: {REMOTE}", file=sys.stderr)
        return 1
    try:
        if action == "backup":
            return _backup(settings, to, say)
        if action == "backups":
            return _list(settings, as_json, say)
        if action == "restore":
            assert backup is not None
            return restore(settings, backup, say)
        if action == "check":
            return check(settings, say)
    except BackupError as exc:
        print(f"vip: {exc}", file=sys.stderr)
        return 1
    raise AssertionError(f"unhandled db action {action}")


def _backup(settings: Settings, to: Path | None, say: Say) -> int:
    try:
        path = backup_data_dir(settings.data_dir, "manual", to.expanduser().absolute() if to else None)
    except (OSError, sqlite3.Error) as exc:
        print(f"vip: the backup failed ({exc}); nothing was kept. Free some space or pick another "
              "folder with --to", file=sys.stderr)
        return 1
    made = Backup.load(path)
    say(f"Backed up {len(made.files)} file(s), {_size(made.size)}, {made.documents:,} documents to {path}")
    say(f"Restore it with: vip db restore {path}")
    return 0


def _list(settings: Settings, as_json: bool, say: Say) -> int:
    found = list_backups(settings.data_dir)
    if as_json:
        for b in found:
            say(json.dumps({"path": str(b.path), "created_at": b.created_at.isoformat(), "reason": b.reason,
                            "bytes": b.size, "documents": b.documents, "counts": b.counts,
                            "app_version": b.app_version}))
        return 0
    if not found:
        say(f"No backups yet in {backups_dir(settings.data_dir)} (make one with: vip db backup)")
        return 0
    say(f"{'created (UTC)':<17}  {'reason':<13}  {'size':>9}  {'documents':>11}  folder")
    for b in found:
        say(f"{b.created_at.strftime('%Y-%m-%d %H:%M'):<17}  {b.reason:<13}  {_size(b.size):>9}  "
            f"{b.documents:>11,}  {b.path}")
    return 0


# -- restore ---------------------------------------------------------------------------------

def restore(settings: Settings, path: Path, say: Say) -> int:
    """Replace the embedded database's files with a backup's, keeping the current ones aside,
    then start the server and check it holds the backup's documents."""
    backup = Backup.load(path.expanduser().absolute())
    _verify(backup.path, backup, "the backup")
    data_dir = settings.data_dir
    target = sqlite_dir(data_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"sqlite.before-restore-{stamp}")
    server = EmbeddedDatabase(data_dir, settings.log_dir, settings.ferretdb, auto_backup=False)
    try:
        with server.exclusive_use():
            if target.exists():
                target.rename(aside)
            target.mkdir(parents=True)
            try:
                for f in backup.files:
                    shutil.copyfile(backup.path / f.name, target / f.name)
                _verify(target, backup, "the restored copy")
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                if aside.exists():
                    aside.rename(target)
                raise
    except EmbeddedDatabaseError as exc:
        print(f"vip: cannot restore: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"vip: the restore failed ({exc}); the database was left as it was", file=sys.stderr)
        return 1
    log.info("db_restored", backup=str(backup.path), aside=str(aside))
    say(f"Restored the backup of {backup.created_at.strftime('%Y-%m-%d %H:%M UTC')} ({backup.reason}): "
        f"{len(backup.files)} file(s), checksums verified")
    if aside.exists():
        say(f"The database as it was before is kept in {aside} (delete it when you no longer need it)")
    wrong = _server_counts_differ(server, backup.counts)
    if wrong:
        say(f"vip: the restored database does not answer as expected: {wrong}")
        return 1
    say(f"The database answers: {backup.documents:,} documents in "
        f"{sum(len(c) for c in backup.counts.values())} collections, as in the backup")
    return 0


def _verify(folder: Path, backup: Backup, what: str) -> None:
    for f in backup.files:
        path = folder / f.name
        if not path.is_file():
            raise BackupError(f"{what} lacks {path}; pick another backup (`vip db backups`)")
        if sha256_of(path) != f.sha256:
            raise BackupError(f"{what}'s {path} does not match its checksum in {backup.path / 'manifest.json'} "
                              "(damaged); pick another backup (`vip db backups`)")


def _server_counts_differ(server: EmbeddedDatabase, expected: dict[str, dict[str, int]]) -> str:
    """Start (or join) the server and compare documents per collection; '' when all match."""
    try:
        counts = _server_counts(server.acquire(), list(expected))
    except EmbeddedDatabaseError as exc:
        return str(exc)
    finally:
        server.release()
    wrong = [f"{db}.{coll}: {counts.get(db, {}).get(coll, 0)} documents, the backup has {n}"
             for db, colls in expected.items() for coll, n in colls.items()
             if counts.get(db, {}).get(coll, 0) != n]
    return "; ".join(wrong)


def _server_counts(uri: str, databases: list[str]) -> dict[str, dict[str, int]]:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(uri, serverSelectionTimeoutMS=10_000)
    try:
        client.admin.command("ping")
        return {name: {coll: int(client[name].command("count", coll)["n"])
                       for coll in sorted(client[name].list_collection_names())}
                for name in databases}
    finally:
        client.close()


# -- check -----------------------------------------------------------------------------------

def check(settings: Settings, say: Say) -> int:
    """SQLite's integrity check on each file (read-only), then the server answers and counts."""
    folder = sqlite_dir(settings.data_dir)
    files = database_files(folder)
    if not files:
        say(f"ok: no library database yet in {folder}")
        return 0
    problems = damaged_files(folder)
    for path in files:
        if any(path == p for p, _ in problems):
            continue
        problem = _integrity(path)
        if problem:
            problems.append((path, problem))
        else:
            say(f"ok: {path} (integrity check passed)")
    if problems:
        for path, problem in problems:
            say(f"damaged: {path}: {problem}")
        say(damage_message(settings.data_dir, problems, from_check=True))
        return 1
    server = EmbeddedDatabase(settings.data_dir, settings.log_dir, settings.ferretdb, auto_backup=False)
    try:
        counts = _server_counts(server.acquire(), [p.stem for p in files])
    except Exception as exc:  # noqa: BLE001 - whatever stops the server is reported, with what to do
        say(f"problem: the database server does not answer: {exc}")
        say(f"Look at its log in {settings.log_dir / 'ferretdb.log'}; if it names a file, restore a backup "
            "(vip db backups, then vip db restore FOLDER)")
        return 1
    finally:
        server.release()
    for name, colls in counts.items():
        say(f"ok: database {name!r} answers: {len(colls)} collections, {sum(colls.values()):,} documents")
    return 0


def _integrity(path: Path) -> str:
    """'' when `PRAGMA integrity_check` passes, else its first findings."""
    try:
        con = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True, timeout=30)
        try:
            rows = [str(r[0]) for r in con.execute("PRAGMA integrity_check(20)")]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return str(exc)
    return "" if rows == ["ok"] else "; ".join(rows[:3])


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
