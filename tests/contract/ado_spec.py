"""Checks requests against the Azure DevOps WIT 7.1 spec (method, path template, query
parameters, body schema, strictly: no property the spec does not declare), and the fake's answers
against its response schemas. Builds on tests/spec_schemas.py."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.spec_schemas import (
    collection_wrapped,
    load_spec,
    request_body_schema,
    response_schema,
    spec_path,
    validate,
)

WIT_SPEC = "azure-devops-wit-7.1.workItemTracking.json"


def load_json(path: Path) -> Any:
    """Microsoft's files start with a UTF-8 BOM."""
    return json.loads(path.read_text(encoding="utf-8-sig"))


def example_body(relative: str, status: str = "200") -> Any:
    """The recorded response body of one of Microsoft's examples (`wit-7.1/<relative>`)."""
    examples = spec_path("azure-devops-examples") / "wit-7.1"
    return load_json(examples / relative)["responses"][status]["body"]


def spec() -> dict[str, Any]:
    return load_spec(str(spec_path(WIT_SPEC)))


@cache
def _operations() -> list[tuple[str, re.Pattern[str], str, dict[str, Any]]]:
    """(method, path regex, operation); path parameters the spec marks `x-ms-required: false`
    (project, team) may be left out, as the service allows."""
    found = []
    for template, operations in spec()["paths"].items():
        for method, operation in operations.items():
            optional = {
                p["name"]
                for p in operation.get("parameters", [])
                if p.get("in") == "path" and p.get("x-ms-required") is False
            }
            pattern = ""
            for segment in template.strip("/").split("/"):
                name = segment[1:-1] if segment.startswith("{") else None
                piece = "/[^/]+" if name else "/" + re.escape(segment)
                pattern += f"(?:{piece})?" if name in optional else piece
            regex = re.compile(f"^{pattern}$", re.IGNORECASE)
            found.append((method.upper(), regex, template, operation))
    return found


def _parameters(operation: dict[str, Any]) -> list[dict[str, Any]]:
    resolved = []
    for declared in operation.get("parameters", []):
        reference = declared.get("$ref")
        resolved.append(spec()["parameters"][reference.split("/")[-1]] if reference else declared)
    return resolved


def check_request(method: str, url: str, headers: Any, body: bytes | str | None) -> str:
    """The operationId the request conforms to; AssertionError naming what does not conform."""
    split = urlsplit(url)
    path = unquote(split.path)
    matches = [
        (t, op) for m, pattern, t, op in _operations() if m == method and pattern.match(path)
    ]
    assert matches, f"{method} {path} is not an operation of the WIT 7.1 spec"
    template, operation = max(matches, key=lambda match: len(match[1].get("parameters", [])))
    parameters = _parameters(operation)
    declared = {p["name"] for p in parameters if p.get("in") == "query"}
    query = parse_qs(split.query)
    assert set(query) <= declared, f"undeclared query parameters {set(query) - declared}"
    accept = str(headers.get("Accept", ""))
    assert "api-version" in query or "api-version=7.1" in accept, "no api-version 7.1"
    if any(p.get("in") == "body" for p in parameters):
        assert body, f"{operation['operationId']} needs a body"
        _check_body(json.loads(body), template, method)
    return str(operation["operationId"])


def _check_body(document: Any, template: str, method: str) -> None:
    """Valid for the spec, and strict: no property the spec does not declare."""
    schema = request_body_schema(spec_path(WIT_SPEC), template, method)
    validate(document, schema)
    reference = schema["allOf"][0].get("$ref", "")
    declared = spec()["definitions"][reference.split("/")[-1]].get("properties", {})
    undeclared = set(document) - set(declared)
    assert not undeclared, f"body properties the spec does not declare: {undeclared}"


def check_response(operation_id: str, body: Any) -> None:
    """A fake's 200 answer fits the spec's response schema (WIQL and batch; the revisions batch
    is declared with a generic type the spec cannot express)."""
    if operation_id == "Wiql_Query By Wiql":
        template = "/{organization}/{project}/{team}/_apis/wit/wiql"
        validate(body, response_schema(spec_path(WIT_SPEC), template, "post", 200))
    elif operation_id == "Work Items_Get Work Items Batch":
        template = "/{organization}/{project}/_apis/wit/workitemsbatch"
        schema = response_schema(spec_path(WIT_SPEC), template, "post", 200)
        validate(body, collection_wrapped(schema))
