"""Checks Jira requests and responses against the official OpenAPI documents in shared/specs.

- Cloud: the platform v3 spec. The `jira` package reads `serverInfo` and `field` through the v2
  API, which mirrors v3 for these resources (same beans), so `/rest/api/2/X` is checked as
  `/rest/api/3/X`; every other v2 path on Cloud is refused (the old search answers 410).
- Data Center: the 10.3 spec, whose paths start after `/rest`.

Schemas come from tests/spec_schemas.py (shared with the sandbox tests, errata included); this
module adds what a client test needs: finding the operation a request URL hits, and checking its
query parameter names and body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.spec_schemas import (
    load_spec,
    request_body_schema,
    response_schema,
    spec_path,
    validate,
)

CLOUD_SPEC = "jira-cloud-platform-v3.swagger-v3.v3.json"
DC_SPEC = "jira-dc-10.3-software.openapi.v3.json"

_V2_MIRRORED_ON_CLOUD = ("/rest/api/2/serverInfo", "/rest/api/2/field")


def _load(path: Path) -> dict[str, Any]:
    return load_spec(str(path))


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
        return spec_path(CLOUD_SPEC), path
    assert path.startswith("/rest/"), f"{path} is not under /rest"
    return spec_path(DC_SPEC), path[len("/rest") :]


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
    if found.body.get("requestBody") is not None:
        assert body, f"{found.operation_id} needs a body"
        document = json.loads(body)
        schema = request_body_schema(found.spec_path, found.template, method)
        validate(document, schema)
        # Jira ignores unknown body keys silently, which would hide a typo: refuse them here.
        declared_keys = _declared_properties(found.spec_path, schema)
        undeclared = set(document) - declared_keys if isinstance(document, dict) else set()
        assert not undeclared, f"body properties the spec does not declare: {undeclared}"
    return found


def _declared_properties(spec_path: Path, schema: dict[str, Any]) -> set[str]:
    target = _resolve(spec_path, schema["allOf"][0])
    return set(target.get("properties", {}))


def check_response(found: Operation, status: int, document: Any) -> None:
    """Validate an answer against the documented response (with tests/spec_schemas' errata for
    the DC generator's defects: arrays declared as one bean, map values typed `object`)."""
    validate(document, response_schema(found.spec_path, found.template, found.method, status))
