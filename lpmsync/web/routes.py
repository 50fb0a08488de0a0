"""The pages: `/` the board, `/items/{source}/{key}`, `/findings`, `/digest`, and the login.

Pages are cacheable until the next sync: the ETag is the store's version (last run), and a
request that already has it gets 304 without anything being rendered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qs

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from lpmsync.domain.model import ItemRef
from lpmsync.web.auth import COOKIE, AccessToken, safe_next, too_many_wrong_tokens
from lpmsync.web.headers import csp_with_style
from lpmsync.web.pages import findings_page, item_page
from lpmsync.web.portfolio import PortfolioReader
from lpmsync.web.throttle import client_address
from lpmsync.web.views import BoardFilters, build_board

T = TypeVar("T")
Pooled = Callable[[Callable[[], T]], Awaitable[T]]
PAGE_CACHE = "private, no-cache"  # keep it, but ask (If-None-Match) before using it again


@dataclass(frozen=True)
class PageContext:
    reader: PortfolioReader
    env: Environment
    title: str
    token: AccessToken | None

    def render(self, template: str, nav: str, **values: Any) -> str:
        values.setdefault("signed_in", self.token is not None)  # past the gate: signed in
        return self.env.get_template(template).render(title=self.title, nav=nav, **values)


def page_routes(ctx: PageContext, pooled: Pooled[Any]) -> list[BaseRoute]:
    async def board(request: Request) -> Response:
        query = dict(request.query_params)
        return await _cached(request, ctx, pooled, partial(_board, ctx, query))

    async def item(request: Request) -> Response:
        ref = ItemRef(request.path_params["source"], request.path_params["key"])
        return await _cached(request, ctx, pooled, partial(_item, ctx, ref))

    async def findings(request: Request) -> Response:
        query = dict(request.query_params)
        return await _cached(request, ctx, pooled, partial(_findings, ctx, query))

    async def digest(request: Request) -> Response:
        return await _cached(request, ctx, pooled, partial(_digest, ctx))

    return [
        Route("/", board),
        Route("/items/{source}/{key:path}", item),
        Route("/findings", findings),
        Route("/digest", digest),
        *_login_routes(ctx),
    ]


def _login_routes(ctx: PageContext) -> list[BaseRoute]:
    async def login_form(request: Request) -> Response:
        if ctx.token is None:
            return RedirectResponse("/", status_code=303)
        next_path = safe_next(request.query_params.get("next"))
        return _login_page(ctx, next_path, error="", status=200)

    async def login(request: Request) -> Response:
        if ctx.token is None:
            return RedirectResponse("/", status_code=303)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        offered = (form.get("token") or [""])[0].strip()
        next_path = safe_next((form.get("next") or ["/"])[0])
        if not offered:  # an empty form is a slip, not a guess: not counted
            return _login_page(ctx, next_path, error="That token is not right.", status=401)
        wait = ctx.token.try_token(offered, client_address(request.scope))
        if wait:  # guessing: the form is not even checked until the address may try again
            error = too_many_wrong_tokens(wait)
            return _login_page(ctx, next_path, error=error, status=429, retry_after=wait)
        if wait is not None:
            return _login_page(ctx, next_path, error="That token is not right.", status=401)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            COOKIE,
            ctx.token.session,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    async def logout(_request: Request) -> Response:
        response = RedirectResponse("/login" if ctx.token else "/", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"], max_body_size=4096),
        Route("/logout", logout, methods=["POST"]),
    ]


Rendered = tuple[int, str, dict[str, str]]


async def _cached(
    request: Request,
    ctx: PageContext,
    pooled: Pooled[Any],
    render: Callable[[str], Rendered],
) -> Response:
    version: str = await pooled(ctx.reader.version)
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": PAGE_CACHE}
    offered = request.headers.get("if-none-match", "")
    if etag in {tag.strip().removeprefix("W/") for tag in offered.split(",")}:
        return Response(status_code=304, headers=headers)
    status, body, extra = await pooled(partial(render, version))
    return HTMLResponse(body, status_code=status, headers={**headers, **extra})


def _board(ctx: PageContext, query: dict[str, str], version: str) -> Rendered:
    snapshot = ctx.reader.snapshot(version)
    board = build_board(snapshot, BoardFilters.from_query(query))
    return 200, ctx.render("board.html", "board", board=board, snapshot=snapshot), {}


def _item(ctx: PageContext, ref: ItemRef, version: str) -> Rendered:
    snapshot = ctx.reader.snapshot(version)
    page = item_page(snapshot, ref, ctx.reader.history_of(ref))
    if page is None:
        body = ctx.render(
            "error.html",
            "",
            status=404,
            detail=f"No item {ref.key} from source {ref.source} is in the store.",
        )
        return 404, body, {}
    return 200, ctx.render("item.html", "", page=page, snapshot=snapshot), {}


def _findings(ctx: PageContext, query: dict[str, str], version: str) -> Rendered:
    snapshot = ctx.reader.snapshot(version)
    page = findings_page(snapshot, query)
    return 200, ctx.render("findings.html", "findings", page=page, snapshot=snapshot), {}


def _digest(ctx: PageContext, version: str) -> Rendered:
    page, style = ctx.reader.digest_page(version)
    return 200, page, {"Content-Security-Policy": csp_with_style(style)}


def _login_page(
    ctx: PageContext,
    next_path: str,
    *,
    error: str,
    status: int,
    retry_after: int = 0,
) -> Response:
    body = ctx.render("login.html", "", next_path=next_path, error=error, signed_in=False)
    headers = {"Cache-Control": "no-store"}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return HTMLResponse(body, status_code=status, headers=headers)
