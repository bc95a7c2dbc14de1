"""The built-in video player: picture, play/pause, position slider, time, J/K/L keys.

Everything here runs on the GUI thread (the qasync loop). QMediaPlayer decodes on its own
threads, so nothing in this module blocks the loop.

Commands reach QMediaPlayer only through queued signals (`_Commands`), never as calls from
Python. Qt's FFmpeg backend tears its renderers down under its own locks, and a renderer's
thread that disconnects from a Python-made QObject (our QAudioOutput, the player) asks for
the GIL inside that teardown. A command called from Python holds the GIL while it waits for
those locks: the two wait for each other forever (seen: the window's close called `stop()`
while the audio renderer was being deleted; the app ignored SIGTERM). Queued, the command runs
from Qt's event loop, which has let go of the GIL, so the renderer thread can always finish.
PySide connects these signals to the C++ slots natively: no Python runs in between. The
widget keeps what it asked for (`_sent_ms`, `_sent_playing`) until the player has run it, so
reading the position or state right after a command sees the command.

Times: the widget's public API speaks media time — PTS seconds as stored on shots
(`Shot.start_s`). QMediaPlayer's position 0 is the first frame, which is PTS `start_s` of
the stream (usually 0), so media time = `start_s` + position / 1000.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal, SignalInstance
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

DEFAULT_FPS = 25.0
JUMP_BACK_S = 5.0
FAST_RATES = (1.0, 2.0, 4.0)  # L steps through these while playing

PLAY_KEYS = {
    Qt.Key.Key_Space: "toggle_play",
    Qt.Key.Key_K: "pause",
    Qt.Key.Key_L: "play_faster",
    Qt.Key.Key_J: "jump_back",
    Qt.Key.Key_Left: "step_back",
    Qt.Key.Key_Right: "step_forward",
    Qt.Key.Key_Home: "go_to_start",
    Qt.Key.Key_End: "go_to_end",
}
_REPEATABLE = {Qt.Key.Key_J, Qt.Key.Key_Left, Qt.Key.Key_Right}

KEY_HELP = ("Space play/pause · K pause · L play, again 2×/4× · J back 5 s · "
            "←/→ one frame · Home/End")


def format_clock(seconds: float) -> str:
    """Return 'm:ss.ff' (hundredths), or 'h:mm:ss.ff' past an hour."""
    hundredths = int(math.floor(max(0.0, seconds) * 100 + 1e-6))
    total_s, ff = divmod(hundredths, 100)
    hours, rest = divmod(total_s, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}.{ff:02d}"
    return f"{minutes}:{secs:02d}.{ff:02d}"


def _format_total(seconds: float) -> str:
    total = int(round(max(0.0, seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _SeekSlider(QSlider):
    """A slider that jumps to where it is clicked (not one page step)."""

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton:
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                                 QStyle.SubControl.SC_SliderGroove, self)
            handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                                 QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                x = int(event.position().x()) - groove.x() - handle.width() // 2
                span = max(1, groove.width() - handle.width())
                value = QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x, span)
                self.setValue(value)
                self.sliderMoved.emit(value)
        super().mousePressEvent(event)


class _Commands(QObject):
    """The player's slots, reached by queued signals (see the module docstring)."""

    play = Signal()
    pause = Signal()
    stop = Signal()
    position = Signal("qint64")  # type: ignore[arg-type]  # QMediaPlayer::setPosition(qint64)
    rate = Signal(float)
    source = Signal(QUrl)
    done = Signal()  # after each command: to a Python slot, in order, once the player ran it

    def __init__(self, player: QMediaPlayer) -> None:
        super().__init__(player)
        queued = Qt.ConnectionType.QueuedConnection
        self.play.connect(player.play, queued)
        self.pause.connect(player.pause, queued)
        self.stop.connect(player.stop, queued)
        self.position.connect(player.setPosition, queued)
        self.rate.connect(player.setPlaybackRate, queued)
        self.source.connect(player.setSource, queued)


