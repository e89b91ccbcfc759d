#!/usr/bin/env bash
# Refresh the translation sources from the UI code, then compile them.
# Edit rm_workbench/resources/i18n/*.ts (Qt Linguist or by hand) between the two steps.
set -euo pipefail
cd "$(dirname "$0")/.."
ts=rm_workbench/resources/i18n/rm_workbench_zh_CN.ts
case "${1:-all}" in
    update|all) .venv/bin/pyside6-lupdate -no-obsolete rm_workbench/ui/*.py rm_workbench/ui/*/*.py -ts "$ts" ;;
esac
case "${1:-all}" in
    release|all)
        .venv/bin/pyside6-lrelease "$ts" -qm "${ts%.ts}.qm"
        # Qt's own strings its zh_CN catalog leaves in English (edited by hand only).
        extra=rm_workbench/resources/i18n/qt_extra_zh_CN.ts
        .venv/bin/pyside6-lrelease "$extra" -qm "${extra%.ts}.qm" ;;
esac
