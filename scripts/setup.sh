#!/usr/bin/env bash
# Shared set-up for the two README commands: the Debian packages the workbench needs
# (a Chinese TrueType font, Qt's runtime libraries, poppler and Xvfb for the tests),
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

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
if [ "$what" = test ]; then
    .venv/bin/python -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
else
    .venv/bin/python -m pip install -q -e . 2>&1 | grep -v '^WARNING: Location' || true
fi
.venv/bin/python -c "import rm_workbench, central_crm" \
    || { echo "installation failed" >&2; exit 1; }
