"""One Jira site over HTTP: the `jira` package's session and auth, counted requests, bounded
retries, and every third-party error translated into `lpmsync.errors`.

The `jira` client is built with `max_retries=0` so that its own sleeping retry loop never runs;
retries happen here, through `RetryPolicy`, whose sleep is injected (tests never really sleep).
Secrets never reach a message: errors name the URL and the environment variables instead, and a
`JIRAError` (whose `str()` includes the request headers) is never chained or formatted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import jira
import requests
from jira.exceptions import JIRAError
from jira.resilientsession import raise_on_error
from requests.adapters import HTTPAdapter

from lpmsync.connectors.codec import json_bytes, json_text
from lpmsync.connectors.retry import RetryableError, RetryPolicy
from lpmsync.errors import FatalConnectorError, TransientConnectorError

log = logging.getLogger("lpmsync.connectors.jira")

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})


@dataclass(frozen=True)
class JiraAuth:
    """Cloud: Basic `email:api-token`; Data Center: a personal access token sent as Bearer."""

    token: str
    email: str | None = None
    env_names: tuple[str, ...] = ()  # named in auth errors instead of the secret

    def __repr__(self) -> str:  # keeps the token out of any accidental repr
        return f"JiraAuth(email={'set' if self.email else None}, env={self.env_names})"


@dataclass(frozen=True)
class Reply:
    """A JSON answer and the server's clock when it answered (its `Date` header)."""

    data: Any
    server_time: datetime | None = None


class _CountingAdapter(HTTPAdapter):
    """Counts every request that goes on the wire, retries and discovery included."""

    def __init__(self, on_send: Callable[[], None], pool_size: int) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size)
        self._on_send = on_send

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self._on_send()
        return super().send(request, *args, **kwargs)


