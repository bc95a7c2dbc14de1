"""A PulseAudio server with one null sink, for the test session: QtMultimedia then finds an
audio output headless, so the player's audio renderer thread runs in the tests as it does on an
operator's desktop (it is the thread that took part in the player deadlock; see
ui.player_widget). Must start before QtMultimedia first looks for devices in the process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

STARTUP_S = 10.0


class NullAudio:
    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.root = Path(tempfile.mkdtemp(prefix="vip-audio-"))

    def start(self) -> str:
        """Start it and point this process (and its children) at it; the server's address."""
        binary = shutil.which("pulseaudio")
        if binary is None:
            raise RuntimeError("pulseaudio is not installed: run `bash scripts/setup.sh` (it installs it)")
        socket = self.root / "native"
        env = dict(os.environ, HOME=str(self.root), XDG_RUNTIME_DIR=str(self.root),
                   PULSE_RUNTIME_PATH=str(self.root), PULSE_STATE_PATH=str(self.root))
        self.process = subprocess.Popen(
            [binary, "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "--disallow-exit", "--log-target=stderr", "--log-level=error",
             "--load=module-null-sink sink_name=vip_null",
             f"--load=module-native-protocol-unix auth-anonymous=1 socket={socket}"],
            env=env, stdout=subprocess.DEVNULL, stderr=(self.root / "pulseaudio.log").open("wb"))
        deadline = time.monotonic() + STARTUP_S
        while not socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (self.root / "pulseaudio.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"pulseaudio did not start: {log}")
            time.sleep(0.02)
        address = f"unix:{socket}"
        os.environ["PULSE_SERVER"] = address
        return address

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        os.environ.pop("PULSE_SERVER", None)
        shutil.rmtree(self.root, ignore_errors=True)


def main(argv: list[str]) -> int:
    """`python -m tests.null_audio COMMAND...`: run COMMAND with the null audio output."""
    audio = NullAudio()
    audio.start()
    try:
        return subprocess.call(argv)
    finally:
        audio.stop()


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
