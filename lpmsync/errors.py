"""The one exception tree lpmsync raises.

Third-party exceptions (requests, jira, msrest, slack_sdk, SQLAlchemy, pydantic) are translated
into these at the adapter boundary, so callers handle one documented set:

    LpmsyncError
    ├── ConfigError                 bad configuration: the CLI exits with code 2
    ├── ConnectorError              a tracker could not be read
    │   ├── TransientConnectorError     retry later (timeouts, 5xx, 429 past the retry budget)
    │   ├── FatalConnectorError         stop this source (401/403, unknown project, bad JQL)
    │   ├── SyncInterruptedError        a stop request (SIGTERM) ended a wait to retry
    │   └── SkippableItemError          one malformed item: skip it, count it, go on
    ├── StoreError                  the database could not be read or written
    └── NotifyError                 Slack could not be reached or refused a message
        ├── TransientNotifyError        retry later (5xx, 429, timeouts)
        └── PermanentNotifyError        do not retry (channel_not_found, invalid_auth, ...)

Messages never contain secrets: they name the environment variable that holds one instead.
"""

from __future__ import annotations


class LpmsyncError(Exception):
    """Base of every error lpmsync raises on purpose."""


class ConfigError(LpmsyncError):
    """The configuration is invalid. `str()` is the complete message for the operator."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class ConnectorError(LpmsyncError):
    """A tracker could not be read."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"source {source!r}: {message}" if source else message)


class TransientConnectorError(ConnectorError):
    """Temporary failure: the sync of this source should be retried later."""


class FatalConnectorError(ConnectorError):
    """Permanent failure for this source (auth, permissions, bad query); others go on."""


class SyncInterruptedError(ConnectorError):
    """A stop request arrived while a source waited to retry a request: the page in hand is not
    committed (the cursor stays before it), so the next sync fetches it again."""


class SkippableItemError(ConnectorError):
    """One tracker item is malformed; it is skipped, counted and reported."""

    def __init__(self, key: str, reason: str, *, source: str | None = None) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"item {key}: {reason}", source=source)


class StoreError(LpmsyncError):
    """The store could not be read or written."""


class NotifyError(LpmsyncError):
    """Slack could not be reached or refused a message."""


class TransientNotifyError(NotifyError):
    """Retry later; `retry_after` is the delay Slack asked for, in seconds, when it said."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class PermanentNotifyError(NotifyError):
    """Do not retry: the message is recorded as failed and shown by `lpmsync status`."""

    def __init__(self, message: str, *, code: str) -> None:
        self.code = code
        super().__init__(message)
