#!/usr/bin/env bash
# Set everything up, check the import rules, run the whole test suite (Qt offscreen).
# Extra arguments go to the full pytest run (e.g. -k probe, -x).
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

echo "[test] 1/3 import rules (import-linter) and types (mypy --strict on core, tasks)"
.venv/bin/lint-imports
.venv/bin/mypy core tasks
echo "[test] 2/3 core and tasks with Qt blocked (they must not need PySide6)"
VIP_BLOCK_QT=1 run_pytest -q -p no:pytest-qt tests/core tests/tasks
echo "[test] 3/3 full suite"
run_pytest "$@"
