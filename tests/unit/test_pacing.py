"""The pacer: requests in flight halve when a tracker pushes back and grow back when it is calm."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from lpmsync.connectors.pacing import Pacer
from lpmsync.connectors.retry import RetryableError, RetryPolicy


def test_a_pushback_halves_the_limit_once_for_the_requests_already_under_way() -> None:
    pacer = Pacer(8, source="jira")
    with ExitStack() as stack:
        tickets = [stack.enter_context(pacer.slot()) for _ in range(4)]
        for ticket in tickets:  # all four were answered 429 at about the same time
            pacer.pushed_back(ticket)
        assert pacer.limit == 4
    with pacer.slot() as later:  # let through after the cut: a new signal
        pacer.pushed_back(later)
    assert pacer.limit == 2


def test_the_limit_never_falls_below_one() -> None:
    pacer = Pacer(2, source="ado")
    for _ in range(5):
        with pacer.slot() as ticket:
            pacer.pushed_back(ticket)
    assert pacer.limit == 1


def test_calm_answers_restore_one_request_per_round(caplog: pytest.LogCaptureFixture) -> None:
    pacer = Pacer(4, source="jira")
    with pacer.slot() as ticket:
        pacer.pushed_back(ticket)
    assert pacer.limit == 2
    limits = []
    with caplog.at_level(logging.INFO, logger="lpmsync.connectors"):
        for _ in range(2 + 3 + 3):
            with pacer.slot():
                pass
            limits.append(pacer.limit)
    assert limits == [2, 3, 3, 3, 4, 4, 4, 4]  # 2 calm answers at 2, then 3 at 3
    restored = [r.getMessage() for r in caplog.records if "back to" in r.getMessage()]
    assert restored == ["source jira: back to 4 requests in flight"]


def test_the_first_cut_is_a_warning_with_the_source_and_the_new_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pacer = Pacer(8, source="jira-cloud")
    with caplog.at_level(logging.INFO, logger="lpmsync.connectors"):
        for _ in range(2):
            with pacer.slot() as ticket:
                pacer.pushed_back(ticket)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "source jira-cloud: the tracker asked lpmsync to slow down; at most 4 requests in "
            "flight now (was 8)",
        ),
        (
            "INFO",
            "source jira-cloud: the tracker asked lpmsync to slow down; at most 2 requests in "
            "flight now (was 4)",
        ),
    ]


def test_a_request_that_fails_otherwise_neither_cuts_nor_counts_as_calm() -> None:
    pacer = Pacer(4, source="jira")
    with pacer.slot() as ticket:
        pacer.pushed_back(ticket)
    for _ in range(5):
        with pytest.raises(RuntimeError), pacer.slot():
            raise RuntimeError("connection reset")
    assert pacer.limit == 2


def test_requests_in_flight_never_exceed_the_limit() -> None:
    pacer = Pacer(6, source="ado")
    with pacer.slot() as ticket:
        pacer.pushed_back(ticket)  # 6 -> 3
    lock, in_flight, seen = threading.Lock(), [0], []

    def request() -> None:
        with pacer.slot():
            with lock:
                in_flight[0] += 1
                seen.append((in_flight[0], pacer.limit))
            time.sleep(0.01)
            with lock:
                in_flight[0] -= 1

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(count <= limit for count, limit in seen)
    assert [limit for _, limit in seen][:3] == [3, 3, 3]  # it grows once calm answers come


def test_no_request_starts_while_a_thread_waits_out_retry_after() -> None:
    pacer = Pacer(4, source="jira")
    entered = threading.Event()

    def request() -> None:
        with pacer.slot():
            entered.set()

    with pacer.holding():
        thread = threading.Thread(target=request)
        thread.start()
        assert not entered.wait(0.1)
    assert entered.wait(5)
    thread.join()


def test_the_retry_policy_cuts_on_a_429_and_holds_the_others_while_it_waits() -> None:
    pacer = Pacer(8, source="jira")
    started, blocked, others = threading.Event(), [], []

    def other_request() -> None:
        with pacer.slot():
            started.set()

    def sleep(seconds: float) -> None:  # another fetch thread tries to start a request meanwhile
        others.append(threading.Thread(target=other_request))
        others[-1].start()
        blocked.append((seconds, not started.wait(0.1)))

    answers: Iterator[str | Exception] = iter(
        [RetryableError("HTTP 429", retry_after=3.0, throttled=True), "ok"]
    )

    def attempt() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    policy = RetryPolicy(sleep=sleep, pacer=pacer)
    assert policy.call(attempt) == "ok"
    others[0].join(5)
    assert blocked == [(3.0, True)] and started.is_set()
    assert pacer.limit == 4


def test_a_5xx_without_retry_after_is_not_a_pushback() -> None:
    pacer = Pacer(8, source="jira")
    answers: Iterator[str | Exception] = iter([RetryableError("HTTP 502"), "ok"])

    def attempt() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert RetryPolicy(sleep=lambda _: None, pacer=pacer).call(attempt) == "ok"
    assert pacer.limit == 8
