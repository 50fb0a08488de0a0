"""Jira faults: Retry-After, backoff, bounded attempts, auth errors without secrets, bad items."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from lpmsync.connectors.registry import ConnectorContext, build_connector
from lpmsync.connectors.retry import stoppable_sleep
from lpmsync.errors import (
    ConfigError,
    ConnectorError,
    FatalConnectorError,
    SyncInterruptedError,
    TransientConnectorError,
)
from lpmsync.settings import JiraSource
from tests.contract import jira_render as render
from tests.contract.jira_fake import FakeJira
from tests.contract.jira_helpers import (
    ENV,
    TOKEN,
    FakeSleep,
    Memory,
    config,
    connector,
    fake,
    resume_after,
    skipped_keys,
)
from tests.contract.jira_render import FakeIssue, make_issues, server_info

SEARCH = "POST /rest/api/3/search/jql"
ISSUES = "POST /rest/api/3/issue/bulkfetch"


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    for found, _ in fake("cloud"):
        found.add(*make_issues(10))
        yield found


def failing_sync(memory: Memory, source_config: JiraSource, sleep: FakeSleep) -> ConnectorError:
    source = connector(source_config, sleep)
    with pytest.raises(ConnectorError) as caught:
        memory.sync(source)
    return caught.value


def leaks_secret(error: BaseException) -> bool:
    shown = "".join(traceback.format_exception(error))
    return TOKEN in shown or "Authorization" in shown


def test_429_waits_exactly_as_long_as_retry_after_says(jira: FakeJira) -> None:
    jira.fail(ISSUES, (429, {"Retry-After": "7"}))
    sleep, memory = FakeSleep(), Memory()
    source = connector(config(), sleep)

    memory.sync(source)

    assert sleep.calls == [7.0]
    assert jira.counts()[ISSUES] == 2
    assert source.requests_made == 2 + 1 + 1 + 1 + 1  # discovery, listing, bulk x2, changelog
    assert len(memory.items) == 10


def test_429s_cut_the_requests_in_flight_and_the_sync_goes_on(
    jira: FakeJira, caplog: pytest.LogCaptureFixture
) -> None:
    jira.validate_responses = False
    jira.add(*make_issues(3000))
    jira.fail(ISSUES, *[(429, {"Retry-After": "2"})] * 3)  # to the first bulk calls in flight
    sleep, memory = FakeSleep(), Memory()

    with caplog.at_level(logging.WARNING, logger="lpmsync.connectors"):
        memory.sync(connector(config(parallelism=8), sleep))

    assert sleep.calls == [2.0, 2.0, 2.0]
    assert len(memory.items) == 3000
    cuts = [message for message in caplog.messages if "slow down" in message]
    assert cuts[0] == (
        "source jira: the tracker asked lpmsync to slow down; at most 4 requests in flight "
        "now (was 8)"
    )


def test_503_retry_after_is_capped(jira: FakeJira) -> None:
    jira.fail(SEARCH, (503, {"Retry-After": "3600"}))
    sleep = FakeSleep()

    Memory().sync(connector(config(), sleep))

    assert sleep.calls == [60.0]


def test_errors_without_retry_after_back_off_with_jitter(jira: FakeJira) -> None:
    jira.fail(ISSUES, (500, {}), (502, {}), (0, {}))
    sleep, memory = FakeSleep(), Memory()

    memory.sync(connector(config(), sleep))

    first, second, third = sleep.calls
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0 and 2.0 <= third <= 4.0
    assert len(memory.items) == 10


def test_attempts_are_bounded_then_the_source_fails_transiently(jira: FakeJira) -> None:
    jira.fail(ISSUES, *[(429, {"Retry-After": "1"})] * 3)
    sleep, memory = FakeSleep(), Memory()

    error = failing_sync(memory, config(max_attempts=3), sleep)

    assert isinstance(error, TransientConnectorError)
    assert "after 3 attempts" in str(error) and "HTTP 429" in str(error)
    assert jira.counts()[ISSUES] == 3
    assert sleep.calls == [1.0, 1.0]
    assert memory.items == {} and memory.cursor is None  # nothing half-done was committed
    assert not leaks_secret(error)


def test_timeouts_are_retried_then_transient(jira: FakeJira) -> None:
    jira.fail(SEARCH, (-1, {}), (-1, {}))
    sleep = FakeSleep()

    error = failing_sync(Memory(), config(max_attempts=2), sleep)

    assert isinstance(error, TransientConnectorError) and "ReadTimeout" in str(error)
    assert len(sleep.calls) == 1


def test_building_a_connector_sends_nothing_and_checks_its_secrets() -> None:
    with responses.RequestsMock() as mock:  # any request would fail: none is registered
        source = build_connector(config(), ConnectorContext(Path("/x"), environ=ENV))
        assert source.source == "jira" and source.requests_made == 0
        assert not mock.calls
    with pytest.raises(ConfigError, match="JIRA_TOKEN is not set"):
        build_connector(config(), ConnectorContext(Path("/x"), environ={"JIRA_EMAIL": "a@b"}))
    with pytest.raises(ConfigError, match="email_env"):
        build_connector(config(email_env=None), ConnectorContext(Path("/x"), environ=ENV))


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_stop_the_source_naming_url_and_env_vars(jira: FakeJira, status: int) -> None:
    jira.fail(SEARCH, (status, {}))
    sleep, memory = FakeSleep(), Memory()

    error = failing_sync(memory, config(), sleep)

    assert isinstance(error, FatalConnectorError)
    message = str(error)
    assert f"HTTP {status}" in message and "https://acme.atlassian.net" in message
    assert "JIRA_EMAIL" in message and "JIRA_TOKEN" in message
    assert not leaks_secret(error)
    assert sleep.calls == [] and jira.counts()[SEARCH] == 1  # no retry of a refusal
    assert memory.pages == []  # the listing failed: no page, so nothing is removed


def test_a_rejected_query_is_fatal_with_jiras_reason(jira: FakeJira) -> None:
    jira.fail(SEARCH, (400, {}))

    error = failing_sync(Memory(), config(), FakeSleep())

    assert isinstance(error, FatalConnectorError) and "HTTP 400" in str(error)
    assert "no" in str(error)  # the fake's errorMessages


def test_a_failure_mid_sync_keeps_committed_pages_and_sends_no_scope(jira: FakeJira) -> None:
    jira.issues.clear()
    jira.add(*make_issues(250))

    def break_third_batch(fake_jira: FakeJira) -> None:
        third = len(fake_jira.bodies("/rest/api/3/issue/bulkfetch")) == 3
        if third and not fake_jira.faults.get(ISSUES):
            fake_jira.fail(ISSUES, *[(500, {})] * 5)

    jira.on_request = break_third_batch
    memory = Memory()

    error = failing_sync(memory, config(parallelism=1), FakeSleep())

    assert isinstance(error, TransientConnectorError)
    assert len(memory.items) == 200
    assert all(page.scope is None for page in memory.pages)
    assert resume_after(memory.cursor) == "PORT-200"


def test_malformed_items_are_skipped_with_their_key_and_the_rest_syncs(jira: FakeJira) -> None:
    jira.issues["PORT-3"].broken_fields = {"summary": "No status", "issuetype": {"name": "Epic"}}
    points = FakeIssue("PORT-11", 10011, "Feature", summary="Bad points")
    jira.add(points)
    source = connector(config(), FakeSleep())
    memory = Memory()

    pages = memory.sync(source)
    reasons = {s.key: s.reason for page in pages for s in page.skipped}

    assert set(reasons) == {"PORT-3"}
    assert "status" in reasons["PORT-3"]
    assert "PORT-3" not in memory.items and len(memory.items) == 10
    assert memory.cursor is not None and memory.cursor["ignored"] == ["PORT-3"]
    jira.log.clear()
    memory.sync(source)
    assert jira.counts() == {SEARCH: 2}  # a skipped item is not fetched again until it changes


def test_wrong_field_types_are_malformed(jira: FakeJira) -> None:
    bad = FakeIssue("PORT-12", 10012, "Feature", summary="Points as words")
    jira.add(bad)
    bad.broken_fields = {
        "summary": "Points as words",
        "status": {"name": "Funnel", "id": "1"},
        "issuetype": {"name": "Feature", "id": "10001"},
        "created": "2026-05-01T09:00:00.000+0000",
        "updated": "2026-05-01T09:00:00.000+0000",
        "customfield_10016": "lots",
    }

    pages = Memory().sync(connector(config(), FakeSleep()))

    assert skipped_keys(pages) == ["PORT-12"]
    assert "estimate" in pages[0].skipped[0].reason


def test_a_site_of_the_other_deployment_is_refused(
    jira: FakeJira, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "server_info", lambda base, _: server_info(base, "datacenter"))

    error = failing_sync(Memory(), config(), FakeSleep())

    assert isinstance(error, FatalConnectorError) and "deployment: cloud" in str(error)


@pytest.mark.parametrize(
    ("theme", "problem"),
    [("Strategic Themes", "no field called"), ("Story Points", None)],
)
def test_field_names_must_match_exactly_one_field(
    jira: FakeJira, theme: str, problem: str | None
) -> None:
    if problem is None:  # two custom fields share the name: guessing would be wrong
        jira.fields.append({**jira.fields[3], "id": "customfield_10999"})
        problem = "several fields are called 'Story Points'"
    error = failing_sync(Memory(), config(fields={"theme": theme}), FakeSleep())

    assert isinstance(error, FatalConnectorError)
    assert problem in str(error) and "customfield_NNNNN" in str(error)


def test_a_stop_request_ends_a_retry_after_wait_without_retrying(jira: FakeJira) -> None:
    jira.fail(ISSUES, (429, {"Retry-After": "60"}))
    stop = threading.Event()
    stop.set()  # SIGTERM came while the service was syncing
    context = ConnectorContext(
        data_dir=Path("/nonexistent"), environ=ENV, sleep=stoppable_sleep(stop)
    )
    source = build_connector(config(), context)

    with pytest.raises(SyncInterruptedError):
        Memory().sync(source)

    assert jira.counts()[ISSUES] == 1  # the 429 was not retried after the stop
