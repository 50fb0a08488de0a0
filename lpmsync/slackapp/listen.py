"""Running the Slack app: Socket Mode (default) or HTTP mode, alone or beside `lpmsync run`.

HTTP mode is a Starlette app (`http_app`) whose one route hands Slack's signed POSTs to Bolt:
Bolt checks `X-Slack-Signature` against the signing secret and refuses a timestamp more than five
minutes old (401 either way; nothing runs). It can be mounted on another Starlette app or served
alone with uvicorn (`serve_http`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lpmsync.bootstrap import build_slack_sender
from lpmsync.errors import ConfigError
from lpmsync.notify.slack import slack_client
from lpmsync.services.clock import Clock, utc_now
from lpmsync.services.notify import routing_policy, slack_config
from lpmsync.services.send import drain_outbox
from lpmsync.settings import Settings, read_secret
from lpmsync.settings.interactive import ConnectionMode, InteractiveConfig
from lpmsync.slackapp.app import AckingSocketModeHandler, build_app
from lpmsync.slackapp.context import Access, AppContext, log_unusable
from lpmsync.store import SqlStore

log = logging.getLogger("lpmsync.slackapp")


def interactive_config(settings: Settings) -> InteractiveConfig:
    interactive = slack_config(settings).interactive
    if interactive is None:
        raise ConfigError(
            "the Slack app is not configured; add notify.slack.interactive (see docs/slack.md)",
            key="notify.slack.interactive",
        )
    return interactive


def build_slack_app(
    settings: Settings,
    store: SqlStore,
    *,
    environ: Mapping[str, str] | None = None,
    people: Mapping[str, str] | None = None,
    clock: Clock = utc_now,
    mode: ConnectionMode | None = None,
) -> App:
    """The Bolt app for `notify.slack`, on `store`. `people` maps tracker owners to Slack ids;
    `mode` overrides `notify.slack.interactive.mode` (HTTP mode needs the signing secret)."""
    slack, interactive = slack_config(settings), interactive_config(settings)
    token = read_secret(slack.token_env, environ, key="notify.slack.token_env")
    client = slack_client(
        token.get_secret_value(),
        base_url=slack.base_url,
        timeout_seconds=round(slack.timeout_seconds),
    )
    sender = build_slack_sender(settings, environ)
    ctx = AppContext(
        store=store,
        settings=settings,
        policy=routing_policy(settings),
        clock=clock,
        access=Access(interactive.allowed, client),
        drain=lambda: drain_outbox(store, sender, clock, limit=50, max_attempts=slack.max_attempts),
        people=people or {},
    )
    secret = ""
    if (mode or interactive.mode) is ConnectionMode.HTTP:
        key = "notify.slack.signing_secret_env"
        secret = read_secret(slack.signing_secret_env, environ, key=key).get_secret_value()
    return build_app(ctx, client, signing_secret=secret)


def socket_handler(
    app: App, settings: Settings, environ: Mapping[str, str] | None = None
) -> AckingSocketModeHandler:
    slack = slack_config(settings)
    app_token = read_secret(slack.app_token_env, environ, key="notify.slack.app_token_env")
    return AckingSocketModeHandler(app, app_token.get_secret_value())


def http_app(app: App, path: str = "/slack/events") -> Starlette:
    """A Starlette app with Slack's endpoint at `path` (mountable on the web app)."""
    handler = SlackRequestHandler(app)

    async def events(request: Request) -> Response:
        response = await handler.handle(request)
        if response.status_code == 404:  # nothing handles it: ack so Slack stops retrying
            log_unusable("http", {"path": request.url.path})
            return Response(status_code=200)
        return response

    return Starlette(routes=[Route(path, events, methods=["POST"])])


def start_listener(settings: Settings, store: SqlStore) -> SlackListener:
    """The Slack app listening beside `lpmsync run` (stop it on the way out)."""
    listener = SlackListener(
        build_slack_app(settings, store, people=settings.people.lookup()), settings
    )
    listener.start()
    return listener


@dataclass
class SlackListener:
    """The app listening in the background (for `lpmsync run`): Socket Mode connects out;
    HTTP mode serves `http_app` with uvicorn on its own port."""

    app: App
    settings: Settings
    environ: Mapping[str, str] | None = None
    _socket: AckingSocketModeHandler | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self) -> None:
        interactive = interactive_config(self.settings)
        if interactive.mode is ConnectionMode.SOCKET:
            self._socket = socket_handler(self.app, self.settings, self.environ)
            # Slack being unreachable at start must not stop the service: keep trying.
            self._thread = threading.Thread(target=self._connect, name="slack-socket", daemon=True)
            self._thread.start()
            return
        listen = interactive.http
        config = uvicorn.Config(
            http_app(self.app, listen.path), host=listen.host, port=listen.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="slack-http", daemon=True)
        self._thread.start()
        log.info("Slack app listening on http://%s:%s%s", listen.host, listen.port, listen.path)

    def _connect(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            try:
                assert self._socket is not None
                self._socket.connect()  # type: ignore[no-untyped-call]
            except Exception as error:  # an outage, a revoked token: logged, retried
                log.error("Slack app cannot connect (%s); retrying in %.0f s", error, delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, 300.0)
            else:
                log.info("Slack app connected over Socket Mode")
                return

    def stop(self) -> None:
        self._stopping.set()
        if self._socket is not None:
            self._socket.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
