#!/usr/bin/env bash
# Each distribution of packaging/ installs alone into a fresh virtualenv and runs:
# the service without Qt, reportlab, Faker or keyring; the workbench without FastAPI,
# uvicorn, argon2 or psycopg; the demo with both programs. Run by scripts/test.sh
# (after scripts/setup.sh test: it uses that venv's interpreter and pip's cache).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
base=$(.venv/bin/python -c 'import sys; print(sys._base_executable)')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/install.log

make_venv() {  # name, then the distributions to install
    local venv=$work/$1
    shift
    "$base" -m venv "$venv"
    local args=()
    for dist in "$@"; do args+=("$root/packaging/$dist"); done
    if ! "$venv/bin/python" -m pip install -q "${args[@]}" >"$log" 2>&1; then
        cat "$log" >&2
        echo "distribution check: installing $* failed" >&2
        exit 1
    fi
}
absent() {  # venv, then modules that must not be importable
    local venv=$work/$1
    shift
    (cd "$work" && "$venv/bin/python" - "$@") <<'PY'
import importlib.util, sys
present = [name for name in sys.argv[1:] if importlib.util.find_spec(name) is not None]
if present:
    sys.exit(f"installed but must not be: {present}")
PY
}

# Everything runs in $work: from the checkout, Python would find the packages there.
cd "$work"
echo "-- rm-contract"
make_venv contract rm-contract
absent contract rm_workbench central_crm rm_demo PySide6 fastapi reportlab faker
"$work/contract/bin/python" -c 'from rm_contract.rows import ROW_MODELS; from rm_contract.tables import TABLES; assert set(ROW_MODELS) == set(TABLES)'

echo "-- central-crm"
make_venv server rm-contract central-crm
absent server rm_workbench rm_demo PySide6 shiboken6 reportlab faker keyring pypdfium2
port=$("$base" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
("$work/server/bin/central-crm" serve --db "sqlite:///$work/central.db" \
    --port "$port" --log-level warning >"$work/serve.log" 2>&1) &
server=$!
"$work/server/bin/python" - "$port" <<'PY'
import json, sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v1/health"
for _ in range(100):
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            assert json.load(answer)["ok"] is True
            break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit(f"the service did not answer at {url}")
with urllib.request.urlopen(url.replace("health", "openapi.json").replace("/api/v1", ""), timeout=5) as answer:
    paths = json.load(answer)["paths"]
assert not any(path.endswith("/demo-book") for path in paths), "a demo endpoint in production"
PY
kill "$server"
wait "$server" 2>/dev/null || true

echo "-- rm-workbench"
make_venv workbench rm-contract rm-workbench
absent workbench central_crm rm_demo fastapi starlette uvicorn argon2 psycopg faker
RM_WORKBENCH_HOME=$work/home QT_QPA_PLATFORM=offscreen "$work/workbench/bin/python" -c '
from rm_workbench.services.workbench import open_workbench
from rm_workbench.ui.main_window import MainWindow  # Qt and the widgets import
workbench = open_workbench("check", encrypt=False)
assert workbench.customers.count() == 0
workbench.close()
' 2>/dev/null
"$work/workbench/bin/rm-workbench" --help >/dev/null

echo "-- rm-demo"
make_venv demo rm-contract central-crm rm-workbench rm-demo
"$work/demo/bin/central-crm-demo" demo-book --size default --no-activity >/dev/null
"$work/demo/bin/rm-workbench-demo" --help >/dev/null
echo "distributions: each installs alone and runs"
