#!/usr/bin/env bash
# Set everything up, check the import rules, run the whole test suite (Qt offscreen), then
# build the installable bundle (with its models) and run its self-test headless.
# Extra arguments go to the full pytest run (e.g. -k probe, -x) and skip the bundle step,
# as does VIP_SKIP_BUNDLE=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen

run_pytest() {
  local rc=0
  .venv/bin/python -m pytest "$@" || rc=$?
  if [ $rc -eq 5 ]; then
    echo "[test] pytest collected no tests for: $* — failing on purpose" >&2
    return 1
  fi
  return $rc
}

echo "[test] 1/4 import rules (import-linter) and types (mypy --strict on core, tasks, api and"
echo "       packaging/bundle_tools, the bundle steps build.spec runs)"
.venv/bin/lint-imports
.venv/bin/mypy core tasks api
.venv/bin/mypy --strict packaging/bundle_tools
echo "[test] 2/4 core and tasks with Qt blocked (they must not need PySide6)"
VIP_BLOCK_QT=1 run_pytest -q -p no:pytest-qt tests/core tests/tasks
echo "[test] 3/4 full suite"
run_pytest "$@"
if [ $# -gt 0 ] || [ -n "${VIP_SKIP_BUNDLE:-}" ]; then
  echo "[test] 4/4 bundle: skipped (pytest arguments given or VIP_SKIP_BUNDLE set)"
  exit 0
fi
echo "[test] 4/4 bundle: build dist/vip/ with its models (scripts/build.sh), then its self-test"
echo "       with the player stress (200 open/play/seek/close) on a null audio output"
VIP_BUNDLE_MODELS=1 bash scripts/build.sh
.venv/bin/python -m tests.null_audio dist/vip/vip --self-test --stress
