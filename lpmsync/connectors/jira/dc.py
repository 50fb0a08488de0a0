"""Jira Data Center through `POST /rest/api/2/search` with `startAt`.

The server caps `maxResults` silently (admin setting, 1000 by default), so the first answer's
`maxResults` is the page size that counts; once its `total` is known every other page is
requested at once (bounded by `parallelism`). Issues come with `expand=changelog`, and the Epic
Link custom field gives a feature its epic.

- Full sync: one offset scan of the scope with every field: ceil(N / page) requests.
- Incremental: the issues updated since the watermark, and a key listing (`fields: ["key"]`,
  for removals) with the issues new to the store fetched by key. Within `removal_check_interval`
  of the last listing, the exact `total` of a `maxResults: 0` search stands in for the listing
  when it equals the keys the store knows: nothing changed then costs 2 requests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from lpmsync.connectors.jira.cursor import (
    Mode,
    Plan,
    expected_scope,
    keys_to_fetch,
    may_skip_listing,
)
from lpmsync.connectors.jira.fetch import (
    Event,
    Listing,
    RawBatch,
    SearchFetcher,
    Started,
    chunks,
    issue_keys,
)
from lpmsync.connectors.jira.http import JiraHttp
from lpmsync.connectors.jira.jql import changed_jql, keys_jql, scope_jql
from lpmsync.connectors.jira.structs import TypedIssues, decode_issues
from lpmsync.connectors.parallel import ordered_parallel_map
from lpmsync.errors import FatalConnectorError

SEARCH = "/rest/api/2/search"
ISSUE_PAGE = 1000  # asked for; the server may answer with fewer per page
KEY_PAGE = 5000  # keys only: ask for more, the server caps it
KEYS_PER_QUERY = 500  # `key in (...)` batches for issues fetched by key


@dataclass(frozen=True)
class _Page:
    issues: list[Any] | TypedIssues
    total: int
    size: int
    server_time: datetime | None


class DataCenterFetcher(SearchFetcher):
    def run(self, plan: Plan, since: str | None) -> Iterator[Event]:
        if plan.mode is Mode.FULL or since is None:
            yield from self._scan()
            return
        fetched: list[str] = []
        counted = may_skip_listing(plan, self._removal_check, datetime.now(UTC))
        if counted:
            # `maxResults: 0` answers the exact `total` of the scope and no issues.
            count = self._search(scope_jql(self._jql), [], 0, 0, expand=False)
            yield Started(count.server_time)
            yield from self._changed(since, fetched)
            expected = expected_scope(plan, fetched)
            if count.total == len(expected):  # nothing left the scope
                yield Listing(tuple(sorted(expected)), counted=True)
                yield from self._by_key(sorted(plan.previous.retry - set(fetched)))
                return
        pages = list(self._search_all(scope_jql(self._jql), ["key"], KEY_PAGE, expand=False))
        if not counted:
            yield Started(pages[0].server_time)
        listed = list(
            dict.fromkeys(key for page in pages for key in _listed_keys(page, self._http))
        )
        yield Listing(tuple(listed), complete=len(listed) >= pages[0].total)
        if not counted:
            yield from self._changed(since, fetched)
        done = set(fetched)
        yield from self._by_key([k for k in keys_to_fetch(plan, listed, done) if k not in done])

    def _changed(self, since: str, fetched: list[str]) -> Iterator[RawBatch]:
        """The issues updated since the watermark, their keys added to `fetched`."""
        for page in self._search_all(changed_jql(self._jql, since), self._fields, ISSUE_PAGE):
            fetched.extend(issue_keys(page.issues))
            yield RawBatch(None, page.issues)  # in `updated` order: it marks no position

    def _by_key(self, keys: Sequence[str]) -> Iterator[RawBatch]:
        for batch in chunks(keys, KEYS_PER_QUERY):
            for page in self._search_all(keys_jql(self._jql, batch), self._fields, ISSUE_PAGE):
                yield RawBatch(batch[-1], page.issues)

    def _scan(self) -> Iterator[Event]:
        """Every issue in scope with its fields and changelog: the listing comes last."""
        seen: list[str] = []
        total = 0
        for index, page in enumerate(
            self._search_all(scope_jql(self._jql), self._fields, ISSUE_PAGE)
        ):
            if index == 0:
                total = page.total
                yield Started(page.server_time)
            keys = issue_keys(page.issues)
            seen.extend(keys)
            yield RawBatch(keys[-1] if keys else None, page.issues)
        distinct = tuple(dict.fromkeys(seen))
        # Offsets shift when issues are deleted mid-scan: a short count means a key may have
        # been skipped, and removals must then wait for a complete listing.
        yield Listing(distinct, complete=len(distinct) >= total)

    def _search_all(
        self, jql: str, fields: list[str], asked: int, *, expand: bool = True
    ) -> Iterator[_Page]:
        """Every page of one search: the first alone (for `total` and the real page size), the
        rest in parallel, yielded in order."""
        first = self._search(jql, fields, 0, asked, expand)
        yield first
        starts = range(first.size, first.total, first.size) if first.size > 0 else range(0)
        yield from ordered_parallel_map(
            lambda start: self._search(jql, fields, start, first.size, expand),
            starts,
            self._parallelism,
        )

    def _search(self, jql: str, fields: list[str], start: int, size: int, expand: bool) -> _Page:
        body: dict[str, Any] = {"jql": jql, "startAt": start, "maxResults": size, "fields": fields}
        if expand:
            body["expand"] = ["changelog"]
        reply = self._http.post(SEARCH, body, partial(decode_issues, layout=self._layout))
        data = reply.data
        issues: list[Any] | TypedIssues
        if isinstance(data, TypedIssues):
            issues, total, effective = data, data.page.total, data.page.maxResults
        else:
            data = data if isinstance(data, Mapping) else {}
            found, total, effective = data.get("issues"), data.get("total"), data.get("maxResults")
            issues = list(found) if isinstance(found, list) else []
        count = len(issues)
        return _Page(
            issues=issues,
            total=total if isinstance(total, int) else start + count,
            size=effective if isinstance(effective, int) and effective > 0 else count,
            server_time=reply.server_time,
        )


def _listed_keys(page: _Page, http: JiraHttp) -> list[str]:
    keys = issue_keys(page.issues)
    if len(keys) != len(page.issues):
        # A listing without keys cannot say what is in scope; acting on it could delete all.
        raise FatalConnectorError(
            f"{SEARCH} on {http.url} returned an issue without a key", source=http.source
        )
    return keys
