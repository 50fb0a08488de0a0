"""Azure DevOps calls through the `azure-devops` SDK (7.1 clients), with bounded retries and every
failure translated into `lpmsync.errors`.

WIQL goes through `query_by_wiql`. The batch and revisions calls go through the same client's
`_send` (same discovery, version negotiation, headers and session) but are read as raw JSON: the
SDK's `ReportingWorkItemRevisionsBatch` model drops every value (API-FACTS §6), and deserialising
`[WorkItem]` fails a whole batch on one malformed item, which the mapping skips instead.

The SDK is imported only after `use_cache_dir`, because it fixes its cache directory on import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import requests
from azure.core.exceptions import DeserializationError  # what msrest raises (its own alias)
from msrest.exceptions import ClientException
from pydantic import SecretStr

from lpmsync.connectors.azure_devops.history import RevisionBatch, parse_revision_batch
from lpmsync.connectors.azure_devops.query import WINDOW, id_query
from lpmsync.connectors.azure_devops.transport import (
    MeteredBasicAuthentication,
    RequestMeter,
    TransportPolicy,
    use_cache_dir,
)
from lpmsync.connectors.codec import json_body
from lpmsync.connectors.pacing import Pacer
from lpmsync.connectors.retry import RetryableError, RetryPolicy
from lpmsync.errors import ConnectorError, FatalConnectorError, TransientConnectorError
from lpmsync.settings import AzureDevOpsSource

T = TypeVar("T")

BATCH_LOCATION = "908509b6-4248-4475-a1cd-829139ba419f"  # wit/workitemsbatch
BATCH_VERSION = "7.1-preview.1"
WIQL_LOCATION = "1a9c53f7-f243-4447-b110-35ef023636e4"  # wit/wiql
WIQL_VERSION = "7.1-preview.2"
REVISIONS_LOCATION = "f828fe59-dd87-495d-a17c-7a8d6211ca6c"  # wit/reporting/workItemRevisions
REVISIONS_VERSION = "7.1-preview.2"
BATCH_SIZE = 200  # the service's limit per workitemsbatch call
REVISIONS_PAGE = 1000  # revisions asked for per reporting page (the service may send fewer)


@dataclass(frozen=True, slots=True)
class IdListing:
    """Ids from one or more WIQL windows, and when the service ran the first one."""

    ids: tuple[int, ...]
    as_of: datetime | None


class AdoClient:
    """The three calls the connector makes, each retried and translated."""

    def __init__(
        self,
        config: AzureDevOpsSource,
        pat: SecretStr,
        *,
        data_dir: Path,
        sleep: Callable[[float], None],
        meter: RequestMeter,
    ) -> None:
        use_cache_dir(data_dir / "azure-devops-cache")
        self._config = config
        self._organization_url = str(config.organization_url).rstrip("/")
        pacer = Pacer(config.parallelism, source=config.name)
        policy = TransportPolicy(
            meter=meter,
            organization_url=self._organization_url,
            pat_env=config.pat_env,
            source=config.name,
            timeout=config.timeout_seconds,
            sleep=sleep,
            pacer=pacer,
        )
        self._creds = MeteredBasicAuthentication(pat.get_secret_value(), policy)
        self._retry = RetryPolicy(max_attempts=config.max_attempts, sleep=sleep, pacer=pacer)
        self._wit: Any = None
        self._lock = threading.Lock()

    def list_ids(self, *, changed_since: datetime | None = None) -> IdListing:
        """Every matching id, by id windows of `WINDOW` so no query passes the result cap."""
        ids: list[int] = []
        as_of: datetime | None = None
        after: int | None = None
        while True:
            query = id_query(self._config, after_id=after, changed_since=changed_since)
            result = self._call("WIQL query", partial(self._wiql, query, changed_since is not None))
            found = result.get("workItems") if isinstance(result, dict) else None
            if not isinstance(found, list):
                # Never read as "no items": the last page's scope would delete them all.
                raise TransientConnectorError(
                    "WIQL query: the response has no workItems list", source=self._config.name
                )
            window = _ids(found, self._config.name)
            as_of = as_of or _utc(_timestamp(result.get("asOf")))
            ids.extend(window)
            if len(window) < WINDOW or (after is not None and max(window) <= after):
                return IdListing(tuple(ids), as_of)
            after = max(window)

    def fetch_batch(self, ids: Sequence[int], fields: Sequence[str]) -> list[object]:
        """Raw work items (`None` where an id was deleted or is not readable)."""
        body = self._call("work items batch", partial(self._batch, list(ids), list(fields)))
        value = body.get("value") if isinstance(body, dict) else None
        if not isinstance(value, list):
            raise TransientConnectorError(
                "work items batch: the response has no 'value' list", source=self._config.name
            )
        return value

    def read_revisions(
        self, token: str | None, fields: Sequence[str], since: datetime | None = None
    ) -> RevisionBatch:
        """One page of reporting revisions of the portfolio work item types, resuming at
        `token`, else starting at `since`, else at the beginning of the project's history."""
        body = self._call(
            "reporting revisions", partial(self._revisions, token, list(fields), since)
        )
        try:
            return parse_revision_batch(body)
        except ValueError as error:
            raise TransientConnectorError(
                f"reporting revisions: {error}", source=self._config.name
            ) from error

    def close(self) -> None:
        self._creds.close()

    def _client(self) -> Any:
        """The work item tracking client; creating it reads the resource areas (cached)."""
        with self._lock:
            if self._wit is None:
                from azure.devops.connection import Connection  # noqa: PLC0415 (after the cache)

                connection = Connection(base_url=self._organization_url, creds=self._creds)
                self._wit = connection.clients_v7_1.get_work_item_tracking_client()
            return self._wit

    def _wiql(self, query: str, time_precision: bool) -> Any:
        """The WIQL query, its answer decoded as plain JSON (the SDK's model deserialisation of
        10,000 references cost more CPU than the rest of the listing)."""
        client = self._client()
        route = self._project_route(client)
        if self._config.team:
            route["team"] = client._serialize.url("team", self._config.team, "str")
        parameters = {"$top": str(WINDOW)}
        if time_precision:
            parameters["timePrecision"] = "true"
        response = client._send(
            http_method="POST",
            location_id=WIQL_LOCATION,
            version=WIQL_VERSION,
            route_values=route,
            query_parameters=parameters,
            content={"query": query},
        )
        return json_body(response)

    def _batch(self, ids: list[int], fields: list[str]) -> Any:
        client = self._client()
        # The body WorkItemBatchGetRequest serializes to, written directly: msrest validates and
        # serializes each of the 200 ids on its own (an eval per id), most of a request's CPU.
        body = {"errorPolicy": "omit", "fields": list(fields), "ids": [int(i) for i in ids]}
        response = client._send(
            http_method="POST",
            location_id=BATCH_LOCATION,
            version=BATCH_VERSION,
            route_values=self._project_route(client),
            content=body,
        )
        return json_body(response)

    def _revisions(self, token: str | None, fields: list[str], since: datetime | None) -> Any:
        client = self._client()
        parameters = {
            "fields": ",".join(fields),
            "types": ",".join(self._config.work_item_types),
            "$maxPageSize": str(REVISIONS_PAGE),
        }
        if token:
            parameters["continuationToken"] = token
        elif since is not None:
            parameters["startDateTime"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = client._send(
            http_method="GET",
            location_id=REVISIONS_LOCATION,
            version=REVISIONS_VERSION,
            route_values=self._project_route(client),
            query_parameters={
                name: client._serialize.query(name, value, "str")
                for name, value in parameters.items()
            },
        )
        return json_body(response)

    def _project_route(self, client: Any) -> dict[str, str]:
        return {"project": client._serialize.url("project", self._config.project, "str")}

    def _call(self, what: str, attempt: Callable[[], T]) -> T:
        """Run with retries; translate whatever escapes into the connector error tree."""
        source = self._config.name
        try:
            return self._retry.call(attempt)
        except RetryableError as error:
            attempts = self._retry.max_attempts
            raise TransientConnectorError(
                f"{what} at {self._organization_url} failed after {attempts} attempts: {error}",
                source=source,
            ) from error
        except ConnectorError:
            raise
        except (DeserializationError, requests.RequestException) as error:  # e.g. not JSON
            raise TransientConnectorError(
                f"{what} at {self._organization_url}: unexpected response ({error})",
                source=source,
            ) from error
        except (ClientException, ValueError) as error:  # the service refused; SDK mismatch
            raise FatalConnectorError(
                f"{what} at {self._organization_url} failed: {_sdk_message(error)}",
                source=source,
            ) from error


def _sdk_message(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    return " ".join(str(message).split())[:500]


def _ids(references: list[Any], source: str) -> list[int]:
    try:
        return [int(reference["id"]) for reference in references]
    except (KeyError, TypeError, ValueError):
        raise TransientConnectorError(
            "WIQL query: a work item reference has no numeric id", source=source
        ) from None


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _utc(moment: object) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
