"""The Azure DevOps connector against the sandbox over real HTTP, into SQLite and PostgreSQL,
through the sync service: what lands in the store, what it cost, and what a second run costs."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lpmsync.connectors.azure_devops.client import REVISIONS_PAGE
from lpmsync.connectors.azure_devops.connector import AzureDevOpsConnector
from lpmsync.connectors.registry import ConnectorContext
from lpmsync.domain.model import UNMAPPED, WorkItem
from lpmsync.sandbox import to_domain
from lpmsync.sandbox.azure_devops.revisions import RevisionLedger
from lpmsync.sandbox.azure_devops.routes import build_router
from lpmsync.sandbox.dataset import Dataset, SampleItem, Transition
from lpmsync.sandbox.generator import SamplePortfolio, generate
from lpmsync.sandbox.generator_catalog import ADO_MAPPING
from lpmsync.sandbox.http import SandboxServer
from lpmsync.sandbox.knobs import Knobs
from lpmsync.services.sync import sync_source, sync_sources
from lpmsync.settings import AzureDevOpsSource
from lpmsync.store import SqlStore

PAT = "sandbox-pat-4711"
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
WIQL, BATCH = "POST /_apis/wit/wiql", "POST /_apis/wit/workitemsbatch"
REVISIONS = "GET /_apis/wit/reporting/workitemrevisions"


class Clock:
    """The sandbox's clock (its WIQL `asOf`) and the sync service's, stepped by the tests."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Sandbox:
    def __init__(self, portfolio: SamplePortfolio, tmp_path: Path, **knobs: Any) -> None:
        self.portfolio = portfolio
        self.data: Dataset = portfolio.ado
        self.clock = Clock()
        router = build_router(self.data, pat=PAT, clock=self.clock)
        self.server = SandboxServer(router, knobs=Knobs(**knobs))
        self.tmp_path = tmp_path
        self.sleeps: list[float] = []

    @property
    def org_url(self) -> str:
        return f"{self.server.url}/contoso"

    def connector(
        self, *, name: str = "ado", pat: str = PAT, **overrides: Any
    ) -> AzureDevOpsConnector:
        config = AzureDevOpsSource.model_validate(
            {
                "kind": "azure_devops",
                "name": name,
                "organization_url": self.org_url,
                "project": "Contoso",
                **overrides,
                "pat_env": "ADO_PAT",
                "states": ADO_MAPPING,
                "fields": {
                    "theme": "Custom.StrategicTheme",
                    "wsjf": {
                        "business_value": "Microsoft.VSTS.Common.BusinessValue",
                        "time_criticality": "Microsoft.VSTS.Common.TimeCriticality",
                        "risk_reduction": "Custom.RiskReduction",
                        "job_size": "Microsoft.VSTS.Scheduling.Effort",
                    },
                },
            }
        )
        context = ConnectorContext(
            data_dir=self.tmp_path / name, environ={"ADO_PAT": pat}, sleep=self.sleeps.append
        )
        return AzureDevOpsConnector.from_config(config, context)

    def counts(self) -> dict[str, int]:
        counts = self.server.log.counts()
        return {endpoint: counts[endpoint] for endpoint in (WIQL, BATCH, REVISIONS)}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    running = Sandbox(generate(42, 320), tmp_path)
    with running.server:
        yield running


def expected_items(sandbox: Sandbox) -> dict[str, WorkItem]:
    """The sandbox's own mapping; its one Effort field is both estimate and WSJF job size."""
    expected = {}
    for item in to_domain.work_items(sandbox.data, "ado", ADO_MAPPING, base_url=sandbox.org_url):
        sample = sandbox.data.get(item.key)
        assert sample is not None
        effort = sample.estimate if sample.estimate is not None else sample.job_size
        wsjf = replace(item.wsjf, job_size=effort)
        expected[item.key] = replace(item, estimate=effort, wsjf=wsjf)
    return expected


def test_full_sync_lands_every_item_and_its_history(sandbox: Sandbox, store: SqlStore) -> None:
    connector = sandbox.connector()  # history_backfill is on by default
    summary = sync_source(store, connector, sandbox.clock)
    assert summary.status == "ok", summary.error
    stored = {item.key: item for item in store.items.load(["ado"])}
    assert stored == expected_items(sandbox)
    malformed = {item.key for item in sandbox.data if item.malformed}
    assert summary.skipped_count == len(malformed) > 0
    assert {entry["key"] for entry in summary.skipped} == malformed
    unmapped = [item for item in stored.values() if item.state == UNMAPPED]
    assert summary.unmapped_count == len(unmapped) > 0
    history = {
        (c.key, c.at, c.from_status, c.to_status)
        for c in store.items.history(["ado"])
        if c.key not in malformed
    }
    assert history == {
        (c.key, c.at, c.from_status, c.to_status) for c in to_domain.history(sandbox.data, "ado")
    }
    counts, listed = sandbox.counts(), len(sandbox.data)
    assert counts[WIQL] == math.ceil(listed / 20_000)
    assert counts[BATCH] == math.ceil(listed / 200)
    # The history's cost: one request per page of revisions, every revision of the portfolio
    # types since the project began (the sample has few edits besides state changes).
    revisions = RevisionLedger(sandbox.data).catch_up()
    assert counts[REVISIONS] == math.ceil(revisions / REVISIONS_PAGE) == 2
    assert summary.requests == sandbox.server.log.total() == connector.requests_made


