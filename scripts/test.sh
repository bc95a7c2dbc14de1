#!/usr/bin/env bash
# Set everything up, check the import rules, run the whole test suite (Qt offscreen).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
echo "[test] import rules (import-linter)"
.venv/bin/lint-imports
echo "[test] pytest"
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "[test] pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit $rc
