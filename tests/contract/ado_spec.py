"""Checks a request against the Azure DevOps WIT 7.1 spec: method, path template, query
parameters and body schema (strict: no property the spec does not declare)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema

SPECS = Path("/work/shared/specs")
WIT_SPEC = SPECS / "azure-devops-wit-7.1.workItemTracking.json"
EXAMPLES = SPECS / "azure-devops-examples" / "wit-7.1"


def load_json(path: Path) -> Any:
    """Microsoft's files start with a UTF-8 BOM."""
    return json.loads(path.read_text(encoding="utf-8-sig"))


def example_body(relative: str, status: str = "200") -> Any:
    """The recorded response body of one of Microsoft's examples."""
    return load_json(EXAMPLES / relative)["responses"][status]["body"]


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = load_json(WIT_SPEC)
    return loaded


@cache
def _operations() -> list[tuple[str, re.Pattern[str], dict[str, Any]]]:
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
            found.append((method.upper(), re.compile(f"^{pattern}$", re.IGNORECASE), operation))
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
    candidates = [op for m, pattern, op in _operations() if m == method and pattern.match(path)]
    assert candidates, f"{method} {path} is not an operation of the WIT 7.1 spec"
    operation = max(candidates, key=lambda op: len(op.get("parameters", [])))
    parameters = _parameters(operation)
    declared = {p["name"] for p in parameters if p.get("in") == "query"}
    query = parse_qs(split.query)
    assert set(query) <= declared, f"undeclared query parameters {set(query) - declared}"
    accept = str(headers.get("Accept", ""))
    assert "api-version" in query or "api-version=7.1" in accept, "no api-version 7.1"
    body_parameters = [p for p in parameters if p.get("in") == "body"]
    if body_parameters:
        assert body, f"{operation['operationId']} needs a body"
        _check_body(json.loads(body), body_parameters[0]["schema"])
    return str(operation["operationId"])


def _check_body(document: Any, schema: dict[str, Any]) -> None:
    definitions = spec()["definitions"]
    jsonschema.Draft4Validator({**schema, "definitions": definitions}).validate(document)
    target = definitions[schema["$ref"].split("/")[-1]] if "$ref" in schema else schema
    undeclared = set(document) - set(target.get("properties", {}))
    assert not undeclared, f"body properties the spec does not declare: {undeclared}"
