"""What the Cloud and Data Center fetchers tell the connector while a sync runs.

A fetcher yields, in order: one `Started` (the server's clock when the first search answered),
then `RawBatch`es of raw issues (each becomes one committed page), and one `Listing` (every key
in scope) before or after the batches. The connector maps batches and decides cursors; the
fetchers only speak HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from lpmsync.connectors.jira.cursor import Plan
from lpmsync.connectors.jira.http import JiraHttp
from lpmsync.connectors.jira.structs import IssueLayout, TypedIssues

T = TypeVar("T")


@dataclass(frozen=True)
class Started:
    server_time: datetime | None


@dataclass(frozen=True)
class Listing:
    """Every key in scope, in Jira's key order. `complete` is False when the listing may have
    missed keys (a Data Center offset scan that saw fewer issues than its `total`)."""

    keys: tuple[str, ...]
    complete: bool = True
    counted: bool = False  # not listed: the stored keys, confirmed by Jira's approximate count


@dataclass(frozen=True)
class RawBatch:
    """Raw issues for one page. `marker` is the last listed key this batch completes, in
    listing order (a full sync resumes after it); None for a batch outside that order (the
    issues a changed-issues search returned). `histories` are changelogs by issue id; None when
    each issue embeds its own (`expand=changelog`). `errors` are keys Jira could not return.
    `issues` are decoded into structs (`TypedIssues`) or, for a page of another shape, plain."""

    marker: str | None
    issues: Sequence[Any] | TypedIssues
    histories: Mapping[str, Sequence[Any]] | None = None
    errors: Mapping[str, str] = field(default_factory=dict)


Event = Started | Listing | RawBatch


class Fetcher(Protocol):
    def run(self, plan: Plan, since: str | None) -> Iterator[Event]:
        """The events of one sync; `since` is the JQL literal for the changed-issues search."""
        ...


class SearchFetcher:
    """What the Cloud and Data Center fetchers are built from (the connector picks one)."""

    def __init__(
        self,
        http: JiraHttp,
        jql: str,
        layout: IssueLayout,
        parallelism: int,
        removal_check: timedelta | None = None,
    ) -> None:
        self._http = http
        self._jql = jql
        self._fields = list(layout.attributes)  # the requested field ids, in order
        self._layout = layout
        self._parallelism = parallelism
        self._removal_check = removal_check  # None: list every key on every sync


def chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def issue_keys(issues: Sequence[Any] | TypedIssues) -> list[str]:
    """The keys of a page's issues (plain issues without a key left out)."""
    if isinstance(issues, TypedIssues):
        return issues.keys()
    found = (text(issue.get("key")) for issue in issues if isinstance(issue, Mapping))
    return [key for key in found if key]


def issue_ids(issues: Sequence[Any] | TypedIssues) -> list[str]:
    """The ids of a page's issues (plain issues without an id left out)."""
    if isinstance(issues, TypedIssues):
        return issues.ids()
    found = (text(issue.get("id")) for issue in issues if isinstance(issue, Mapping))
    return [ident for ident in found if ident]


def text(value: object) -> str | None:
    """A JSON id or key as text (Jira sends ids as strings, a few tools as numbers)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
