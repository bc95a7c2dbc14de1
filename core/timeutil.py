"""Time helpers shared by the models and the repositories, and the one m:ss clock."""

from __future__ import annotations

import math
from datetime import datetime, timezone


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime, truncated to milliseconds (BSON precision)."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def as_utc(value: datetime | None) -> datetime | None:
    """Return `value` as an aware UTC datetime (naive values are taken to be UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_timestamp(seconds: float) -> str:
    """Return a moment in a video as 'm:ss', or 'h:mm:ss' past an hour.

    The one clock of the review screen's lists (shots, transcript, on-screen text, faces,
    search hits). Rounded down, so a line never reads later than the player's clock shows.
    """
    total = int(math.floor(max(0.0, seconds) + 1e-6))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
