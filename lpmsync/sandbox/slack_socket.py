"""Socket Mode for the sandbox Slack: a loopback WebSocket server speaking Slack's envelopes.

`apps.connections.open` (see `slack_views.py`) hands out one-use `ws://127.0.0.1:<port>/link/?ticket=…`
URLs from `SocketModeServer.open_url`. A client that connects gets `{"type": "hello"}`; then
`deliver()` sends an envelope `{"envelope_id", "type", "payload", "accepts_response_payload",
"retry_attempt", "retry_reason"}` and waits for the app's ack `{"envelope_id", "payload"?}`, which
it returns. Slack waits 3 seconds for an ack; so does `deliver()` by default.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

ACK_TIMEOUT_SECONDS = 3.0


class NoConnectionError(RuntimeError):
    """No app is connected over Socket Mode (or it did not connect in time)."""


@dataclass
class Envelope:
    """One delivery and what became of it: `ack` is the app's answer (None: none yet)."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    ack: dict[str, Any] | None = None
    acked: threading.Event = field(default_factory=threading.Event)


class SocketModeServer:
    """Serves Socket Mode on 127.0.0.1 (port 0) in a daemon thread, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: Server | None = None
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._pending: dict[str, Envelope] = {}
        self._connected = threading.Condition(self._lock)
        self.envelopes: list[Envelope] = []
        self.opened = 0  # connections accepted, for tests that count reconnects

    # --- lifecycle -----------------------------------------------------------------------------

    def open_url(self, host: str = "127.0.0.1") -> str:
        """A new one-use URL for `apps.connections.open`."""
        with self._lock:
            if self._server is None:
                self._server = serve(self._handle, "127.0.0.1", 0, compression=None)
                threading.Thread(target=self._server.serve_forever, daemon=True).start()
            port = self._server.socket.getsockname()[1]
            ticket = uuid.uuid4().hex
            self._tickets.add(ticket)
        return f"ws://{host.split(':', maxsplit=1)[0]}:{port}/link/?ticket={ticket}"

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        if server is not None:
            server.shutdown()

    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._connected:
            if not self._connected.wait_for(lambda: bool(self._connections), timeout):
                raise NoConnectionError("no app connected over Socket Mode")

    @property
    def connected(self) -> int:
        with self._lock:
            return len(self._connections)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every client to reconnect, as Slack does now and then."""
        for connection in self._current():
            connection.send(json.dumps({"type": "disconnect", "reason": reason}))

    # --- delivering ----------------------------------------------------------------------------

    def deliver(
        self, kind: str, payload: dict[str, Any], *, timeout: float = ACK_TIMEOUT_SECONDS
    ) -> Envelope:
        """Send one envelope to a connected app and wait up to `timeout` for its ack."""
        self.wait_connected(timeout=max(timeout, 10.0))
        envelope = Envelope(uuid.uuid4().hex, kind, payload)
        with self._lock:
            self._pending[envelope.envelope_id] = envelope
            self.envelopes.append(envelope)
        message = {
            "envelope_id": envelope.envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self._current()[-1].send(json.dumps(message))
        envelope.acked.wait(timeout)
        return envelope

    def send_raw(self, text: str) -> None:
        """Send any text frame (to test how the app takes a frame that does not parse)."""
        self.wait_connected()
        self._current()[-1].send(text)

    # --- the connection ------------------------------------------------------------------------

    def _current(self) -> list[ServerConnection]:
        with self._lock:
            if not self._connections:
                raise NoConnectionError("no app connected over Socket Mode")
            return list(self._connections)

    def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        query = parse_qs(urlsplit(request.path).query) if request else {}
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # one use, like Slack's URLs
        if not valid:
            connection.close(code=4001, reason="invalid ticket")
            return
        connection.send(json.dumps(_hello()))
        with self._connected:
            self._connections.append(connection)
            self.opened += 1
            self._connected.notify_all()
        try:
            for frame in connection:
                self._acked(frame)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)

    def _acked(self, frame: str | bytes) -> None:
        try:
            data = json.loads(frame)
        except ValueError:
            return
        if not isinstance(data, dict) or "envelope_id" not in data:
            return
        with self._lock:
            envelope = self._pending.pop(str(data["envelope_id"]), None)
        if envelope is not None:
            envelope.ack = data
            envelope.acked.set()


def _hello() -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": 1,
        "debug_info": {"host": "sandbox", "approximate_connection_time": 18060},
        "connection_info": {"app_id": "A0LPMSYNC"},
    }
