"""Two replicas draining one outbox at once never send the same message twice.

Each replica is a thread with its own store object (its own connection pool) and its own Slack
client, as two pods would have. On PostgreSQL claims use FOR UPDATE SKIP LOCKED; on SQLite the
claim is one atomic UPDATE.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from lpmsync.notify.slack import SlackSender, slack_client
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.sandbox.slack import SANDBOX_TOKEN, SlackWorkspace, slack_base_url
from lpmsync.services.send import drain_outbox
from lpmsync.store import open_store
from tests.integration.test_outbox_drain import post


@pytest.fixture
def slack() -> Iterator[tuple[SlackWorkspace, SandboxServer]]:
    workspace = SlackWorkspace()
    with SandboxServer(workspace.router, knobs=Knobs(latency_ms=3)) as server:
        yield workspace, server


def run_replicas(count: int, replica: Callable[[int], int]) -> list[int]:
    """Start `count` replicas together; each returns how much it did."""
    barrier = threading.Barrier(count)
    results = [0] * count
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = replica(index)
        except BaseException as error:  # surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_concurrent_claims_are_disjoint(store_url: str, now: datetime) -> None:
    setup = open_store(store_url)
    setup.outbox.enqueue([post(f"m{n:03d}") for n in range(120)], now)
    setup.close()
    claimed: list[list[int]] = [[], []]

    def replica(index: int) -> int:
        store = open_store(store_url)
        try:
            for _ in range(200):  # bounded, so a broken claim fails instead of spinning
                batch = store.outbox.claim(now, limit=7, worker=f"replica-{index}")
                if not batch:
                    break
                claimed[index].extend(entry.id for entry in batch)
        finally:
            store.close()
        return len(claimed[index])

    counts = run_replicas(2, replica)
    everything = claimed[0] + claimed[1]
    assert sum(counts) == len(everything) == len(set(everything)) == 120


def test_two_drainers_deliver_every_message_exactly_once(
    store_url: str, slack: tuple[SlackWorkspace, SandboxServer], now: datetime
) -> None:
    workspace, server = slack
    setup = open_store(store_url)
    setup.outbox.enqueue([post(f"m{n:03d}") for n in range(40)], now)
    setup.close()

    def replica(index: int) -> int:
        store = open_store(store_url)
        client = slack_client(SANDBOX_TOKEN, base_url=slack_base_url(server.url), timeout_seconds=5)
        sent = 0
        try:
            for _ in range(100):  # bounded: stops once the outbox is empty
                sent += drain_outbox(
                    store, SlackSender(client), lambda: now, batch=3, worker=f"pod-{index}"
                ).sent
                if store.outbox.depth() == 0:
                    break
        finally:
            store.close()
        return sent

    sent = run_replicas(2, replica)
    assert sum(sent) == 40
    assert min(sent) > 0  # both replicas really took part
    texts = Counter(message.text for message in workspace.messages())
    assert len(texts) == 40 and set(texts.values()) == {1}
    assert server.log.counts()["POST chat.postMessage"] == 40
