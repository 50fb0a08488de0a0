"""Jira Cloud at the request floor.

0. Incremental, when the last listing is younger than `removal_check_interval`: ask
   `POST /rest/api/3/search/approximate-count` and run the changed-issues search (step 2). When
   the count equals the stored keys (plus ignored, retried and new ones) nothing can have left the
   scope, and the listing is skipped: nothing changed costs 2 requests whatever N is. Otherwise
   (or when the interval has passed) the sync goes on with the listing.
1. List every key in scope: `POST /rest/api/3/search/jql`, keys only, 5000 a page, following
   `nextPageToken` (the search has no total and no offset; `/rest/api/3/search` answers 410).
   A full sync starts fetching each page's issues (step 3) while the next page is listed.
2. Incremental: one more search for issues updated since the watermark (with `updated`, so an
   issue the overlap re-reads unchanged is not fetched again).
3. Fetch fields with `POST /rest/api/3/issue/bulkfetch` (100 ids) and status history with
   `POST /rest/api/3/changelog/bulkfetch` (1000 ids, `fieldIds: ["status"]`, paged by token),
   several calls in flight, results in order.

A full sync of N issues costs ceil(N/5000) + ceil(N/100) + ceil(N/1000) requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import chain
from typing import Any

from lpmsync.connectors.jira.cursor import (
    Mode,
    Plan,
    expected_scope,
    keys_to_fetch,
    may_skip_listing,
    unchanged,
)
from lpmsync.connectors.jira.fetch import (
    Event,
    Listing,
    RawBatch,
    SearchFetcher,
    Started,
    chunks,
    issue_ids,
    text,
)
from lpmsync.connectors.jira.jql import changed_jql, scope_jql
from lpmsync.connectors.jira.structs import (
    TypedChangelogs,
    TypedIssues,
    decode_changelogs,
    decode_issues,
)
from lpmsync.connectors.jira.values import JSON_OBJECT, MalformedValueError, parse_datetime
from lpmsync.connectors.parallel import ordered_parallel_map
from lpmsync.errors import FatalConnectorError

SEARCH = "/rest/api/3/search/jql"
COUNT = "/rest/api/3/search/approximate-count"
BULK_ISSUES = "/rest/api/3/issue/bulkfetch"
BULK_CHANGELOGS = "/rest/api/3/changelog/bulkfetch"

LIST_PAGE = 5000  # the search's maximum for keys only
ISSUE_BATCH = 100  # bulkfetch's maximum
CHANGELOG_BATCH = 1000  # changelog/bulkfetch's maximum
CHANGELOG_PAGE = 10000  # histories per changelog page: one page per batch in practice


@dataclass(frozen=True, slots=True)
class _Found:
    key: str
    id: str
    updated: datetime | None = None


@dataclass(frozen=True)
class _Task:
    """One bulk call: the changelogs of up to 1000 issues, or the fields of up to 100."""

    changelog: bool
    ids: Sequence[str]
    keys: Sequence[str]


class CloudFetcher(SearchFetcher):
    def run(self, plan: Plan, since: str | None) -> Iterator[Event]:
        if plan.mode is Mode.FULL:
            yield from self._full()
            return
        recent: list[_Found] | None = None
        if since is not None and may_skip_listing(plan, self._removal_check, datetime.now(UTC)):
            count, started = self._count()
            recent, _ = self._search(changed_jql(self._jql, since), ["updated"])
            expected = expected_scope(plan, [one.key for one in recent])
            if count == len(expected):  # nothing left the scope (as far as Jira's count goes)
                yield Started(started)
                yield Listing(tuple(sorted(expected)), counted=True)
                yield from self._fetch_changed(plan, recent)
                return
        found, started = self._search(scope_jql(self._jql), ["key"])
        yield Started(started)
        listed = [one.key for one in found]
        yield Listing(tuple(listed))
        changed: list[str] = []
        if since is not None:
            if recent is None:
                recent, _ = self._search(changed_jql(self._jql, since), ["updated"])
            changed = [
                one.key for one in recent if not unchanged(plan.previous.seen, one.key, one.updated)
            ]
        ids = {one.key: one.id for one in found}
        keys = keys_to_fetch(plan, listed, changed)
        yield from self._fetch([ids[key] for key in keys], keys)

    def _full(self) -> Iterator[Event]:
        """Every issue in scope, each listing page's bulk calls queued as soon as it arrives: the
        listing's round trips overlap the fetches instead of preceding them. The listing (and
        with it any removal) counts only once its last page has come."""
        pages = self._search_pages(scope_jql(self._jql), ["key"])
        first, started = next(pages, ([], None))
        yield Started(started)
        listed: dict[str, None] = {}  # keys in listing order, each once
        found = chain((first,), (page for page, _ in pages))
        yield from self._fetch_tasks(_listed_tasks(found, listed))
        yield Listing(tuple(listed))

    def _count(self) -> tuple[int | None, datetime | None]:
        """Jira's estimate of the issues in scope (None when the answer has no count)."""
        reply = self._http.post(COUNT, {"jql": scope_jql(self._jql)})
        data = reply.data if isinstance(reply.data, Mapping) else {}
        count = data.get("count")
        valid = isinstance(count, int) and not isinstance(count, bool)
        return (count if valid else None), reply.server_time

    def _fetch_changed(self, plan: Plan, recent: Sequence[_Found]) -> Iterator[RawBatch]:
        """Without a listing: the changed issues, and the ones Jira could not return last time
        (by key: bulkfetch takes ids or keys)."""
        changed = [one for one in recent if not unchanged(plan.previous.seen, one.key, one.updated)]
        ids = {one.key: one.id for one in changed}
        for key in sorted(plan.previous.retry - set(ids)):
            ids[key] = key
        keys = sorted(ids)
        yield from self._fetch([ids[key] for key in keys], keys)

    # -- searches ----------------------------------------------------------------------------

    def _search(self, jql: str, fields: list[str]) -> tuple[list[_Found], datetime | None]:
        """Every issue `jql` finds (deduplicated, in order) and the server's clock at the start."""
        found: dict[str, _Found] = {}
        started: datetime | None = None
        for page, server_time in self._search_pages(jql, fields):
            started = started or server_time
            for one in page:
                found.setdefault(one.key, one)
        return list(found.values()), started

    def _search_pages(
        self, jql: str, fields: list[str]
    ) -> Iterator[tuple[list[_Found], datetime | None]]:
        """The issues `jql` finds, a page at a time, each with the server's clock."""
        token: str | None = None
        while True:
            body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": LIST_PAGE}
            if token:
                body["nextPageToken"] = token
            reply = self._http.post(SEARCH, body)
            page = reply.data if isinstance(reply.data, Mapping) else {}
            found = [_found(issue, self._http.url) for issue in page.get("issues") or ()]
            yield found, reply.server_time
            next_token = page.get("nextPageToken")
            if page.get("isLast") is True or not next_token:
                return
            if next_token == token:  # a server that repeats itself would loop forever
                raise FatalConnectorError(
                    f"{SEARCH} on {self._http.url} returned the same nextPageToken twice",
                    source=self._http.source,
                )
            token = str(next_token)

    # -- bulk fetches ------------------------------------------------------------------------

    def _fetch(self, ids: Sequence[str], keys: Sequence[str]) -> Iterator[RawBatch]:
        return self._fetch_tasks(_tasks(ids, keys))

    def _fetch_tasks(self, tasks: Iterable[_Task]) -> Iterator[RawBatch]:
        histories: Mapping[str, Sequence[Any]] = {}
        results = ordered_parallel_map(self._call, tasks, self._parallelism)
        for task, result in results:
            if task.changelog:
                histories = result
                continue
            issues, errors = result
            yield RawBatch(
                marker=task.keys[-1],
                issues=issues,
                histories={ident: histories.get(ident, ()) for ident in set(issue_ids(issues))},
                errors=errors,
            )

    def _call(self, task: _Task) -> tuple[_Task, Any]:
        if task.changelog:
            return task, self._changelogs(task.ids)
        return task, self._issues(task.ids, task.keys)

    def _issues(
        self, ids: Sequence[str], keys: Sequence[str]
    ) -> tuple[list[Any] | TypedIssues, dict[str, str]]:
        body = {"issueIdsOrKeys": list(ids), "fields": self._fields}
        decode = partial(decode_issues, layout=self._layout)
        data = self._http.post(BULK_ISSUES, body, decode).data
        if isinstance(data, TypedIssues):
            return data, _issue_errors(data.page.issueErrors, ids, keys)
        answer = data if isinstance(data, Mapping) else {}
        issues = answer.get("issues")
        errors = _issue_errors(answer.get("issueErrors"), ids, keys)
        return (list(issues) if isinstance(issues, list) else []), errors

    def _changelogs(self, ids: Sequence[str]) -> dict[str, list[Any]]:
        """Status changelogs by issue id, every page of them."""
        found: dict[str, list[Any]] = {}
        token: str | None = None
        while True:
            body: dict[str, Any] = {
                "issueIdsOrKeys": list(ids),
                "fieldIds": ["status"],
                "maxResults": CHANGELOG_PAGE,
            }
            if token:
                body["nextPageToken"] = token
            data = self._http.post(BULK_CHANGELOGS, body, decode_changelogs).data
            next_token = _add_changelogs(found, data)
            if not next_token or next_token == token:
                return found
            token = str(next_token)