class PlayerWidget(QWidget):
    """QMediaPlayer + QVideoWidget with transport controls; emits `position_changed(media_s)`."""

    position_changed = Signal(float)
    unloaded = Signal()  # the file is released and the decoder threads are gone

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.video = QVideoWidget()
        self.video.setMinimumSize(320, 180)
        self.video.setStyleSheet("background: black;")
        self.player.setVideoOutput(self.video)
        self._commands = _Commands(self.player)
        self._commands.done.connect(self._on_command_done, Qt.ConnectionType.QueuedConnection)
        self._in_flight = 0
        self._sent_ms: int | None = None  # a position asked for and not run yet
        self._sent_playing: bool | None = None  # play / pause asked for and not run yet
        self._sent_source = False  # a load or unload asked for and not run yet

        self.play_button = QToolButton()
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.setToolTip("Play/pause (Space)")
        self.play_button.setMinimumWidth(36)
        self.slider = _SeekSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.setToolTip("Position — drag or click to seek")
        self.time_label = QLabel()
        self.time_label.setToolTip("Position / duration (minutes:seconds.hundredths)")
        self.time_label.setStyleSheet("font-family: monospace;")
        self.rate_label = QLabel()
        self.rate_label.setMinimumWidth(28)
        self.rate_label.setToolTip("Playback speed (L: faster, K: pause)")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c0392b;")
        self.message.hide()

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.rate_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video, 1)
        layout.addWidget(self.message)
        layout.addLayout(controls)

        self._offset_s = 0.0
        self._fps = DEFAULT_FPS
        self._duration_s = 0.0
        self._frame_count: int | None = None
        self._rate = 1.0
        self._pending_ms: int | None = None
        self.play_button.clicked.connect(self.toggle_play)
        self.slider.sliderMoved.connect(self._on_slider_moved)
        self.player.positionChanged.connect(self._on_position)
        self.player.durationChanged.connect(self._on_duration)
        self.player.playbackStateChanged.connect(lambda _state: self._update_controls())
        self.player.mediaStatusChanged.connect(self._on_media_status)
        self.player.errorOccurred.connect(self._on_error)
        self._update_controls()

    # -- loading ------------------------------------------------------------------------------
    def load(self, path: str, start_s: float = 0.0, fps: float | None = None,
             duration_s: float | None = None, frame_count: int | None = None) -> None:
        """Open `path` paused on its first frame (decoding starts on QMediaPlayer's threads)."""
        self._offset_s = start_s or 0.0
        self._fps = fps if fps and fps > 0 else DEFAULT_FPS
        self._duration_s = duration_s or 0.0
        self._frame_count = frame_count or None
        self._rate = 1.0
        self._pending_ms = None
        self.message.hide()
        self.slider.setRange(0, int(self._duration_s * 1000))
        self.slider.setValue(0)
        self._send(self._commands.rate, 1.0)
        self._send_source(QUrl.fromLocalFile(path))
        self._send_playing(False)  # show the first frame instead of a black box
        self._update_controls()

    def unload(self) -> None:
        """Stop playback and release the file; `unloaded` follows once the player has done it."""
        self._pending_ms = None
        self._sent_playing = False
        self._send(self._commands.stop)
        self._send_source(QUrl())

    def is_unloaded(self) -> bool:
        """No file open and no command on its way: no decoder thread is left."""
        return not self._in_flight and self.player.source().isEmpty()

    # -- commands ------------------------------------------------------------------------------
    def _send(self, command: SignalInstance, *args: object) -> None:
        """Queue `command` for the player (see the module docstring)."""
        self._in_flight += 1
        command.emit(*args)
        self._commands.done.emit()

    def _send_position(self, ms: int) -> None:
        self._sent_ms = ms
        self._send(self._commands.position, ms)

    def _send_playing(self, playing: bool) -> None:
        self._sent_playing = playing
        self._send(self._commands.play if playing else self._commands.pause)

    def _send_source(self, url: QUrl) -> None:
        self._sent_source, self._sent_ms = True, None
        self._send(self._commands.source, url)

    def _on_command_done(self) -> None:
        self._in_flight -= 1
        if self._in_flight:
            return
        loaded = self._sent_source
        self._sent_ms = self._sent_playing = None
        self._sent_source = False
        if loaded and self.player.source().isEmpty():
            self.unloaded.emit()
        elif loaded:
            self._apply_pending()
        self._update_controls()

    def _apply_pending(self) -> None:
        """Seek to the position asked for while the file was loading, once it is loaded."""
        if self._pending_ms is None or self._loading():
            return
        target, self._pending_ms = self._pending_ms, None
        if self.is_ready():
            self._send_position(target)

    def _loading(self) -> bool:
        return self._sent_source or self.player.mediaStatus() == QMediaPlayer.MediaStatus.LoadingMedia

    def is_ready(self) -> bool:
        """True once the media is loaded and a seek will show a frame."""
        return not self._sent_source and self.player.mediaStatus() in (QMediaPlayer.MediaStatus.LoadedMedia,
                                             QMediaPlayer.MediaStatus.BufferingMedia,
                                             QMediaPlayer.MediaStatus.BufferedMedia,
                                             QMediaPlayer.MediaStatus.EndOfMedia)

    # -- state -------------------------------------------------------------------------------
    @property
    def fps(self) -> float:
        return self._fps

    def position_ms(self) -> int:
        for asked in (self._pending_ms, self._sent_ms):
            if asked is not None:
                return asked
        return self.player.position()

    def position_s(self) -> float:
        """The current media time (PTS seconds)."""
        return self._offset_s + self.position_ms() / 1000

    def is_playing(self) -> bool:
        if self._sent_playing is not None:
            return self._sent_playing
        return self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def rate(self) -> float:
        return self._rate

    def current_frame(self) -> int:
        """Index of the frame shown at the current position (0 = first frame)."""
        return int(math.floor(self.position_ms() * self._fps / 1000 + 1e-6))

    def displayed_frame_s(self) -> float | None:
        """Media time of the frame on screen (what the operator sees), if any."""
        frame = self.video.videoSink().videoFrame()
        return self._offset_s + frame.startTime() / 1e6 if frame.isValid() else None

    def _last_frame(self) -> int:
        if self._frame_count:
            return self._frame_count - 1
        duration = self._duration_s or self.player.duration() / 1000
        return max(0, math.ceil(duration * self._fps - 1e-6) - 1)

    # -- actions (also the keyboard map) ------------------------------------------------------
    def play(self, rate: float = 1.0) -> None:
        """Play from here (from the start when on the last frame)."""
        if self.current_frame() >= self._last_frame():
            self.show_frame(0)
        self._rate = rate
        self._send(self._commands.rate, rate)
        self._send_playing(True)
        self._update_controls()

    def pause(self) -> None:
        self._send_playing(False)
        if self._rate != 1.0:
            self._rate = 1.0
            self._send(self._commands.rate, 1.0)
        self._update_controls()

    def toggle_play(self) -> None:
        if self.is_playing():
            self.pause()
        else:
            self.play()

    def play_faster(self) -> None:
        """L: play forward; pressed again while playing, 2×, then 4×."""
        if not self.is_playing():
            self.play(1.0)
            return
        faster = [r for r in FAST_RATES if r > self._rate]
        self.play(faster[0] if faster else FAST_RATES[-1])

    def jump_back(self) -> None:
        """J: pause and jump back 5 s (each press jumps again)."""
        self.pause()
        self.seek(self.position_s() - JUMP_BACK_S)

    def step_back(self) -> None:
        self.step_frames(-1)

    def step_forward(self) -> None:
        self.step_frames(1)

    def step_frames(self, count: int) -> None:
        """Pause and move `count` frames (negative: back)."""
        self.pause()
        self.show_frame(self.current_frame() + count)

    def go_to_start(self) -> None:
        self.pause()
        self.show_frame(0)

    def go_to_end(self) -> None:
        self.pause()
        self.show_frame(self._last_frame())

    def seek(self, media_s: float) -> None:
        """Show the frame at media time `media_s` (PTS seconds); keeps playing if it was."""
        self.show_frame(int(math.floor((media_s - self._offset_s) * self._fps + 1e-6)))

    def show_frame(self, index: int) -> None:
        """Seek to frame `index`, clamped to the video.

        The position goes to the middle of the frame: Qt's FFmpeg backend shows, when paused,
        the frame that ends at or after the position, and the one that starts at or before it
        while playing; mid-frame both pick the same frame.
        """
        index = max(0, min(self._last_frame(), index))
        target = int(round((index + 0.5) * 1000 / self._fps))
        if self._loading():
            self._pending_ms = target  # applied once loaded
        else:
            self._send_position(target)
        self._show_position(target)
        self.position_changed.emit(self._offset_s + target / 1000)

    def handle_key(self, event: QKeyEvent) -> bool:
        """Run the action bound to `event`'s key; False when the key is not the player's."""
        key = Qt.Key(event.key())
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier or key not in PLAY_KEYS:
            return False
        if event.isAutoRepeat() and key not in _REPEATABLE:
            return True
        getattr(self, PLAY_KEYS[key])()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if not self.handle_key(event):
            super().keyPressEvent(event)

    # -- Qt signals -----------------------------------------------------------------------------
    def _on_slider_moved(self, value: int) -> None:
        self.seek(self._offset_s + value / 1000)

    def _on_position(self, ms: int) -> None:
        if self._pending_ms is not None or self._sent_ms is not None or self._sent_source:
            return  # an older position (or the closing file's): the one asked for is on its way
        self._show_position(ms)
        self.position_changed.emit(self._offset_s + ms / 1000)

    def _on_duration(self, ms: int) -> None:
        if not self._duration_s and ms > 0:
            self._duration_s = ms / 1000
            self.slider.setRange(0, ms)
            self._show_position(self.position_ms())

    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        self._apply_pending()
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            # Stay on the last frame, paused (a stopped player shows nothing).
            QTimer.singleShot(0, self.go_to_end)
        self._update_controls()

    def _on_error(self, _error: QMediaPlayer.Error, text: str) -> None:
        self.message.setText(f"Can't play this video: {text or 'unknown error'}")
        self.message.show()

    def _show_position(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(ms)
        # Show the start of the frame on screen, so stepping reads 0:02.00, 0:02.04, …
        frame_s = math.floor(ms * self._fps / 1000 + 1e-6) / self._fps
        self.time_label.setText(f"{format_clock(frame_s)} / {_format_total(self._duration_s)}")
        self.time_label.setToolTip(f"Frame {math.floor(frame_s * self._fps + 1e-6) + 1} "
                                   f"at {self._fps:g} fps")

    def _update_controls(self) -> None:
        playing = self.is_playing()
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")  # icon only; read by tests, a11y
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
        self.rate_label.setText(f"{self._rate:g}×" if playing and self._rate != 1.0 else "")
        self._show_position(self.position_ms())
