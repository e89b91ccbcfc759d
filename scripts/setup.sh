#!/usr/bin/env bash
# Shared set-up for the two README commands: the Debian packages the workbench needs
# (a Chinese TrueType font, Qt's runtime libraries; for the tests poppler, Xvfb and
# nginx, which tests/security/test_transport_tls.py runs in front of the service),
# then a virtualenv in .venv with the project installed in it.
# Usage: scripts/setup.sh [app|test]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-app}

debs=(fonts-wqy-microhei libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1
      libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
      libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-randr0)
if [ "$what" = test ]; then
    debs+=(poppler-utils xvfb)
    # Any nginx will do (another flavour already installed is kept).
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || debs+=(nginx-light)
fi

if command -v dpkg >/dev/null 2>&1; then
    missing=()
    for pkg in "${debs[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        echo "Installing Debian packages: ${missing[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
else
    echo "Not a Debian-like system: install a Chinese TrueType font yourself." >&2
fi

# CPython 3.12 or newer: its None is immortal. On 3.11, PySide6 6.11/6.12 drop a
# reference to None on every call of a Qt method that returns nothing, and a workbench
# left open for a working day aborts with "Fatal Python error: none_dealloc"
# (tests/ui/test_none_refcount.py). pyproject.toml requires >=3.12 as well.
find_python() {
    local candidate pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
    # pyenv's versions, wherever pyenv lives (its shims for python3.12 fail when the
    # global version is another one).
    if command -v pyenv >/dev/null 2>&1; then
        pyenv_root=$(dirname "$(dirname "$(readlink -f "$(command -v pyenv)")")")
    fi
    for candidate in "${PYTHON:-}" python3.12 python3.13 python3 \
            "$pyenv_root"/versions/3.12*/bin/python3 "$pyenv_root"/versions/3.13*/bin/python3 \
            /usr/local/bin/python3.12 /usr/local/bin/python3.13 \
            .uv-python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
        if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
# No CPython 3.12 on the machine (Debian 12 ships 3.11): uv, from PyPI, installs one.
install_python() {
    local base found
    base=$(command -v python3) || return 1
    echo "No CPython 3.12 found: installing one with uv (from PyPI)" >&2
    "$base" -m venv .uv-bootstrap >/dev/null 2>&1 || return 1
    .uv-bootstrap/bin/python -m pip install -q uv >/dev/null 2>&1 || return 1
    export UV_PYTHON_INSTALL_DIR="$PWD/.uv-python-store"
    .uv-bootstrap/bin/uv python install -q 3.12 >/dev/null 2>&1 || return 1
    found=$(.uv-bootstrap/bin/uv python find 3.12) || return 1
    ln -sfn "$found" .uv-python3
}
venv_ok() {
    [ -x .venv/bin/python ] && .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null
}
if ! venv_ok; then
    python=$(find_python) || { install_python && python=$(find_python); } || {
        echo "The workbench needs CPython 3.12 or newer (3.11 with PySide6 6.11+ aborts after" >&2
        echo "hours of use). Install python3.12 (for example with pyenv or uv) or set PYTHON=/path." >&2
        exit 1
    }
    rm -rf .venv
    "$python" -m venv .venv
fi
# pip's and setuptools' chatter goes to a log, shown only when the install fails.
log=.venv/install.log
target=.
[ "$what" = test ] && target='.[test]'
if ! { .venv/bin/python -m pip install -q --upgrade pip && \
        .venv/bin/python -m pip install -q -e "$target"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "installation failed (the log above is in $log)" >&2
    exit 1
fi
.venv/bin/python -c "import rm_workbench, central_crm" \
    || { echo "installation failed" >&2; exit 1; }
