"""`python -m benchmarks.sync_timeline`: when each request of one full sync starts and ends, on
which thread, and when the main thread maps and commits each page; against the sandbox in its own
process with injected latency, as `make bench` runs it.

It answers where a full sync's wall time goes: the time before the first request (connector and
SDK set-up, discovery), the listing, the fetch window with its waves of requests in flight, how
busy the main thread is (map and store), and the tail after the last response.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from benchmarks.external import external_sandbox
from benchmarks.sync_cases import LpmsyncSync


@dataclass(frozen=True)
class Span:
    kind: str  # http | map | store
    thread: str
    start: float
    end: float
    label: str = ""

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


class Recorder:
    """Spans of wrapped callables, from any thread, while installed."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self._lock = threading.Lock()
        self._restore: list[Callable[[], None]] = []

    def wrap(
        self, owner: Any, name: str, kind: str, label: Callable[..., str] | None = None
    ) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                span = Span(
                    kind,
                    threading.current_thread().name,
                    started,
                    time.perf_counter(),
                    label(*args) if label else "",
                )
                with self._lock:
                    self.spans.append(span)

        setattr(owner, name, timed)
        self._restore.append(lambda: setattr(owner, name, original))

    def restore(self) -> None:
        for undo in reversed(self._restore):
            undo()


def _request_label(_session: object, request: Any, *_: object) -> str:
    return f"{request.method} {urlsplit(str(request.url)).path}"


@contextmanager
def recording() -> Iterator[Recorder]:
    from lpmsync.connectors.azure_devops import connector as ado
    from lpmsync.connectors.jira.pages import PageBuilder
    from lpmsync.store.items import ItemRepository

    recorder = Recorder()
    recorder.wrap(requests.Session, "send", "http", _request_label)
    recorder.wrap(ado, "map_work_items", "map")
    recorder.wrap(PageBuilder, "_page", "map")
    recorder.wrap(ItemRepository, "apply_page", "store")
    try:
        yield recorder
    finally:
        recorder.restore()


def summary(spans: list[Span], started: float, ended: float) -> list[str]:
    """The phases of one sync, in milliseconds from its start."""

    def at(moment: float) -> str:
        return f"{(moment - started) * 1000:.0f}"

    requests_ = [span for span in spans if span.kind == "http"]
    fetches = [span for span in requests_ if span.thread != "MainThread"]
    main_work = [span for span in spans if span.kind in ("map", "store")]
    lines = [f"total {at(ended)} ms, {len(requests_)} requests ({len(fetches)} on fetch threads)"]
    if requests_:
        lines.append(f"first request at {at(min(span.start for span in requests_))} ms")
    if fetches:
        first, last = min(s.start for s in fetches), max(s.end for s in fetches)
        window = (last - first) * 1000
        busy = sum(span.ms for span in main_work if first <= span.start <= last)
        per_request = sorted(span.ms for span in fetches)[len(fetches) // 2]
        lines += [
            f"fetch window {at(first)}-{at(last)} ms ({window:.0f} ms), "
            f"median request {per_request:.1f} ms",
            f"main thread mapping and committing {busy / window:.0%} of the fetch window",
            f"after the last response: {at(ended)} - {at(last)} = {(ended - last) * 1000:.0f} ms",
        ]
    for kind in ("map", "store"):
        total = sum(span.ms for span in spans if span.kind == kind)
        lines.append(f"{kind}: {total:.0f} ms on the main thread")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync_timeline")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--source", default="ado", choices=("ado", "jira-cloud", "jira-dc"))
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, help="default: the source's own")
    parser.add_argument("--cold", action="store_true", help="no warm-up sync first")
    parser.add_argument("--spans", action="store_true", help="print every span too")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as work,
        external_sandbox(args.size, args.latency_ms) as sandbox,
    ):
        ours = LpmsyncSync(sandbox.urls, args.source, args.parallelism, Path(work))
        if not args.cold:
            ours.run(full=True, store=ours.fresh_store())
        store = ours.fresh_store()
        with recording() as recorder:
            started = time.perf_counter()
            ours.run(full=True, store=store)
            ended = time.perf_counter()
    if args.spans:
        for span in sorted(recorder.spans, key=lambda span: span.start):
            print(
                f"{(span.start - started) * 1000:8.1f} {(span.end - started) * 1000:8.1f} "
                f"{span.ms:7.1f} {span.kind:5} {span.thread:18} {span.label}"
            )
    print("\n".join(summary(recorder.spans, started, ended)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
