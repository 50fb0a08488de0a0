"""JSON from the trackers, decoded by orjson straight from the response bytes (no text decoding,
no charset guessing). A body that is not JSON raises what `response.json()` raises, so the
callers' retry rules are unchanged."""

from __future__ import annotations

from typing import Any

import orjson
import requests


def json_body(response: requests.Response) -> Any:
    return json_bytes(response.content)


def json_bytes(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise requests.exceptions.JSONDecodeError(exc.msg, exc.doc, exc.pos) from None


def json_text(value: Any) -> bytes:
    """A request body as compact JSON bytes."""
    return orjson.dumps(value)
