"""Closing the app's Socket Mode connection does not wait out the client's timeouts: a stop
(SIGTERM to `lpmsync run` or `slack listen`, the end of the demo) is prompt even though Slack
never hangs up first. The receive timeout is stretched to 10 minutes here, so a close that
waited for it would not finish; how long a close takes is measured by running the demo."""

from __future__ import annotations

import socket
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from slack_bolt import App
from slack_sdk.socket_mode.builtin import internals

from lpmsync.slackapp.app import AckingSocketModeHandler
from tests.integration.slackapp_support import Harness, running_app

LONG_RECEIVE_TIMEOUT = 600.0


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    # The client opens a plain (test) socket with a fixed 3 s timeout: stretch it through the
    # socket module its internals see, so only the app's Socket Mode connection is affected.
    stretched = types.ModuleType("socket")
    stretched.__dict__.update(socket.__dict__)
    stretched.create_connection = _connect_with_long_timeout  # type: ignore[attr-defined]
    monkeypatch.setattr(internals, "socket", stretched)
    yield from running_app(tmp_path, sqlite_url)


def _connect_with_long_timeout(address: tuple[str, int], *_: object, **__: object) -> socket.socket:
    return socket.create_connection(address, LONG_RECEIVE_TIMEOUT)


def test_close_ends_every_loop_without_slack_hanging_up(app: Harness) -> None:
    client = app.handler.client
    session = client.current_session
    assert session is not None and session.sock is not None
    assert session.sock.gettimeout() == LONG_RECEIVE_TIMEOUT
    waiting = threading.Event()  # until the receive loop holds the socket, waiting for a frame
    _until(session.sock_receive_lock.locked, waiting)
    assert waiting.wait(timeout=10)
    closing = threading.Thread(target=app.handler.close, daemon=True)
    closing.start()
    closing.join(timeout=5)  # it takes milliseconds; the client's own close took 10-20 s here
    assert not closing.is_alive(), "close() waited for the receive timeout"
    assert not client.current_session_runner.is_alive()
    assert not client.message_processor.is_alive()
    assert not client.current_app_monitor.is_alive()
    socket = app.workspace.interactive.socket
    socket_closed = threading.Event()
    _until(lambda: not socket.connected, socket_closed)
    assert socket_closed.wait(timeout=10), "Slack still sees the app connected"
    assert socket.opened == 1  # and it did not reconnect


def test_close_twice_and_before_connecting_is_harmless(app: Harness) -> None:
    app.handler.close()
    app.handler.close()  # the socket is already gone: nothing to shut, nothing raised
    unconnected = AckingSocketModeHandler(
        App(token="xoxb-unused", token_verification_enabled=False), "xapp-unused"
    )
    unconnected.close()
    assert unconnected.client.closed and app.handler.client.closed


def _until(condition: Callable[[], bool], done: threading.Event) -> None:
    def poll() -> None:
        while not condition():
            threading.Event().wait(0.01)
        done.set()

    threading.Thread(target=poll, daemon=True).start()
