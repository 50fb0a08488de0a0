"""Checks Jira requests and responses against the official OpenAPI documents in shared/specs.

- Cloud: the platform v3 spec. The `jira` package reads `serverInfo` and `field` through the v2
  API, which mirrors v3 for these resources (same beans), so `/rest/api/2/X` is checked as
  `/rest/api/3/X`; every other v2 path on Cloud is refused (the old search answers 410).
- Data Center: the 10.3 spec, whose paths start after `/rest`. Its generator has two known
  defects (listed in the source repository's COMPATIBILITY.md): some array answers are declared
  as a single bean (`GET /api/2/field`), checked here element by element; and every value of
  `IssueBean.fields` is typed `object`, which no real issue satisfies (summaries are strings),
  so that one schema is widened to "any value" before validating.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from openapi_schema_validator import OAS30Validator

SPECS = Path("/work/shared/specs")
CLOUD_SPEC = SPECS / "jira-cloud-platform-v3.swagger-v3.v3.json"
DC_SPEC = SPECS / "jira-dc-10.3-software.openapi.v3.json"

_V2_MIRRORED_ON_CLOUD = ("/rest/api/2/serverInfo", "/rest/api/2/field")


@cache
def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Operation:
    spec_path: Path
    method: str
    template: str
    body: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.body.get("operationId", f"{self.method} {self.template}"))


def _pattern(template: str) -> re.Pattern[str]:
    parts = [
        "[^/]+" if seg.startswith("{") else re.escape(seg) for seg in template.strip("/").split("/")
    ]
    return re.compile("^/" + "/".join(parts) + "$")


@cache
def _operations(spec_path: Path) -> list[tuple[str, re.Pattern[str], str, dict[str, Any]]]:
    found = []
    for template, item in _load(spec_path)["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "delete", "patch"}:
                found.append((method.upper(), _pattern(template), template, operation))
    # Literal paths before templated ones (`/issue/bulkfetch` before `/issue/{issueIdOrKey}`).
    found.sort(key=lambda entry: entry[2].count("{"))
    return found


def spec_path_of(url: str, deployment: str) -> tuple[Path, str]:
    """The spec and the path inside it that a request URL corresponds to."""
    path = unquote(urlsplit(url).path)
    if deployment == "cloud":
        if path in _V2_MIRRORED_ON_CLOUD:
            path = path.replace("/rest/api/2/", "/rest/api/3/")
        return CLOUD_SPEC, path
    assert path.startswith("/rest/"), f"{path} is not under /rest"
    return DC_SPEC, path[len("/rest") :]


def operation(method: str, url: str, deployment: str) -> Operation:
    spec_path, path = spec_path_of(url, deployment)
    for op_method, pattern, template, body in _operations(spec_path):
        if op_method == method and pattern.match(path):
            assert not body.get("deprecated"), f"{method} {template} is deprecated in the spec"
            return Operation(spec_path, method, template, body)
    raise AssertionError(f"{method} {path} is not an operation of {spec_path.name}")


def _resolve(spec_path: Path, node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = _load(spec_path)
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def check_request(method: str, url: str, body: bytes | str | None, deployment: str) -> Operation:
    """The operation the request conforms to; AssertionError naming what does not conform."""
    found = operation(method, url, deployment)
    parameters = [_resolve(found.spec_path, p) for p in found.body.get("parameters", [])]
    declared = {p["name"] for p in parameters if p.get("in") == "query"}
    query = set(parse_qs(urlsplit(url).query))
    assert query <= declared, (
        f"{found.operation_id}: undeclared query parameters {query - declared}"
    )
    request_body = found.body.get("requestBody")
    if request_body is not None:
        assert body, f"{found.operation_id} needs a body"
        schema = _resolve(found.spec_path, request_body)["content"]["application/json"]["schema"]
        validate(found.spec_path, schema, json.loads(body), strict=True)
    return found


def response_schema(found: Operation, status: int) -> dict[str, Any]:
    response = _resolve(found.spec_path, found.body["responses"][str(status)])
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def check_response(found: Operation, status: int, document: Any) -> None:
    schema = response_schema(found, status)
    if isinstance(document, list) and _resolve(found.spec_path, schema).get("type") != "array":
        for element in document:  # the DC generator declares some arrays as a single bean
            validate(found.spec_path, schema, element)
        return
    validate(found.spec_path, schema, document)


@cache
def _components(spec_path: Path) -> dict[str, Any]:
    components: dict[str, Any] = _load(spec_path)["components"]
    if spec_path != DC_SPEC:
        return components
    schemas = dict(components["schemas"])
    issue = copy.deepcopy(schemas["IssueBean"])
    issue["properties"]["fields"]["additionalProperties"] = {}
    schemas["IssueBean"] = issue
    return {**components, "schemas": schemas}


def validate(spec_path: Path, schema: dict[str, Any], document: Any, strict: bool = False) -> None:
    """Validate against a schema of the spec; `strict` also refuses undeclared properties at the
    top level (request bodies: Jira ignores unknown keys silently, which hides typos)."""
    components = _components(spec_path)
    OAS30Validator({**schema, "components": components}).validate(document)
    target = _resolve(spec_path, schema)
    if strict and isinstance(document, dict) and "properties" in target:
        undeclared = set(document) - set(target["properties"])
        assert not undeclared, f"body properties the spec does not declare: {undeclared}"
