"""Decoding a `changelog/bulkfetch` answer: only what the status history reads.

Each change history carries its author (a user object with avatar URLs, time zone, account type),
most of the bytes of the answer, which lpmsync never reads. msgspec decodes the answer into the
structs below and skips every field they do not name without building it, then hands on the same
plain shape `orjson` would have given (`{"issueChangeLogs": [{"issueId", "changeHistories":
[{"created", "items"}]}], "nextPageToken"}`). An answer of another shape (a history that is not
an object, say) is decoded in full by orjson instead, so odd entries are judged one by one, as
before; a body that is not JSON fails the same way either path.
"""

from __future__ import annotations

from typing import Any

import msgspec

from lpmsync.connectors.codec import json_bytes


class _History(msgspec.Struct):
    created: Any = None
    items: Any = None  # status entries only (the request asks for `fieldIds: ["status"]`)


class _IssueChangelogs(msgspec.Struct):
    issueId: Any = None  # noqa: N815 (Jira's name)
    changeHistories: list[_History] | None = None  # noqa: N815


class _Page(msgspec.Struct):
    issueChangeLogs: list[_IssueChangelogs] | None = None  # noqa: N815
    nextPageToken: Any = None  # noqa: N815


_DECODER = msgspec.json.Decoder(_Page)


def decode_changelogs(body: bytes) -> Any:
    """The answer as plain JSON values, without the parts lpmsync does not read."""
    try:
        page = _DECODER.decode(body)
    except msgspec.MsgspecError:  # another shape, or not JSON: the full decoder decides
        return json_bytes(body)
    logs = page.issueChangeLogs
    return {
        "issueChangeLogs": None
        if logs is None
        else [
            {
                "issueId": log.issueId,
                "changeHistories": None
                if log.changeHistories is None
                else [{"created": h.created, "items": h.items} for h in log.changeHistories],
            }
            for log in logs
        ],
        "nextPageToken": page.nextPageToken,
    }
