"""One exception hierarchy for the whole workbench.

Every error the RM can meet carries a ``user_message`` (Chinese, plain words, what
happened and what to do) and ``details`` (technical, for the "copy details" button
and the log). The UI shows exactly one dialog for all of them.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: something the RM should be told about in plain words."""

    def __init__(self, user_message: str, details: str = "") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.details = details

    def __str__(self) -> str:
        if self.details:
            return f"{self.user_message} ({self.details})"
        return self.user_message


class ConfigError(WorkbenchError):
    """The bank configuration file is missing, unreadable or inconsistent."""


class CacheError(WorkbenchError):
    """The local cache cannot be opened or written."""


class CacheCorruptError(CacheError):
    """The cache file is damaged; it has been left untouched for recovery."""


class CacheKeyError(CacheError):
    """The cache is encrypted and the key does not open it (or is missing)."""


class CachePasswordRequired(CacheKeyError):
    """No keyring: the cache's key is wrapped with the RM's password, which must be
    asked for (the UI and the command line do, then open again)."""


class CachePasswordWrong(CachePasswordRequired):
    """The password does not unwrap the cache's key: mistyped, or changed on the
    central CRM since (then the previous password opens it once)."""


class CacheTooNewError(CacheError):
    """The cache was written by a newer workbench than this one."""


class DiskFullError(CacheError):
    """The disk holding the cache is full; the last change was not saved."""


class SecretStoreUnavailable(WorkbenchError):
    """No OS keyring is available on this machine."""


class ValidationError(WorkbenchError):
    """Input the RM typed (or data from a system) breaks a rule; says which."""


class SyncError(WorkbenchError):
    """A sync could not finish; local edits stay queued and nothing is lost."""


class OfflineError(SyncError):
    """The central CRM cannot be reached (no network, refused, timed out)."""


class AuthRequired(SyncError):
    """No valid login token: the RM must enter the password again."""


class ProtocolUnsupported(SyncError):
    """The central CRM does not speak this workbench's protocol version."""


class ServerAnswerError(SyncError):
    """The central CRM answered with something that is not a valid answer."""


class InsecureServerAddress(SyncError):
    """The central CRM's address is refused before anything is sent: plain ``http://``
    to another machine (the password would cross the network in clear) or no web
    address at all."""


class RedirectRefused(SyncError):
    """The central CRM answered with a redirect; the workbench never follows one (the
    password or the RM's edits would be sent again to an address nobody checked)."""


class RequestRejected(SyncError):
    """The central CRM refused the request (a 4xx with its reason)."""


class ReportError(WorkbenchError):
    """A printed document (brief, visit report, proposal) could not be made or saved."""


class FontNotFoundError(ReportError):
    """No Chinese TrueType font that can be embedded was found on this computer."""


class ExportError(WorkbenchError):
    """An export could not be written (missing or read-only folder, file open in
    another program, full disk); no file was left behind and nothing was recorded."""
