"""Open, play, seek and close the review page and the window, many times over: the player must
never hang the app (see ui.player_widget's docstring for the deadlock this guards against).

Run by the test suite (tests/ui/test_player_stress.py) and by the installed app
(`vip --self-test --stress`), both under a native watchdog: a hang here holds the GIL, so only
a thread that needs no Python (faulthandler's) can still end the process and say where.
Needs a running asyncio loop on Qt (qasync) and a QApplication.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import QApplication

from core.models import MediaInfo, Video
from ui.main_view import MainView

WINDOW_EVERY = 4  # a new window every this many rounds (the others reuse the review page)
RELEASE_TIMEOUT_S = 5.0


@dataclass
class StressReport:
    rounds: int = 0
    windows: int = 0
    loaded: int = 0  # rounds in which the clip had loaded before it was closed
    slowest_release_ms: float = 0.0  # from closing the page to the player holding no file
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.rounds} rounds, {self.windows} windows, {self.loaded} loaded before closing; "
                f"slowest release {self.slowest_release_ms:.0f} ms; {self.seconds:.1f} s")


async def _until(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def stress_player(clip: Path, media: MediaInfo, rounds: int = 200, budget_s: float = 60.0,
                        seed: int = 7) -> StressReport:
    """Each round: open `clip` on the review page, wait a random moment (sometimes until it has
    loaded), play, seek, maybe step frames, then close the page; every `WINDOW_EVERY` rounds the
    window is closed and deleted too. Stops early at `budget_s` (the report says how far it got)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication), "needs a QApplication"
    quits = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # closing each window must not end the loop
    try:
        return await _stress(clip, media, rounds, budget_s, random.Random(seed))
    finally:
        app.setQuitOnLastWindowClosed(quits)


async def _stress(clip: Path, media: MediaInfo, rounds: int, budget_s: float, rng: random.Random) -> StressReport:
    report = StressReport()
    started = time.monotonic()
    video = Video(project_id="stress", path=str(clip), fingerprint="stress", size_bytes=clip.stat().st_size,
                  media=media)
    view: MainView | None = None
    for index in range(rounds):
        if time.monotonic() - started > budget_s:
            report.problems.append(f"stopped at the {budget_s:.0f} s budget after {index} rounds")
            break
        if view is None:
            view = MainView()
            view.show()
            report.windows += 1
        detail = view.detail
        view.show_detail()
        detail.show_video(video, [])
        if rng.random() < 0.5 and await _until(detail.player.is_ready, 5.0):
            report.loaded += 1
        else:
            await asyncio.sleep(rng.uniform(0.0, 0.03))
        detail.player.play()
        await asyncio.sleep(rng.uniform(0.0, 0.05))
        detail.player.seek(rng.uniform(0.0, media.duration_s or 1.0))
        if rng.random() < 0.3:
            detail.player.step_forward()
            detail.player.step_back()
        await asyncio.sleep(rng.uniform(0.0, 0.02))
        closing = time.monotonic()
        last_of_window = (index + 1) % WINDOW_EVERY == 0 or index == rounds - 1
        if last_of_window:
            view.close()  # closes the page too (closeEvent)
        else:
            detail.go_back()
        if not await _until(view.media_released, RELEASE_TIMEOUT_S):
            report.problems.append(f"round {index + 1}: the player still held the file "
                                   f"{RELEASE_TIMEOUT_S:.0f} s after closing")
        report.slowest_release_ms = max(report.slowest_release_ms, (time.monotonic() - closing) * 1000)
        if last_of_window:
            view.deleteLater()
            view = None
            await asyncio.sleep(0)  # deleted by the loop, in C++, without the GIL
        report.rounds += 1
    report.seconds = time.monotonic() - started
    return report
