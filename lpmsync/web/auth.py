"""The access token: every page but the probes needs it, as `Authorization: Bearer <token>` or as
the session cookie the login form sets (HttpOnly, SameSite=Strict). Compared in constant time.

The cookie holds an HMAC of the token, not the token: changing the token signs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from lpmsync.web.throttle import WrongTokenLimiter, client_address

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("lpmsync.web")

COOKIE = "lpmsync_session"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/login", "/static/board.css", "/favicon.ico"})


class AccessToken:
    def __init__(
        self, token: str, *, protect_metrics: bool, limiter: WrongTokenLimiter | None = None
    ) -> None:
        self._token = token.encode()
        self.session = hmac.new(self._token, b"lpmsync board session", hashlib.sha256).hexdigest()
        self.protect_metrics = protect_metrics
        self.limiter = limiter or WrongTokenLimiter()

    def matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self._token)

    def has_session(self, headers: dict[bytes, bytes]) -> bool:
        cookie = _cookie(headers.get(b"cookie", b"").decode("latin-1"), COOKIE)
        return cookie is not None and hmac.compare_digest(cookie.encode(), self.session.encode())

    def try_token(self, offered: str, address: str) -> int | None:
        """None when `offered` is the token; else the seconds `address` must wait before its
        next try (0 when it may try again at once). A locked-out address is not even checked."""
        wait = self.limiter.retry_after(address)
        if wait:
            return wait
        if offered and self.matches(offered):
            return None
        self.limiter.failed(address)
        wait = self.limiter.retry_after(address)
        if wait:
            log.warning(
                "board: %d wrong access tokens from %s within %.0f s; refusing it for %d s",
                self.limiter.attempts,
                address,
                self.limiter.window,
                wait,
            )
        return wait

    def is_open(self, path: str) -> bool:
        return path in OPEN_PATHS or (path == "/metrics" and not self.protect_metrics)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def safe_next(target: str | None) -> str:
    """Only a path on this site: never `//evil.example` or an absolute URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class TokenGate:
    """ASGI middleware: lets a request through only with the token (or to an open path)."""

    def __init__(self, app: ASGIApp, token: AccessToken | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.token is None or self.token.is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.token.has_session(headers):
            await self.app(scope, receive, send)
            return
        offered = _bearer(headers)
        wait = 0 if offered is None else self.token.try_token(offered, client_address(scope))
        if wait is None:
            await self.app(scope, receive, send)
        elif wait:
            retry = [(b"retry-after", str(wait).encode())]
            await _plain(send, 429, too_many_wrong_tokens(wait) + "\n", retry)
        else:
            await _refuse(scope, headers, send)


def too_many_wrong_tokens(wait: int) -> str:
    return f"Too many wrong tokens from your address: try again in {wait} s."


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    """The token offered as `Authorization: Bearer <token>` (None: none offered)."""
    scheme, _, value = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _refuse(scope: Scope, headers: dict[bytes, bytes], send: Send) -> None:
    wants_page = scope["method"] == "GET" and b"text/html" in headers.get(b"accept", b"")
    if wants_page:
        target = scope["path"] + (
            "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""
        )
        status, extra = 303, [(b"location", b"/login?next=" + quote(target, safe="").encode())]
        body = "Sign in first: /login\n"
    else:
        status, extra = 401, [(b"www-authenticate", b'Bearer realm="lpmsync"')]
        body = "401: this page needs the lpmsync access token (Authorization: Bearer)\n"
    await _plain(send, status, body, extra)


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
