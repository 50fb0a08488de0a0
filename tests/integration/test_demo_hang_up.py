"""The demo's Slack act closes its Socket Mode app the quick way round: the sandbox hangs up
first, so the app's receive loop gets a close frame instead of waiting for its receive timeout.
(How long the close takes is measured by running the demo, not asserted here.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lpmsync.cli.demo_slack import hang_up
from tests.integration.slackapp_support import Harness, running_app


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> Iterator[Harness]:
    yield from running_app(tmp_path, sqlite_url)


def test_the_app_sees_slack_hang_up_and_stops(app: Harness) -> None:
    socket, client = app.workspace.interactive.socket, app.handler.client
    closes: list[tuple[int, str | None]] = []
    client.on_close_listeners.append(lambda code, reason: closes.append((code, reason)))
    hang_up(app.handler, app.workspace)
    assert closes == [(1000, "")]  # Slack's close frame reached the receive loop
    assert not client.message_processor.is_alive()
    assert not client.current_session_runner.is_alive()
    assert (socket.opened, socket.connected) == (1, 0)  # and no second connection
