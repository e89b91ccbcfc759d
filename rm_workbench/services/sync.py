"""The sync use case: log in, sync now, and the numbers the status bar shows.

The login token lives only in the OS keyring (never in SQLite, settings or logs).
Without a keyring the token is kept in memory for this run and the RM is told.
An expired token raises AuthRequired; pending edits stay queued until the RM logs
in again. Signing out (:meth:`SyncService.logout`) revokes the token on the server
and forgets it here.
"""

from __future__ import annotations

import contextlib
import logging
import platform
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from rm_contract.wire import LoginRequest, UserInfo
from rm_workbench import keystore
from rm_workbench.db import protect
from rm_workbench.db.engine import Cache, Writer, run_here
from rm_workbench.errors import AuthRequired, SecretStoreUnavailable, SyncError
from rm_workbench.models import LocalConflict, OutboxEntry, RejectedEdit, SyncState
from rm_workbench.sync.address import check_server_url as check_server_url
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import (
    DEFAULT_VERIFY_EVERY,
    LAST_SYNC,
    RM_ID,
    Progress,
    SyncEngine,
    SyncReport,
    device_id,
)

log = logging.getLogger(__name__)

SERVER_URL = "server_url"
USERNAME = "username"
# Hours between two checksum passes of this profile ("0": every sync); see
# SyncEngine.verify_due. Unset: DEFAULT_VERIFY_EVERY.
VERIFY_EVERY_HOURS = "verify_every_hours"


@dataclass(frozen=True)
class SyncStatus:
    server_url: str | None
    username: str | None
    pending_edits: int
    conflicts: int
    # Edits the central CRM refused, waiting for the RM (send again or discard).
    rejected: int
    last_sync_at: datetime | None
    logged_in: bool