def _issue_errors(listed: Any, ids: Sequence[str], keys: Sequence[str]) -> dict[str, str]:
    """Jira's `issueErrors` by key (the ones about the ids asked for)."""
    key_of = dict(zip(ids, keys, strict=True))
    errors: dict[str, str] = {}
    for error in listed or ():
        ident = text(error.get("id")) if isinstance(error, Mapping) else None
        if ident in key_of:
            errors[key_of[ident]] = str(error.get("errorMessage") or "no reason given")
    return errors


def _add_changelogs(found: dict[str, list[Any]], data: Any) -> Any:
    """Add one changelog page's histories to `found`; its `nextPageToken`."""
    if isinstance(data, TypedChangelogs):
        for ident, histories in data.histories.items():
            found.setdefault(ident, []).extend(histories)
        return data.next_page_token
    page = data if isinstance(data, Mapping) else {}
    for entry in page.get("issueChangeLogs") or ():
        issue_id = text(entry.get("issueId")) if isinstance(entry, Mapping) else None
        if issue_id:
            found.setdefault(issue_id, []).extend(entry.get("changeHistories") or ())
    return page.get("nextPageToken")


def _tasks(ids: Sequence[str], keys: Sequence[str]) -> Iterator[_Task]:
    """Per 1000 issues: their changelog call first, then their ten bulkfetch calls."""
    for start in range(0, len(ids), CHANGELOG_BATCH):
        chunk_ids = ids[start : start + CHANGELOG_BATCH]
        chunk_keys = keys[start : start + CHANGELOG_BATCH]
        yield _Task(True, chunk_ids, chunk_keys)
        for batch_ids, batch_keys in zip(
            chunks(chunk_ids, ISSUE_BATCH), chunks(chunk_keys, ISSUE_BATCH), strict=True
        ):
            yield _Task(False, batch_ids, batch_keys)


