"""Build the Huey instance: SqliteHuey on one machine, RedisHuey across machines."""

from __future__ import annotations

from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey

QUEUE_NAME = "vip"


def make_huey(data_dir: Path, redis_url: str | None = None, immediate: bool = False) -> Huey:
    """Return the queue shared by the GUI, the CLI and every worker of this installation."""
    if redis_url:
        return RedisHuey(QUEUE_NAME, url=redis_url, immediate=immediate)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(data_dir / "queue.db"), immediate=immediate)
