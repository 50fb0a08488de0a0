"""Helpers for the Azure DevOps sandbox tests: hand-built datasets, a running server with a raw
HTTP client, the real SDK pointed at it, and validation against the WIT 7.1 spec.

(No tests here; the other test_sandbox_ado_* modules import these helpers.)
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import requests

from lpmsync.sandbox.azure_devops.routes import build_router
from lpmsync.sandbox.dataset import Dataset, SampleItem, Transition
from lpmsync.sandbox.http import SandboxServer

PAT = "ado-test-pat-0123456789"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SPECS = Path(__file__).resolve().parents[1] / "specs"
WIT_SPEC = SPECS / "azure-devops-wit-7.1.workItemTracking.json"
EXAMPLES = SPECS / "azure-devops-examples" / "wit-7.1"
ACCEPT = "application/json;api-version=7.1-preview.2"


def item(item_id: int, kind: str = "Feature", status: str = "Active", **fields: Any) -> SampleItem:
    """A sample work item: created at T0 in New, moved to `status` a day per id later."""
    moved = T0 + timedelta(days=item_id)
    history: tuple[Transition, ...] = (Transition(T0, None, "New"),)
    if status != "New":
        history = (*history, Transition(moved, "New", status))
    values: dict[str, Any] = {
        "key": str(item_id),
        "id": item_id,
        "kind": kind,
        "title": f"{kind} {item_id}",
        "status": status,
        "created": T0,
        "updated": moved if status != "New" else T0,
        "history": history,
    }
    values.update(fields)
    return SampleItem(**values)


def dataset(*items: SampleItem, project: str = "Contoso") -> Dataset:
    data = Dataset(project)
    for sample in items:
        data.add(sample)
    return data


def bulk_dataset(count: int) -> Dataset:
    """`count` lightweight features without history, quickly."""
    data = Dataset("Contoso")
    for item_id in range(1, count + 1):
        data.items[str(item_id)] = SampleItem(str(item_id), item_id, "Feature", "f", "New", T0, T0)
    return data


@dataclass
class AdoSandbox:
    server: SandboxServer
    data: Dataset

    @property
    def org_url(self) -> str:
        return f"{self.server.url}/contoso"

    def call(
        self,
        method: str,
        path: str,
        *,
        pat: str | None = PAT,
        accept: str | None = ACCEPT,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """A raw request to `{org_url}{path}` with the PAT as Basic auth."""
        sent = dict(headers or {})
        if pat is not None:
            sent["Authorization"] = "Basic " + base64.b64encode(f":{pat}".encode()).decode()
        if accept is not None:
            sent.setdefault("Accept", accept)
        return requests.request(method, self.org_url + path, headers=sent, timeout=10, **kwargs)

    def wiql(self, query: str, *, path: str = "/Contoso/_apis/wit/wiql", **params: Any) -> Any:
        return self.call("POST", path, json={"query": query}, params=params)


@contextmanager
def running(data: Dataset, **options: Any) -> Iterator[AdoSandbox]:
    options.setdefault("clock", lambda: NOW)
    with SandboxServer(build_router(data, pat=PAT, **options)) as server:
        yield AdoSandbox(server, data)


def sdk_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, org_url: str, pat: str = PAT
) -> Any:
    """The real WorkItemTrackingClient (azure-devops 7.1) for `org_url`, caching only in
    tmp_path and starting with empty in-memory location caches, so request counts are exact."""
    monkeypatch.setenv("AZURE_DEVOPS_CACHE_DIR", str(tmp_path))
    from azure.devops import _file_cache
    from azure.devops.client import Client
    from azure.devops.connection import Connection
    from msrest.authentication import BasicAuthentication

    caches = {"options": _file_cache.OPTIONS_CACHE, "resources": _file_cache.RESOURCE_CACHE}
    for name, cache_file in caches.items():
        monkeypatch.setattr(cache_file, "file_name", str(tmp_path / f"{name}.json"))
        monkeypatch.setattr(cache_file, "data", {})
        monkeypatch.setattr(cache_file, "initial_load_occurred", False)
    monkeypatch.setattr(Client, "_locations_cache", {})
    connection = Connection(base_url=org_url, creds=BasicAuthentication("", pat))
    return connection.clients_v7_1.get_work_item_tracking_client()


@cache
def _spec() -> dict[str, Any]:
    return dict(json.loads(WIT_SPEC.read_text(encoding="utf-8-sig")))


def _loosen(node: Any) -> Any:
    """The generated spec writes "any value" as a bare `{"type": "object"}` (field values are
    strings, numbers or identity objects) and types StreamedBatch.values as strings of a
    generic `T`; turn both into what they mean so real payloads can be checked."""
    if isinstance(node, dict):
        if node == {"type": "object"}:
            return {}
        if node.get("format") == "T":
            return {"$ref": "#/definitions/WorkItem"}
        return {key: _loosen(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_loosen(value) for value in node]
    return node


def validate(instance: Any, definition: str) -> None:
    """Validate against `#/definitions/<definition>` of the WIT 7.1 spec (Swagger 2 = draft 4),
    with no additional properties allowed beyond what the definition (and its allOf) declares."""
    definitions = _loosen(copy.deepcopy(_spec()["definitions"]))
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    jsonschema.Draft4Validator(schema).validate(instance)
    unknown = set(instance) - declared_properties(definition)
    assert not unknown, f"{definition} does not declare {sorted(unknown)}"


def declared_properties(definition: str) -> set[str]:
    node = _spec()["definitions"][definition]
    names = set(node.get("properties", {}))
    for parent in node.get("allOf", []):
        names |= declared_properties(parent["$ref"].rsplit("/", 1)[-1])
    return names


def example_body(relative: str) -> Any:
    """The recorded 200 response body of one of Microsoft's examples (files carry a BOM)."""
    recorded = json.loads((EXAMPLES / relative).read_text(encoding="utf-8-sig"))
    return recorded["responses"]["200"]["body"]
