"""SIGTERM and SIGINT for the one-off commands (a CronJob pod being stopped, Ctrl-C): the
handler only records the request; the work in flight (a Slack message, a page of items)
finishes, nothing after it starts, and the command exits 0 saying what is left."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from lpmsync.cli.common import err_console
from lpmsync.services.stopping import StopRequest


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    stop = StopRequest()

    def request(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not stop.is_set():
            err_console.print(f"{name} received: finishing the message in flight, then stopping")
        stop.request(name)

    previous = {sig: signal.signal(sig, request) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
