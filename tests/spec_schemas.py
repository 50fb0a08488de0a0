"""Response schemas from the vendored API specs, for shape tests of the sandbox and connectors.

    schema = response_schema(spec_path("jira-cloud-platform-v3.swagger-v3.v3.json"),
                             "/rest/api/3/search/jql", "get", 200)
    validate(body, schema)

Works for OpenAPI 3 (`components/schemas`, `content`) and Swagger 2.0 (`definitions`, `schema`),
reads the Azure DevOps files' UTF-8 BOM, resolves `$ref`s inside the spec file, and turns
OpenAPI 3.0's `nullable` into JSON Schema. `ERRATA` patches known defects of a spec (each one
documented) so tests fail on our mistakes, not on the generator's.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SPECS_ENV = "LPMSYNC_SPECS_DIR"
# A copy of shared/specs (see tests/specs/README.md for provenance and hashes), so a fresh
# clone checks requests and responses against the official specs with nothing beside it.
_DEFAULT_SPECS = Path(__file__).resolve().parent / "specs"


def specs_dir() -> Path:
    """The vendored specs: $LPMSYNC_SPECS_DIR, else tests/specs.
    Missing specs skip the test locally and fail it under CI=true."""
    directory = Path(os.environ.get(SPECS_ENV) or _DEFAULT_SPECS)
    if not directory.is_dir():
        message = f"API specs not found at {directory} (set {SPECS_ENV})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return directory


def spec_path(name: str) -> Path:
    return specs_dir() / name


def response_schema(spec: Path | str, path: str, method: str, status: int | str) -> dict[str, Any]:
    """The JSON schema of one documented response, as a self-contained root schema."""
    document = load_spec(str(spec))
    operation = document["paths"][path][method.lower()]
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise KeyError(f"{method.upper()} {path} documents no {status} response")
    response = _deref(document, response)
    if "content" in response:  # OpenAPI 3
        media = next(
            (body for kind, body in response["content"].items() if "json" in kind),
            None,
        )
        fragment = media.get("schema") if media else None
    else:  # Swagger 2.0
        fragment = response.get("schema")
    if fragment is None:
        raise KeyError(f"{method.upper()} {path} {status} documents no JSON body")
    return _rooted(document, fragment)


def request_body_schema(spec: Path | str, path: str, method: str) -> dict[str, Any]:
    """The JSON schema of one operation's request body (OpenAPI 3 `requestBody`, or a Swagger
    2.0 `in: body` parameter), as a self-contained root schema."""
    document = load_spec(str(spec))
    operation = document["paths"][path][method.lower()]
    if "requestBody" in operation:  # OpenAPI 3
        content = _deref(document, operation["requestBody"])["content"]
        fragment = next(body["schema"] for kind, body in content.items() if "json" in kind)
    else:  # Swagger 2.0
        parameters = [_deref(document, p) for p in operation.get("parameters", [])]
        fragment = next(p["schema"] for p in parameters if p.get("in") == "body")
    return _rooted(document, fragment)


def component_schema(spec: Path | str, name: str) -> dict[str, Any]:
    """A named schema (`components/schemas/<name>` or `definitions/<name>`), self-contained."""
    document = load_spec(str(spec))
    prefix = "#/components/schemas/" if "components" in document else "#/definitions/"
    return _rooted(document, {"$ref": prefix + name})


def collection_wrapped(schema: dict[str, Any]) -> dict[str, Any]:
    """Azure DevOps documents list responses as arrays but sends `{"count": n, "value": [...]}`
    (its JSON collection wrapper, which the SDK unwraps): the schema of what goes over the wire."""
    wrapped = {key: value for key, value in schema.items() if key != "allOf"}
    wrapped |= {
        "type": "object",
        "required": ["count", "value"],
        "properties": {"count": {"type": "integer"}, "value": {"allOf": schema["allOf"]}},
    }
    return wrapped


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError (with the failing path) if `instance` does not fit."""
    jsonschema.Draft4Validator(schema).validate(instance)


@lru_cache(maxsize=8)
def load_spec(spec: str) -> dict[str, Any]:
    with open(spec, encoding="utf-8-sig") as handle:  # Azure DevOps files start with a BOM
        document: dict[str, Any] = json.load(handle)
    _nullable_to_json_schema(document)
    for patch in ERRATA.get(Path(spec).name, ()):
        patch(document)
    return document


def _rooted(document: dict[str, Any], fragment: dict[str, Any]) -> dict[str, Any]:
    root: dict[str, Any] = {"allOf": [fragment]}
    for container in ("components", "definitions", "parameters", "responses"):
        if container in document:
            root[container] = document[container]
    return root


def _deref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _nullable_to_json_schema(node: Any) -> None:
    """OpenAPI 3.0 `nullable: true` means "or null"; JSON Schema says it with types."""
    if isinstance(node, list):
        for child in node:
            _nullable_to_json_schema(child)
        return
    if not isinstance(node, dict):
        return
    for child in node.values():
        _nullable_to_json_schema(child)
    if node.pop("nullable", False) is True:
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            inner = copy.copy(node)
            node.clear()
            node["anyOf"] = [inner, {"type": "null"}]


def _object_values_mean_any(node: Any) -> None:
    # Specs generated from Java/C# declare `Map<String, Object>` / `IDictionary<string, object>`
    # values as {"type": "object"}, but the values are any JSON (Jira DC IssueBean.fields holds
    # strings and arrays, Azure DevOps WorkItem.fields strings and numbers). See
    # jira-dc-mock-server contracts/COMPATIBILITY.md.
    if isinstance(node, list):
        for child in node:
            _object_values_mean_any(child)
        return
    if not isinstance(node, dict):
        return
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and extra.get("type") == "object" and set(extra) <= _LOOSE_KEYS:
        node["additionalProperties"] = {}
    for child in node.values():
        _object_values_mean_any(child)


_LOOSE_KEYS = {"type", "example", "description"}


def _dc_field_list_is_array(document: dict[str, Any]) -> None:
    # GET /api/2/field returns a JSON array of FieldBean; the generator declared one FieldBean.
    content = document["paths"]["/api/2/field"]["get"]["responses"]["200"]["content"]
    bean = content["application/json"]["schema"]
    content["application/json"]["schema"] = {"type": "array", "items": bean}


ERRATA: dict[str, tuple[Callable[[dict[str, Any]], None], ...]] = {
    "jira-dc-10.3-software.openapi.v3.json": (_object_values_mean_any, _dc_field_list_is_array),
    "azure-devops-wit-7.1.workItemTracking.json": (_object_values_mean_any,),
    "azure-devops-wit-7.2.workItemTracking.json": (_object_values_mean_any,),
    "azure-devops-work-7.1.work.json": (_object_values_mean_any,),
}