class JiraHttp:
    """Requests to one Jira site, safe to use from several threads at once."""

    def __init__(
        self,
        *,
        source: str,
        url: str,
        auth: JiraAuth,
        timeout: float,
        policy: RetryPolicy,
        pool_size: int = 8,
    ) -> None:
        self.source = source
        self.url = url.rstrip("/")
        self._auth = auth
        self._timeout = timeout
        self._policy = policy
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._count = 0
        self._client: jira.JIRA | None = None

    @property
    def requests_made(self) -> int:
        with self._lock:
            return self._count

    def _counted(self) -> None:
        with self._lock:
            self._count += 1

    def client(self) -> jira.JIRA:
        """The `jira` client (built on first use; building it sends nothing)."""
        with self._lock:
            if self._client is None:
                self._client = self._build_client()
            return self._client

    def _build_client(self) -> jira.JIRA:
        credentials: dict[str, Any] = (
            {"basic_auth": (self._auth.email, self._auth.token)}
            if self._auth.email is not None
            else {"token_auth": self._auth.token}
        )
        try:
            client = jira.JIRA(
                self.url,
                options={"check_update": False},
                get_server_info=False,
                max_retries=0,
                timeout=self._timeout,
                **credentials,
            )
        except Exception as exc:  # the jira package raises plain exceptions for bad options
            raise FatalConnectorError(
                f"cannot set up a Jira client for {self.url}: {type(exc).__name__}",
                source=self.source,
            ) from None
        adapter = _CountingAdapter(self._counted, self._pool_size)
        client._session.mount("https://", adapter)
        client._session.mount("http://", adapter)
        return client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]

    # -- calls -------------------------------------------------------------------------------

    def server_info(self) -> Mapping[str, Any]:
        data = self.call("GET serverInfo", lambda: self.client().server_info())
        return data if isinstance(data, Mapping) else {}

    def fields(self) -> list[Any]:
        data = self.call("GET field", lambda: self.client().fields())
        return data if isinstance(data, list) else []

    def post(
        self, path: str, body: Mapping[str, Any], decode: Callable[[bytes], Any] = json_bytes
    ) -> Reply:
        """POST JSON to `path` (from the site root, e.g. `/rest/api/3/issue/bulkfetch`); the
        answer's bytes are decoded by `decode` (which raises ValueError for a non-JSON body)."""
        url = f"{self.url}{path}"

        def attempt() -> Reply:
            session = self.client()._session
            # The jira session's own `request` reads every answer through `response.content`,
            # 10 KiB at a time (a few µs of Python per issue); with `max_retries=0` it adds
            # nothing else but `raise_on_error`, called here. The body is read in one call.
            response = requests.Session.request(
                session, "POST", url, data=json_text(body), timeout=session.timeout, stream=True
            )
            raise_on_error(response)
            return Reply(_json(response, decode), server_time(response.headers))

        return self.call(f"POST {path}", attempt)

    def call(self, what: str, attempt: Callable[[], T]) -> T:
        """Run one request with retries; raise only `ConnectorError`s."""

        def once() -> T:
            try:
                return attempt()
            except JIRAError as exc:
                raise self._translate(what, exc.status_code, exc.response) from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise RetryableError(f"{type(exc).__name__} talking to Jira") from None
            except requests.RequestException as exc:  # InvalidURL, TooManyRedirects, ...
                raise FatalConnectorError(
                    f"{what} to {self.url} failed: {type(exc).__name__}", source=self.source
                ) from None
            except ValueError:  # the jira package's JSON decoding of a non-JSON answer
                raise RetryableError("Jira answered with something that is not JSON") from None

        try:
            return self._policy.call(once)
        except RetryableError as exc:
            raise TransientConnectorError(
                f"{what} to {self.url} failed after {self._policy.max_attempts} attempts: {exc}",
                source=self.source,
            ) from None

    def _translate(
        self, what: str, status: int | None, response: requests.Response | None
    ) -> Exception:
        if status is None or status in RETRY_STATUSES:
            headers = response.headers if response is not None else {}
            wait = retry_after(headers)
            return RetryableError(
                f"HTTP {status} on {what}", retry_after=wait, throttled=status == 429
            )
        if status in AUTH_STATUSES:
            names = " and ".join(self._auth.env_names) or "the configured credentials"
            return FatalConnectorError(
                f"Jira at {self.url} answered HTTP {status} to {what}: check the credentials "
                f"in {names} (and that this user may browse the project)",
                source=self.source,
            )
        detail = error_messages(response)
        return FatalConnectorError(
            f"Jira at {self.url} rejected {what} with HTTP {status}"
            + (f": {detail}" if detail else ""),
            source=self.source,
        )


def _json(response: requests.Response, decode: Callable[[bytes], Any] = json_bytes) -> Any:
    try:
        return decode(_body(response))
    except ValueError:  # a proxy's HTML page or a truncated body: worth another attempt
        raise RetryableError("Jira answered with something that is not JSON") from None


def _body(response: requests.Response) -> bytes:
    """A streamed answer's body in as few reads as the answer allows (`response.content` reads
    10 KiB at a time); requests' own iterator translates urllib3's errors as `content` would."""
    try:
        return b"".join(response.iter_content(chunk_size=None))
    finally:
        response.close()  # a fully read connection is back in the pool already


def server_time(headers: Mapping[str, str]) -> datetime | None:
    """The `Date` header as an aware UTC datetime (None when absent or unreadable)."""
    value = headers.get("Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds: a number, or an HTTP date relative to the response's `Date`."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    now = server_time(headers)
    try:
        until = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((until - now).total_seconds(), 0.0) if now is not None else None


def error_messages(response: requests.Response | None, limit: int = 300) -> str:
    """Jira's own `errorMessages`/`errors`, shortened; never the request."""
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, Mapping):
        return ""
    messages = [str(m) for m in body.get("errorMessages") or () if m]
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        messages.extend(f"{name}: {text}" for name, text in errors.items())
    return "; ".join(messages)[:limit]
