"""Is the central CRM reachable right now? One short, unauthenticated request.

The status bar shows online/offline from this probe and from the outcome of each
sync; nothing on screen waits for it (it runs in the background).
"""

from __future__ import annotations

import logging

from rm_contract.wire import API_PREFIX
from rm_workbench.errors import InsecureServerAddress
from rm_workbench.sync.address import check_server_url

log = logging.getLogger(__name__)

PROBE_TIMEOUT = (2.0, 3.0)  # connect, read (seconds)


def probe(server_url: str, *, ca_bundle: str | None = None) -> bool:
    """True when the central CRM at ``server_url`` (as configured: scheme, host and
    port) answers its health check with 200 within a few seconds. An address the
    workbench refuses (plain http to another machine) is never probed; a redirect is
    not followed (it counts as not reachable)."""
    import requests  # not at start-up (~0.1 s); the probe runs in the background

    try:
        checked = check_server_url(server_url)
    except InsecureServerAddress as exc:
        log.debug("probe of %s refused: %s", server_url, exc)
        return False
    try:
        answer = requests.get(
            f"{checked}{API_PREFIX}/health",
            allow_redirects=False,
            timeout=PROBE_TIMEOUT,
            verify=ca_bundle if ca_bundle else True,
            headers={"User-Agent": "rm-workbench"},
        )
    except requests.RequestException as exc:
        log.debug("probe of %s failed: %s", server_url, exc)
        return False
    return answer.status_code == 200
