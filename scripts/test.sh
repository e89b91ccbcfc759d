#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then runs
# ruff, mypy, the import contracts (lint-imports), each distribution installed alone
# (scripts/check_distributions.sh) and pytest. Extra arguments go to pytest (e.g. -k search).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy rm_contract rm_workbench central_crm rm_demo
echo "== import contracts"
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
echo "== distributions"
bash scripts/check_distributions.sh
echo "== pytest"
.venv/bin/pytest "$@"
