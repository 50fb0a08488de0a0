"""Shared pieces of the Azure DevOps personality: error bodies, dates, api-version, URLs.

Errors use the service's wrapped-exception JSON (`$id`, `innerException`, `message`, `typeName`,
`typeKey`, `errorCode`, `eventId`), which is what the `azure-devops` SDK deserialises into
`AzureDevOpsServiceError`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from lpmsync.sandbox.http import Request, Response

MAX_API_VERSION = 7.1

_API_VERSION = re.compile(r"api-version\s*=\s*([0-9]+(?:\.[0-9]+)?)(-preview(?:\.[0-9]+)?)?", re.I)


class AdoError(Exception):
    """Raised inside a handler; becomes a wrapped-exception response."""

    def __init__(self, status: int, message: str, type_key: str, type_name: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type_key = type_key
        self.type_name = type_name or f"System.{type_key}, mscorlib"

    def response(self) -> Response:
        return vss_error(self.status, self.message, self.type_key, self.type_name)


def vss_error(status: int, message: str, type_key: str, type_name: str) -> Response:
    body = {
        "$id": "1",
        "innerException": None,
        "message": message,
        "typeName": type_name,
        "typeKey": type_key,
        "errorCode": 0,
        "eventId": 3000,
    }
    return Response(status, body, content_type="application/json; charset=utf-8")


def bad_request(message: str) -> AdoError:
    return AdoError(400, message, "ArgumentException")


@lru_cache(maxsize=65_536)  # the same few dates render thousands of times per revisions page
def ado_date(moment: datetime) -> str:
    """ISO-8601 in UTC with a `Z`, fractional seconds trimmed as the service writes them."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = utc.replace(microsecond=0, tzinfo=None).isoformat()
    if utc.microsecond:
        text += "." + f"{utc.microsecond:06d}"[:3].rstrip("0")
    return text.rstrip(".") + "Z"


def parse_date(text: str) -> datetime:
    """A date or date-time literal as clients send it; naive values are taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def api_version(request: Request) -> str | None:
    """The requested api-version: the Accept header (as the SDK sends it) or the query string."""
    accept = request.headers.get("accept", "")
    match = _API_VERSION.search(accept)
    if match:
        return match.group(1) + (match.group(2) or "")
    query = request.arg("api-version")
    if query:
        match = _API_VERSION.search(f"api-version={query}")
        return match.group(1) + (match.group(2) or "") if match else query
    return None


def require_api_version(request: Request) -> str:
    version = api_version(request)
    if version is None:
        raise AdoError(
            400,
            f'No api-version was supplied for the "{request.method}" request. The version must '
            'be supplied either as part of the Accept header (e.g. "application/json; '
            "api-version=1.0\") or as a query parameter (e.g. '?api-version=1.0').",
            "VssVersionNotSpecifiedException",
            "Microsoft.VisualStudio.Services.WebApi.VssVersionNotSpecifiedException, "
            "Microsoft.VisualStudio.Services.WebApi",
        )
    number = version.split("-")[0]
    try:
        out_of_range = float(number) > MAX_API_VERSION
    except ValueError:
        out_of_range = True
    if out_of_range:
        raise AdoError(
            400,
            f"The requested REST API version of {number} is out of range for this server. "
            f"The latest REST API version for this server is {MAX_API_VERSION}.",
            "VssVersionOutOfRangeException",
            "Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, "
            "Microsoft.VisualStudio.Services.WebApi",
        )
    return version


def host_url(request: Request) -> str:
    """The server's own base URL as the client addressed it (links point back to the sandbox)."""
    return f"http://{request.headers.get('host', '127.0.0.1')}"


def path_param(request: Request, name: str) -> str | None:
    value = request.params.get(name)
    return unquote(value) if value is not None else None


def json_body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from exc


def query_list(request: Request, name: str) -> list[str] | None:
    """A comma-separated (possibly repeated) query parameter, or None when absent."""
    values = request.query.get(name)
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
