"""slack_sdk and urllib exceptions → lpmsync's `TransientNotifyError` / `PermanentNotifyError`.

Transient (the outbox retries later): HTTP 429 (with its Retry-After), 5xx, timeouts, refused or
dropped connections, and Slack's own "try again" codes. Permanent (recorded, never retried):
every other `ok: false` code, such as `channel_not_found`, `not_in_channel`, `invalid_auth`,
`account_inactive`, `token_revoked`, `is_archived`, `msg_too_long`, `invalid_blocks`,
`no_permission`, `missing_scope`, and any other 4xx. Messages name the Slack method
and the code; they never contain the token or message text.
"""

from __future__ import annotations

import http.client
import urllib.error
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError

from lpmsync.errors import NotifyError, PermanentNotifyError, TransientNotifyError

# Codes that concern the bot's credentials, not one message: every message would fail alike.
AUTH_CODES = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})

# Slack's ok:false codes that mean "not now" rather than "never".
TRANSIENT_CODES = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a Retry-After header (any capitalisation), when it is a number."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def from_api_error(method: str, error: SlackApiError) -> NotifyError:
    response = error.response
    status = int(response.status_code)
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or f"http_{status}")
    if status == 429:
        wait = retry_after(response.headers)
        return TransientNotifyError(f"Slack rate-limited {method} (HTTP 429)", retry_after=wait)
    if status >= 500:
        return TransientNotifyError(f"Slack answered HTTP {status} to {method}")
    if status == 200 and code in TRANSIENT_CODES:
        return TransientNotifyError(f"Slack could not complete {method} now: {code}")
    if status != 200:
        code = f"http_{status}"
    return PermanentNotifyError(f"Slack refused {method}: {code}", code=code)


def from_transport_error(method: str, error: Exception) -> NotifyError:
    """urllib's errors: HTTP errors of the upload URL, timeouts and connection failures."""
    if isinstance(error, urllib.error.HTTPError):
        if error.code == 429:
            wait = retry_after(dict(error.headers.items()) if error.headers else None)
            return TransientNotifyError(f"Slack rate-limited {method} (HTTP 429)", retry_after=wait)
        if error.code >= 500:
            return TransientNotifyError(f"Slack answered HTTP {error.code} to {method}")
        return PermanentNotifyError(
            f"Slack refused {method}: HTTP {error.code}", code=f"http_{error.code}"
        )
    if isinstance(error, SlackRequestError):
        return PermanentNotifyError(
            f"Slack request {method} is invalid: {error}", code="bad_request"
        )
    reason = getattr(error, "reason", None) or type(error).__name__
    return TransientNotifyError(f"Slack unreachable for {method}: {reason}")


TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    urllib.error.URLError,  # includes HTTPError
    TimeoutError,
    ConnectionError,
    http.client.HTTPException,
    SlackRequestError,
    OSError,
)