def _listed_tasks(pages: Iterable[list[_Found]], listed: dict[str, None]) -> Iterator[_Task]:
    """`_tasks` for the issues of each listing page as it comes, adding their keys to `listed`.
    Whole changelog batches go first and the remainder waits for the next page, so a site that
    pages in smaller steps costs no extra changelog calls."""
    ids: list[str] = []
    keys: list[str] = []
    for page in pages:
        for one in page:
            if one.key not in listed:
                listed[one.key] = None
                ids.append(one.id)
                keys.append(one.key)
        whole = len(ids) - len(ids) % CHANGELOG_BATCH
        yield from _tasks(ids[:whole], keys[:whole])
        del ids[:whole], keys[:whole]
    yield from _tasks(ids, keys)


def _found(issue: object, url: str) -> _Found:
    if isinstance(issue, JSON_OBJECT):  # a dict: checked before the slow Mapping ABC
        key, ident = text(issue.get("key")), text(issue.get("id"))
        fields = issue.get("fields")
        if key and ident:
            return _Found(key, ident, _updated(fields))
    # A listing without keys cannot say what is in scope; acting on it could delete everything.
    raise FatalConnectorError(f"{SEARCH} on {url} returned an issue without an id or key")


def _updated(fields: object) -> datetime | None:
    if not isinstance(fields, JSON_OBJECT) or "updated" not in fields:
        return None
    try:
        return parse_datetime(fields.get("updated"), "updated")
    except MalformedValueError:
        return None
