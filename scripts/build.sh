#!/usr/bin/env bash
# Build the installable app: dist/vip/ (PyInstaller one-folder, see build.spec) and
# dist/vip-desktop-<version>-linux-x86_64.tar.gz (vip/, vip-desktop.desktop, vip-desktop.png, .svg).
# VIP_BUNDLE_MODELS=1 bundles the analysis models too (about 205 MB more); without it a frozen
# app finds them in <data dir>/models/<name>/ (`vip models` says what is missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
say() { printf '\033[1m[build]\033[0m %s\n' "$*" >&2; }

version=$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
arch=$(uname -m)
suffix=""
case "${VIP_BUNDLE_MODELS:-}" in ""|0|false|no) ;; *) suffix="-with-models" ;; esac
tarball="dist/vip-desktop-${version}-linux-${arch}${suffix}.tar.gz"

# The bundle's OpenCV: only the modules the app uses (packaging/build_opencv.py, cached after the
# first build). VIP_OPENCV_MINIMAL=0, or a failed build, ships the PyPI wheel's instead (+105 MB).
export VIP_MINIMAL_CV2=""
case "${VIP_OPENCV_MINIMAL:-1}" in
  0|false|no) say "OpenCV: the PyPI wheel's (VIP_OPENCV_MINIMAL=0)" ;;
  *) if VIP_MINIMAL_CV2=$(.venv/bin/python packaging/build_opencv.py); then
       say "OpenCV: $VIP_MINIMAL_CV2"
     else
       VIP_MINIMAL_CV2=""
       say "OpenCV: the minimal build failed (see above); shipping the PyPI wheel's instead"
     fi ;;
esac

say "PyInstaller: build.spec → dist/vip/ (models bundled: ${suffix:+yes}${suffix:-no})"
start=$SECONDS
.venv/bin/pyinstaller --noconfirm --log-level WARN build.spec
say "built in $((SECONDS - start)) s"

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -a dist/vip "$staging/vip"
cp packaging/vip-desktop.desktop packaging/vip-desktop.png packaging/vip-desktop.svg "$staging/"
tar -C "$staging" -czf "$tarball" vip vip-desktop.desktop vip-desktop.png vip-desktop.svg

say "bundle: $(du -sh dist/vip | cut -f1) in dist/vip/ (largest: du -a dist/vip | sort -n | tail)"
say "tarball: $(du -h "$tarball" | cut -f1) $tarball"
say "try it: dist/vip/vip --help; QT_QPA_PLATFORM=offscreen dist/vip/vip --self-test"
echo "$tarball"
