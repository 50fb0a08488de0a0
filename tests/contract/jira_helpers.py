"""Shared pieces of the Jira contract tests: configs, a fake sleep, an in-memory page sink."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import responses

from lpmsync.connectors.jira.connector import JiraConnector
from lpmsync.connectors.registry import ConnectorContext
from lpmsync.domain.model import StateChange, WorkItem
from lpmsync.domain.sync import Cursor, SyncPage, SyncRequest
from lpmsync.settings import JiraSource
from tests.contract.jira_fake import BASE, DC_BASE, FakeJira

TOKEN = "s3cr3t-api-token-value"
ENV = {"JIRA_EMAIL": "bot@acme.test", "JIRA_TOKEN": TOKEN}
STATUSES = {
    "Funnel": "Funnel",
    "Reviewing": "Reviewing",
    "Analyzing": "Analyzing",
    "Ready": "Ready",
    "In Progress": "Implementing",
    "Done": "Done",
}


def config(deployment: str = "cloud", **overrides: Any) -> JiraSource:
    project = "PORT" if deployment == "cloud" else "ENT"
    values: dict[str, Any] = {
        "kind": "jira",
        "name": "jira",
        "url": BASE if deployment == "cloud" else DC_BASE,
        "deployment": deployment,
        "email_env": "JIRA_EMAIL" if deployment == "cloud" else None,
        "token_env": "JIRA_TOKEN",
        "jql": f"project = {project} AND issuetype in (Epic, Feature)",
        "statuses": STATUSES,
        "fields": {"theme": "Strategic Theme", "estimate": "Story Points"},
        "overlap_minutes": 5,
        "jql_time_zone": "UTC",
    }
    values.update(overrides)
    return JiraSource.model_validate(values)


@dataclass
class FakeSleep:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def connector(source: JiraSource, sleep: FakeSleep | None = None) -> JiraConnector:
    context = ConnectorContext(
        data_dir=Path("/nonexistent"), environ=ENV, sleep=sleep or FakeSleep()
    )
    return JiraConnector.from_config(source, context)


@dataclass
class Memory:
    """What the store does with pages (upsert, history, scope removal, cursor), in memory."""

    items: dict[str, WorkItem] = field(default_factory=dict)
    history: set[StateChange] = field(default_factory=set)
    cursor: Cursor | None = None
    pages: list[SyncPage] = field(default_factory=list)

    def request(self, full: bool = False) -> SyncRequest:
        return SyncRequest(self.cursor, frozenset(self.items), full)

    def apply(self, page: SyncPage) -> None:
        self.pages.append(page)
        self.items.update({item.key: item for item in page.items})
        self.history.update(page.history)
        if page.scope is not None:
            for key in set(self.items) - page.scope:
                del self.items[key]
        if page.cursor is not None:
            self.cursor = page.cursor

    def sync(self, source: JiraConnector, full: bool = False) -> list[SyncPage]:
        """One sync: every page applied in order; the pages of this sync returned."""
        done = len(self.pages)
        for page in source.pages(self.request(full)):
            self.apply(page)
        return self.pages[done:]


def fake(
    deployment: str = "cloud", **knobs: Any
) -> Iterator[tuple[FakeJira, responses.RequestsMock]]:
    """A started `responses` mock with a fake Jira installed (use from a fixture)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeJira(deployment=deployment, **knobs).install(mock), mock


def crash_after(memory: Memory, source: JiraConnector, pages: int) -> None:
    """Commit `pages` pages of a sync, then stop as a crashed process would."""
    running = source.pages(memory.request())
    for _ in range(pages):
        memory.apply(next(running))
    close = getattr(running, "close", None)
    if close is not None:
        close()


def resume_after(cursor: Cursor | None) -> object:
    """The key a stored full-sync resume marker points after (None without one)."""
    resume = (cursor or {}).get("resume")
    return resume.get("after") if isinstance(resume, dict) else None


def skipped_keys(pages: Iterable[SyncPage]) -> list[str]:
    return [skipped.key for page in pages for skipped in page.skipped]