class SyncService:
    """Sync of one profile's cache with its central CRM.

    ``writer`` runs each transaction (:data:`~rm_workbench.services.changes.Writer`):
    the UI sets its writer lane there, and calls :meth:`sync` and :meth:`login` on a
    thread of their own, so that only the transactions wait for the writer lane and
    the network waits happen elsewhere."""

    def __init__(
        self,
        cache: Cache,
        profile: str,
        *,
        ca_bundle: str | None = None,
        writer: Writer = run_here,
    ) -> None:
        self.cache = cache
        self.profile = profile
        self.ca_bundle = ca_bundle
        self.writer = writer
        # Used only when the machine has no keyring: the token then lives for this run.
        self._memory_token: str | None = None
        self.warning: str | None = None

    # --- settings kept in the cache (not secret) ---------------------------------

    def _state(self, key: str) -> str | None:
        with self.cache.engine.connect() as conn:
            return conn.execute(select(SyncState.value).where(SyncState.key == key)).scalar()

    def _set_state(self, key: str, value: str | None) -> None:
        def write() -> None:
            with self.cache.session() as session:
                if value is None:
                    found = session.get(SyncState, key)
                    if found is not None:
                        session.delete(found)
                else:
                    session.merge(SyncState(key=key, value=value))

        self.writer(write)

    def configured_server(self) -> str | None:
        return self._state(SERVER_URL)

    def verify_every(self) -> timedelta:
        """How often a sync proves convergence with checksums when not asked to."""
        value = self._state(VERIFY_EVERY_HOURS)
        try:
            hours = float(value) if value is not None else None
        except ValueError:
            hours = None
        if hours is None or not hours >= 0:  # unset, damaged or NaN: the default
            return DEFAULT_VERIFY_EVERY
        return timedelta(hours=hours)

    def set_verify_every(self, hours: float) -> None:
        """Keep ``hours`` (0: every sync) as this profile's checksum interval."""
        if not hours >= 0:
            raise ValueError(f"the checksum interval must be 0 or more hours, not {hours}")
        self._set_state(VERIFY_EVERY_HOURS, repr(float(hours)))

    # --- login and token ---------------------------------------------------------

    def _token(self, server_url: str) -> str | None:
        if self._memory_token is not None:
            return self._memory_token
        try:
            return keystore.sync_token(self.profile, server_url)
        except SecretStoreUnavailable as exc:
            self.warning = exc.user_message
            return None

    def token_for(self, server_url: str) -> str | None:
        """The stored login token for ``server_url`` (None: the RM must log in)."""
        return self._token(server_url)

    def login(self, server_url: str, username: str, password: str) -> UserInfo:
        """Log in, keep the token in the keyring, remember server and user name.
        Raises InsecureServerAddress, before anything is sent, for plain http to
        another machine (see :mod:`rm_workbench.sync.address`)."""
        server_url = check_server_url(server_url)
        client = self._client(server_url, token=None)
        try:
            answer = client.login(
                LoginRequest(
                    username=username,
                    password=password,
                    device_id=self.writer(lambda: device_id(self.cache)),
                    device_name=platform.node()[:100],
                )
            )
        finally:
            client.close()
        if self.cache.key is not None:
            # No keyring: the cache's key is wrapped with the password of the last
            # login; a password changed on the central CRM re-wraps it now.
            protect.rewrap_key(self.cache.path, self.cache.key, password)
        try:
            keystore.store_sync_token(self.profile, server_url, answer.token)
            self._memory_token = None
        except SecretStoreUnavailable as exc:
            self.warning = exc.user_message
            self._memory_token = answer.token
        self._set_state(SERVER_URL, server_url.rstrip("/"))
        self._set_state(USERNAME, username)
        # Whose customers this cache may receive (SyncEngine's rm_id): the login is
        # the one authority on it; none for an admin.
        self._set_state(RM_ID, answer.user.rm_id)
        return answer.user

    def logout(self) -> bool:
        """Sign out: revoke the token on the central CRM, then forget it on this
        computer whatever the answer (the next sync asks for the password; queued
        edits stay queued). True when the server revoked it (or had already); False
        when it could not be reached: the token then lapses at its expiry."""
        server = self.configured_server()
        token = self._token(server) if server else None
        revoked = True
        if server and token:
            client = self._client(server, token)
            try:
                client.logout()
            except SyncError as exc:
                log.warning("sign out: the central CRM did not revoke the token: %s", exc)
                revoked = False
            finally:
                client.close()
        self._memory_token = None
        if server:
            with contextlib.suppress(SecretStoreUnavailable):
                keystore.forget_sync_token(self.profile, server)
        return revoked

    def _client(self, server_url: str, token: str | None) -> SyncClient:
        return SyncClient(server_url, token=token, ca_bundle=self.ca_bundle)

    # --- sync --------------------------------------------------------------------

    def sync(self, *, progress: Progress | None = None, verify: bool | None = None) -> SyncReport:
        """One full sync. ``verify``: True compares checksums now, False not at all,
        None (the default) after a bootstrap and every :meth:`verify_every`.
        Raises AuthRequired when the RM must log in (again)."""
        server = self.configured_server()
        if server is None:
            raise AuthRequired("尚未设置总行系统地址，请先登录。", "no server configured")
        token = self._token(server)
        if token is None:
            raise AuthRequired("请输入密码登录总行系统。", "no token stored")
        client = self._client(server, token)
        try:
            engine = SyncEngine(
                self.cache,
                client,
                progress=progress,
                verify_every=self.verify_every(),
                rm_id=self._state(RM_ID),
                writer=self.writer,
            )
            return engine.run(verify=verify)
        except AuthRequired:
            self._memory_token = None
            raise
        finally:
            client.close()

    def status(self) -> SyncStatus:
        with self.cache.engine.connect() as conn:
            pending = conn.execute(select(func.count()).select_from(OutboxEntry)).scalar_one()
            conflicts = conn.execute(select(func.count()).select_from(LocalConflict)).scalar_one()
            rejected = conn.execute(select(func.count()).select_from(RejectedEdit)).scalar_one()
        last = self._state(LAST_SYNC)
        server = self.configured_server()
        return SyncStatus(
            server_url=server,
            username=self._state(USERNAME),
            pending_edits=int(pending),
            conflicts=int(conflicts),
            rejected=int(rejected),
            last_sync_at=datetime.fromisoformat(last) if last else None,
            logged_in=bool(server and self._token(server)),
        )
