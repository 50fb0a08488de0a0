"""A refused connection or an unknown host is reported after one quick retry as "cannot reach
<url>"; outages (5xx, 429, timeouts) keep the full retry policy. Loopback only."""

from __future__ import annotations

import random
import socket

import pytest
import requests

from lpmsync.connectors.retry import (
    QUICK_RETRY_DELAY,
    RetryableError,
    RetryPolicy,
    UnreachableError,
)


def closed_port() -> int:
    """A loopback port nothing listens on (bound by the OS, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def policy(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(max_attempts=5, sleep=sleeps.append, rng=random.Random(1))


def test_a_refused_connection_gives_up_after_one_quick_retry() -> None:
    url = f"http://127.0.0.1:{closed_port()}/rest/api/3/myself"
    sleeps: list[float] = []
    attempts: list[int] = []

    def attempt() -> None:
        attempts.append(1)
        try:
            requests.get(url, timeout=5)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise RetryableError(f"{type(exc).__name__} talking to Jira") from None

    with pytest.raises(UnreachableError) as caught:
        policy(sleeps).call(attempt)
    assert len(attempts) == 2 and sleeps == [QUICK_RETRY_DELAY]
    assert (
        str(caught.value)
        == f"cannot reach {url.split('/rest', maxsplit=1)[0]} (connection refused)"
    )
    assert isinstance(caught.value, RetryableError)  # callers translate it like any other


def test_an_unknown_host_is_reported_the_same_way() -> None:
    error = RetryableError("ConnectionError")
    error.__cause__ = socket.gaierror(-2, "Name or service not known")
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise error

    with pytest.raises(UnreachableError, match=r"cannot reach the server \(name not found\)"):
        policy([]).call(attempt)
    assert len(calls) == 2


def test_outages_keep_the_full_policy() -> None:
    sleeps: list[float] = []
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise RetryableError("HTTP 503 on search")

    with pytest.raises(RetryableError) as caught:
        policy(sleeps).call(attempt)
    assert not isinstance(caught.value, UnreachableError)
    assert len(calls) == 5 and len(sleeps) == 4
