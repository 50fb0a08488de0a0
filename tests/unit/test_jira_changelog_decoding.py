"""`changelog/bulkfetch` answers decoded without the parts lpmsync never reads."""

from __future__ import annotations

import orjson
import pytest

from lpmsync.connectors.jira.changelogs import decode_changelogs

STATUS_ITEM = {
    "field": "status",
    "fieldtype": "jira",
    "fieldId": "status",
    "from": "10000",
    "fromString": "Funnel",
    "to": "10001",
    "toString": "Reviewing",
}
AUTHOR = {"accountId": "712020:abc", "displayName": "Hannah", "avatarUrls": {"48x48": "x"}}


def _answer(histories: list[object], token: str | None = "next") -> bytes:
    log = {"issueId": "10025", "changeHistories": histories}
    return orjson.dumps({"issueChangeLogs": [log], "nextPageToken": token})


def test_keeps_what_the_status_history_reads_and_drops_the_rest() -> None:
    history = {"id": "1", "author": AUTHOR, "created": "2026-05-01T07:56:13.000+0000"}
    decoded = decode_changelogs(_answer([{**history, "items": [STATUS_ITEM]}]))
    assert decoded == {
        "issueChangeLogs": [
            {
                "issueId": "10025",
                "changeHistories": [
                    {"created": "2026-05-01T07:56:13.000+0000", "items": [STATUS_ITEM]}
                ],
            }
        ],
        "nextPageToken": "next",
    }


def test_an_answer_of_another_shape_is_decoded_in_full() -> None:
    odd: list[object] = [
        {"created": "2026-05-01T07:56:13.000+0000", "items": [STATUS_ITEM]},
        "not a history",
    ]
    body = _answer(odd)
    assert decode_changelogs(body) == orjson.loads(body)  # the odd entry is judged later
    assert decode_changelogs(b"[1, 2]") == [1, 2]


def test_missing_parts_read_as_absent() -> None:
    decoded = decode_changelogs(b'{"issueChangeLogs": [{"issueId": 7}]}')
    assert decoded["issueChangeLogs"] == [{"issueId": 7, "changeHistories": None}]
    assert decoded["nextPageToken"] is None


def test_a_body_that_is_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        decode_changelogs(b"<html>proxy error</html>")
