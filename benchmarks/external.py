"""The sandbox in its own process, as a real tracker would be: its CPU (rendering JSON) does not
compete with lpmsync's for one interpreter lock, and requests are counted on the client side."""

from __future__ import annotations

import re
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from benchmarks.harness import LPMSYNC

_URL = re.compile(r"^\s+(Jira Cloud|Jira Data Center|Azure DevOps|Slack)\s+(http://\S+)")
_NAMES = {
    "Jira Cloud": "jira-cloud",
    "Jira Data Center": "jira-dc",
    "Azure DevOps": "ado",
    "Slack": "slack",
}


@dataclass
class ExternalSandbox:
    urls: dict[str, str]
    process: subprocess.Popen[str]


@contextmanager
def external_sandbox(size: int, latency_ms: float, seed: int = 42) -> Iterator[ExternalSandbox]:
    command = [
        *LPMSYNC,
        "sandbox",
        "serve",
        "--seed",
        str(seed),
        "--size",
        str(size),
        "--latency-ms",
        str(latency_ms),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield ExternalSandbox(_read_urls(process), process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _read_urls(process: subprocess.Popen[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        match = _URL.match(line)
        if match:
            urls[_NAMES[match.group(1)]] = match.group(2)
        if "sandbox ready" in line:
            return urls
    raise RuntimeError(f"the sandbox did not start (exit {process.wait()})")


class RequestCounter:
    """Counts every HTTP request sent through `requests` (the jira package, msrest and
    lpmsync's connectors all use it), by path, while installed."""

    def __init__(self) -> None:
        self.paths: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, method: str, url: str) -> None:
        with self._lock:
            self.paths[f"{method} {urlsplit(url).path}"] += 1

    def data_requests(self, discovery: tuple[str, ...]) -> int:
        return sum(
            n for path, n in self.paths.items() if not any(marker in path for marker in discovery)
        )

    def total(self) -> int:
        return sum(self.paths.values())


@contextmanager
def counting_requests() -> Iterator[RequestCounter]:
    counter = RequestCounter()
    original = requests.Session.send

    def send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
        counter.add(str(request.method), str(request.url))
        return original(session, request, **kwargs)

    requests.Session.send = send  # type: ignore[method-assign,assignment]
    try:
        yield counter
    finally:
        requests.Session.send = original  # type: ignore[method-assign]
