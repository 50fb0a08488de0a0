"""Reading Jira requests: search arguments, JQL results cached per dataset version, opaque
page tokens and the two authentication schemes (Cloud Basic, Data Center Bearer PAT)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from lpmsync.sandbox.dataset import Dataset, SampleItem
from lpmsync.sandbox.http import Request, Response
from lpmsync.sandbox.jira import jql
from lpmsync.sandbox.jira.common import error, split_list


class SearchIndex:
    """JQL results and id lookups per dataset version, so paging 100,000 items stays cheap."""

    def __init__(self, dataset: Dataset, size: int = 16) -> None:
        self.dataset, self._size = dataset, size
        self._lock = threading.Lock()
        self._results: OrderedDict[tuple[str, int], list[SampleItem]] = OrderedDict()
        self._by_id: tuple[int, dict[str, SampleItem]] = (-1, {})

    def search(self, query_text: str) -> list[SampleItem]:
        """Raises jql.JqlError for queries outside the subset."""
        cache_key = (query_text, self.dataset.version)
        with self._lock:
            if cache_key in self._results:
                self._results.move_to_end(cache_key)
                return self._results[cache_key]
        found = jql.parse(query_text).run(self.dataset.ordered(), self.dataset.project)
        with self._lock:
            self._results[cache_key] = found
            while len(self._results) > self._size:
                self._results.popitem(last=False)
        return found

    def find(self, id_or_key: str) -> SampleItem | None:
        item = self.dataset.get(id_or_key) or self.dataset.get(id_or_key.upper())
        if item is not None or not id_or_key.isdigit():
            return item
        with self._lock:
            version, by_id = self._by_id
            if version != self.dataset.version:
                by_id = {str(entry.id): entry for entry in self.dataset.ordered()}
                self._by_id = (self.dataset.version, by_id)
        return by_id.get(id_or_key)


def encode_token(offset: int, *scope: object) -> str:
    """An opaque page token: the next offset, bound to the query it continues."""
    digest = hashlib.sha256(json.dumps(scope, default=str).encode()).hexdigest()[:16]
    raw = json.dumps({"at": offset, "scope": digest}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, *scope: object) -> int:
    """The offset a token continues at (0 without one); ValueError if it is not ours."""
    if not token:
        return 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, digest = int(raw["at"]), str(raw["scope"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ValueError("The provided next page token is invalid or expired.") from exc
    expected = hashlib.sha256(json.dumps(scope, default=str).encode()).hexdigest()[:16]
    if digest != expected:
        raise ValueError("The provided next page token does not belong to this query.")
    return offset


def check_basic(request: Request, email: str, token: str) -> Response | None:
    """None when the request carries `email:token` as Basic auth, else Jira's 401."""
    expected = base64.b64encode(f"{email}:{token}".encode()).decode()
    if request.headers.get("authorization", "") == f"Basic {expected}":
        return None
    return _unauthorized('Basic realm="protected-area"')


def check_bearer(request: Request, pat: str) -> Response | None:
    if request.headers.get("authorization", "") == f"Bearer {pat}":
        return None
    return _unauthorized('Bearer realm="jira"')


def _unauthorized(challenge: str) -> Response:
    response = error(
        401, "You are not authenticated. Authentication required to perform this operation."
    )
    response.headers["WWW-Authenticate"] = challenge
    return response


@dataclass(frozen=True)
class SearchArgs:
    """A search request's arguments, from the query string (GET) or the JSON body (POST)."""

    jql: str
    fields: list[str] | None  # None: not given
    expand: list[str]
    max_results: int
    next_page_token: str | None = None
    start_at: int = 0

    @classmethod
    def read(cls, request: Request, *, default_max: int = 50) -> SearchArgs:
        """Raises ValueError with Jira's wording for arguments of the wrong type."""
        if request.method == "POST":
            body = request.json() or {}
            if not isinstance(body, dict):
                raise ValueError("The request body must be a JSON object.")
            fields = body.get("fields")
            values: dict[str, Any] = {
                "jql": body.get("jql") or "",
                "fields": None if fields is None else split_list(fields),
                "expand": split_list(body.get("expand")),
                "max_results": body.get("maxResults", default_max),
                "next_page_token": body.get("nextPageToken"),
                "start_at": body.get("startAt", 0),
            }
        else:
            query = request.query
            values = {
                "jql": request.arg("jql", "") or "",
                "fields": split_list(query["fields"]) if "fields" in query else None,
                "expand": split_list(query.get("expand")),
                "max_results": request.arg("maxResults", str(default_max)),
                "next_page_token": request.arg("nextPageToken"),
                "start_at": request.arg("startAt", "0"),
            }
        return cls(
            jql=str(values["jql"]),
            fields=values["fields"],
            expand=values["expand"],
            max_results=_integer("maxResults", values["max_results"]),
            next_page_token=values["next_page_token"],
            start_at=_integer("startAt", values["start_at"]),
        )


def _integer(name: str, value: object) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise ValueError(f"The '{name}' parameter must be a number, got '{value}'.") from None
    if number < 0:
        raise ValueError(f"The '{name}' parameter must not be negative.")
    return number
