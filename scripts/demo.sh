#!/usr/bin/env bash
# Installs the workbench and launches it over the demo book (Chinese demo data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
exec .venv/bin/rm-workbench-demo "$@"
