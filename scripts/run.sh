#!/usr/bin/env bash
# Set everything up and start VIP Desktop with the embedded database, queue and local workers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
if [ $# -eq 0 ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "No display found: starting the GUI inside a virtual X server (xvfb-run)." >&2
  echo "On a server, use '.venv/bin/vip analyze PATH...' or '.venv/bin/vip worker' instead." >&2
  exec xvfb-run -a .venv/bin/vip gui
fi
exec .venv/bin/vip "$@"
