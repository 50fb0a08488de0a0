"""The board's server holds what a client can hold to a bound: idle connections take no thread,
are closed after the read timeout, a connection limit answers 503, and a client that goes away
mid-response is one JSON log line (the old http.server held a thread per connection for good and
printed a BrokenPipeError traceback)."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest

from lpmsync.logs import configure_logging
from lpmsync.observability import Metrics, Readiness
from lpmsync.web import Probes, WebServer, create_app
from lpmsync.web.app import WORKER_THREADS

Check = Callable[[], Readiness]


@contextmanager
def serving(check: Check = lambda: Readiness(True), **bounds: float) -> Iterator[WebServer]:
    server = WebServer(create_app(Probes(Metrics().registry, check)), "127.0.0.1", 0, **bounds)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


def request(server: WebServer, path: str) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=10) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return read_all(conn)


def read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def idle_connections(server: WebServer, count: int, stack: ExitStack) -> list[socket.socket]:
    conns = []
    for _ in range(count):
        conn = stack.enter_context(socket.create_connection((server.host, server.port), timeout=10))
        conns.append(conn)
    return conns


def test_200_idle_connections_hold_no_thread(restore_logging: None) -> None:
    with serving(limit_concurrency=500, read_timeout=60) as server, ExitStack() as stack:
        for _ in range(3):  # warm the worker pool up to what a few probes use
            assert request(server, "/readyz").startswith(b"HTTP/1.1 200")
        baseline = threading.active_count()
        idle_connections(server, 200, stack)
        half_open = idle_connections(server, 20, stack)
        for conn in half_open:  # half a request head, then silence
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost:")
        time.sleep(0.5)
        assert request(server, "/healthz").startswith(b"HTTP/1.1 200")
        assert request(server, "/readyz").startswith(b"HTTP/1.1 200")
        held = threading.active_count()
    assert held <= baseline + WORKER_THREADS
    assert held - baseline <= 1  # in practice: none at all


def test_idle_and_slow_clients_are_closed_after_the_read_timeout(restore_logging: None) -> None:
    with serving(read_timeout=0.5, limit_concurrency=500) as server, ExitStack() as stack:
        silent = idle_connections(server, 50, stack)
        slow = idle_connections(server, 5, stack)
        for conn in slow:
            conn.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(1.5)
        for conn in silent + slow:
            conn.settimeout(5)
            assert conn.recv(1024) == b""  # closed by the server, nothing sent
        assert request(server, "/healthz").startswith(b"HTTP/1.1 200")


def test_past_the_connection_limit_requests_get_503(restore_logging: None) -> None:
    with serving(limit_concurrency=10, read_timeout=60) as server:
        with ExitStack() as stack:
            idle_connections(server, 10, stack)
            time.sleep(0.2)
            assert request(server, "/healthz").startswith(b"HTTP/1.1 503")
        time.sleep(0.2)  # the idle clients left
        assert request(server, "/healthz").startswith(b"HTTP/1.1 200")


def test_a_client_that_goes_away_is_one_json_log_line(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    entered, release = threading.Event(), threading.Event()

    def slow() -> Readiness:
        entered.set()
        release.wait(10)
        return Readiness(True)

    with serving(slow) as server:
        conn = socket.create_connection((server.host, server.port), timeout=10)
        conn.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert entered.wait(10)
        conn.close()
        time.sleep(0.3)
        release.set()
        time.sleep(0.3)
        assert request(server, "/healthz").startswith(b"HTTP/1.1 200")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    gone = [line for line in lines if "went away" in line["message"]]
    assert len(gone) == 1
    assert gone[0]["message"].endswith("before the response to GET /readyz was complete")
    assert gone[0]["level"] == "info" and gone[0]["logger"] == "lpmsync.web"
    assert not [line for line in lines if line["level"] in ("error", "critical")]
    assert "Traceback" not in stream.getvalue()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_a_board_on_loopback_answers_only_to_its_own_names(restore_logging: None) -> None:
    app = create_app(
        Probes(Metrics().registry, lambda: Readiness(True)),
        allowed_hosts=["127.0.0.1", "localhost"],
    )
    server = WebServer(app, "127.0.0.1", 0).start()
    try:

        def with_host(host: str) -> bytes:
            with socket.create_connection((server.host, server.port), timeout=10) as conn:
                head = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                conn.sendall(head.encode())
                return read_all(conn)

        assert with_host(f"localhost:{server.port}").startswith(b"HTTP/1.1 200")
        assert with_host(f"127.0.0.1:{server.port}").startswith(b"HTTP/1.1 200")
        assert with_host("attacker.example").startswith(b"HTTP/1.1 400")  # DNS rebinding
    finally:
        server.stop()
