"""The Bolt app: every handler registered on one `App`, and a Socket Mode handler that acks
whatever it cannot use (logged, redacted) so Slack does not retry it forever."""

from __future__ import annotations

import logging
import socket
from contextlib import suppress
from time import time
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from lpmsync.slackapp import alerts, commands
from lpmsync.slackapp.context import AppContext, log_unusable
from lpmsync.slackapp.home import home_view

log = logging.getLogger("lpmsync.slackapp")


def build_app(ctx: AppContext, client: WebClient, signing_secret: str = "") -> App:
    """The app; `signing_secret` matters only in HTTP mode (Socket Mode is not signed)."""
    app = App(
        client=client,
        signing_secret=signing_secret,
        logger=log,
        request_verification_enabled=bool(signing_secret),
        # One workspace, one bot token: no auth.test at start or per request, so a Web API
        # outage neither stops the service from starting nor an action from being applied.
        authorize=lambda enterprise_id, team_id: AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=client.token
        ),
    )
    alerts.register(app, ctx)
    commands.register(app, ctx)

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            user = str(event["user"])
            client.views_publish(user_id=user, view=home_view(ctx, user))

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("a Slack request failed: %s", type(error).__name__)
        log_unusable(str(body.get("type") or "unknown"), body)

    return app


class AckingSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, except that an envelope nobody handles, or whose handling
    fails, is still acked (and logged) instead of being left for Slack to resend."""

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        start = time()
        try:
            response = run_bolt_app(self.app, req)
        except Exception:
            log.exception("the Slack app failed on a %s envelope", req.type)
            response = BoltResponse(status=500, body="")
        if response.status != 200:
            log_unusable(req.type, req.payload)
            response = BoltResponse(status=200, body="")
        send_response(client, req, response, start)

    def close(self) -> None:
        """Close the connection without waiting out the client's timeouts (a stop is prompt).

        The client's own close waits up to 3 s for its receive loop, which holds the socket
        while it waits for a frame, and up to 1 s for its message loop, which waits on its
        queue. Shutting the socket down ends the first wait at once (the loop reads end of
        stream, and the client is already marked closed so it neither logs nor reconnects);
        an empty message, which the loop skips, ends the second."""
        client = self.client
        client.closed = True
        client.auto_reconnect_enabled = False  # its monitor would reopen a closed connection
        session = getattr(client, "current_session", None)
        if session is not None:
            client.current_session_state.terminated = True
            if session.sock is not None:
                with suppress(OSError):  # already gone: nothing to wake
                    session.sock.shutdown(socket.SHUT_RDWR)
        client.message_queue.put(None)
        client.close()
