"""The HTTP layer under the azure-devops SDK: every request counted and classified.

The SDK (through msrest) builds its own `requests` sessions, one per client and thread, including
the location client it creates for discovery. All of them pass through the credentials object, so
`MeteredBasicAuthentication` mounts a `MeteredAdapter` on each session it signs. The adapter

- counts every request (discovery, retries and redirects included), in total and per thread;
- sends `X-TFS-FedAuthRedirect: Suppress`, so a bad token is a 401 rather than a sign-in page;
- turns off msrest's urllib3 retries (they sleep for real and ignore 429) and applies our timeout;
- classifies responses: 401/403 and HTML sign-in pages are fatal, 408/429/5xx and network errors
  are retryable (with `Retry-After`), and a success carrying `Retry-After` (Azure DevOps throttling
  ahead of a block) waits that long before the next request.

It also keeps the SDK's file cache of discovery results inside lpmsync's data directory.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from msrest.authentication import BasicAuthentication
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lpmsync.connectors.pacing import Pacer
from lpmsync.connectors.retry import RetryableError
from lpmsync.errors import FatalConnectorError

CACHE_ENV = "AZURE_DEVOPS_CACHE_DIR"
_FILE_CACHE_MODULE = "azure.devops._file_cache"
_CACHE_LOCK = threading.Lock()
_RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


def use_cache_dir(directory: Path) -> None:
    """Point the SDK's discovery file cache at `directory`, never the home directory.

    The SDK reads `AZURE_DEVOPS_CACHE_DIR` once, when `azure.devops._file_cache` is first
    imported (and creates the directory then), so the variable is set around that import; the
    cache objects are repointed too, since the import happens once per process."""
    directory.mkdir(parents=True, exist_ok=True)
    with _CACHE_LOCK:
        if _FILE_CACHE_MODULE not in sys.modules:
            previous = os.environ.get(CACHE_ENV)
            os.environ[CACHE_ENV] = str(directory)
            try:
                importlib.import_module(_FILE_CACHE_MODULE)
            finally:
                if previous is None:
                    os.environ.pop(CACHE_ENV, None)
                else:
                    os.environ[CACHE_ENV] = previous
        module = sys.modules[_FILE_CACHE_MODULE]
        for name, cache in (
            ("options", module.OPTIONS_CACHE),
            ("resources", module.RESOURCE_CACHE),
        ):
            path = str(directory / f"{name}.json")
            if cache.file_name != path:
                cache.file_name, cache.data, cache.initial_load_occurred = path, {}, False


class RequestMeter:
    """Requests sent, in total and by the current thread (pages run on worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._local = threading.local()

    @property
    def total(self) -> int:
        with self._lock:
            return self._total

    def count(self) -> None:
        with self._lock:
            self._total += 1
        self._local.count = self.by_this_thread() + 1

    def by_this_thread(self) -> int:
        count: int = getattr(self._local, "count", 0)
        return count


@dataclass(frozen=True)
class TransportPolicy:
    """What the adapter needs to know to count, time out and classify."""

    meter: RequestMeter
    organization_url: str
    pat_env: str
    source: str
    timeout: float
    sleep: Callable[[float], None]
    pacer: Pacer | None = None  # the source's requests in flight
    max_delay: float = 60.0

    def auth_failure(self, what: str) -> FatalConnectorError:
        return FatalConnectorError(
            f"Azure DevOps at {self.organization_url} rejected the personal access token in "
            f"${self.pat_env} ({what}); check that it is valid, not expired, and has the "
            "Work Items (Read) scope",
            source=self.source,
        )


class MeteredAdapter(HTTPAdapter):
    """Counts, times out and classifies every request of one session."""

    def __init__(self, policy: TransportPolicy) -> None:
        super().__init__(max_retries=0)
        self._policy = policy

    def send(  # noqa: PLR0917 (the signature requests calls)
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        request.headers["X-TFS-FedAuthRedirect"] = "Suppress"
        self.max_retries = Retry(0, read=False)  # our RetryPolicy retries, above the SDK
        self._policy.meter.count()
        where = f"{request.method} {urlsplit(request.url or '').path}"
        try:
            response = super().send(
                request,
                stream=stream,
                timeout=self._policy.timeout,  # the source's, whatever msrest configured
                verify=verify,
                cert=cert,
                proxies=proxies,
            )
        except (requests.Timeout, requests.ConnectionError) as error:
            raise RetryableError(f"{where}: {type(error).__name__}") from error
        self._classify(response, where)
        return response

    def _classify(self, response: requests.Response, where: str) -> None:
        status = response.status_code
        retry_after = _retry_after(response)
        content_type = response.headers.get("Content-Type", "")
        if status in {401, 203} or (status < 300 and "text/html" in content_type):
            response.close()
            raise self._policy.auth_failure("HTTP 401" if status == 401 else "a sign-in page")
        if status == 403:
            response.close()
            raise self._policy.auth_failure(f"HTTP 403 on {where}")
        if status in _RETRYABLE:
            response.close()
            raise RetryableError(
                f"{where}: HTTP {status}", retry_after=retry_after, throttled=status == 429
            )
        if retry_after and status < 300:  # served, but asked to wait before the next one
            self._wait(min(retry_after, self._policy.max_delay))

    def _wait(self, seconds: float) -> None:
        pacer = self._policy.pacer
        if pacer is None:
            self._policy.sleep(seconds)
            return
        pacer.pushed_back()
        with pacer.holding():
            self._policy.sleep(seconds)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: fall back to backoff


class MeteredBasicAuthentication(BasicAuthentication):
    """PAT as Basic auth (empty user), and the metered adapter on every session it signs."""

    def __init__(self, pat: str, policy: TransportPolicy) -> None:
        super().__init__("", pat)
        self._policy = policy
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def signed_session(self, session: requests.Session | None = None) -> requests.Session:
        signed: requests.Session = super().signed_session(session)
        if getattr(signed, "_lpmsync_policy", None) is not self._policy:
            adapter = MeteredAdapter(self._policy)
            signed.mount("https://", adapter)
            signed.mount("http://", adapter)
            signed._lpmsync_policy = self._policy  # type: ignore[attr-defined]
            with self._lock:
                self._sessions.append(signed)
        return signed

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(pat=***)"
