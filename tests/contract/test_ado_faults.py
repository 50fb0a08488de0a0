"""Faults and auth for the Azure DevOps connector: Retry-After, bounded retries, sign-in pages,
401/403, service errors, headers on every request, and the SDK's cache kept in the data dir."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses

from lpmsync.connectors.azure_devops.connector import AzureDevOpsConnector
from lpmsync.connectors.registry import ConnectorContext, build_connector
from lpmsync.domain.sync import SyncRequest
from lpmsync.errors import ConfigError, FatalConnectorError, TransientConnectorError
from tests.contract.ado_fake import ORG, FakeBoards, fields_of
from tests.contract.ado_harness import PAT, Harness, make_config, make_harness

SIGN_IN = "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head></html>"
HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}


@pytest.fixture
def boards() -> Iterator[FakeBoards]:
    fake = FakeBoards()
    fake.add(*(fields_of(i) for i in range(1, 251)))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield fake


@pytest.fixture
def harness(boards: FakeBoards, tmp_path: Path) -> Harness:
    return make_harness(boards, tmp_path)


def service_error(status: int, message: str) -> tuple[int, dict[str, str], str]:
    wrapped = {"$id": "1", "message": message, "typeKey": "QueryException", "errorCode": 0}
    return status, JSON, json.dumps(wrapped)


def test_429_waits_as_long_as_retry_after_says(boards: FakeBoards, harness: Harness) -> None:
    boards.faults = [(429, {"Retry-After": "7", **JSON}, "{}")]
    pages = harness.sync()
    assert harness.sleeps == [7.0]
    assert len([key for page in pages for key in page.items]) == 250
    assert boards.wit("wiql") == 2  # the blocked attempt and the retry, both counted
    assert harness.connector.requests_made == boards.total()
    assert sum(page.requests for page in pages) == boards.total()


def test_a_throttled_success_waits_before_the_next_request(
    boards: FakeBoards, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    boards.throttle = ["2"]
    with caplog.at_level(logging.WARNING, logger="lpmsync.connectors"):
        harness.sync()
    assert harness.sleeps == [2.0] and boards.wit("wiql") == 1
    assert any("asked lpmsync to slow down" in message for message in caplog.messages)


def test_5xx_and_timeouts_are_retried_with_backoff(boards: FakeBoards, harness: Harness) -> None:
    boards.faults = [(503, JSON, "{}"), requests.exceptions.ReadTimeout("read timed out")]
    pages = harness.sync()
    assert boards.wit("wiql") == 3 and boards.wit("batch") == 2
    assert len(harness.sleeps) == 2 and all(0 < wait <= 60 for wait in harness.sleeps)
    assert sum(page.requests for page in pages) == boards.total()


def test_retries_are_bounded(boards: FakeBoards, harness: Harness) -> None:
    boards.faults = [(503, JSON, "{}")] * 5
    with pytest.raises(TransientConnectorError, match="failed after 3 attempts") as raised:
        harness.sync()
    assert boards.wit("wiql") == 3 and len(harness.sleeps) == 2
    assert raised.value.source == "ado"


@pytest.mark.parametrize(
    ("reply", "what"),
    [
        ((203, HTML, SIGN_IN), "a sign-in page"),
        ((200, HTML, SIGN_IN), "a sign-in page"),
        ((401, {"Content-Type": "text/plain"}, "Access Denied"), "HTTP 401"),
        ((403, JSON, "{}"), "HTTP 403"),
    ],
)
def test_auth_failures_are_fatal_and_name_org_and_variable_never_the_token(
    boards: FakeBoards, harness: Harness, reply: tuple[int, dict[str, str], str], what: str
) -> None:
    boards.faults = [reply]
    with pytest.raises(FatalConnectorError) as raised:
        harness.sync()
    message = str(raised.value)
    assert ORG in message and "$ADO_PAT" in message and what in message
    assert "Work Items (Read)" in message
    assert PAT not in message and PAT not in repr(raised.value.__cause__)
    assert boards.wit("wiql") == 1 and harness.sleeps == []  # never retried


def test_a_service_error_is_fatal_with_the_services_message(
    boards: FakeBoards, harness: Harness
) -> None:
    boards.faults = [
        service_error(400, "TF51005: The query references a field that does not exist.")
    ]
    with pytest.raises(FatalConnectorError, match=r"WIQL query at .* TF51005"):
        harness.sync()


@pytest.mark.parametrize("body", ["", "not json", "{}", '{"workItems": null}'])
def test_a_listing_that_cannot_be_read_is_transient_and_scopes_nothing_out(
    boards: FakeBoards, harness: Harness, body: str
) -> None:
    boards.faults = [(200, JSON, body)]
    with pytest.raises(TransientConnectorError, match="WIQL query"):
        harness.sync()
    assert boards.wit("batch") == 0


def test_a_batch_that_cannot_be_read_is_transient(boards: FakeBoards, harness: Harness) -> None:
    pages = harness.connector.pages(SyncRequest(None, frozenset()))
    listing = json.dumps({"workItems": [{"id": 1}, {"id": 2}]})
    boards.faults = [(200, JSON, listing), (200, JSON, '{"count": 0}')]
    with pytest.raises(TransientConnectorError, match="work items batch"):
        list(pages)


def test_every_request_suppresses_the_sign_in_redirect_and_sends_the_pat(
    boards: FakeBoards, harness: Harness
) -> None:
    harness.sync()
    expected = "Basic " + base64.b64encode(f":{PAT}".encode()).decode()
    assert boards.headers_seen and boards.total() == len(boards.headers_seen)
    for headers in boards.headers_seen:
        assert headers["X-TFS-FedAuthRedirect"] == "Suppress"
        assert headers["Authorization"] == expected


def test_a_missing_pat_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    context = ConnectorContext(data_dir=tmp_path, environ={})
    with pytest.raises(ConfigError, match="ADO_PAT"):
        AzureDevOpsConnector.from_config(make_config(), context)


def test_the_registry_builds_this_connector(tmp_path: Path) -> None:
    context = ConnectorContext(data_dir=tmp_path, environ={"ADO_PAT": PAT})
    connector = build_connector(make_config(), context)
    assert isinstance(connector, AzureDevOpsConnector) and connector.source == "ado"
    assert connector.requests_made == 0
    connector.close()


def test_discovery_is_cached_in_the_data_dir(boards: FakeBoards, tmp_path: Path) -> None:
    make_harness(boards, tmp_path).sync()
    resources = json.loads((tmp_path / "azure-devops-cache" / "resources.json").read_text())
    assert list(resources) == [ORG]
    discovery = boards.counts["discovery"]
    make_harness(boards, tmp_path).sync()  # a new process would read the file; so does this
    assert boards.counts["discovery"] == discovery


_CHILD = """
import os, sys
from pathlib import Path
from lpmsync.connectors.azure_devops.connector import AzureDevOpsConnector
from lpmsync.connectors.registry import ConnectorContext
from tests.contract.ado_harness import make_config
data = Path(sys.argv[1])
AzureDevOpsConnector.from_config(make_config(), ConnectorContext(data, {"ADO_PAT": "x"}))
import azure.devops._file_cache as cache
print(cache.OPTIONS_CACHE.file_name, os.environ.get("AZURE_DEVOPS_CACHE_DIR"))
"""


def test_the_sdk_never_touches_the_home_directory(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    env.pop("AZURE_DEVOPS_CACHE_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.split() == [str(data / "azure-devops-cache" / "options.json"), "None"]
    assert list(home.iterdir()) == []
