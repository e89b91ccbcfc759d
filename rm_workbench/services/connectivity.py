"""Is the central CRM reachable right now? One short, unauthenticated request.

The status bar shows online/offline from this probe and from the outcome of each
sync; nothing on screen waits for it (it runs in the background).
"""

from __future__ import annotations

import logging

from rm_workbench.sync.wire import API_PREFIX

log = logging.getLogger(__name__)

PROBE_TIMEOUT = (2.0, 3.0)  # connect, read (seconds)


def probe(server_url: str, *, ca_bundle: str | None = None) -> bool:
    """True when the central CRM at ``server_url`` (as configured: scheme, host and
    port) answers its health check with 200 within a few seconds."""
    import requests  # not at start-up (~0.1 s); the probe runs in the background

    try:
        answer = requests.get(
            f"{server_url.rstrip('/')}{API_PREFIX}/health",
            timeout=PROBE_TIMEOUT,
            verify=ca_bundle if ca_bundle else True,
            headers={"User-Agent": "rm-workbench"},
        )
    except requests.RequestException as exc:
        log.debug("probe of %s failed: %s", server_url, exc)
        return False
    return answer.status_code == 200
