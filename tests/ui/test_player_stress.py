"""The player never hangs the app: 200 rounds of open, play, seek and close (review page and
window), under a native watchdog. See ui.player_widget's docstring for the deadlock."""

from __future__ import annotations

import asyncio
import faulthandler
import sys
from typing import Any

from core.media.probe import probe
from tests.media import MediaSet
from ui.player_stress import stress_player
from ui.player_widget import PlayerWidget

WATCHDOG_S = 150  # a hang holds the GIL: only faulthandler's thread can still end the run


def test_opening_playing_seeking_and_closing_200_times_never_hangs(
        qloop: asyncio.AbstractEventLoop, qapp: Any, media: MediaSet) -> None:
    from PySide6.QtMultimedia import QMediaDevices

    # The audio renderer is the thread that took part: it runs only with an audio output.
    assert QMediaDevices.audioOutputs(), "no audio output: the null PulseAudio sink (tests/null_audio.py) is missing"
    info = probe(media.good)  # 4 s, h264 + aac
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True, file=sys.stderr)
    try:
        report = qloop.run_until_complete(stress_player(media.good, info, rounds=200, budget_s=90))
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert report.problems == [], report.summary()
    assert report.rounds == 200 and report.windows == 50
    assert report.loaded > 50  # about half the rounds wait for the clip; the others close it loading


def test_commands_reach_the_player_from_the_event_loop_not_from_python(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, media: MediaSet) -> None:
    # The fix itself: no QMediaPlayer command runs inside a Python call (holding the GIL).
    player = PlayerWidget()
    qtbot.addWidget(player)
    calls: list[str] = []

    def profile(_frame: Any, event: str, arg: Any) -> None:
        if event == "c_call" and getattr(arg, "__self__", None) is player.player:
            calls.append(arg.__name__)

    sys.setprofile(profile)
    try:
        player.load(str(media.good), duration_s=4.0)
        player.play()
        player.seek(2.0)
        assert player.is_playing() and abs(player.position_s() - 2.02) < 0.03  # as asked, at once
        player.unload()
        qtbot.waitUntil(player.is_unloaded, timeout=5000)
    finally:
        sys.setprofile(None)
    mutating = {"play", "pause", "stop", "setPosition", "setSource", "setPlaybackRate"}
    assert mutating.isdisjoint(calls), calls
    assert player.player.source().isEmpty() and not player.is_playing()