def test_without_backfill_a_full_sync_is_at_the_floor_and_history_starts_then(
    sandbox: Sandbox, store: SqlStore
) -> None:
    connector = sandbox.connector(history_backfill=False)
    sync_source(store, connector, sandbox.clock)
    counts, listed = sandbox.counts(), len(sandbox.data)
    data = counts[WIQL] + counts[BATCH]
    assert data == math.ceil(listed / 20_000) + math.ceil(listed / 200)
    assert sandbox.server.log.total() - data == 2  # the SDK's discovery, nothing else
    assert store.items.history(["ado"]) == []
    item = next(i for i in sandbox.data if not i.malformed and i.status == "Ready")
    sandbox.clock.now += timedelta(hours=1)
    sandbox.data.change(item.key, sandbox.clock.now, status="Active")
    sync_source(store, connector, sandbox.clock)
    # The stream starts mid-history, so the state before an item's first revision is unknown.
    assert [(c.key, c.from_status, c.to_status) for c in store.items.history(["ado"])] == [
        (item.key, None, "Active")
    ]


def test_nothing_changed_costs_two_requests(sandbox: Sandbox, store: SqlStore) -> None:
    connector = sandbox.connector()
    sync_source(store, connector, sandbox.clock)
    before, stored = sandbox.counts(), store.items.load(["ado"])
    sandbox.clock.now += timedelta(hours=1)
    summary = sync_source(store, connector, sandbox.clock)
    assert (summary.status, summary.requests) == ("ok", 2)
    assert (summary.added, summary.changed, summary.removed) == (0, 0, 0)
    after = sandbox.counts()
    assert (after[WIQL] - before[WIQL], after[BATCH], after[REVISIONS]) == (
        2,
        before[BATCH],
        before[REVISIONS],
    )
    assert store.items.load(["ado"]) == stored


def test_incremental_sync_picks_up_changes_additions_and_removals(
    sandbox: Sandbox, store: SqlStore
) -> None:
    connector = sandbox.connector()
    sync_source(store, connector, sandbox.clock)
    keys = [item.key for item in sandbox.data if not item.malformed]
    moved, gone = keys[0], keys[1]
    sandbox.clock.now += timedelta(hours=2)
    moved_at = NOW + timedelta(hours=1)
    new_status = "Closed" if sandbox.data.items[moved].status != "Closed" else "Active"
    sandbox.data.change(moved, moved_at, status=new_status)
    sandbox.data.delete(gone)
    new_id = sandbox.data.next_id()
    created = NOW - timedelta(days=30)  # older than the watermark: found as not-yet-stored
    sandbox.data.add(
        SampleItem(str(new_id), new_id, "Epic", "A new bet", "New", created, created,
                   history=(Transition(created, None, "New"),))
    )  # fmt: skip
    before = sandbox.counts()
    summary = sync_source(store, connector, sandbox.clock)
    assert summary.status == "ok", summary.error
    assert (summary.added, summary.changed, summary.removed) == (1, 1, 1)
    after = sandbox.counts()
    assert (after[WIQL] - before[WIQL], after[BATCH] - before[BATCH]) == (2, 1)
    stored = {item.key: item for item in store.items.load(["ado"])}
    assert gone not in stored and stored[str(new_id)].title == "A new bet"
    assert stored[moved].status == new_status and stored[moved].entered_state_at == moved_at
    transitions = [c for c in store.items.history(["ado"]) if c.key == moved and c.at == moved_at]
    assert [c.to_status for c in transitions] == [new_status]
    assert not [c for c in store.items.history(["ado"]) if c.key == gone]


def test_rate_limits_are_waited_out(tmp_path: Path, store: SqlStore) -> None:
    sandbox = Sandbox(generate(42, 320), tmp_path, fail_next=[429, 503], retry_after_seconds=3)
    with sandbox.server:
        summary = sync_source(store, sandbox.connector(), sandbox.clock)
    assert summary.status == "ok", summary.error
    assert sandbox.sleeps[0] == 3.0 and len(sandbox.sleeps) == 2
    assert len(store.items.load(["ado"])) == len(expected_items(sandbox))


def test_a_bad_token_fails_its_source_only(sandbox: Sandbox, store: SqlStore) -> None:
    bad, good = sandbox.connector(name="ado-bad", pat="wrong"), sandbox.connector()
    bad_summary, good_summary = sync_sources(store, [bad, good], sandbox.clock)
    assert bad_summary.status == "failed" and good_summary.status == "ok"
    assert bad_summary.error is not None
    assert sandbox.org_url in bad_summary.error and "$ADO_PAT" in bad_summary.error
    assert "wrong" not in bad_summary.error
    assert store.items.load(["ado-bad"]) == [] and store.items.load(["ado"])


def test_a_team_and_an_area_path_filter_narrow_the_scope(sandbox: Sandbox, store: SqlStore) -> None:
    payments = "[System.AreaPath] UNDER 'Contoso\\Payments'"
    connector = sandbox.connector(team="Payments Team", wiql_filter=payments)
    summary = sync_source(store, connector, sandbox.clock)
    assert summary.status == "ok", summary.error
    stored = store.items.load(["ado"])
    expected = {
        item.key
        for item in sandbox.data
        if not item.malformed and (item.area_path or "").startswith("Contoso\\Payments")
    }
    assert {item.key for item in stored} == expected and expected
    assert {item.value_stream for item in stored} == {"Payments"}


def test_an_unknown_project_fails_with_the_services_message(
    sandbox: Sandbox, store: SqlStore
) -> None:
    summary = sync_source(store, sandbox.connector(project="Nope"), sandbox.clock)
    assert summary.status == "failed" and "TF200016" in (summary.error or "")
