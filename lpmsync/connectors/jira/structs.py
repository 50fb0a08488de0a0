"""Jira answers decoded straight from the response bytes into msgspec structs that name only what
lpmsync reads: msgspec skips every other field (icons, `self` links, status categories, user
time zones, changelog authors) without building it, and the mapping reads the structs directly
(`lpmsync.connectors.jira.typed_mapping`).

The issue fields' struct is built once per set of field ids (`layout_for`): custom fields by id,
renamed onto plain attribute names. Status, issue type, components, the assignee and the parent
links get structs of their usual shape; every other field is decoded as plain JSON (`Any`) and
read by the same value readers as before.

A page of another shape (a status that is a string, a history entry that is not an object), or
with an issue whose key or id is not a string, is decoded in full by orjson instead and mapped
the plain way, so odd values are judged exactly as before; a body that is not JSON fails the
same way either path. Structs never hold cycles (they are built from JSON), so the collector
does not track them (`gc=False`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import msgspec

from lpmsync.connectors.codec import json_bytes
from lpmsync.connectors.jira.mapping import FieldIds


class Named(msgspec.Struct, gc=False):
    """A status, an issue type or a component."""

    name: Any = None
    id: Any = None


class Person(msgspec.Struct, gc=False):
    emailAddress: Any = None  # noqa: N815 (Jira's names)
    displayName: Any = None  # noqa: N815
    name: Any = None


class Link(msgspec.Struct, gc=False):
    """A link to another issue: Cloud `parent` `{"key"}`, Parent Link `{"data": {"key"}}`."""

    key: Any = None
    data: Any = None


class Change(msgspec.Struct, gc=False):
    """One changelog item (its `from` id is never read)."""

    field: Any = None
    fieldtype: Any = None
    fieldId: Any = None  # noqa: N815
    to: Any = None
    fromString: Any = None  # noqa: N815
    toString: Any = None  # noqa: N815


class History(msgspec.Struct, gc=False):
    """One changelog entry, without its author."""

    created: Any = None
    items: list[Change] | None = None


class _RawIssues(msgspec.Struct, gc=False):
    issues: list[msgspec.Raw]


_RAW_ISSUES = msgspec.json.Decoder(_RawIssues)


class _Changelog(msgspec.Struct, gc=False):
    histories: list[History] | None = None


class _IssueChangelogs(msgspec.Struct, gc=False):
    issueId: Any = None  # noqa: N815
    changeHistories: list[History] | None = None  # noqa: N815


class _ChangelogPage(msgspec.Struct, gc=False):
    issueChangeLogs: list[_IssueChangelogs] | None = None  # noqa: N815
    nextPageToken: Any = None  # noqa: N815


_SHAPED: dict[str, Any] = {
    "status": Named | None,
    "issuetype": Named | None,
    "components": list[Named] | None,
    "assignee": Person | None,
}


@dataclass(frozen=True)
class IssueLayout:
    """The structs for one set of field ids, and where each field id is read from."""

    decoder: msgspec.json.Decoder[Any]
    attributes: dict[str, str]  # field id -> attribute of the fields struct


@cache
def layout_for(ids: FieldIds) -> IssueLayout:
    """Built once per field set (bulk requests ask for exactly `ids.requested()`)."""
    requested = ids.requested()
    attributes = {field_id: f"f{n}" for n, field_id in enumerate(requested)}
    links = set(ids.parents)
    members = [(attributes[field_id], _field_type(field_id, links), None) for field_id in requested]
    fields = msgspec.defstruct(
        "Fields",
        members,
        rename={name: field_id for field_id, name in attributes.items()},
        gc=False,
    )
    issue = msgspec.defstruct(
        "Issue",
        [
            ("id", Any, None),
            ("key", Any, None),
            ("fields", fields | None, None),
            ("changelog", _Changelog | None, None),  # Data Center `expand=changelog`
        ],
        gc=False,
    )
    page = msgspec.defstruct(
        "IssuePage",
        [
            ("issues", list[issue] | None, None),  # type: ignore[valid-type]
            ("issueErrors", Any, None),  # Cloud bulkfetch
            ("total", Any, None),  # Data Center search
            ("maxResults", Any, None),
        ],
        gc=False,
    )
    return IssueLayout(msgspec.json.Decoder(page), attributes)


def _field_type(field_id: str, links: set[str]) -> Any:
    if field_id in _SHAPED:
        return _SHAPED[field_id]
    return Link | str | None if field_id in links else Any


class TypedIssues:
    """A page of issues as structs (each with a string key and id), the answer's other parts
    (`issueErrors`, `total`, `maxResults`) and its body, decoded again as plain JSON only if an
    issue needs the plain mapping (a malformed value: its skip reason comes from there)."""

    __slots__ = ("_plain", "body", "issues", "page")

    def __init__(self, page: Any, body: bytes) -> None:
        self.page = page
        self.issues: list[Any] = page.issues
        self.body = body
        self._plain: list[msgspec.Raw] | None = None

    def plain(self, index: int) -> Any:
        """Issue `index` as orjson decodes it (from its own bytes: the page is split once, on
        first use, without decoding the other issues)."""
        if self._plain is None:
            self._plain = _RAW_ISSUES.decode(self.body).issues
        return json_bytes(bytes(self._plain[index]))

    def __len__(self) -> int:
        return len(self.issues)

    def keys(self) -> list[str]:
        return [issue.key for issue in self.issues]

    def ids(self) -> list[str]:
        return [issue.id for issue in self.issues]


def decode_issues(body: bytes, layout: IssueLayout) -> Any:
    """`TypedIssues`, or the answer as plain JSON when it is not of the usual shape."""
    try:
        page = layout.decoder.decode(body)
    except msgspec.MsgspecError:  # another shape, or not JSON: the full decoder decides
        return json_bytes(body)
    issues = page.issues
    if issues is None or not all(_named_issue(issue) for issue in issues):
        return json_bytes(body)
    return TypedIssues(page, body)


def _named_issue(issue: Any) -> bool:
    key, ident = issue.key, issue.id
    return type(key) is str and key != "" and type(ident) is str and ident != ""


def decode_changelogs(body: bytes) -> Any:
    """A `changelog/bulkfetch` answer as `(histories by issue id, nextPageToken)` with
    `History` structs, or as plain JSON when it is not of the usual shape."""
    try:
        page = _CHANGELOGS.decode(body)
    except msgspec.MsgspecError:
        return json_bytes(body)
    logs = page.issueChangeLogs or ()
    if not all(type(log.issueId) is str for log in logs):  # numbers: the plain path reads them
        return json_bytes(body)
    found: dict[str, list[History]] = {}
    for log in logs:
        if log.issueId and log.changeHistories:
            found.setdefault(log.issueId, []).extend(log.changeHistories)
    return TypedChangelogs(found, page.nextPageToken)


_CHANGELOGS = msgspec.json.Decoder(_ChangelogPage)


@dataclass(frozen=True)
class TypedChangelogs:
    histories: dict[str, list[History]]
    next_page_token: Any


def plain_histories(histories: Sequence[Any]) -> list[Any]:
    """Histories as plain JSON (structs as the dicts orjson would have built), for an issue whose
    changelog pages were decoded partly each way."""
    return [
        {
            "created": one.created,
            "items": None if one.items is None else [_plain_change(c) for c in one.items],
        }
        if isinstance(one, History)
        else one
        for one in histories
    ]


def _plain_change(change: Change) -> dict[str, Any]:
    return {
        "field": change.field,
        "fieldtype": change.fieldtype,
        "fieldId": change.fieldId,
        "to": change.to,
        "fromString": change.fromString,
        "toString": change.toString,
    }
